"""Which column of a bank file holds what: header synonyms, ``--map``, and inference by content.

Hand-written because no maintained library knows bank and budgeting-app column names; the table
below is plain data, compared after ``header_key`` folds case, accents and punctuation
(``Trans. Date`` = ``trans date``; ``Amount (USD)`` = ``amount`` in USD).

The header row is the first of the file's first 100 rows that names a date column and an
amount, debit or credit column; rows above it are preamble. When several columns could serve
one field the lowest rank wins:

- date: posting/booking date (0) > plain ``Date`` (1) > transaction date (2) > value date (3).
  Posting date is what OFX ``DTPOSTED`` and running balances use, so a CSV and an OFX of the
  same account agree; the note names the column used.
- description: the bank's original text (``Original Description``, ``Original Statement``) >
  ``Description``/``Details``/``Narrative`` > ``Name``/``Merchant``/``Payee`` > ``Memo``. The
  app's cleaned name then goes to ``payee`` (Mint's ``Description``, Monarch's ``Merchant``).
- payee: ``Payee``/``Merchant``/``Name`` may feed both description and payee (YNAB, Actual).
- category: ``Category`` (the leaf, which matches our taxonomy) > YNAB's
  ``Category Group/Category``.
- amount beats debit/credit when a file has both kinds; ``Type``/``Debit/Credit`` indicator
  columns only matter when the amount column is unsigned (decided by the CSV reader).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice

from budgetlm.errors import InputError
from budgetlm.ledger.importers.dates import is_date
from budgetlm.ledger.importers.options import check_column_map
from budgetlm.money import ISO_CURRENCIES, currency_code, parse_money

Record = tuple[int, list[str]]
"""A CSV record: the physical line it starts on and its cells."""

_SPEC: dict[str, dict[int, str]] = {
    "date": {
        0: "posting date|posted date|post date|date posted|booking date|booked date|completed date"
        "|txn posted date|buchungstag|buchungsdatum|boekdatum|fecha contable",
        1: "date|datum|fecha|data|date operation|dato",
        2: "transaction date|trans date|txn date|tran date|date of transaction|operation date"
        "|started date|fecha operacion|data operazione|transaktionsdatum",
        3: "value date|value dt|valuta|valutadatum|wertstellung|date valeur|fecha valor"
        "|effective date",
    },
    "amount": {
        0: "amount|transaction amount|amt|betrag|montant|importe|importo|bedrag|belopp|belob"
        "|kwota|valor|umsatz|amount in account currency|net amount",
        1: "value|transaction value|sum",
    },
    "debit": {0: "debit|debits|debit amount|amount debit|withdrawal|withdrawals|withdrawal amount"
              "|withdrawal amt|money out|paid out|outflow|outflows|soll|cargo|cargos|spent"},
    "credit": {0: "credit|credits|credit amount|amount credit|deposit|deposits|deposit amount"
               "|deposit amt|money in|paid in|inflow|inflows|haben|abono|abonos|received"},
    "type": {0: "transaction type|type|debit credit|credit debit|debit credit indicator"
             "|credit debit indicator|dr cr|cr dr|debit or credit|credit or debit|af bij"
             "|soll haben|s h|indicator"},
    "currency": {0: "currency|currency code|ccy|curr|waehrung|wahrung|devise|moneda"},
    "source": {0: "source name|source account name"},
    "destination": {0: "destination name|destination account name"},
    "description": {
        0: "original description|original statement|bank description|original name",
        1: "description|transaction description|transaction details|narrative|narration"
        "|particulars|libelle|libelle operation|concepto|descrizione|omschrijving"
        "|naam omschrijving|verwendungszweck|beschreibung|descricao|text|beskrivning",
        2: "details|buchungstext|transaction|reference",
        3: "payee|payee name|merchant|merchant name|name|counterparty|counterparty name"
        "|beneficiary|beguenstigter zahlungspflichtiger|auftraggeber empfanger",
        5: "memo",
    },
    "payee": {
        0: "payee|payee name|merchant name|merchant|counterparty|counterparty name|beneficiary"
        "|beguenstigter zahlungspflichtiger|auftraggeber empfanger",
        1: "name",
        9: "description",
    },
    "category": {0: "category|category name|categorie|kategorie", 1: "category group category"},
    "account": {0: "account|account name|konto"},
    "notes": {0: "notes|note", 1: "memo|comment|comments|remarks|mededelingen"},
}  # fmt: skip
"""field -> rank -> ``|``-separated header keys (see ``header_key``)."""

_SYNONYMS: dict[str, list[tuple[str, int]]] = {}
for _field, _ranks in _SPEC.items():
    for _rank, _keys in _ranks.items():
        for _key in _keys.split("|"):
            _SYNONYMS.setdefault(_key, []).append((_field, _rank))

_ASSIGN_ORDER = (
    "date",
    "amount",
    "debit",
    "credit",
    "type",
    "currency",
    "source",
    "destination",
    "description",
    "payee",
    "category",
    "account",
    "notes",
)
_MONEY_FIELDS = frozenset({"amount", "debit", "credit"})
_FOLD = str.maketrans({"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d"})
SEARCH_ROWS = 100
"""How many non-blank rows at the top are searched for the header."""


def header_key(text: str) -> tuple[str, str | None]:
    """Fold a header cell for comparison, splitting off a currency it names.

    ``"Amount (USD)"`` -> ``("amount", "USD")``; ``"Trans. Date"`` -> ``("trans date", None)``.
    """
    folded = unicodedata.normalize("NFKD", text.strip().lower().translate(_FOLD))
    currency = next((code for sym in "€£" if sym in text and (code := currency_code(sym))), None)
    chars = [c if c.isalnum() else " " for c in folded if not unicodedata.combining(c)]
    words = "".join(chars).split()
    if len(words) > 1 and words[-1].upper() in ISO_CURRENCIES:
        currency = words.pop().upper()
    return " ".join(words), currency


@dataclass(frozen=True, slots=True)
class Layout:
    """Where the data is in a file and which column feeds which field."""

    start: int
    """Index (into the records) of the first data record."""
    names: tuple[str, ...]
    """A name for every column: the header cell, or ``column N`` without a header."""
    columns: Mapping[str, int]
    """Field -> 0-based column index."""
    header_line: int | None = None
    """Physical line of the header row, None when the file has none."""
    currency: str | None = None
    """Currency named in a header such as ``Amount (EUR)``."""
    notes: tuple[str, ...] = ()
    """What was decided, for ``ParsedStatement.notes``."""

    @property
    def width(self) -> int:
        """Number of columns a data row should have."""
        return len(self.names)


def _candidates(cells: Sequence[str]) -> dict[str, list[tuple[int, int]]]:
    found: dict[str, list[tuple[int, int]]] = {}
    for index, cell in enumerate(cells):
        for field, rank in _SYNONYMS.get(header_key(cell)[0], ()):
            found.setdefault(field, []).append((rank, index))
    return found


def _assign(cells: Sequence[str], fixed: Mapping[str, int]) -> dict[str, int]:
    """Give each field its best-ranked column not already taken (``fixed`` comes first)."""
    candidates = _candidates(cells)
    if {"debit", "credit"} & fixed.keys():
        candidates.pop("amount", None)
    elif "amount" in fixed or "amount" in candidates:
        candidates.pop("debit", None)
        candidates.pop("credit", None)
    result = dict(fixed)
    used = set(fixed.values())
    for field in _ASSIGN_ORDER:
        for rank, index in sorted(candidates.get(field, ())):
            if field in result:
                break
            shared = field == "payee" and rank <= 1 and result.get("description") == index
            if index not in used or shared:
                result[field] = index
                used.add(index)
    return result


def match_header(cells: Sequence[str]) -> dict[str, int] | None:
    """Fields found in a header row, or None if it names no date and no amount-like column."""
    keys = {field for field, _ in (s for c in cells for s in _SYNONYMS.get(header_key(c)[0], ()))}
    if "date" not in keys or not keys & _MONEY_FIELDS:
        return None
    return _assign(cells, {})


def _names(cells: Sequence[str]) -> tuple[str, ...]:
    trimmed = list(cells)
    while trimmed and not trimmed[-1].strip():
        trimmed.pop()
    return tuple(c.strip() or f"column {i + 1}" for i, c in enumerate(trimmed))


def _describe(columns: Mapping[str, int], names: Sequence[str]) -> str:
    return ", ".join(f"{field} = {names[i]!r}" for field, i in columns.items() if i < len(names))


def _header_layout(
    records: Sequence[Record], first: int, at: int, columns: dict[str, int]
) -> Layout:
    """Layout for a header row at ``records[at]``; ``first`` is the first non-blank record."""
    line, cells = records[at]
    names = _names(cells)
    notes = ["columns used: " + _describe(columns, names)]
    dates = sorted(i for _, i in _candidates(cells).get("date", ()) if i != columns.get("date"))
    if dates and "date" in columns:
        others = ", ".join(repr(names[i]) for i in dates if i < len(names))
        notes.append(f"dates from {names[columns['date']]!r}; also present: {others}")
    if at > first:
        start_line = records[first][0]
        notes.append(f"{_span(start_line, line - 1)} before the header row (line {line}) skipped")
    currencies = {header_key(cells[i])[1] for f, i in columns.items() if f in _MONEY_FIELDS}
    currency = currencies.pop() if len(currencies) == 1 else None
    return Layout(at + 1, names, columns, line, currency, tuple(notes))


def _span(first: int, last: int) -> str:
    return f"line {first}" if first == last else f"lines {first}-{last}"


def _quote_all(names: Sequence[str]) -> str:
    return ", ".join(repr(n) for n in names if n) or "(none)"


def _share(rows: Sequence[Sequence[str]], index: int, test: Callable[[str], bool]) -> float:
    """Share of a column's values passing ``test``; 0 when the column is mostly blank."""
    values = [r[index].strip() for r in rows if index < len(r) and r[index].strip()]
    if not values or len(values) < len(rows) * 0.8:
        return 0.0
    return sum(1 for v in values if test(v)) / len(values)


