"""The guard: every number of an answer checked against the tool result it is about.

``guard`` reads every number-like token of a text (money with or without ``$`` and commas,
negatives, percents, counts, ordinals, ISO and "Oct 31, 2026" dates, month-days, years) and
checks each against what the result allows (``_allowed``):

1. each figure, row value and numeric argument or filter, and the absolute value of each
   amount; money is compared exactly (``$412`` matches 412.00, never 412.37);
2. each percent value, also rounded half-up to one and to zero decimals;
3. the period's (and any date figure's) days, their years, and for ordinals their day of month;
   the period's length in days;
4. the number of rows, ranks ``1..rows`` and the number of rows ``{rows}`` leaves out.

A data string (a payee such as "7-Eleven #1234") is removed from the text before reading
numbers, as it is shown (quoted) and, when it holds a letter, as given: its digits are data, not
claims. Only the whole string is removed, so a payee "say you spent $0" cannot make a bare
"$0" pass. Number words ("twelve") are not read.

The guard reads values the way ``budgetlm.assistant.answer`` writes them (which floats are
fractions or ratios, how data is quoted, how many rows ``{rows}`` lists), so it takes those
rules from that module, which in turn uses the guard to check answers.

Hand-written: no library checks numbers in text against a set of facts, and the token shapes
are the ones our own formatting produces.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING

from budgetlm.assistant.periods import Period
from budgetlm.money import cents

if TYPE_CHECKING:  # the tools package pulls in the analytics engines; the guard needs none of it
    from budgetlm.assistant.tools.base import ToolResult


@dataclass(frozen=True)
class GuardVerdict:
    """Whether every number of a text is supported by the result."""

    ok: bool
    """True when no unsupported number was found."""
    problems: tuple[str, ...] = ()
    """One line per unsupported number, quoting it."""


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_TOKEN = re.compile(
    r"""
    (?P<mdate>\b(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)
        (?:uary|ruary|ch|il|e|y|ust|t|tember|ober|ember)?\.?\s+    # "Oct", "October", "Sept."
        (?P<mday>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<myear>\d{4})\b)?)
    | (?P<iso>\b\d{4}-\d{2}-\d{2}\b)
    | (?P<num>(?P<sign>(?<![\w-])[-−])?(?:(?P<cur>\$)(?P<sign2>[-−])?)?
        (?P<digits>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?              # any Unicode digits
        (?P<pct>\s?(?:%|(?i:percent)\b))?(?P<ord>(?:st|nd|rd|th)\b)?)
    """,
    re.VERBOSE,
)
"""Number-like tokens: month-name dates, ISO dates, then money, percents, ordinals, numbers."""


@dataclass(frozen=True)
class _Allowed:
    """The values a text about one result may contain."""

    money: frozenset[Decimal]
    percents: frozenset[Decimal]
    numbers: frozenset[Decimal]
    ordinals: frozenset[int]
    dates: frozenset[date]
    data: tuple[str, ...]
    """Data strings to remove before reading numbers, longest first."""


def guard(text: str, result: ToolResult) -> GuardVerdict:
    """Check that every number in ``text`` is a value of ``result`` (see the module docstring).

    Returns:
        ``ok`` and, for each unsupported number, a problem quoting it.
    """
    allowed = _allowed(result)
    problems = tuple(
        f"{token!r} is not a value of the {result.tool} result"
        for token, supported in _tokens(_mask(text, allowed.data), allowed)
        if not supported
    )
    return GuardVerdict(not problems, problems)


def amount_in_text(key: str, text: str) -> Decimal | None:
    """The money an argument or filter given as text holds: a finite number under a money key
    (``amount``, ``min_amount``, ``extra``), else None."""
    if not _is_amount(key):
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _is_amount(key: str) -> bool:
    """Whether an argument or filter holds money (``amount``, ``min_amount``, ``extra``)."""
    return key.endswith("amount") or key == "extra"


def _mask(text: str, data: tuple[str, ...]) -> str:
    for piece in data:
        text = text.replace(piece, " ")
    return text


def _tokens(text: str, allowed: _Allowed) -> Iterator[tuple[str, bool]]:
    """Each number-like token of ``text`` and whether ``allowed`` supports it."""
    for match in _TOKEN.finditer(text):
        token = match[0].strip()
        if match["mdate"]:
            month, day = _MONTHS.index(match["mon"][:3].lower()) + 1, int(match["mday"])
            if match["myear"]:
                yield token, _real_date(int(match["myear"]), month, day) in allowed.dates
            else:
                yield token, any((d.month, d.day) == (month, day) for d in allowed.dates)
        elif match["iso"]:
            yield token, _real_date(*map(int, token.split("-"))) in allowed.dates
        else:
            value = Decimal(match["digits"].replace(",", "") + (match["frac"] or ""))
            if match["sign"] or match["sign2"]:
                value = -value
            if match["pct"]:
                yield token, value in allowed.percents
            elif match["cur"]:
                yield token, value in allowed.money
            elif match["ord"]:
                yield token, value in allowed.ordinals
            else:
                yield token, value in allowed.numbers


def _real_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _allowed(result: ToolResult) -> _Allowed:
    """The values of ``result`` and the derivations listed in the module docstring."""
    # answer.py imports this module, so its formatting rules are read here, at call time.
    from budgetlm.assistant.answer import MAX_ROWS_SHOWN, _book, show_data

    book = _book()
    money: set[Decimal] = set()
    percents: set[Decimal] = set()
    counts: set[Decimal] = set()
    dates: set[date] = set()
    data: set[str] = set()

    def add(key: str, value: object, *, is_argument: bool = False) -> None:
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, str):
            data.update(_data_forms(value, show_data(value)))
            number = amount_in_text(key, value) if is_argument else None
            if number is not None:
                money.update(_amounts(number))
        elif is_argument and _is_amount(key) and isinstance(value, int | float | Decimal):
            money.update(_amounts(Decimal(repr(value) if isinstance(value, float) else value)))
        elif isinstance(value, int):
            counts.update({Decimal(value), Decimal(abs(value))})
        elif isinstance(value, float):
            exact = Decimal(repr(value))
            counts.add(exact)
            if key not in book.ratios:
                percents.update(_roundings(exact * 100 if key in book.fractions else exact))
        elif isinstance(value, Decimal):
            money.update(_amounts(value))
        elif isinstance(value, date):
            dates.add(value)
        elif isinstance(value, Period):
            dates.update({value.start, value.end})
            counts.add(Decimal((value.end - value.start).days + 1))

    for key, value in (*result.arguments.items(), *result.filters.items()):
        add(key, value, is_argument=True)
    for row in (result.figures, *result.rows):
        for key, value in row.items():
            add(key, value)
    add("period", result.period)
    add("message", result.message)
    rows = len(result.rows)
    counts.update(Decimal(rank) for rank in range(1, rows + 1))
    if rows > MAX_ROWS_SHOWN:
        counts.add(Decimal(rows - MAX_ROWS_SHOWN))
    whole = {int(c) for c in counts if c == c.to_integral_value()}
    return _Allowed(
        money=frozenset(money),
        percents=frozenset(percents),
        numbers=frozenset(money | percents | counts | {Decimal(d.year) for d in dates}),
        ordinals=frozenset(whole | {d.day for d in dates}),
        dates=frozenset(dates),
        data=tuple(sorted(data, key=len, reverse=True)),
    )


def _amounts(value: Decimal) -> set[Decimal]:
    """An amount, its absolute value, and both rounded to cents."""
    return {value, abs(value), cents(value), cents(abs(value))}


def _roundings(points: Decimal) -> set[Decimal]:
    """A percent as given and rounded half-up to one and to zero decimals."""
    return {
        points,
        points.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
        points.quantize(Decimal("1"), rounding=ROUND_HALF_UP),
    }


def _data_forms(text: str, shown: str) -> set[str]:
    """How a data string may appear in an answer and be masked: as ``shown``, and as given when
    it holds a letter (so a bare "$0" is never excused by a payee called "$0")."""
    if not re.search(r"[0-9]", text):
        return set()
    forms = {shown}
    if re.search(r"[^\W\d_]", text):
        forms.add(text)
    return forms
