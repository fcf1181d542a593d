"""Income: paychecks, gig payouts, pensions, Social Security, family support and one-offs.

Paychecks and Social Security move to the previous business day when due on a weekend or bank
holiday; pensions paid on the 1st and gig payouts move to the next one.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from budgetlm.ledger.synth import calendar
from budgetlm.ledger.synth.book import Book
from budgetlm.ledger.synth.home import Home
from budgetlm.ledger.synth.personas import IncomeStream
from budgetlm.ledger.synth.schedule import Schedule, due_dates
from budgetlm.ledger.synth.series import (
    AmountRule,
    Bill,
    fixed_steps,
    noisy,
    post_series,
    price_steps,
)

_PER_YEAR = {"weekly": 52, "biweekly": 26, "semimonthly": 24, "monthly": 12}


def _first_weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _paycheck(home: Home, rng: random.Random, stream: IncomeStream, n: int) -> Bill:
    employer = home.pick(rng, ("employer",))
    cadence = stream.cadence if stream.cadence in _PER_YEAR else "biweekly"
    if cadence in ("weekly", "biweekly"):
        anchor = _first_weekday(home.start, 4) + timedelta(days=7 * rng.randint(0, 1))
        schedule = Schedule(cadence, "previous", anchor=anchor)
    elif cadence == "semimonthly":
        schedule = Schedule("semimonthly", "previous")
    else:
        schedule = Schedule("monthly", "previous", day=31)
    each = float(stream.monthly_net) * 12 / _PER_YEAR[cadence]
    if stream.kind == "hourly":
        amount = noisy(rng, each, 0.08)
    else:
        raise_rule = price_steps(rng, each, home.start, home.end, 0.5, (each * 0.02, each * 0.05))
        amount = _with_deviations(rng, raise_rule)
    return Bill(
        f"pay-{n}",
        employer,
        schedule,
        "ach",
        "checking",
        amount,
        inflow=True,
        variable=stream.kind == "hourly",
    )


def _with_deviations(rng: random.Random, rule: AmountRule) -> AmountRule:
    """Salaried pay that now and then differs a little (overtime, benefit changes)."""

    def amount(day: date) -> float:
        return rule(day) * (rng.uniform(0.9, 1.12) if rng.random() < 0.08 else 1.0)

    return amount


def _benefit(home: Home, rng: random.Random, stream: IncomeStream, n: int) -> Bill:
    jan = [(date.min, float(stream.monthly_net))]
    for year in range(home.start.year + 1, home.end.year + 1):
        jan.append((date(year, 1, 1), jan[-1][1] * 1.025))
    if stream.kind == "social_security":
        payer = home.pick(rng, ("social_security",))
        schedule = Schedule("monthly", "previous", weekday=(2, rng.choice((2, 3, 4))))
        return Bill(f"ssa-{n}", payer, schedule, "ach", "checking", fixed_steps(jan), inflow=True)
    payer = home.pick(rng, ("pension",))
    schedule = Schedule("monthly", "next", day=1)
    return Bill(f"pension-{n}", payer, schedule, "ach", "checking", fixed_steps(jan), inflow=True)


def _gig(book: Book, rng: random.Random, stream: IncomeStream, n: int) -> list[date]:
    home = book.home
    monthly = float(stream.monthly_net)
    paydays: list[date] = []
    for share in (0.62, 0.38):
        platform = home.pick(rng, ("gig_platform",))
        anchor = _first_weekday(home.start, rng.choice((0, 1)))
        weekly = monthly * share * 0.85 * 12 / 52
        bill = Bill(
            f"gig-{n}-{platform.id}",
            platform,
            Schedule("weekly", "next", anchor=anchor),
            "ach",
            "checking",
            noisy(rng, weekly, 0.35),
            inflow=True,
            variable=True,
        )
        post_series(book, bill, rng)
        paydays += [p for _, p in due_dates(bill.schedule, home.start, home.end, home.country)]
        for month in calendar.months_between(home.start, home.end):
            for _ in range(rng.choice((0, 1, 1, 2, 3))):
                day = calendar.next_business_day(
                    month + timedelta(days=rng.randint(0, 27)), home.country
                )
                if day <= home.end:  # instant cash-outs: irregular, not part of the series
                    book.ach(
                        "checking",
                        day,
                        book.money(monthly * share * 0.15 / 1.4),
                        platform,
                        desc="INSTANT PAY",
                    )
    return paydays


def _support(book: Book, rng: random.Random, stream: IncomeStream, n: int) -> None:
    parent = book.home.pick(rng, ("family",))
    schedule = Schedule("monthly", "none", day=1)
    rule = noisy(rng, float(stream.monthly_net), 0.1)
    amount = lambda day: round(rule(day) / 25) * 25  # noqa: E731 - people send round sums
    post_series(
        book,
        Bill(
            f"support-{n}",
            parent,
            schedule,
            "person",
            "checking",
            amount,
            inflow=True,
            jitter=4,
            variable=True,
        ),
        rng,
    )


def _one_offs(book: Book, rng: random.Random, employers: list[Bill]) -> None:
    home, persona = book.home, book.home.persona
    for year in range(home.start.year, home.end.year + 1):
        if employers and persona.annual_bonus > 0:
            day = calendar.shift(date(year, 3, rng.randint(10, 20)), "previous", home.country)
            if home.start <= day <= home.end:
                value = (
                    float(persona.incomes[0].monthly_net)
                    * persona.annual_bonus
                    * rng.uniform(0.8, 1.2)
                )
                book.ach("checking", day, book.money(value), employers[0].merchant, desc="BONUS")
        if home.country == "US" and employers and rng.random() < 0.6:
            day = calendar.next_business_day(
                date(year, 2, 20) + timedelta(days=rng.randint(0, 55)), "US"
            )
            if home.start <= day <= home.end:
                refund = home.pick(rng, ("tax_refund",))
                book.ach("checking", day, book.money(rng.uniform(250, 2800) * home.fx), refund)


def post_income(book: Book, rng: random.Random) -> list[date]:
    """Post every income series and one-off; returns the sorted paydays of earned income."""
    home = book.home
    paydays: list[date] = []
    employers: list[Bill] = []
    for n, stream in enumerate(home.persona.incomes):
        if stream.kind in ("salary", "hourly"):
            bill = _paycheck(home, rng, stream, n)
            employers.append(bill)
            post_series(book, bill, rng)
            paydays += [p for _, p in due_dates(bill.schedule, home.start, home.end, home.country)]
        elif stream.kind == "gig":
            paydays += _gig(book, rng, stream, n)
        elif stream.kind == "support":
            _support(book, rng, stream, n)
        else:
            bill = _benefit(home, rng, stream, n)
            post_series(book, bill, rng)
            paydays += [p for _, p in due_dates(bill.schedule, home.start, home.end, home.country)]
    _one_offs(book, rng, employers)
    return sorted(set(paydays))
