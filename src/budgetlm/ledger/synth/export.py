"""Writing generated households to CSV (one row per transaction with all ground truth) and JSON
(the whole household), and reading them back.

These are the package's only functions that touch disk.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import types
import typing
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from budgetlm.ledger.synth.household import Household, SynthTransaction
from budgetlm.ledger.synth.personas import Persona

CSV_COLUMNS: tuple[str, ...] = (
    "date", "account", "amount", "description", "merchant", "merchant_id", "category",
    "template_id", "recurring_series", "anomaly", "transfer_id", "is_refund",
)  # fmt: skip
"""Columns of ``write_csv``, in order."""

_T = TypeVar("_T")


def _plain(value: Any) -> Any:
    """JSON-ready form: Decimals and dates as strings, dataclasses as dicts, tuples as lists."""
    if isinstance(value, Decimal | date):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def household_to_dict(household: Household) -> dict[str, Any]:
    """The whole household as JSON-ready data (Decimals and dates as strings)."""
    data: dict[str, Any] = _plain(household)
    return data


def _typed(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if value is None:
        return None
    if hint is Decimal:
        return Decimal(value)
    if hint is date:
        return date.fromisoformat(value)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value)  # type: ignore[arg-type]
    if origin is tuple:
        inner = typing.get_args(hint)[0]
        return tuple(_typed(inner, v) for v in value)
    if origin in (types.UnionType, typing.Union):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _typed(options[0], value)
    return value


def _build(cls: type[_T], data: dict[str, Any]) -> _T:
    hints = typing.get_type_hints(cls, localns={"Persona": Persona})
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: _typed(hints[k], v) for k, v in data.items() if k in names})


def household_from_dict(data: dict[str, Any]) -> Household:
    """Inverse of ``household_to_dict``."""
    return _build(Household, data)


def write_json(household: Household, path: str | Path) -> None:
    """Write the whole household (persona, accounts, transactions, budgets, goals, debts,
    recurring series) as UTF-8 JSON."""
    text = json.dumps(household_to_dict(household), ensure_ascii=False, indent=1)
    Path(path).write_text(text + "\n", encoding="utf-8")


def read_json(path: str | Path) -> Household:
    """Read a household written by ``write_json``."""
    return household_from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def _row(t: SynthTransaction) -> list[str]:
    values = [getattr(t, column) for column in CSV_COLUMNS]
    return [
        "" if v is None else ("true" if v is True else "false" if v is False else str(v))
        for v in values
    ]


def write_csv(household: Household, path: str | Path) -> None:
    """Write one row per transaction: date, account, amount, description and ground truth."""
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(_row(t) for t in household.transactions)


def _transaction(row: dict[str, str]) -> SynthTransaction:
    return SynthTransaction(
        account=row["account"],
        date=date.fromisoformat(row["date"]),
        amount=Decimal(row["amount"]),
        description=row["description"],
        merchant=row["merchant"],
        merchant_id=row["merchant_id"],
        category=row["category"],
        template_id=row["template_id"],
        recurring_series=row["recurring_series"] or None,
        anomaly=row["anomaly"] == "true",
        transfer_id=row["transfer_id"] or None,
        is_refund=row["is_refund"] == "true",
    )


def read_csv(path: str | Path) -> list[SynthTransaction]:
    """Read transactions written by ``write_csv``."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return [_transaction(row) for row in csv.DictReader(handle)]
