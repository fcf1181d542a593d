"""Due-date rules of recurring payments: what ``analytics.recurring`` fits and projects with.

A ``Schedule`` is a cadence, an anchor and a weekend shift. Monthly, quarterly and yearly
payments are due on the anchor day of the month, where a day past a month's end clamps to its
last day (so 31 means "the last day"); weekly and biweekly ones on the days whose
``toordinal()`` modulo 7 or 14 is the anchor (the phase). A due date on a weekend posts that day,
on the Monday after or on the Friday before (``Shift``). Bank holidays are not modelled.

``fit_schedule`` finds the schedule that best explains a series' dates; ``series_schedule``
reads it back from a ``RecurringSeries``. The fit works on day ordinals with numpy: it scores
every candidate anchor and shift at once, where ``date`` objects would cost thousands of calls.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from budgetlm.analytics.records import Cadence, RecurringSeries, Shift

MONTH_STEPS: dict[Cadence, int] = {
    "monthly": 1,
    "bimonthly": 2,
    "quarterly": 3,
    "semiannual": 6,
    "yearly": 12,
}
"""Calendar months between two due dates of the month-anchored cadences."""
DAY_STEPS: dict[Cadence, int] = {"weekly": 7, "biweekly": 14}
"""Days between two due dates of the phase-anchored cadences."""

_Ordinals = npt.NDArray[np.int64]


def posted(day: date, rule: Shift) -> date:
    """The day a payment due on ``day`` posts under the weekend ``rule``."""
    weekday = day.weekday()
    if weekday < 5 or rule == "none":
        return day
    if rule == "next":
        return day + timedelta(days=7 - weekday)
    return day - timedelta(days=weekday - 4)


def add_months(day: date, months: int) -> date:
    """The first of the month ``months`` after ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def clamp(month: date, anchor: int) -> date:
    """Day ``anchor`` of ``month``'s month, or its last day when the month is shorter."""
    last = calendar.monthrange(month.year, month.month)[1]
    return month.replace(day=min(anchor, last))


@lru_cache(maxsize=4096)
def month_bounds(index: int) -> tuple[int, int]:
    """Ordinal of the first day and length of month ``index`` (``year * 12 + month - 1``)."""
    year, month = divmod(index, 12)
    return date(year, month + 1, 1).toordinal(), calendar.monthrange(year, month + 1)[1]


def periods_later(seed: date, cadence: Cadence, periods: int) -> int:
    """Ordinal of ``seed``'s date ``periods`` periods later (same day of month, clamped)."""
    if cadence in DAY_STEPS:
        return seed.toordinal() + DAY_STEPS[cadence] * periods
    first, length = month_bounds(seed.year * 12 + seed.month - 1 + MONTH_STEPS[cadence] * periods)
    return first + min(seed.day, length) - 1


def circular_anchor(dates: Sequence[date]) -> int:
    """Day of month at the circular mean of each date's position in its month, so that the
    30th, the 31st and the 1st cluster."""
    x = y = 0.0
    for day in dates:
        length = calendar.monthrange(day.year, day.month)[1]
        angle = 2 * math.pi * (day.day - 1) / length
        x, y = x + math.cos(angle), y + math.sin(angle)
    fraction = (math.atan2(y, x) / (2 * math.pi)) % 1.0
    return round(fraction * 31) % 31 + 1


@dataclass(frozen=True)
class Schedule:
    """A due-date rule: the month anchor day (1-31) or the weekly phase, and the weekend shift."""

    cadence: Cadence
    """How often payments fall due."""
    anchor: int
    """Day of month (31 = last day) or phase (``toordinal()`` modulo 7 or 14)."""
    shift: Shift
    """Where a due date on a weekend posts."""

    def describe(self) -> str:
        """The rule in words for ids and displays: ``day 31 next``, ``phase 3/14 previous``."""
        if self.cadence in DAY_STEPS:
            return f"phase {self.anchor}/{DAY_STEPS[self.cadence]} {self.shift}"
        return f"day {self.anchor} {self.shift}"

    def posted(self, nominal: date) -> date:
        """The posting day of the payment due on ``nominal``."""
        return posted(nominal, self.shift)

    def nominal_near(self, day: date) -> date:
        """The due date whose posting is closest to ``day`` (the earlier one on a tie)."""
        if self.cadence in DAY_STEPS:
            step = DAY_STEPS[self.cadence]
            base = day - timedelta(days=(day.toordinal() - self.anchor) % step)
            options = [base, base + timedelta(days=step)]
        else:
            options = [clamp(add_months(day, k), self.anchor) for k in (-1, 0, 1)]
        return min(options, key=lambda n: abs((self.posted(n) - day).days))

    def following(self, nominal: date) -> date:
        """The due date one period after ``nominal``."""
        if self.cadence in DAY_STEPS:
            return nominal + timedelta(days=DAY_STEPS[self.cadence])
        return clamp(add_months(nominal, MONTH_STEPS[self.cadence]), self.anchor)