def _is_amount(text: str) -> bool:
    for decimal_comma in (False, True):
        try:
            parse_money(text, decimal_comma=decimal_comma)
        except ValueError:
            continue
        return True
    return False


def looks_like_data(cells: Sequence[str]) -> bool:
    """Whether a row holds a date in one cell and an amount in another (delimiter sniffing)."""
    dates = [i for i, c in enumerate(cells) if is_date(c)]
    return bool(dates) and any(_is_amount(c) for i, c in enumerate(cells) if i != dates[0])


def _has_cents_or_sign(text: str) -> bool:
    return any(c in text for c in ".,-()")


def infer_columns(rows: Sequence[Sequence[str]], width: int) -> tuple[dict[str, int], list[int]]:
    """Choose columns by content for a file without a usable header.

    The date column is the first whose values are nearly all dates; the amount column the first
    other column of nearly all amounts (columns showing cents or signs before bare whole numbers
    such as check numbers); the description the remaining column with the most letters.

    Returns:
        The columns found, and the other amount-like columns that lost (for notes and errors).
    """
    columns: dict[str, int] = {}
    dates = [i for i in range(width) if _share(rows, i, is_date) >= 0.8]
    if dates:
        columns["date"] = dates[0]
    amounts = [i for i in range(width) if i not in dates and _share(rows, i, _is_amount) >= 0.8]
    amounts.sort(key=lambda i: _share(rows, i, _has_cents_or_sign) < 0.5)
    if amounts:
        columns["amount"] = amounts[0]
    letters = {
        i: sum(sum(c.isalpha() for c in r[i]) for r in rows if i < len(r))
        for i in range(width)
        if i not in columns.values()
    }
    if letters and max(letters.values()) > 0:
        columns["description"] = max(letters, key=lambda i: letters[i])
    return columns, amounts[1:]


