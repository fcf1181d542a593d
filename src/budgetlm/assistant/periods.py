"""Periods: the small time grammar the assistant's tools take, resolved by code against ``today``.

A period is a **spec string** such as ``last_month``, ``month:2026-03``, ``last_n_days:30``,
``between:2026-01-01..2026-03-31``, ``before:last_month`` or ``weekends:this_month``. The language
model only writes the spec (constrained by ``PERIOD_PATTERN``); ``resolve_period`` turns it into
inclusive ``start``/``end`` dates. The grammar::

    today | yesterday | this_week | last_week | this_month | last_month | this_quarter
    | last_quarter | this_year | last_year | ytd | all
    | date:YYYY-MM-DD | month:YYYY-MM | quarter:YYYY-Qn | year:YYYY
    | month:MM | quarter:Qn                                     (the latest one begun by today)
    | last_n_days:N | last_n_weeks:N | last_n_months:N          (N = 1..999)
    | since:YYYY-MM-DD | between:YYYY-MM-DD..YYYY-MM-DD
    | before:SPEC | weekends:SPEC | weekdays:SPEC

Rules a user would notice:

- Weeks start on Monday. ``this_week``, ``this_month``, ``this_quarter``, ``this_year`` and ``ytd``
  run from the start of the unit to ``today``; ``last_*`` are whole units. ``last_n_days:N`` is
  the N days ending today, ``last_n_weeks:N`` the ``7 * N`` days ending today, and
  ``last_n_months:N`` the N whole calendar months before the current one. ``all`` runs from
  ``earliest`` (default 2000-01-01) to today.
- **No period reaches past today.** A period that ends after today is cut at today
  (``month:2026-11`` on 2026-11-21 is Nov 1..Nov 21); one that *starts* after today is an error.
  So every resolved period has ``start <= end <= today``.
- ``month:MM`` and ``quarter:Qn`` (no year; an addition to the issue-5 contract, for questions
  such as "dining out in August?") are the latest such month or quarter that has begun by today:
  on 2026-10-31 ``month:08`` is Aug 2026, ``month:11`` is Nov 2025 and ``month:10`` is Oct 1..31,
  2026.
- ``before:SPEC`` is the period of the same kind just before SPEC (``previous_period``):

  * calendar kinds (``today``, ``yesterday``, ``date:``, weeks, months, quarters, years, ``ytd``,
    ``last_n_months:N``) step back one whole unit (N months for ``last_n_months:N``) from the
    start of SPEC, **even when SPEC is partial**: on 2026-11-21 ``before:this_month`` is the whole
    of October and ``before:ytd`` the whole of 2025, because "and the month before?" means a
    month, not "Oct 1 to Oct 21";
  * rolling kinds (``last_n_days``, ``last_n_weeks``, ``since``, ``between``) take the same number
    of days ending the day before SPEC starts (``before:last_n_days:30`` = the 30 days before
    those; ``before:between:a..b`` = as many days as ``a..b`` as written, ending the day before a);
  * ``before:all`` is an error (nothing comes before the whole history).
- ``weekends:SPEC`` / ``weekdays:SPEC`` keep SPEC's dates and restrict ``Period.contains`` to
  Saturdays and Sundays, or to Monday..Friday. The two cannot be combined, and a filtered period
  with no matching day at all (``weekends:today`` on a Wednesday) is an error.

``PERIOD_PATTERN`` allows up to three ``before:``/``weekends:``/``weekdays:`` prefixes with at
most one day filter; ``resolve_period`` accepts any depth. The pattern checks form (months 01..12,
days 01..31, years 1000..2999, N 1..999), not meaning: ``date:2026-02-30``, a reversed
``between`` or a future ``since`` still match it and are refused by ``resolve_period`` with a
message naming the bad part.

Hand-written rather than built on dateutil or a natural-language date parser: the grammar is
tiny and closed (the model emits it, people rarely type it), and its rules for partial and
"before" periods are our own; the month arithmetic it needs is two lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

from budgetlm.errors import BudgetlmError

DayFilter = Literal["all", "weekends", "weekdays"]
"""Which days of a period count: every day, Saturdays and Sundays, or Monday..Friday."""

DEFAULT_EARLIEST = date(2000, 1, 1)
"""Start of ``all`` when the caller does not know where the history begins."""

NAMED_PERIODS: tuple[str, ...] = (
    "today", "yesterday", "this_week", "last_week", "this_month", "last_month",
    "this_quarter", "last_quarter", "this_year", "last_year", "ytd", "all",
)  # fmt: skip
"""The spec keywords that take no argument."""

MAX_COUNT = 999
"""Largest N of ``last_n_days:N``, ``last_n_weeks:N`` and ``last_n_months:N``."""

_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_YEAR_RE = r"[12][0-9]{3}"
_MONTH_RE = rf"{_YEAR_RE}-(?:0[1-9]|1[0-2])"
_DATE_RE = rf"{_MONTH_RE}-(?:0[1-9]|[12][0-9]|3[01])"
_BASE_RE = "|".join(
    (
        *NAMED_PERIODS,
        f"date:{_DATE_RE}",
        f"month:(?:{_YEAR_RE}-)?(?:0[1-9]|1[0-2])",
        f"quarter:(?:{_YEAR_RE}-)?Q[1-4]",
        f"year:{_YEAR_RE}",
        r"last_n_(?:days|weeks|months):[1-9][0-9]{0,2}",
        f"since:{_DATE_RE}",
        rf"between:{_DATE_RE}\.\.{_DATE_RE}",
    )
)
_FILTER_RE = "week(?:end|day)s:"
# Every sequence of at most three prefixes holding at most one day filter, spelled as a tree.
_PREFIX_RE = (
    f"(?:before:(?:before:(?:before:|{_FILTER_RE})?|{_FILTER_RE}(?:before:)?)?"
    f"|{_FILTER_RE}(?:before:(?:before:)?)?)?"
)

PERIOD_PATTERN: str = f"^{_PREFIX_RE}(?:{_BASE_RE})$"
"""Regex every valid spec matches; fit for Python ``re`` and a JSON-schema ``pattern``
(llguidance): only groups, classes, alternation and bounded repeats, anchored ``^...$``."""


class PeriodError(BudgetlmError, ValueError):
    """A period spec that is malformed or impossible; the message names the bad part."""


def format_date(day: date) -> str:
    """A date for people, independent of locale: ``Nov 3, 2026``."""
    return f"{_MONTH_NAMES[day.month - 1]} {day.day}, {day.year}"


@dataclass(frozen=True)
class Period:
    """A resolved period: inclusive dates plus the spec it came from.

    Raises:
        PeriodError: ``start`` is after ``end``, or a day filter leaves no day at all.
    """

    spec: str
    """The spec as given (``before:last_month``), kept so answers and follow-ups can reuse it."""
    start: date
    """First day, inclusive."""
    end: date
    """Last day, inclusive."""
    days: DayFilter = "all"
    """Which days of ``start..end`` belong to the period."""

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise PeriodError(
                f"period '{self.spec}': start {self.start.isoformat()} "
                f"is after end {self.end.isoformat()}"
            )
        if self.days != "all" and not any(self.contains(d) for d in _first_week(self)):
            kind = "weekend days" if self.days == "weekends" else "weekdays"
            raise PeriodError(f"period '{self.spec}' has no {kind} ({self._span()})")

    def contains(self, day: date) -> bool:
        """Whether ``day`` is inside the period and passes its day filter."""
        if not self.start <= day <= self.end:
            return False
        if self.days == "weekends":
            return day.weekday() >= 5
        if self.days == "weekdays":
            return day.weekday() < 5
        return True

    def label(self) -> str:
        """The period for people: ``from Oct 1 to Oct 31, 2026``, ``on Nov 20, 2026``,
        ``from Dec 1, 2025 to Jan 31, 2026``, ``on weekends from Oct 1 to Oct 31, 2026``."""
        if self.start == self.end or self.days == "all":
            return self._span()
        return f"on {self.days} {self._span()}"

    def to_json(self) -> dict[str, str]:
        """``{"spec", "start", "end", "days", "label"}`` with ISO dates."""
        return {
            "spec": self.spec,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "days": self.days,
            "label": self.label(),
        }

    def _span(self) -> str:
        if self.start == self.end:
            return f"on {format_date(self.start)}"
        if self.start.year == self.end.year:
            first = f"{_MONTH_NAMES[self.start.month - 1]} {self.start.day}"
            return f"from {first} to {format_date(self.end)}"
        return f"from {format_date(self.start)} to {format_date(self.end)}"


def _first_week(period: Period) -> list[date]:
    """Up to the first seven days of ``period`` (enough to meet every weekday once)."""
    length = min((period.end - period.start).days + 1, 7)
    return [period.start + timedelta(days=k) for k in range(length)]


def resolve_period(spec: str, today: date, *, earliest: date | None = None) -> Period:
    """Turn a spec into dates, against ``today`` (never the clock).

    Args:
        spec: A spec of the grammar in the module docstring; surrounding blanks are ignored.
        today: The day the question is asked; no period ends after it.
        earliest: Where the history starts, for ``all`` (default 2000-01-01).

    Returns:
        The period, with ``start <= end <= today``.

    Raises:
        PeriodError: The spec is malformed (``month:2026-13``), impossible (``between`` with
            start after end, ``date:2026-02-30``, ``before:all``) or lies wholly after today.
    """
    text = spec.strip()
    try:
        period = _resolve(text, today, earliest or DEFAULT_EARLIEST)
    except PeriodError:
        raise
    except (ValueError, OverflowError):  # date arithmetic past year 1 or 9999
        raise PeriodError(f"period '{text}' falls outside the calendar") from None
    if period.start > today:
        raise PeriodError(
            f"period '{text}' starts on {format_date(period.start)}, "
            f"after today ({format_date(today)})"
        )
    return replace(period, end=min(period.end, today))


def previous_period(period: Period) -> Period:
    """The period of the same kind just before ``period`` (what ``before:`` means).

    Calendar kinds step back one whole unit from ``period.start`` (a partial ``this_month``
    gives the whole previous month); rolling kinds keep their length in days. The day filter is
    kept and the spec becomes ``before:<spec>``. See the module docstring for the full rule.

    Raises:
        PeriodError: ``period`` covers the whole history (``all``), its spec is not of the
            grammar, or the result would fall before year 1.
    """
    step = _step_back(_innermost(period.spec), period)
    spec = f"before:{period.spec}"
    unit, size = step
    try:
        end = period.start - timedelta(days=1)
        if unit == "months":
            start = _add_months(period.start.replace(day=1), -size)
        else:
            start = end - timedelta(days=size - 1)
    except OverflowError:
        raise PeriodError(f"period '{spec}' falls before year 1") from None
    return Period(spec, start, end, period.days)


# --- Resolution ---------------------------------------------------------------------------------

_PREFIXES = ("before:", "weekends:", "weekdays:")


def _resolve(spec: str, today: date, earliest: date) -> Period:
    """Resolve without cutting at today (``before:`` measures the spec as written)."""
    if spec.startswith("before:"):
        inner = _resolve(spec.removeprefix("before:"), today, earliest)
        return previous_period(inner)
    days: DayFilter
    for days in ("weekends", "weekdays"):
        if spec.startswith(f"{days}:"):
            inner = _resolve(spec.removeprefix(f"{days}:"), today, earliest)
            if inner.days not in ("all", days):
                raise PeriodError(f"period '{spec}': weekends: and weekdays: cannot be combined")
            return Period(spec, inner.start, inner.end, days)
    start, end = _resolve_base(spec, today, earliest)
    return Period(spec, start, end)


def _innermost(spec: str) -> str:
    """The base spec under any ``before:``/``weekends:``/``weekdays:`` prefixes."""
    while spec.startswith(_PREFIXES):
        spec = spec.split(":", 1)[1]
    return spec


def _step_back(base: str, period: Period) -> tuple[Literal["months", "days"], int]:
    """How far ``before:`` steps back for a period whose innermost spec is ``base``."""
    head = base.split(":", 1)[0]
    if base == "all":
        raise PeriodError(f"period 'before:{period.spec}': nothing comes before 'all'")
    if head in ("today", "yesterday", "date"):
        return "days", 1
    if head in ("this_week", "last_week"):
        return "days", 7
    if head in ("this_month", "last_month", "month"):
        return "months", 1
    if head in ("this_quarter", "last_quarter", "quarter"):
        return "months", 3
    if head in ("this_year", "last_year", "ytd", "year"):
        return "months", 12
    if head == "last_n_months":
        return "months", _count(base, base.split(":", 1)[1])
    if head in ("last_n_days", "last_n_weeks", "since", "between"):
        return "days", (period.end - period.start).days + 1
    raise PeriodError(f"unknown period '{base}'{_EXAMPLES}")


_EXAMPLES = "; expected e.g. last_month, month:2026-03, last_n_days:30 or between:DATE..DATE"


def _resolve_base(spec: str, today: date, earliest: date) -> tuple[date, date]:
    """Start and end of a spec without prefixes (``end`` may lie after today)."""
    if spec in NAMED_PERIODS:
        return _named(spec, today, earliest)
    head, sep, arg = spec.partition(":")
    if not sep:
        raise PeriodError(f"unknown period '{spec}'{_EXAMPLES}")
    if head == "date":
        day = _date(spec, arg)
        return day, day
    if head == "month":
        month = _month(spec, arg if "-" in arg else f"{_latest_year(arg, today)}-{arg}")
        return month, _add_months(month, 1) - timedelta(days=1)
    if head == "quarter":
        match = re.fullmatch(r"(?:([0-9]{4})-)?Q([0-9])", arg)
        if match is None or not 1 <= int(match[2]) <= 4:
            raise PeriodError(f"period '{spec}': expected quarter:YYYY-Qn or quarter:Qn, n = 1..4")
        first_month = f"{3 * int(match[2]) - 2:02d}"
        year = match[1] or _latest_year(first_month, today)
        first = _month(spec, f"{year}-{first_month}")
        return first, _add_months(first, 3) - timedelta(days=1)
    if head == "year":
        if not re.fullmatch(r"[0-9]{4}", arg) or arg == "0000":
            raise PeriodError(f"period '{spec}': '{arg}' is not a year (expected YYYY)")
        return date(int(arg), 1, 1), date(int(arg), 12, 31)
    if head in ("last_n_days", "last_n_weeks", "last_n_months"):
        return _last_n(spec, head, _count(spec, arg), today)
    if head == "since":
        start = _date(spec, arg)
        if start > today:
            raise PeriodError(
                f"period '{spec}': {format_date(start)} is after today ({format_date(today)})"
            )
        return start, today
    if head == "between":
        low, dots, high = arg.partition("..")
        if not dots:
            raise PeriodError(f"period '{spec}': expected between:YYYY-MM-DD..YYYY-MM-DD")
        start, end = _date(spec, low), _date(spec, high)
        if start > end:
            raise PeriodError(f"period '{spec}': start {low} is after end {high}")
        return start, end
    raise PeriodError(f"unknown period '{spec}'{_EXAMPLES}")


def _named(name: str, today: date, earliest: date) -> tuple[date, date]:
    """Start and end of a keyword period."""
    month = today.replace(day=1)
    quarter = month.replace(month=3 * ((today.month - 1) // 3) + 1)
    year = date(today.year, 1, 1)
    monday = today - timedelta(days=today.weekday())
    day = timedelta(days=1)
    spans = {
        "today": (today, today),
        "yesterday": (today - day, today - day),
        "this_week": (monday, today),
        "last_week": (monday - 7 * day, monday - day),
        "this_month": (month, today),
        "last_month": (_add_months(month, -1), month - day),
        "this_quarter": (quarter, today),
        "last_quarter": (_add_months(quarter, -3), quarter - day),
        "this_year": (year, today),
        "ytd": (year, today),
        "last_year": (date(today.year - 1, 1, 1), year - day),
        "all": (min(earliest, today), today),
    }
    return spans[name]


def _last_n(spec: str, head: str, count: int, today: date) -> tuple[date, date]:
    """Start and end of ``last_n_days:N``, ``last_n_weeks:N`` or ``last_n_months:N``."""
    if head == "last_n_months":
        month = today.replace(day=1)
        return _add_months(month, -count), month - timedelta(days=1)
    length = count * 7 if head == "last_n_weeks" else count
    return today - timedelta(days=length - 1), today


def _latest_year(month: str, today: date) -> int:
    """The year of the latest month or quarter starting in ``month`` (``MM``) that has begun
    by ``today``: this year, or last year when this year's lies ahead."""
    begun = not month.isdigit() or int(month) <= today.month  # a bad month fails in _month
    return today.year if begun else today.year - 1


