"""Read Quicken Interchange Format (QIF) files: bank, credit-card, cash and asset/liability lists.

Why not ``quiffen`` (4.0.1): tried on the variants real exports use, it

* guesses every date on its own with dateutil, so one file's ``15/01/2024`` reads day-first while
  its ``02/01/2024`` reads as 1 February, and a bare ``D15`` becomes the 15th of the current
  month (it reads the clock);
* stops the whole file with a raw dateutil or decimal exception on one bad date or amount, and
  gives no line for any transaction;
* reads ``1.234,56`` as ``1.23456`` (it deletes every character but digits, ``.`` and ``-``);
* rebuilds ``Cat:Sub/Class`` into objects, so the label is no longer verbatim.

QIF is a line format (a code letter, then the value; ``^`` ends a record), so a small tolerant
reader of our own is simpler than working around those.

Rules:

* Sections: ``!Type:Bank``, ``CCard``, ``Cash``, ``Oth A`` and ``Oth L`` hold transactions;
  ``!Account`` records name the account the following transactions belong to (except inside an
  ``!Option:AutoSwitch`` account list). Other sections (``Invst``, ``Cat``, ``Class``,
  ``Memorized``…) are skipped and counted in ``notes``. A record missing its final ``^`` is kept.
* ``date`` (``D``): QIF's quirks are made plain first (padding spaces dropped, so ``1/ 5/24``
  works; ``'`` before a two-digit year means 20xx, so ``1/15'24`` is 2024), then every importer's
  reader (``importers.dates``) decides for the whole file: ``options.date_format``, else an explicit
  ``options.date_order``, else day-first when some date's first number is above 12 (month-first
  when a second number is; a file with both reads the majority way and reports dates readable
  both ways as errors), else month-first. ``notes`` say what was decided. Other two-digit years
  follow that reader too (2000-2069, 1970-1999).
* ``amount``: ``T`` (else ``U``), read by ``budgetlm.money.parse_amount`` (thousands separators,
  currency signs, trailing minus); the decimal mark is ``options.decimal_comma``, else decided from
  all the file's amounts, else ``.``. The sign is kept as written.
* ``description``: the payee ``P``, or the memo ``M`` when there is no payee; whitespace is
  collapsed. ``payee`` is ``P``; ``category`` is ``L`` verbatim, so ``Cat:Sub``, ``Cat/Class`` and
  transfers ``[Account]`` keep their brackets (a transfer is also named in ``notes``).
* Splits (``S``/``E``/``$``): the transaction keeps its total ``T``; each split is listed in
  ``notes`` as ``split: <category> <amount> (<memo>)``. ``notes`` also hold ``M`` verbatim and the
  check number ``N``. Cleared status ``C`` and address lines ``A`` are not kept.
* ``line``: the 1-based line of the transaction's first field.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from budgetlm.errors import InputError
from budgetlm.ledger.importers.dates import DateParser, choose_date_order
from budgetlm.ledger.importers.options import ImportOptions
from budgetlm.ledger.importers.text import decode_leniently
from budgetlm.ledger.records import (
    AccountType,
    ImportedTransaction,
    ParsedStatement,
    RowError,
    StatementAccount,
)
from budgetlm.money import ParsedAmount, amount_reader, detect_decimal_comma

__all__ = ["parse_qif"]

_BREAK = re.compile(r"\r\n|\r|\n")
_APOSTROPHE_YEAR = re.compile(r"(\d{1,4}([-./])\d{1,2})'(\d{1,4})", re.ASCII)
_TRANSACTION_SECTIONS: dict[str, AccountType] = {
    "bank": "checking", "ccard": "credit_card", "cash": "cash", "otha": "other", "othl": "loan",
}  # fmt: skip
_ACCOUNT_TYPES: dict[str, AccountType] = {
    **_TRANSACTION_SECTIONS, "invst": "investment", "port": "investment",
    "401(k)/403(b)": "investment",
}  # fmt: skip
_SPLIT_CODES = frozenset("SE$%")


@dataclass(frozen=True, slots=True)
class _Field:
    """One line of a record: its code letter, value and 1-based line number."""

    code: str
    value: str
    line: int


@dataclass(frozen=True, slots=True)
class _Record:
    """The fields of one transaction and the account it belongs to."""

    fields: tuple[_Field, ...]
    account: str | None

    def first(self, *codes: str) -> _Field | None:
        """The first non-split field with one of ``codes``, trying the codes in order."""
        for code in codes:
            found = next((f for f in self.main if f.code == code), None)
            if found:
                return found
        return None

    @property
    def main(self) -> tuple[_Field, ...]:
        """Fields of the transaction itself, without split lines."""
        return tuple(f for f in self.fields if f.code not in _SPLIT_CODES)


@dataclass(slots=True)
class _Scan:
    """What a pass over the lines found; ``end_record`` files the pending fields."""

    records: list[_Record] = field(default_factory=list)
    accounts: dict[str, AccountType] = field(default_factory=dict)
    kinds: list[AccountType] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    section: str = ""
    account: str | None = None
    autoswitch: bool = False
    pending: list[_Field] = field(default_factory=list)
    unterminated: int = 0

    def header(self, line: str) -> None:
        """Switch section on a ``!`` line."""
        key = line[1:].replace(" ", "").lower()
        if key in ("option:autoswitch", "clear:autoswitch"):
            self.autoswitch = key.startswith("option")
        elif not key.startswith(("option:", "clear:")):
            self.section = key.removeprefix("type:")
            if self.section in _TRANSACTION_SECTIONS:
                self.kinds.append(_TRANSACTION_SECTIONS[self.section])

    def end_record(self, closed: bool = True) -> None:
        """File the pending fields as an account, a transaction or a skipped record."""
        if not self.pending:
            return
        self.unterminated += not closed
        fields, self.pending = tuple(self.pending), []
        if self.section == "account":
            name = next((f.value for f in fields if f.code == "N"), "")
            kind = next((f.value for f in fields if f.code == "T"), "")
            self.accounts[name] = _ACCOUNT_TYPES.get(kind.replace(" ", "").lower(), "other")
            if not self.autoswitch:
                self.account = name or None
        elif self.section in _TRANSACTION_SECTIONS:
            self.records.append(_Record(fields, self.account))
        else:
            self.skipped[self.section or "?"] += 1


def parse_qif(data: bytes, source: str, options: ImportOptions) -> ParsedStatement:
    """Read a QIF file's bytes into a statement.

    Args:
        data: The whole file.
        source: Its name, used in errors.
        options: ``encoding``, ``date_format``, ``date_order``, ``decimal_comma`` and
            ``currency`` are honoured.

    Returns:
        Transactions of every account in the file, in file order, with bad ones in ``errors``.

    Raises:
        InputError: The file is binary or does not start with a QIF ``!`` header.
    """
    text, notes = decode_leniently(data, options.encoding or "utf-8", source, "QIF")
    scan = _scan(_BREAK.split(text), source)
    read_date, date_note = _date_reader(scan.records, options)
    notes.extend([date_note] if date_note else [])
    read_amount = _amount_reader(scan.records, options, notes)
    rows: list[ImportedTransaction] = []
    errors: list[RowError] = []
    for record in scan.records:
        result = _transaction(record, read_date, options, read_amount)
        if isinstance(result, ImportedTransaction):
            rows.append(result)
        else:
            errors.extend(result)
    notes.extend(_scan_notes(scan))
    first_account = next(iter(scan.accounts), None)
    kind = scan.accounts.get(first_account or "") or next(iter(scan.kinds), None)
    return ParsedStatement(
        source=source,
        file_format="qif",
        transactions=tuple(rows),
        errors=tuple(errors),
        account=StatementAccount(
            account_id=first_account or None, account_type=kind, currency=options.currency
        ),
        accounts=tuple(
            StatementAccount(account_id=name, account_type=account_kind, currency=options.currency)
            for name, account_kind in scan.accounts.items()
            if name
        ),
        notes=tuple(notes),
    )


def _scan(lines: list[str], source: str) -> _Scan:
    """Group the lines into account and transaction records."""
    scan = _Scan()
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if not scan.section and not line.startswith("!"):
            raise InputError(
                "not a QIF file: expected a !Type or !Account header", source=source, line=number
            )
        if line.startswith("!"):
            scan.end_record(closed=False)
            scan.header(line)
        elif line.startswith("^"):
            scan.end_record()
        else:
            scan.pending.append(_Field(line[0], line[1:].strip(), number))
    scan.end_record(closed=False)
    return scan


def _scan_notes(scan: _Scan) -> list[str]:
    """Remarks on accounts, skipped sections and unterminated records."""
    notes = []
    used = {record.account for record in scan.records}
    if len(used) > 1:
        notes.append(
            f"the file holds transactions of {len(used)} accounts; "
            "each transaction carries its own account"
        )
    for section, count in scan.skipped.items():
        notes.append(f"skipped {count} record(s) of section {section!r}: not bank transactions")
    if scan.unterminated:
        notes.append(f"{scan.unterminated} record(s) had no closing '^'; read anyway")
    return notes


def _date_reader(records: list[_Record], options: ImportOptions) -> tuple[DateParser, str | None]:
    """One way of reading every date of the file, decided from all of them, and why."""
    values = [
        (found.line, _normalize_date(found.value)) for r in records if (found := r.first("D"))
    ]
    reading = choose_date_order(values, options.date_order)
    return DateParser(reading, options.date_format), None if options.date_format else reading.note


def _amount_reader(
    records: list[_Record], options: ImportOptions, notes: list[str]
) -> Callable[[str], ParsedAmount]:
    """One way of reading every amount of the file: ``options``, else what the amounts show."""
    comma = options.decimal_comma
    if comma is None:
        comma = detect_decimal_comma(f.value for r in records if (f := r.first("T", "U"))) or False
        notes.extend(["amounts read with a decimal comma"] if comma else [])
    return amount_reader(comma)


def _transaction(
    record: _Record,
    read_date: DateParser,
    options: ImportOptions,
    read_amount: Callable[[str], ParsedAmount],
) -> ImportedTransaction | list[RowError]:
    """One record as a transaction, or the errors that stop it being one."""
    line = record.fields[0].line
    date_field, amount_field = record.first("D"), record.first("T", "U")
    posted = _date(date_field.value, read_date, options) if date_field else None
    amount = _amount(amount_field.value, read_amount) if amount_field else None
    errors = []
    if posted is None:
        problem = f"cannot read the date {date_field.value!r}" if date_field else "no date given"
        errors.append(RowError(date_field.line if date_field else line, "D", problem))
    if amount is None:
        code = amount_field.code if amount_field else "T"
        problem = (
            f"cannot read the amount {amount_field.value!r}" if amount_field else "no amount given"
        )
        errors.append(RowError(amount_field.line if amount_field else line, code, problem))
    if posted is None or amount is None:
        return errors
    payee, memo, category = (_value(record, code) for code in "PML")
    return ImportedTransaction(
        date=posted,
        amount=amount,
        description=_collapse(payee or memo or ""),
        line=line,
        currency=options.currency,
        account=record.account,
        payee=_collapse(payee) if payee else None,
        category=category,
        notes=_notes(record, memo, category),
    )


def _value(record: _Record, code: str) -> str | None:
    found = record.first(code)
    return found.value if found and found.value else None


def _notes(record: _Record, memo: str | None, category: str | None) -> str | None:
    """Memo, check number, transfer account and splits, joined with ``; ``."""
    parts = [memo] if memo else []
    if number := _value(record, "N"):
        parts.append(f"number {number}")
    if category and category.startswith("[") and "]" in category:
        parts.append(f"transfer: {category[1 : category.index(']')]}")
    splits: list[dict[str, str]] = []
    for found in record.fields:
        if found.code == "S":
            splits.append({})
        if found.code in _SPLIT_CODES and splits:
            splits[-1][found.code] = found.value
    for split in splits:
        memo_part = f" ({split['E']})" if split.get("E") else ""
        label = split.get("S") or "(no category)"
        parts.append(f"split: {label} {split.get('$', '?')}{memo_part}")
    return "; ".join(parts) or None


def _normalize_date(raw: str) -> str:
    """QIF's date quirks made plain: padding spaces dropped, ``1/15'24`` -> ``1/15/2024``."""
    text = "".join(raw.split())
    if match := _APOSTROPHE_YEAR.fullmatch(text):
        year = int(match[3]) + (2000 if len(match[3]) <= 2 else 0)
        return f"{match[1]}{match[2]}{year}"
    return text


def _date(raw: str, read_date: DateParser, options: ImportOptions) -> date | None:
    try:
        return read_date(raw.strip() if options.date_format else _normalize_date(raw))
    except ValueError:
        return None


def _amount(raw: str, read_amount: Callable[[str], ParsedAmount]) -> Decimal | None:
    try:
        return read_amount(raw).amount
    except ValueError:
        return None


def _collapse(text: str) -> str:
    return " ".join(text.split())
