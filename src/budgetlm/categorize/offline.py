"""Offline categorization of anyone's files: learn a labelled history, label new rows.

This is how someone with years of categorized history from another app gets their own
categories: ``budgetlm categorize predict --train history.csv --input new.csv --output out.csv``.
Both files may use any layout the CSV importer understands. The label column is found by name
(Category, Category Name, Label, Class, Tag…) or given with ``--label-column``. Every row of the
input comes back, in its own columns, with ``category`` (empty when the model is unsure),
``confidence`` and ``suggestion`` added.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from budgetlm.categorize.categorizer import Categorizer, Scorer
from budgetlm.categorize.records import TransactionText
from budgetlm.errors import InputError
from budgetlm.ledger.importers.csv import CsvTable, read_csv_table
from budgetlm.ledger.importers.options import ImportOptions
from budgetlm.ledger.records import ImportedTransaction
from budgetlm.ledger.taxonomy import label_key

LABEL_HEADERS = ("label", "labels", "class", "tag", "tags", "budget category")
"""Header names tried for the label column when the CSV reader found no category column."""
ADDED_COLUMNS = ("category", "confidence", "suggestion")
"""Columns appended to every output row."""


@dataclass(frozen=True)
class LabelledHistory:
    """Training rows read from a labelled file."""

    texts: list[TransactionText]
    labels: list[str]
    unlabelled: int
    """Rows without a label, left out of training."""


def _text(row: ImportedTransaction) -> TransactionText:
    return TransactionText(row.description, row.amount, row.date, row.account, row.payee)


def _label_column(table: CsvTable, source: str) -> str:
    """The header of the label column in a file whose category column was not recognized."""
    wanted = {label_key(h) for h in LABEL_HEADERS}
    found = next((name for name in table.layout.names if label_key(name) in wanted), None)
    if found is None:
        raise InputError(
            f"no label column among {', '.join(table.layout.names)}; name it with --label-column",
            source=source,
        )
    return found


def read_labelled(data: bytes, source: str, label_column: str | None = None) -> LabelledHistory:
    """The labelled rows of a history file (rows that do not parse are left out and counted)."""
    options = ImportOptions(column_map={"category": label_column} if label_column else {})
    table = read_csv_table(data, source, options)
    if "category" not in table.layout.columns:  # read again, knowing the label column
        options = ImportOptions(column_map={"category": _label_column(table, source)})
        table = read_csv_table(data, source, options)
    statement = table.statement
    labelled = [row for row in statement.transactions if row.category and row.category.strip()]
    return LabelledHistory(
        texts=[_text(row) for row in labelled],
        labels=[" ".join((row.category or "").split()) for row in labelled],
        unlabelled=len(statement.transactions) - len(labelled) + len(statement.errors),
    )


@dataclass(frozen=True)
class LabelledFile:
    """The input file with predictions added, and what happened."""

    csv_text: str
    rows: int
    """Data rows written (every non-blank row of the input)."""
    categorized: int
    """Rows the model was confident about."""
    unsure: int
    """Rows left without a category (only a suggestion)."""


def label_file(data: bytes, source: str, model: Scorer, threshold: float) -> LabelledFile:
    """Every row of the CSV file ``data`` with ``category``, ``confidence`` and ``suggestion``
    appended. Rows that do not parse as transactions keep empty added cells."""
    table = read_csv_table(data, source, ImportOptions())
    rows = table.statement.transactions
    categorizer = Categorizer.with_model(model, threshold)
    predictions = categorizer.categorize([_text(r) for r in rows])
    by_line = {row.line: p for row, p in zip(rows, predictions, strict=True)}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*table.layout.names, *ADDED_COLUMNS])
    written = 0
    for line, cells in table.records[table.layout.start :]:
        if not any(c.strip() for c in cells):
            continue
        written += 1
        guess = by_line.get(line)
        added: Sequence[str] = (
            (guess.category or "", f"{guess.confidence:.3f}", guess.best_guess or "")
            if guess
            else ("", "", "")
        )
        writer.writerow([*cells, *added])
    categorized = sum(1 for p in predictions if p.category)
    return LabelledFile(out.getvalue(), written, categorized, len(predictions) - categorized)