def _count(spec: str, text: str) -> int:
    """N of a ``last_n_*`` spec, 1..999."""
    if not re.fullmatch(r"[0-9]{1,4}", text) or not 1 <= int(text) <= MAX_COUNT:
        raise PeriodError(f"period '{spec}': N must be a whole number 1..{MAX_COUNT}, got '{text}'")
    return int(text)


def _month(spec: str, text: str) -> date:
    """The first day of a ``YYYY-MM`` month."""
    match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", text)
    if match is None:
        shown = spec.split(":", 1)[1]
        raise PeriodError(f"period '{spec}': '{shown}' is not a month (expected YYYY-MM or MM)")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise PeriodError(f"period '{spec}': month {month} does not exist (use 01..12)")
    if year < 1:
        raise PeriodError(f"period '{spec}': year {match[1]} does not exist")
    return date(year, month, 1)


def _date(spec: str, text: str) -> date:
    """A ``YYYY-MM-DD`` date."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise PeriodError(f"period '{spec}': '{text}' is not a date (expected YYYY-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"period '{spec}': {text} is not a real date") from None


def _add_months(first: date, months: int) -> date:
    """The first day of the month ``months`` after ``first``'s month."""
    index = first.year * 12 + first.month - 1 + months
    if index < 12:
        raise PeriodError(f"a period falls before year 1 ({months:+d} months from {first})")
    return date(index // 12, index % 12 + 1, 1)
