"""Dates for the generator: months, clamping, bank holidays and business-day shifts."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import cache

from budgetlm.ledger.synth.household import ShiftRule

ONE_DAY = timedelta(days=1)


def month_start(day: date) -> date:
    """First day of ``day``'s month."""
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    return clamp(index // 12, index % 12 + 1, day.day)


def clamp(year: int, month: int, day: int) -> date:
    """The ``day``-th of a month, or its last day when the month is shorter (31 → Feb 28/29)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def month_end(day: date) -> date:
    """Last day of ``day``'s month."""
    return clamp(day.year, day.month, 31)


def months_between(start: date, end: date) -> list[date]:
    """First days of every month from ``start``'s to ``end``'s, inclusive."""
    out, current = [], month_start(start)
    while current <= end:
        out.append(current)
        current = add_months(current, 1)
    return out


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The ``n``-th ``weekday`` (0 = Monday) of a month; ``n = -1`` for the last one."""
    if n < 0:
        last = clamp(year, month, 31)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _observed_us(day: date) -> date | None:
    # Federal Reserve banks move a Sunday holiday to Monday but stay open on the Friday before
    # a Saturday holiday.
    if day.weekday() == 6:
        return day + ONE_DAY
    return None if day.weekday() == 5 else day


def _easter(year: int) -> date:
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * m + 22 * h) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


@cache
def bank_holidays(year: int, country: str) -> frozenset[date]:
    """Days banks do not post in ``country`` (``US`` Federal Reserve or ``GB`` England)."""
    if country == "GB":
        christmas, boxing = date(year, 12, 25), date(year, 12, 26)
        days = {
            nth_weekday(year, 5, 0, 1),
            nth_weekday(year, 5, 0, -1),
            nth_weekday(year, 8, 0, -1),
        }
        easter = _easter(year)
        days |= {easter - 2 * ONE_DAY, easter + ONE_DAY}
        new_year = date(year, 1, 1)
        days.add(
            new_year + timedelta(days=(7 - new_year.weekday()) % 7 if new_year.weekday() > 4 else 0)
        )
        if christmas.weekday() >= 5:
            christmas += timedelta(days=2)
            boxing += timedelta(days=2)
        elif boxing.weekday() >= 5:
            boxing += timedelta(days=2)
        return frozenset(days | {christmas, boxing})
    fixed = [
        date(year, 1, 1),
        date(year, 6, 19),
        date(year, 7, 4),
        date(year, 11, 11),
        date(year, 12, 25),
    ]
    floating = [
        nth_weekday(year, 1, 0, 3),
        nth_weekday(year, 2, 0, 3),
        nth_weekday(year, 5, 0, -1),
        nth_weekday(year, 9, 0, 1),
        nth_weekday(year, 10, 0, 2),
        nth_weekday(year, 11, 3, 4),
    ]
    observed = {_observed_us(d) for d in fixed}
    return frozenset({d for d in observed if d is not None} | set(floating))


def is_business_day(day: date, country: str) -> bool:
    """True when banks post on ``day``."""
    return day.weekday() < 5 and day not in bank_holidays(day.year, country)


def shift(day: date, rule: ShiftRule, country: str) -> date:
    """Apply a weekend/holiday ``rule`` to a due date."""
    if rule == "none":
        return day
    step = ONE_DAY if rule == "next" else -ONE_DAY
    while not is_business_day(day, country):
        day += step
    return day


def next_business_day(day: date, country: str) -> date:
    """``day`` itself when banks post that day, else the next day they do."""
    return shift(day, "next", country)
