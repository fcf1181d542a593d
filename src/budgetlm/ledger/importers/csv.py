"""CSV bank statements and budgeting-app exports (Mint, YNAB, Actual, Firefly III, Monarch).

``parse_csv`` works on the file's bytes and does no I/O. Its steps:

1. ``decode``: byte-order mark -> BOM-less UTF-16 by its NUL-byte pattern -> strict UTF-8 ->
   Windows-1252 -> charset-normalizer's guess. UTF-16 is tried before UTF-8 because ASCII text in
   UTF-16 is also valid UTF-8 (with NULs between the letters).
2. ``sniff_delimiter`` (unless Excel's ``sep=;`` line or ``--delimiter`` says): for each of
   ``,`` ``;`` tab ``|`` the first 200 lines are split with quoting; a delimiter that yields a
   known header row wins, else the one whose rows hold a date and an amount in separate cells,
   else the one giving most rows of one width. (``csv.Sniffer`` guesses from character
   frequencies and is fooled by decimal commas, unquoted ``1,234.56`` and preambles.)
3. The standard library's ``csv`` splits records (quoting, embedded newlines); the line each
   record starts on is kept for errors.
4. ``columns.find_layout`` finds the header row and the columns.
5. Decisions made once per file: the decimal style of the amount columns (majority of values
   that prove it; if none does, ``;``-delimited files use a decimal comma), the date order
   (``dates.choose_date_order``), whether a Type/``Debit/Credit`` column signs unsigned amounts.
6. Every row is read with those decisions fixed, so a 100k-row file takes cached date lookups
   and a regex-plus-``Decimal`` per amount.

Nothing is dropped silently: fully blank rows are skipped (they hold no data); preamble lines
before the header, a repeated header row, rows with no amount whose text mentions a balance
(BoA's "Beginning balance as of ...") and up to ten footer rows after the last transaction whose
date cell holds no date ("Total", "End of statement") are skipped and each named in ``notes``;
every other row that does not read becomes a ``RowError`` with its line and column. Debit and
credit cells holding only ``-`` count as empty. Text fields lose control and format characters
(bidi overrides, zero-width), have whitespace collapsed and are cut to 1000 characters (noted).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice

from budgetlm.ledger.importers.columns import (
    Layout,
    Record,
    find_layout,
)
from budgetlm.ledger.importers.dates import DateParser, DateReading, choose_date_order, is_date
from budgetlm.ledger.importers.options import ImportOptions
from budgetlm.ledger.importers.text import choose_delimiter, decode, split_records
from budgetlm.ledger.records import ImportedTransaction, ParsedStatement, RowError, StatementAccount
from budgetlm.money import ParsedAmount, amount_reader, currency_code, decimal_mark_vote

TEXT_LIMIT = 1000
"""Longest description (or other text field) kept; longer text is cut and noted."""
FOOTER_LIMIT = 10
"""At most this many trailing no-date rows are treated as a footer rather than errors."""
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
"""Control, format (bidi overrides, zero-width, soft hyphen) and surrogate characters."""
_DEBIT_WORDS = frozenset(["debit", "dr", "db", "d", "withdrawal", "af", "soll", "s", "out", "-"])
_BALANCE_WORDS = ("balance", "saldo", "solde")
_CREDIT_WORDS = frozenset(["credit", "cr", "c", "deposit", "bij", "haben", "h", "in", "+"])


def _outflow(amount: Decimal) -> Decimal:
    """``-|amount|``, keeping zero unsigned (``Decimal("-0.00")`` would print as ``-0.00``)."""
    return -abs(amount) if amount else abs(amount)


def clean_text(value: str) -> str:
    """Drop control and format characters and collapse whitespace; otherwise keep the text."""
    if not value.isprintable():
        value = "".join(
            " " if c.isspace() else c
            for c in value
            if c.isspace() or unicodedata.category(c) not in _DROPPED_CATEGORIES
        )
    return " ".join(value.split())


class _RowReader:
    """Reads the data rows of one file with every per-file decision already made."""

    def __init__(
        self,
        layout: Layout,
        read_date: DateParser,
        read_amount: Callable[[str], ParsedAmount],
        *,
        type_signs: bool,
        flip: bool,
        currency: str | None,
    ) -> None:
        columns = layout.columns
        self.names = layout.names
        self.read_date = read_date
        self.read_amount = read_amount
        self.date_at = columns["date"]
        self.amount_at = columns.get("amount", -1)
        self.debit_at, self.credit_at = columns.get("debit", -1), columns.get("credit", -1)
        self.type_at = columns["type"] if type_signs else -1
        self.flip = flip
        self.currency = currency
        self.description_at = columns.get("description", -1)
        self.payee_at, self.account_at = columns.get("payee", -1), columns.get("account", -1)
        self.category_at, self.notes_at = columns.get("category", -1), columns.get("notes", -1)
        self.currency_at = columns.get("currency", -1)
        self.source_at = columns.get("source", -1)
        self.destination_at = columns.get("destination", -1)
        optional = (self.payee_at, self.account_at, self.category_at, self.notes_at)
        self.plain = max(*optional, self.source_at, self.currency_at) < 0
        self.truncated: list[int] = []
        self._currencies: dict[str, str | None] = {}

    def _text(self, line: int, cells: Sequence[str], at: int) -> str | None:
        if at < 0:
            return None
        text = clean_text(cells[at])
        if len(text) > TEXT_LIMIT:
            if not self.truncated or self.truncated[-1] != line:
                self.truncated.append(line)
            text = text[:TEXT_LIMIT]
        return text or None

    def _parse(self, line: int, cells: Sequence[str], at: int) -> ParsedAmount | RowError | None:
        """One debit or credit cell; blank or a bare dash (an empty-cell placeholder) is None."""
        text = cells[at] if at >= 0 else ""
        if not text.strip(" -\u2013\u2014"):
            return None
        try:
            return self.read_amount(text)
        except ValueError as exc:
            return RowError(line, self.names[at], str(exc))

    def _single(self, line: int, cells: Sequence[str]) -> ParsedAmount | RowError:
        text = cells[self.amount_at]
        try:
            parsed = self.read_amount(text)
        except ValueError as exc:
            message = str(exc) if text.strip() else "no amount"
            return RowError(line, self.names[self.amount_at], message)
        amount = parsed.amount
        if self.type_at >= 0:
            word = cells[self.type_at].strip().lower()
            if word not in _DEBIT_WORDS and word not in _CREDIT_WORDS:
                message = f"cannot tell whether {cells[self.type_at]!r} is a debit or a credit"
                return RowError(line, self.names[self.type_at], message)
            amount = _outflow(amount) if word in _DEBIT_WORDS else abs(amount)
        elif self.flip and parsed.direction is None and amount:
            amount = -amount
        else:
            return parsed
        return ParsedAmount(amount, parsed.currency, parsed.direction)

    def _split(self, line: int, cells: Sequence[str]) -> ParsedAmount | RowError:
        """Debit and credit columns: a debit is always an outflow, a credit an inflow."""
        debit = self._parse(line, cells, self.debit_at)
        if isinstance(debit, RowError):
            return debit
        credit = self._parse(line, cells, self.credit_at)
        if isinstance(credit, RowError):
            return credit
        named = self.names[self.debit_at if self.debit_at >= 0 else self.credit_at]
        if debit is not None and credit is not None and debit.amount and credit.amount:
            both = f"{self.names[self.debit_at]!r} and {self.names[self.credit_at]!r}"
            return RowError(line, named, f"both {both} hold an amount")
        if debit is not None and (credit is None or debit.amount):
            return ParsedAmount(_outflow(debit.amount), debit.currency, debit.direction)
        if credit is not None:
            return ParsedAmount(abs(credit.amount), credit.currency, credit.direction)
        return RowError(line, named, "no amount in either the debit or the credit column")

    def _currency(self, cells: Sequence[str], parsed: ParsedAmount) -> str | None:
        at = self.currency_at
        if at >= 0 and cells[at].strip():
            value = cells[at]
            if value not in self._currencies:
                self._currencies[value] = currency_code(value)
            if (code := self._currencies[value]) is not None:
                return code
        return parsed.currency or self.currency

    def is_balance_line(self, cells: Sequence[str]) -> bool:
        """A row with no amount whose text mentions a balance (BoA's "Beginning balance")."""
        amounts = (self.amount_at, self.debit_at, self.credit_at)
        if any(cells[i].strip() for i in amounts if i >= 0):
            return False
        texts = [cells[self.description_at]] if self.description_at >= 0 else cells
        return any(word in t.lower() for t in texts for word in _BALANCE_WORDS)

    def read(self, line: int, cells: Sequence[str]) -> ImportedTransaction | RowError:
        """One data row as a transaction, or the reason it is not one."""
        raw = cells[self.date_at]
        day = self.read_date.cache.get(raw)
        if day is None:
            try:
                day = self.read_date(raw)
            except ValueError as exc:
                return RowError(line, self.names[self.date_at], str(exc))
        money = self._single(line, cells) if self.amount_at >= 0 else self._split(line, cells)
        if isinstance(money, RowError):
            return money
        if self.plain:  # only date, amount and description: the common bank file
            description = self._text(line, cells, self.description_at) or ""
            return ImportedTransaction(
                day, money.amount, description, line, money.currency or self.currency
            )
        text = self._text
        account, payee = text(line, cells, self.account_at), text(line, cells, self.payee_at)
        if self.source_at >= 0 and self.destination_at >= 0:
            ours, theirs = (self.source_at, self.destination_at)[:: 1 if money.amount < 0 else -1]
            account = account or text(line, cells, ours)
            payee = payee or text(line, cells, theirs)
        return ImportedTransaction(
            date=day,
            amount=money.amount,
            description=text(line, cells, self.description_at) or "",
            line=line,
            currency=self._currency(cells, money)
            if self.currency_at >= 0
            else (money.currency or self.currency),
            account=account,
            payee=payee,
            category=text(line, cells, self.category_at),
            notes=text(line, cells, self.notes_at),
        )


def _values(
    records: Sequence[Record], layout: Layout, field: str, limit: int | None = None
) -> list[tuple[int, str]]:
    """``(line, text)`` of one field over the data rows (``[]`` if the field has no column)."""
    at = layout.columns.get(field, -1)
    if at < 0:
        return []
    rows = islice(records, layout.start, None if limit is None else layout.start + limit)
    return [(line, cells[at]) for line, cells in rows if len(cells) > at]


def _decimal_comma(amounts: Sequence[str], delimiter: str) -> tuple[bool, str | None]:
    """Decimal style of the amount columns, by majority of the values that prove one."""
    votes = Counter(decimal_mark_vote(text) for text in amounts)
    comma, point = votes[","], votes["."]
    decided = comma > point if comma != point else delimiter == ";"
    style = "a decimal comma" if decided else "a decimal point"
    if comma and point:
        return decided, (
            f"amounts mix decimal styles ({point} with a decimal point, {comma} with a decimal "
            f"comma); read with {style}, and amounts that do not fit are reported as errors"
        )
    if not comma and not point and any("," in t or "." in t for t in amounts):
        return decided, (
            f"no amount shows which mark is decimal (e.g. '1,234'); read with {style}; "
            "use --decimal-comma or --decimal-point if that is wrong"
        )
    return decided, None


def _type_signs(records: Sequence[Record], layout: Layout) -> bool:
    """Whether a Type/``Debit/Credit`` column must sign an amount column that has no signs."""
    if "type" not in layout.columns or "amount" not in layout.columns:
        return False
    for _, text in _values(records, layout, "amount"):
        value = text.strip()
        if (value[:1] in "-(\u2212" and value) or value.endswith(("-", "DR", "dr")):
            return False
    words = [t.strip().lower() for _, t in _values(records, layout, "type") if t.strip()]
    known = sum(1 for w in words if w in _DEBIT_WORDS or w in _CREDIT_WORDS)
    return bool(words) and known >= len(words) / 2


def _plan(
    records: Sequence[Record], layout: Layout, delimiter: str, options: ImportOptions
) -> tuple[_RowReader, list[str]]:
    """Make the per-file decisions (decimal style, date order, signs) and build the reader."""
    notes: list[str] = []
    money = [t for f in ("amount", "debit", "credit") for _, t in _values(records, layout, f, 5000)]
    decimal_comma = options.decimal_comma
    if decimal_comma is None:
        decimal_comma, note = _decimal_comma(money, delimiter)
        notes += [note] if note else []
    currency = layout.currency or (options.currency.upper() if options.currency else None)
    if options.date_format:
        reading = DateReading("mdy")
        notes.append(f"dates read with the format {options.date_format!r}")
    else:
        distinct: dict[str, int] = {}
        for line, text in _values(records, layout, "date"):
            distinct.setdefault(text, line)
        symbols = any("€" in t or "£" in t for t in money)
        european = decimal_comma or symbols or currency in ("EUR", "GBP") or delimiter == ";"
        reading = choose_date_order(
            ((line, text) for text, line in distinct.items()), options.date_order, european
        )
        notes += [reading.note] if reading.note else []
    type_signs = _type_signs(records, layout)
    if type_signs:
        name = layout.names[layout.columns["type"]]
        notes.append(f"amounts carry no sign; outflows and inflows told apart by {name!r}")
    single = "amount" in layout.columns and not type_signs
    if options.debit_positive and not single:
        notes.append("--debit-positive ignored: this file says which amounts are debits")
    reader = _RowReader(
        layout,
        DateParser(reading, options.date_format),
        amount_reader(decimal_comma),
        type_signs=type_signs,
        flip=options.debit_positive and single,
        currency=currency,
    )
    return reader, notes


def _excerpt(cells: Sequence[str]) -> str:
    text = clean_text(", ".join(c for c in cells if c.strip()))
    return text if len(text) <= 60 else text[:57] + "..."


def _has_date(cells: Sequence[str], at: int) -> bool:
    return at < len(cells) and is_date(cells[at])


def _read_rows(
    records: Sequence[Record], layout: Layout, reader: _RowReader
) -> tuple[list[ImportedTransaction], list[tuple[RowError, list[str]]], list[str]]:
    """Read every data row; returns transactions, errors with their cells, and notes."""
    transactions: list[ImportedTransaction] = []
    problems: list[tuple[RowError, list[str]]] = []
    notes: list[str] = []
    header = records[layout.start - 1][1] if layout.header_line is not None else None
    width = layout.width
    for index in range(layout.start, len(records)):
        line, cells = records[index]
        if len(cells) != width and (len(cells) < width or any(c.strip() for c in cells[width:])):
            if "".join(cells).strip():
                body = "".join(cells).rstrip("\r\n")
                breaks = max(body.count("\n"), body.count("\r"))
                end = records[index + 1][0] - 1 if index + 1 < len(records) else line + breaks
                span = (
                    f" (the row runs to line {end}; is a quote unbalanced?)" if end > line else ""
                )
                message = f"expected {width} fields, found {len(cells)}{span}"
                problems.append((RowError(line, None, message), cells))
            continue
        result = reader.read(line, cells)
        if isinstance(result, ImportedTransaction):
            transactions.append(result)
        elif not "".join(cells).strip():
            continue
        elif cells == header:
            notes.append(f"line {line} repeats the header row and was skipped")
        elif reader.is_balance_line(cells):
            notes.append(
                f"line {line} has no amount and reads as a balance line; skipped: "
                f"{_excerpt(cells)!r}"
            )
        else:
            problems.append((result, cells))
    return transactions, problems, notes


def _footer(
    transactions: Sequence[ImportedTransaction],
    problems: list[tuple[RowError, list[str]]],
    date_at: int,
) -> list[str]:
    """Move up to ``FOOTER_LIMIT`` trailing no-date rows after the last transaction to notes."""
    if not transactions:
        return []
    last = transactions[-1].line
    count = 0
    for error, cells in reversed(problems):
        if error.line < last or _has_date(cells, date_at):
            break
        count += 1
    if not count or count > FOOTER_LIMIT:
        return []
    tail = problems[len(problems) - count :]
    del problems[len(problems) - count :]
    return [
        f"line {e.line} after the last transaction holds no date and was skipped as a footer: "
        f"{_excerpt(cells)!r}"
        for e, cells in tail
    ]


def _sign_hint(transactions: Sequence[ImportedTransaction]) -> str | None:
    positive = sum(1 for t in transactions if t.amount > 0)
    negative = sum(1 for t in transactions if t.amount < 0)
    if positive >= 3 and positive >= 0.8 * (positive + negative):
        return (
            f"{positive} of {positive + negative} amounts are positive (inflows); if charges "
            "show as income, re-import with --debit-positive"
        )
    return None


@dataclass(frozen=True)
class CsvTable:
    """A CSV file as read: its records, the layout found, and the statement."""

    records: list[Record]
    """Every record with the line it starts on, blank ones included."""
    layout: Layout
    """Where the header and the data are, and which column feeds which field."""
    statement: ParsedStatement
    """What ``parse_csv`` returns."""


def parse_csv(data: bytes, source: str, options: ImportOptions) -> ParsedStatement:
    """Read a CSV bank statement or budgeting-app export (see ``read_csv_table``)."""
    return read_csv_table(data, source, options).statement


def read_csv_table(data: bytes, source: str, options: ImportOptions) -> CsvTable:
    """Read a CSV bank statement or budgeting-app export, keeping its records and layout.

    Args:
        data: The whole file.
        source: Its name, for errors and notes.
        options: Overrides for any detection (encoding, delimiter, columns, dates, decimals,
            sign convention, currency).

    Returns:
        The records, the layout and the statement: transactions in file order, row errors
        (line + column) and notes on every decision and every skipped line.

    Raises:
        InputError: The file cannot be decoded or split, or no date or amount column can be
            found (the message lists the columns seen and how to use ``--map``).
    """
    text, encoding_note = decode(data, options.encoding, source)
    delimiter, delimiter_note = choose_delimiter(options.delimiter, text)
    records = split_records(text, delimiter, source)
    layout = find_layout(records, options.column_map, source)
    reader, decided = _plan(records, layout, delimiter, options)
    transactions, problems, skipped = _read_rows(records, layout, reader)
    footer = _footer(transactions, problems, layout.columns["date"])
    notes = (
        [n for n in (encoding_note, delimiter_note) if n]
        + list(layout.notes)
        + decided
        + skipped
        + footer
    )
    if reader.truncated:
        lines = ", ".join(map(str, reader.truncated[:10]))
        more = f" and {len(reader.truncated) - 10} more" if len(reader.truncated) > 10 else ""
        notes.append(f"text longer than {TEXT_LIMIT} characters was cut on lines {lines}{more}")
    if reader.amount_at >= 0 and reader.type_at < 0 and not options.debit_positive:
        notes += [hint] if (hint := _sign_hint(transactions)) else []
    currencies = {t.currency for t in transactions}
    currency = reader.currency or (currencies.pop() if len(currencies) == 1 else None)
    statement = ParsedStatement(
        source=source,
        file_format="csv",
        transactions=tuple(transactions),
        errors=tuple(error for error, _ in problems),
        account=StatementAccount(currency=currency),
        notes=tuple(notes),
    )
    return CsvTable(records, layout, statement)
