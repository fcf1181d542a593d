"""Dates as bank files print them, read the same way by every importer.

A date string is first split into its numbers (``split_date``); whether ``03/04/2024`` is March
or April is then decided once for the whole column (``choose_date_order``), never per value, and
a ``DateParser`` reads every value of the column that way, caching by string because a
statement repeats a few hundred distinct dates over thousands of rows.

Hand-written because ``dateutil.parser`` decides day/month order per string (so one file can mix
readings silently) and ``strptime`` needs the format known in advance.

Decision rule for numeric dates with the year last (``a/b/yyyy``):

1. ``options.date_format`` (strptime) wins outright.
2. If some real date has ``a > 12`` and none has ``b > 12``: day first. If some has ``b > 12``
   and none ``a > 12``: month first. The line proving it goes into the note. (An impossible
   date such as ``03/33/2024`` proves nothing; it becomes a row error.)
3. If both occur, the file mixes orders: the majority order is used for values that prove it,
   and every value that could be read either way becomes a row error rather than a guess.
4. If nothing proves the order: ``options.date_order`` if given; else day first when the dates
   use dots (``07.10.2023``, a day-first convention) or the caller saw European hints (decimal
   comma, ``€``/``£``); else month first. The note says so.

Times and UTC offsets after the date (``2024-01-05T10:00:00+01:00``) are dropped: the date is
the one printed, not converted to another zone. Two-digit years are 2000-2069 and 1970-1999.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from budgetlm.ledger.importers.options import DateOrder

DayOrder = Literal["ymd", "mdy", "dmy"]
"""A resolved order of the parts of a numeric date."""

_NUMERIC = re.compile(r"(\d{1,4})([-./ ])(\d{1,2})\2(\d{1,4})")
_TIME_TAIL = re.compile(
    r"(?:T|\s+)\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[AaPp]\.?[Mm]\.?)?\s*"
    r"(?:Z|UTC|GMT|[+-]\d{2}:?\d{2})?$"
)
_TEXT_TOKENS = re.compile(r"[A-Za-z]+|\d+")
_TEXT_DATE = re.compile(r"[A-Za-z0-9 ,./'-]+")
_MONTHS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
_IGNORED_WORDS = frozenset(
    [
        "st",
        "nd",
        "rd",
        "th",
        "mon",
        "tue",
        "tues",
        "wed",
        "thu",
        "thur",
        "thurs",
        "fri",
        "sat",
        "sun",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
)
MIN_YEAR, MAX_YEAR = 1900, 2199
"""Years outside this range are refused as misreadings."""


@dataclass(frozen=True, slots=True)
class DateShape:
    """A date string split into numbers before the day/month order is known."""

    parts: tuple[int, int, int]
    """(year, month, day) when ``fixed``; else the three numbers as printed."""
    fixed: bool
    """True when the text itself fixes the order (ISO, ``YYYYMMDD``, month names, year first)."""
    separator: str = ""
    """Separator of a numeric date (``/``, ``-``, ``.``); empty for other forms."""
    short_last: bool = False
    """True when the last number of a non-fixed date has one or two digits."""


def _year(value: int, digits: int) -> int:
    if digits > 2:
        return value
    return 2000 + value if value < 70 else 1900 + value


def _split_text_date(text: str) -> DateShape:
    """Split ``07 Oct 2023``, ``Oct 7, 2023`` or ``7-Oct-23``."""
    if not _TEXT_DATE.fullmatch(text):
        raise ValueError("not a date")
    month = 0
    numbers: list[str] = []
    for token in _TEXT_TOKENS.findall(text):
        if token.isdigit():
            numbers.append(token)
        elif token.lower() in _MONTHS and not month:
            month = _MONTHS[token.lower()]
        elif token.lower() not in _IGNORED_WORDS:
            raise ValueError("not a date")
    if not month or len(numbers) != 2:
        raise ValueError("not a date")
    year_at = 0 if len(numbers[0]) == 4 else 1
    year, day = numbers[year_at], numbers[1 - year_at]
    if len(day) > 2 or len(year) not in (2, 4):
        raise ValueError("not a date")
    return DateShape((_year(int(year), len(year)), month, int(day)), fixed=True)


def split_date(text: str) -> DateShape:
    """Split a printed date into its numbers.

    Raises:
        ValueError: The text does not have the shape of any supported date.
    """
    value = text.strip()
    if len(value) > 64:
        raise ValueError("not a date")
    tail = _TIME_TAIL.search(value)
    if tail is not None and tail.start() >= 6:
        value = value[: tail.start()]
    numeric = _NUMERIC.fullmatch(value)
    if numeric is not None:
        first, sep, second, last = numeric.groups()
        if len(first) == 4 and len(last) <= 2:
            return DateShape((int(first), int(second), int(last)), fixed=True, separator=sep)
        if len(first) <= 2 and len(last) in (1, 2, 4):
            parts = (int(first), int(second), int(last))
            return DateShape(parts, fixed=False, separator=sep, short_last=len(last) <= 2)
        raise ValueError("not a date")
    if len(value) == 8 and value.isdigit() and value.isascii():
        return DateShape((int(value[:4]), int(value[4:6]), int(value[6:])), fixed=True)
    return _split_text_date(value)


def resolve(shape: DateShape, order: DayOrder) -> date:
    """The date a shape means under ``order`` (ignored for shapes that fix their own order).

    Raises:
        ValueError: No such date, or a year outside ``MIN_YEAR``..``MAX_YEAR``.
    """
    a, b, c = shape.parts
    if shape.fixed:
        year, month, day = a, b, c
    elif order == "ymd":
        if not shape.short_last:
            raise ValueError("the year is last, not first")
        year, month, day = _year(a, 2 if a < 100 else 4), b, c
    else:
        year = _year(c, 2 if shape.short_last else 4)
        month, day = (a, b) if order == "mdy" else (b, a)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"year {year} is out of range")
    return date(year, month, day)


def _valid(shape: DateShape, order: DayOrder) -> bool:
    try:
        resolve(shape, order)
    except ValueError:
        return False
    return True


def is_date(text: str) -> bool:
    """Whether ``text`` reads as a real date under at least one order."""
    try:
        shape = split_date(text)
    except ValueError:
        return False
    orders: tuple[DayOrder, ...] = ("ymd",) if shape.fixed else ("mdy", "dmy")
    return any(_valid(shape, order) for order in orders)


@dataclass(frozen=True, slots=True)
class DateReading:
    """How one column's numeric dates are read, decided from all its values."""

    order: DayOrder
    """Order used for numeric dates whose text does not fix it."""
    strict: bool = False
    """True when the file mixes orders: values readable both ways are then errors."""
    note: str | None = None
    """What was decided and why, for ``ParsedStatement.notes``."""


