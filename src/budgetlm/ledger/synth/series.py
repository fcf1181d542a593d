"""Recurring series: a payee, a due-date rule, an amount rule and how it is paid.

``Bill`` describes one series (rent, a paycheck, a subscription); ``post_series`` writes its
payments into the book with a shared ``recurring_series`` id and records its ground truth.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from budgetlm.ledger.synth import calendar
from budgetlm.ledger.synth.book import Book
from budgetlm.ledger.synth.household import SynthSeries
from budgetlm.ledger.synth.merchants import Merchant
from budgetlm.ledger.synth.schedule import Schedule, due_dates

AmountRule = Callable[[date], float]
"""Positive amount due on a nominal date, in the household's currency."""

Method = Literal["ach", "card", "person", "check"]
"""How a series is paid: ACH, card charge, person-to-person (Zelle), paper check."""


@dataclass(frozen=True)
class Bill:
    """One recurring series."""

    key: str
    """Short name, unique in the household (``rent``, ``sub-2``); prefixes the series id."""
    merchant: Merchant
    """Payee (or payer, for income)."""
    schedule: Schedule
    """Due-date rule."""
    method: Method
    """How it is paid."""
    role: str
    """Account role it posts to (``checking``, ``card``)."""
    amount: AmountRule
    """Amount per nominal due date."""
    inflow: bool = False
    """Income rather than a payment."""
    jitter: int = 0
    """Days a payment may drift after the due date (manual payments, checks clearing)."""
    variable: bool = False
    """Amounts vary by design (utilities, hourly pay)."""
    active: tuple[date, date] | None = None
    """Only due dates in this window (a subscription started or cancelled mid-way)."""
    spikes: frozenset[date] = field(default_factory=frozenset)
    """Nominal dates whose amount is an injected anomaly (bill shock)."""
    spike_factor: float = 3.0
    """Multiplier of a spiked amount."""


def fixed_steps(steps: list[tuple[date, float]]) -> AmountRule:
    """Fixed amounts changing at dates: ``[(date.min, 15.49), (date(2026, 3, 1), 17.99)]``."""
    ordered = sorted(steps)

    def amount(day: date) -> float:
        value = ordered[0][1]
        for since, step in ordered:
            if day >= since:
                value = step
        return value

    return amount


def price_steps(
    rng: random.Random,
    base: float,
    start: date,
    end: date,
    chance: float,
    rise: tuple[float, float],
    psych: bool = False,
) -> AmountRule:
    """A fixed price that, with probability ``chance``, rises once somewhere in [start, end]."""
    steps = [(date.min, base)]
    if rng.random() < chance:
        months = calendar.months_between(calendar.add_months(start, 1), end)
        if months:
            new = base + rng.uniform(*rise)
            new = float(int(new)) + 0.99 if psych else round(new, 0 if base >= 100 else 2)
            steps.append((rng.choice(months), new))
    return fixed_steps(steps)


def seasonal(rng: random.Random, base: float, factors: tuple[float, ...], cv: float) -> AmountRule:
    """Usage-billed amounts: ``base`` times last month's seasonal factor, with noise."""

    def amount(day: date) -> float:
        return base * factors[(day.month - 2) % 12] * rng.lognormvariate(-cv * cv / 2, cv)

    return amount


def noisy(rng: random.Random, base: float, cv: float) -> AmountRule:
    """``base`` with lognormal noise of coefficient ``cv`` (mean stays ``base``)."""
    return lambda _day: base * rng.lognormvariate(-cv * cv / 2, cv)


def post_series(book: Book, bill: Bill, rng: random.Random) -> int:
    """Write every payment of ``bill`` in the book's period; returns how many were posted."""
    home = book.home
    series_id = f"{bill.key}:{bill.merchant.id}"
    count = 0
    for nominal, posted in due_dates(bill.schedule, home.start, home.end, home.country):
        if bill.active and not bill.active[0] <= nominal <= bill.active[1]:
            continue
        if bill.jitter:
            drift = timedelta(days=rng.randint(0, bill.jitter))
            posted = calendar.shift(
                posted + drift, "next" if bill.method != "card" else "none", home.country
            )
            if posted > home.end:
                continue
        value = bill.amount(nominal)
        spiked = nominal in bill.spikes
        value = value * bill.spike_factor if spiked else value
        amount = book.money(value if bill.inflow else -value)
        if amount == 0:
            continue
        _pay(book, bill, posted, amount, series_id, spiked, rng)
        count += 1
    if count:
        book.add_series(
            SynthSeries(
                id=series_id,
                merchant_id=bill.merchant.id,
                category=bill.merchant.category,
                account=home.accounts[bill.role].name,
                cadence=bill.schedule.cadence,
                shift=bill.schedule.shift,
                rule=bill.schedule.describe(),
                jitter_days=bill.jitter + (7 if bill.method == "check" else 0),
                variable_amount=bill.variable,
            )
        )
    return count


def _pay(
    book: Book,
    bill: Bill,
    posted: date,
    amount: Decimal,
    series_id: str,
    spiked: bool,
    rng: random.Random,
) -> None:
    if bill.method == "ach":
        book.ach(bill.role, posted, amount, bill.merchant, series=series_id, anomaly=spiked)
    elif bill.method == "card":
        book.purchase(bill.role, posted, amount, bill.merchant, series=series_id, anomaly=spiked)
    elif bill.method == "person":
        book.person(bill.role, posted, amount, bill.merchant, series=series_id)
    else:  # a check is written on the due date and clears a few business days later
        clears = calendar.next_business_day(
            posted + timedelta(days=rng.randint(2, 6)), book.home.country
        )
        if clears <= book.home.end:
            book.person(
                bill.role,
                clears,
                amount,
                bill.merchant,
                series=series_id,
                by_check=True,
                written=posted,
            )
