"""Offline mode: learn someone's own labels from one file, label another, keep every row."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from budgetlm.categorize.offline import read_labelled
from budgetlm.errors import InputError
from budgetlm.ledger.synth import SynthTransaction, generate_household

if TYPE_CHECKING:
    from conftest import Cli

THEIR_LABELS = {
    "Groceries": "Food", "Dining Out": "Eating out", "Coffee Shops": "Eating out",
    "Rent": "Home", "Utilities": "Bills", "Internet & Phone": "Bills", "Paycheck": "Salary",
}  # fmt: skip
"""A user's own label set, partly coarser than ours; other categories keep our names."""


def _csv(rows: list[SynthTransaction], *, labelled: bool, header: str) -> str:
    lines = [header + (",Label" if labelled else "")]
    for t in rows:
        label = THEIR_LABELS.get(t.category, t.category)
        description = t.description.replace('"', "'")
        row = f'{t.date:%m/%d/%Y},"{description}",{t.amount}'
        lines.append(row + (f",{label}" if labelled else ""))
    return "\n".join(lines) + "\n"


def test_predict_learns_their_labels_and_writes_every_row_back(cli: Cli, tmp_path: Path) -> None:
    household = generate_household("young_renter", months=16, seed=1, end=date(2026, 10, 31))
    cut = date(2026, 7, 1)
    history = [t for t in household.transactions if t.date < cut]
    later = [t for t in household.transactions if t.date >= cut]
    train = tmp_path / "history.csv"
    train.write_text(_csv(history, labelled=True, header="Date,Memo,Amount"))
    new_text = _csv(later, labelled=False, header="Date,Description,Amount")
    new = tmp_path / "new.csv"
    new.write_text("Exported from My Bank\n\n" + new_text)
    out = tmp_path / "out.csv"
    summary = cli.json("categorize", "predict", "--train", str(train), "--input", str(new),
                       "--output", str(out))  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert summary["rows"] == len(rows) == len(later)
    assert [r["Description"] for r in rows] == [t.description.replace('"', "'") for t in later]
    assert {"Eating out", "Salary", "Bills"} <= {r["category"] for r in rows}
    assert not {r["category"] for r in rows} & {"Dining Out", "Coffee Shops", "Rent"}
    truth = [THEIR_LABELS.get(t.category, t.category) for t in later]
    confident = [(r["category"], t) for r, t in zip(rows, truth, strict=True) if r["category"]]
    assert len(confident) >= 0.6 * len(rows)
    assert sum(c == t for c, t in confident) >= 0.9 * len(confident)


def test_a_file_without_labels_or_with_one_label_is_a_clear_error(tmp_path: Path) -> None:
    no_labels = b"Date,Description,Amount\n2026-01-02,SHOP,-3.00\n"
    with pytest.raises(InputError, match="--label-column"):
        read_labelled(no_labels, "x.csv")
    one = b"Date,Description,Amount,Tag\n2026-01-02,SHOP,-3.00,Fun\n2026-01-03,BAR,-9.00,Fun\n"
    history = read_labelled(one, "x.csv")
    assert history.labels == ["Fun", "Fun"]
    from budgetlm.categorize.model import CategoryModel

    with pytest.raises(InputError, match="two categories"):
        CategoryModel.train(history.texts, history.labels)