def _pattern(order: DayOrder, separator: str) -> str:
    names = {"ymd": ("YYYY", "MM", "DD"), "mdy": ("MM", "DD", "YYYY"), "dmy": ("DD", "MM", "YYYY")}
    return (separator or "/").join(names[order])


@dataclass
class _Evidence:
    """What the numeric dates of a column say about their order."""

    day_first: list[int] = field(default_factory=list)
    """Lines of dates whose first number is above 12."""
    month_first: list[int] = field(default_factory=list)
    """Lines of dates whose second number is above 12."""
    ambiguous: bool = False
    """Some date reads both ways."""
    dotted: bool = False
    """Some date uses dots (``07.10.2023``)."""
    separator: str = ""
    """Separator of the numeric dates, for notes."""

    @classmethod
    def collect(cls, values: Iterable[tuple[int, str]]) -> _Evidence:
        evidence = cls()
        for line, text in values:
            try:
                shape = split_date(text)
            except ValueError:
                continue
            if shape.fixed:
                continue
            a, b, _ = shape.parts
            evidence.separator = shape.separator
            evidence.dotted = evidence.dotted or shape.separator == "."
            if a > 12 >= b and _valid(shape, "dmy"):
                evidence.day_first.append(line)
            elif b > 12 >= a and _valid(shape, "mdy"):
                evidence.month_first.append(line)
            elif a <= 12 and b <= 12:
                evidence.ambiguous = True
        return evidence