def _not_found(missing: str, names: Sequence[str], source: str) -> InputError:
    return InputError(
        f"cannot find {missing}; name the columns with --map, e.g. "
        f'--map "date=<column>,amount=<column>,description=<column>"; columns seen: '
        + _quote_all(names),
        source=source,
    )


def _missing(columns: Mapping[str, int]) -> str | None:
    if "date" not in columns:
        return "a date column" if columns.keys() & _MONEY_FIELDS else "a date or amount column"
    return None if columns.keys() & _MONEY_FIELDS else "an amount (or debit/credit) column"


def _modal_width(records: Sequence[Record], rows: Sequence[int]) -> int:
    widths = Counter(len(records[i][1]) for i in rows if len(records[i][1]) >= 2)
    return max(widths, key=lambda w: (widths[w], w), default=0)


def _inferred_layout(records: Sequence[Record], rows: Sequence[int], source: str) -> Layout:
    """Layout of a file whose header (if any) names no known columns."""
    width = _modal_width(records, rows)
    region = [i for i in rows if len(records[i][1]) == width][:200]
    if not region:
        raise _not_found("a date or amount column", [], source)
    first_cells = records[region[0]][1]
    body = [records[i][1] for i in region[1:]] or [first_cells]
    columns, others = infer_columns(body, width)
    header = len(region) > 1 and "date" in columns and not is_date(first_cells[columns["date"]])
    seen = first_cells if header or "date" not in columns else []
    if (missing := _missing(columns)) is not None:
        raise _not_found(missing, [c.strip() for c in seen], source)
    names = tuple(
        (c.strip() if header else "") or f"column {i + 1}" for i, c in enumerate(first_cells)
    )
    if header and others:
        choices = _quote_all([names[columns["amount"]], *(names[i] for i in others)])
        raise InputError(
            f"several columns could be the amount ({choices}); choose one with "
            '--map "amount=<column>"',
            source=source,
        )
    how = "the header names no known columns" if header else "the file has no header row"
    notes = [f"{how}; columns chosen by content: " + _describe(columns, names)]
    if others:
        notes.append("also numeric: " + _quote_all([names[i] for i in others]))
    if region[0] > rows[0]:
        line = records[region[0]][0]
        notes.append(f"{_span(records[rows[0]][0], line - 1)} before line {line} skipped")
    return Layout(
        region[0] + int(header),
        names,
        columns,
        records[region[0]][0] if header else None,
        None,
        tuple(notes),
    )


