"""Plain, immutable records that pass between importers, the generator and the store.

These carry no database identity: importers and the synthetic generator produce them, the
store turns them into rows. Money is always ``Decimal``; outflows are negative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from budgetlm.errors import InputError

AccountType = Literal["checking", "savings", "credit_card", "cash", "loan", "investment", "other"]
"""Kinds of account the ledger knows."""

FileFormat = Literal["csv", "ofx", "qfx", "qif"]
"""Bank file formats the importers read."""


@dataclass(frozen=True, slots=True)
class ImportedTransaction:
    """One transaction as read from a bank or budgeting-app file, before it enters the ledger."""

    date: date
    """Posting (or transaction) date as the file gives it."""
    amount: Decimal
    """Signed amount: outflows negative, inflows positive."""
    description: str
    """Raw description exactly as the bank printed it (whitespace collapsed, nothing else)."""
    line: int
    """1-based line of the file (CSV/QIF) or record number (OFX) the row came from."""
    currency: str | None = None
    """ISO 4217 code if the file states one for this row or statement."""
    account: str | None = None
    """Account name from the file (app exports' Account column, OFX account id)."""
    payee: str | None = None
    """A payee given separately from the description (YNAB, QIF ``P``), if any."""
    category: str | None = None
    """Category label from the file (exports of other budgeting apps), verbatim."""
    notes: str | None = None
    """Memo or notes column, verbatim."""
    fitid: str | None = None
    """OFX/QFX financial-institution transaction id, unique per account."""


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that could not be read; importers collect these instead of stopping."""

    line: int
    """1-based line (or record number) of the bad row."""
    field: str | None
    """Column or field at fault, if one can be named."""
    message: str
    """What is wrong, in plain words."""

    def as_input_error(self, source: str) -> InputError:
        """This problem as an exception naming ``source``."""
        return InputError(self.message, source=source, line=self.line, field=self.field)


@dataclass(frozen=True, slots=True)
class StatementAccount:
    """What a file says about the account it belongs to (OFX ``<ACCTID>``, QIF ``!Type``)."""

    account_id: str | None = None
    """Account number or id as printed in the file (never shown unmasked)."""
    account_type: AccountType | None = None
    """Kind of account when the file says."""
    currency: str | None = None
    """Default currency of the statement."""
    institution: str | None = None
    """Bank name or OFX ``<ORG>``."""


@dataclass(frozen=True, slots=True)
class ParsedStatement:
    """Everything an importer read from one file: good rows, bad rows and account facts."""

    source: str
    """File name the statement came from (shown in every error)."""
    file_format: FileFormat
    """Which reader produced it."""
    transactions: tuple[ImportedTransaction, ...]
    """Rows that parsed, in file order."""
    errors: tuple[RowError, ...] = ()
    """Rows that did not parse; the import service decides whether that stops the import."""
    account: StatementAccount = field(default_factory=StatementAccount)
    """Account facts stated by the file (its first account, when it holds several)."""
    accounts: tuple[StatementAccount, ...] = ()
    """Every account the file describes, matched to rows by ``account_id`` ==
    ``ImportedTransaction.account`` (multi-account OFX and QIF files)."""
    notes: tuple[str, ...] = ()
    """Human-readable remarks about detection (e.g. 'dates read as DD/MM/YYYY')."""
