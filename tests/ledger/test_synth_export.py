"""CSV and JSON exports of synthetic households round-trip with all ground truth."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

from budgetlm.ledger.synth import (
    CSV_COLUMNS,
    generate_household,
    household_to_dict,
    read_csv,
    read_json,
    write_csv,
    write_json,
)


def test_csv_has_one_row_per_transaction_with_ground_truth(tmp_path: Path) -> None:
    h = generate_household("gig_worker", months=3, seed=2, hostile=True)
    path = tmp_path / "household.csv"
    write_csv(h, path)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == len(h.transactions)
    for row, t in zip(rows, h.transactions, strict=True):
        assert row["date"] == t.date.isoformat()
        assert Decimal(row["amount"]) == t.amount
        assert row["description"] == t.description
        assert row["merchant"] == t.merchant and row["merchant_id"] == t.merchant_id
        assert row["category"] == t.category and row["template_id"] == t.template_id
        assert row["recurring_series"] == (t.recurring_series or "")
        assert row["transfer_id"] == (t.transfer_id or "")
        assert row["anomaly"] == ("true" if t.anomaly else "false")
        assert row["is_refund"] == ("true" if t.is_refund else "false")
    assert read_csv(path) == list(h.transactions)


def test_json_holds_the_whole_household_with_decimals_as_strings(tmp_path: Path) -> None:
    h = generate_household("uk_renter", months=4, seed=1)
    path = tmp_path / "household.json"
    write_json(h, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == household_to_dict(h)
    assert set(data) >= {
        "persona",
        "accounts",
        "transactions",
        "budgets",
        "goals",
        "debts",
        "series",
    }
    assert data["persona"]["currency"] == "GBP"
    first = data["transactions"][0]
    assert isinstance(first["amount"], str) and Decimal(first["amount"]) == h.transactions[0].amount
    assert isinstance(data["accounts"][0]["opening_balance"], str)
    assert read_json(path) == h


def test_json_round_trip_keeps_debts_goals_and_budgets(tmp_path: Path) -> None:
    h = generate_household("high_earner_debt", months=6, seed=4)
    path = tmp_path / "h.json"
    write_json(h, path)
    back = read_json(path)
    assert back.debts == h.debts and back.goals == h.goals and back.budgets == h.budgets
    assert back.series == h.series and back.persona == h.persona