def choose_date_order(
    values: Iterable[tuple[int, str]], preferred: DateOrder = "auto", day_first_hint: bool = False
) -> DateReading:
    """Decide the day/month order of a date column from all its values.

    Args:
        values: ``(line, text)`` for each value; distinct texts are enough.
        preferred: The user's ``--date-order``; ``auto`` decides from the values.
        day_first_hint: The file looks European (decimal comma, ``€``/``£``).

    Returns:
        The order and a note describing the decision (None when no date needed one).
    """
    seen = _Evidence.collect(values)
    day_first, month_first, sep = seen.day_first, seen.month_first, seen.separator
    if not seen.separator:
        return DateReading("mdy" if preferred == "auto" else preferred)
    if preferred != "auto":
        return DateReading(preferred, note=f"dates read as {_pattern(preferred, sep)} (as asked)")
    if day_first and month_first:
        order: DayOrder = "dmy" if len(day_first) >= len(month_first) else "mdy"
        note = (
            f"the file mixes day-first (line {day_first[0]}) and month-first (line "
            f"{month_first[0]}) dates; read as {_pattern(order, sep)} where a date allows only "
            "one reading, and dates readable both ways are reported as errors "
            "(use --date-format to choose)"
        )
        return DateReading(order, strict=True, note=note)
    if day_first or month_first:
        order = "dmy" if day_first else "mdy"
        why = f"day above 12 on line {(day_first or month_first)[0]}"
        return DateReading(order, note=f"dates read as {_pattern(order, sep)} ({why})")
    order = "dmy" if seen.dotted or day_first_hint else "mdy"
    why = "dotted dates are day-first" if seen.dotted else "the default"
    why = "the file looks European" if day_first_hint and not seen.dotted else why
    note = (
        f"no date in the file has a day above 12; read as {_pattern(order, sep)} ({why}); "
        "use --date-order if that is wrong"
    )
    return DateReading(order, note=note)


class DateParser:
    """Reads one column's dates with a fixed reading, caching results by string.

    Args:
        reading: The order decided by ``choose_date_order``.
        date_format: A ``strptime`` format that overrides detection.
    """

    _CACHE_LIMIT = 200_000

    def __init__(self, reading: DateReading, date_format: str | None = None) -> None:
        self.reading = reading
        self.date_format = date_format
        self.cache: dict[str, date] = {}
        """Text -> date for every value read so far (callers may look up here first)."""

    def __call__(self, text: str) -> date:
        """The date ``text`` stands for.

        Raises:
            ValueError: Not a date, not a real day, or readable both ways in a mixed file.
        """
        cached = self.cache.get(text)
        if cached is not None:
            return cached
        value = self._parse(text)
        if len(self.cache) < self._CACHE_LIMIT:
            self.cache[text] = value
        return value

    def _parse(self, text: str) -> date:
        if self.date_format is not None:
            try:
                return datetime.strptime(text.strip(), self.date_format).date()
            except ValueError:
                raise ValueError(f"{text!r} does not match {self.date_format!r}") from None
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            try:
                value = date.fromisoformat(text)  # fast path for the commonest form
            except ValueError:
                pass
            else:
                if MIN_YEAR <= value.year <= MAX_YEAR:
                    return value
        try:
            shape = split_date(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a date") from None
        a, b, _ = shape.parts
        if self.reading.strict and not shape.fixed and a <= 12 and b <= 12 and a != b:
            raise ValueError(f"{text!r} could be day-first or month-first in this file")
        try:
            return resolve(shape, self.reading.order)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a valid date ({exc})") from None