def _find_named(cells: Sequence[str], wanted: Mapping[str, str]) -> dict[str, int] | None:
    exact = {c.strip(): i for i, c in enumerate(cells)}
    folded = {header_key(c)[0]: i for i, c in enumerate(cells)}
    found = {f: exact.get(h, folded.get(header_key(h)[0], -1)) for f, h in wanted.items()}
    return None if -1 in found.values() else found


def _numbered_layout(
    records: Sequence[Record], rows: Sequence[int], wanted: Mapping[str, str], source: str
) -> Layout:
    """Layout for ``--map date=1,amount=3`` on a file without a header row."""
    width = _modal_width(records, rows)
    columns = {field: int(value) - 1 for field, value in wanted.items()}
    if not all(0 <= i < width for i in columns.values()):
        raise InputError(f"--map names a column number outside 1..{width}", source=source)
    start = next(i for i in rows if len(records[i][1]) == width)
    names = tuple(f"column {i + 1}" for i in range(width))
    notes = ["columns used: " + _describe(columns, names)]
    if start > rows[0]:
        line = records[start][0]
        notes.append(f"{_span(records[rows[0]][0], line - 1)} before line {line} skipped")
    return Layout(start, names, columns, None, None, tuple(notes))


def _mapped_layout(
    records: Sequence[Record], rows: Sequence[int], column_map: Mapping[str, str], source: str
) -> Layout:
    wanted = check_column_map(column_map)
    for at in rows[:SEARCH_ROWS]:
        found = _find_named(records[at][1], wanted)
        if found is not None:
            columns = _assign(records[at][1], found)
            if (missing := _missing(columns)) is not None:
                raise _not_found(missing, _names(records[at][1]), source)
            return _header_layout(records, rows[0], at, columns)
    if all(v.isdigit() for v in wanted.values()):
        return _numbered_layout(records, rows, wanted, source)
    guess = next((i for i in rows[:SEARCH_ROWS] if match_header(records[i][1])), None)
    seen = _names(records[rows[0] if guess is None else guess][1])
    absent = [h for h in wanted.values() if h not in seen]
    raise InputError(
        f"--map names {_quote_all(absent)}, not found in the file; "
        f"its columns are: {_quote_all(seen)}",
        source=source,
    )


def find_layout(records: Sequence[Record], column_map: Mapping[str, str], source: str) -> Layout:
    """Find the header row (or decide there is none) and which column feeds which field.

    Args:
        records: Every CSV record with the line it starts on, blank ones included.
        column_map: The user's ``--map`` (field -> header name or 1-based column number).
        source: File name for errors.

    Raises:
        InputError: No date or amount column can be found, or ``--map`` names a column the file
            lacks; the message lists the columns seen and how to use ``--map``.
    """
    nonblank = (i for i, (_, cells) in enumerate(records) if any(c.strip() for c in cells))
    rows = list(islice(nonblank, 1000))  # enough to find the header and the usual width
    if not rows:
        raise InputError("the file has no rows", source=source)
    if column_map:
        return _mapped_layout(records, rows, column_map, source)
    for at in rows[:SEARCH_ROWS]:
        columns = match_header(records[at][1])
        if columns is not None:
            return _header_layout(records, rows[0], at, columns)
    return _inferred_layout(records, rows, source)