def _nominal_options(cadence: Cadence, dates: Sequence[date], anchors: list[int]) -> _Ordinals:
    """Ordinals of the due dates that may explain each date, shape (anchors, options, dates):
    the due dates in the month before, of and after the date, or the phase days at or before
    and after it."""
    days = np.array([d.toordinal() for d in dates], dtype=np.int64)
    column = np.array(anchors, dtype=np.int64)[:, None, None]
    if cadence in DAY_STEPS:
        step = DAY_STEPS[cadence]
        base = days[None, None, :] - (days[None, None, :] - column) % step
        return np.concatenate([base, base + step], axis=1)
    months = [d.year * 12 + d.month - 1 for d in dates]
    bounds = np.array([[month_bounds(m + k) for m in months] for k in (-1, 0, 1)])
    first, length = bounds[None, :, :, 0], bounds[None, :, :, 1]
    return np.asarray(first + np.minimum(column, length) - 1, dtype=np.int64)


def _posted_ordinals(nominal: _Ordinals, rule: Shift) -> _Ordinals:
    weekday = (nominal + 6) % 7  # date.fromordinal(1) is a Monday
    weekend = weekday >= 5
    if rule == "next":
        return np.where(weekend, nominal + 7 - weekday, nominal)
    if rule == "previous":
        return np.where(weekend, nominal - (weekday - 4), nominal)
    return nominal


def fit_schedule(cadence: Cadence, dates: Sequence[date], inflow: bool) -> tuple[Schedule, float]:
    """The anchor and weekend rule that put the payments closest to their due dates.

    Candidate anchors are the phases the dates show (weekly, biweekly) or the days within three
    of their circular mean (the month cadences). With no payment ever on a weekend, a fitted
    "none" becomes the usual rule for the direction: weekends were never tested.

    Args:
        cadence: The series' cadence.
        dates: Its posting dates.
        inflow: Whether it is income (employers pay early, billers collect late).

    Returns:
        The schedule and the mean distance in days from each date to its posting under it.
    """
    if cadence in DAY_STEPS:
        anchors = sorted({d.toordinal() % DAY_STEPS[cadence] for d in dates})
    else:
        centre = circular_anchor(dates)
        anchors = sorted({(centre - 1 + k) % 31 + 1 for k in range(-3, 4)})
    rules: tuple[Shift, ...] = (
        ("none", "previous", "next") if inflow else ("none", "next", "previous")
    )
    nominal = _nominal_options(cadence, dates, anchors)
    days = np.array([d.toordinal() for d in dates], dtype=np.int64)
    # errors[rule, anchor]: total days between each date and its nearest posting.
    errors = [
        np.abs(_posted_ordinals(nominal, rule) - days).min(axis=1).sum(axis=1).tolist()
        for rule in rules
    ]
    # Ties go to the usual rule for the direction, then to the earlier anchor.
    rank, column = min(
        ((r, a) for r in range(len(rules)) for a in range(len(anchors))),
        key=lambda ra: errors[ra[0]][ra[1]] + 0.01 * ra[0],
    )
    if rules[rank] == "none" and not any(d.weekday() >= 5 for d in dates):
        rank = 1
    return Schedule(cadence, anchors[column], rules[rank]), errors[rank][column] / len(dates)


def series_schedule(series: RecurringSeries) -> Schedule:
    """The due-date rule of a series: its ``anchor`` and ``shift`` when set, else the rule that
    explains its last and next dates (a series built by hand).

    The inference tries anchors near the next date with each weekend rule and falls back to the
    next date's day and the usual rule for the direction (the business day before for income,
    after for bills).
    """
    if series.anchor is not None:
        return Schedule(series.cadence, series.anchor, series.shift)
    inflow = series.typical_amount > 0
    usual: Shift = "previous" if inflow else "next"
    if series.cadence in DAY_STEPS:
        rule: Shift = "none" if series.next_date.weekday() >= 5 else usual
        phase = series.next_date.toordinal() % DAY_STEPS[series.cadence]
        return Schedule(series.cadence, phase, rule)
    rules: tuple[Shift, ...] = (usual, "none", "next" if inflow else "previous")
    for anchor in sorted(range(1, 32), key=lambda a: abs(a - series.next_date.day)):
        for rule in rules:
            schedule = Schedule(series.cadence, anchor, rule)
            if all(
                schedule.posted(schedule.nominal_near(d)) == d
                for d in (series.last_date, series.next_date)
            ):
                return schedule
    return Schedule(series.cadence, series.next_date.day, usual)
