"""Due-date rules of recurring series and the dates they produce.

Weekend and holiday rules (``ShiftRule``) used by the generator:

* ``previous`` business day: paychecks and Social Security (employers and the Treasury pay early);
* ``next`` business day: ACH bills (rent, mortgage, utilities, loans, insurance, childcare,
  taxes), scheduled transfers, card autopay, pensions paid on the 1st, gig payouts;
* ``none``: card-billed subscriptions and memberships (cards post any day) and savings interest.

Monthly rules on days 29-31 clamp to the month's last day (a bill on the 31st lands on Feb 28/29);
rules that shift to the next business day use days 1-25 (and ``previous`` rules days 4-31), so
each month keeps exactly one payment even when February 28 is a Saturday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from budgetlm.ledger.synth import calendar
from budgetlm.ledger.synth.household import Cadence, ShiftRule

_STEP_MONTHS = {"monthly": 1, "bimonthly": 2, "quarterly": 3, "semiannual": 6, "annual": 12}


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a recurring series is due."""

    cadence: Cadence
    """Nominal frequency."""
    shift: ShiftRule
    """Weekend/holiday rule."""
    day: int = 1
    """Day of month (monthly and longer cadences), clamped to short months."""
    anchor: date | None = None
    """First due date of weekly/biweekly series, or of month-based ones (sets their phase)."""
    weekday: tuple[int, int] | None = None
    """(weekday, n): the n-th weekday of the month instead of ``day`` (Social Security)."""
    months: tuple[int, ...] = ()
    """Explicit months due (quarterly estimated taxes, council tax), overriding the cadence step."""

    def describe(self) -> str:
        """The rule in words, for ``SynthSeries.rule``."""
        if self.cadence in ("weekly", "biweekly") and self.anchor:
            return f"every {7 if self.cadence == 'weekly' else 14} days from {self.anchor}"
        if self.cadence == "semimonthly":
            return "15th and last day"
        if self.weekday:
            return f"weekday {self.weekday[0]} number {self.weekday[1]}"
        months = f" in months {list(self.months)}" if self.months else ""
        return f"day {self.day}{months}"


def _nominal(schedule: Schedule, start: date, end: date) -> list[date]:
    if schedule.cadence in ("weekly", "biweekly"):
        assert schedule.anchor is not None, "weekly schedules need an anchor"
        step = timedelta(days=7 if schedule.cadence == "weekly" else 14)
        first = schedule.anchor
        while first - step >= start - timedelta(days=7):
            first -= step
        out, current = [], first
        while current <= end + timedelta(days=7):
            out.append(current)
            current += step
        return out
    out = []
    for month in calendar.months_between(start - timedelta(days=7), end + timedelta(days=7)):
        if schedule.cadence == "semimonthly":
            out += [month.replace(day=15), calendar.month_end(month)]
        elif _due_in(schedule, month):
            if schedule.weekday:
                out.append(calendar.nth_weekday(month.year, month.month, *schedule.weekday))
            else:
                out.append(calendar.clamp(month.year, month.month, schedule.day))
    return out


def _due_in(schedule: Schedule, month: date) -> bool:
    if schedule.months:
        return month.month in schedule.months
    step = _STEP_MONTHS.get(schedule.cadence, 1)
    phase = schedule.anchor.month if schedule.anchor else 1
    return (month.month - phase) % step == 0


def due_dates(schedule: Schedule, start: date, end: date, country: str) -> list[tuple[date, date]]:
    """(nominal, posted) due dates of ``schedule`` whose posted date lies in [start, end]."""
    out = []
    for nominal in _nominal(schedule, start, end):
        posted = calendar.shift(nominal, schedule.shift, country)
        if start <= posted <= end:
            out.append((nominal, posted))
    return out
