"""Options that steer how a bank file is read, for when detection needs a hand."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

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
    Fields: date, amount, debit, credit, description, payee, category, account, notes, currency."""
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
