"""Options that steer how a bank file is read, for when detection needs a hand."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from budgetlm.errors import InputError
from budgetlm.ledger.records import FileFormat

DateOrder = Literal["auto", "ymd", "mdy", "dmy"]
"""How to read numeric dates; ``auto`` decides from the whole file."""


@dataclass(frozen=True)
class ImportOptions:
    """How to read one file. Every field defaults to automatic detection."""

    file_format: FileFormat | None = None
    """Force a reader instead of deciding by extension and content."""
    column_map: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Our field name -> the file's column header (CSV ``--map date=Posted,amount=Amt``).
    Fields: date, amount, debit, credit, description, payee, category, account, notes, currency,
    and type (a debit/credit indicator column). A value made only of digits that is not a header
    names a column by its 1-based position (for files without a header row)."""
    date_format: str | None = None
    """A ``strptime`` format that all dates follow, e.g. ``%d/%m/%Y``; overrides detection."""
    date_order: DateOrder = "auto"
    """Order of day, month and year in numeric dates when no ``date_format`` is given."""
    encoding: str | None = None
    """Text encoding of the file; detected when None."""
    delimiter: str | None = None
    """CSV delimiter; detected when None."""
    decimal_comma: bool | None = None
    """True when amounts use a decimal comma (``1.234,56``); detected when None."""
    debit_positive: bool = False
    """True when a single signed amount column shows outflows as positive numbers
    (some credit-card exports); the importer then flips the sign."""
    currency: str | None = None
    """Currency to assume when the file does not say (ISO 4217)."""


MAP_FIELDS: tuple[str, ...] = (
    "date",
    "amount",
    "debit",
    "credit",
    "type",
    "description",
    "payee",
    "category",
    "account",
    "notes",
    "currency",
)
"""Field names accepted on the left of ``--map``."""

_MAP_SPLIT = re.compile(rf",\s*(?=(?:{'|'.join(MAP_FIELDS)})\s*=)", re.IGNORECASE)


def check_column_map(column_map: Mapping[str, str]) -> dict[str, str]:
    """Validate a column map built in code; returns a plain copy with lower-case field names.

    Raises:
        InputError: An unknown field, an empty header or one header used for two fields
            (``source`` is ``--map``).
    """
    result: dict[str, str] = {}
    for raw_field, header in column_map.items():
        name = raw_field.strip().lower()
        if name not in MAP_FIELDS:
            known = ", ".join(MAP_FIELDS)
            raise InputError(f"unknown field {raw_field!r}; known fields: {known}", source="--map")
        if not header.strip():
            raise InputError(f"no column given for {name!r}", source="--map", field=name)
        if name in result:
            raise InputError(f"{name!r} is given twice", source="--map", field=name)
        if header.strip() in (h.strip() for h in result.values()):
            raise InputError(f"column {header!r} is given for two fields", source="--map")
        result[name] = header.strip()
    if "amount" in result and ("debit" in result or "credit" in result):
        raise InputError("give either amount or debit/credit, not both", source="--map")
    return result


def parse_column_map(text: str) -> dict[str, str]:
    """Parse the CLI's ``--map "date=Posted Date,amount=Amt,description=Details"``.

    A comma only separates entries when a known field name and ``=`` follow it, so column
    names may themselves contain commas (``amount=Amount (USD, settled)``).

    Returns:
        Our field name -> the file's column header (or 1-based column number).

    Raises:
        InputError: The text is empty or malformed, or names an unknown field
            (``source`` is ``--map``).
    """
    if not text.strip():
        raise InputError(
            "the column map is empty; expected e.g. date=Posted Date,amount=Amt", source="--map"
        )
    pairs: dict[str, str] = {}
    for entry in _MAP_SPLIT.split(text.strip()):
        name, equals, header = entry.partition("=")
        if not equals:
            raise InputError(f"expected field=column, got {entry.strip()!r}", source="--map")
        if name.strip().lower() in (p.lower() for p in pairs):
            raise InputError(f"{name.strip()!r} is given twice", source="--map", field=name.strip())
        pairs[name.strip()] = header
    return check_column_map(pairs)
