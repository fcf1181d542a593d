"""More recurring outflows: insurance, subscriptions, memberships, childcare, tuition, taxes and
installment loans (car, student)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

from budgetlm.ledger.synth import calendar
from budgetlm.ledger.synth.bills import (
    SOFTWARE_PRICES,
    STREAMING_PRICES,
    Loan,
    amortized_payment,
    make_bill,
    pay_method,
)
from budgetlm.ledger.synth.home import Home
from budgetlm.ledger.synth.schedule import Schedule
from budgetlm.ledger.synth.series import Bill, fixed_steps, noisy, price_steps


def _insurance(home: Home, rng: random.Random, loans: list[Loan]) -> list[Bill]:
    p, fx = home.persona, home.fx
    bills = []
    if p.cars:
        auto = rng.uniform(85, 150) * p.cars * home.cost**0.5 * fx
        rule = price_steps(
            rng, round(auto, 2), home.start, home.end, 0.35, (auto * 0.04, auto * 0.15)
        )
        bills.append(
            make_bill(
                home, rng, "auto-insurance", ("insurance",), rule, method=pay_method(home, rng, 0.3)
            )
        )
    if p.housing == "rent" and rng.random() < 0.6:
        premium = fixed_steps([(date.min, round(rng.uniform(130, 260) * fx, 2))])
        bills.append(
            make_bill(
                home,
                rng,
                "renters-insurance",
                ("insurance",),
                premium,
                method=pay_method(home, rng, 0.5),
                cadence="annual",
            )
        )
    if p.kids and rng.random() < 0.6:
        life = fixed_steps([(date.min, round(rng.uniform(25, 70) * fx, 2))])
        bills.append(make_bill(home, rng, "life-insurance", ("insurance",), life))
    if any(s.kind == "social_security" for s in p.incomes):
        supplement = fixed_steps([(date.min, round(rng.uniform(140, 260) * p.adults, 2))])
        bills.append(
            make_bill(
                home, rng, "medigap", ("insurance",), supplement, method=pay_method(home, rng, 0.0)
            )
        )
    return bills


def _window(home: Home, rng: random.Random) -> tuple[date, date] | None:
    months = calendar.months_between(
        calendar.add_months(home.start, 2), calendar.add_months(home.end, -2)
    )
    roll = rng.random()
    if not months or roll > 0.3:
        return None
    cut = rng.choice(months)
    return (cut, date.max) if roll < 0.15 else (date.min, cut)


def _subscriptions(home: Home, rng: random.Random, loans: list[Loan]) -> list[Bill]:
    p = home.persona
    bills, seen = [], set()
    for n in range(p.subscriptions):
        software = rng.random() < 0.3
        bill = make_bill(
            home,
            rng,
            f"sub-{n}",
            ("software",) if software else ("streaming",),
            lambda _d: 0.0,
            method="card",
        )
        if bill.merchant.id in seen:
            continue
        seen.add(bill.merchant.id)
        price = rng.choice(SOFTWARE_PRICES if software else STREAMING_PRICES)
        rule = price_steps(rng, price, home.start, home.end, 0.3, (1.0, 3.0), psych=True)
        bills.append(replace(bill, amount=rule, active=_window(home, rng)))
    if rng.random() < 0.4:
        annual = make_bill(
            home,
            rng,
            "annual-sub",
            ("software",),
            fixed_steps([(date.min, rng.choice((29.99, 59.99, 99.0, 119.0)))]),
            method="card",
            cadence="annual",
        )
        bills.append(annual)
    return bills


def _fitness(home: Home, rng: random.Random, loans: list[Loan]) -> list[Bill]:
    if home.persona.fitness < 1.0:
        return []
    dues = round(rng.choice((24.99, 29.99, 39.99, 49.0, 59.0, 79.0)) * home.cost**0.5 * home.fx, 2)
    gym = make_bill(
        home,
        rng,
        "gym",
        ("fitness",),
        fixed_steps([(date.min, dues)]),
        method=pay_method(home, rng, 0.5),
    )
    anchor = home.start.replace(month=rng.randint(1, 12))
    fee = Bill(
        "gym-annual-fee",
        gym.merchant,
        replace(gym.schedule, cadence="annual", anchor=anchor),
        gym.method,
        gym.role,
        fixed_steps([(date.min, rng.choice((39.0, 49.0, 59.0)))]),
    )
    return [gym, fee]


def _family(home: Home, rng: random.Random, loans: list[Loan]) -> list[Bill]:
    p = home.persona
    bills = []
    if p.childcare:
        daycare = home.pick(rng, ("daycare",))
        rule = price_steps(rng, float(p.childcare), home.start, home.end, 0.4, (20, 60))
        bills.append(
            Bill("daycare", daycare, Schedule("monthly", "next", day=1), "ach", "checking", rule)
        )
    if p.tuition:
        school = home.pick(rng, ("education",))
        schedule = Schedule("semiannual", "next", day=rng.randint(5, 20), months=(1, 8))
        rule = fixed_steps([(date.min, float(p.tuition))])
        bills.append(Bill("tuition", school, schedule, "ach", "checking", rule))
    return bills


def _taxes(home: Home, rng: random.Random, loans: list[Loan]) -> list[Bill]:
    p, bills = home.persona, []
    gig = sum(float(s.monthly_net) for s in p.incomes if s.kind == "gig")
    if gig and home.country == "US":
        irs = home.pick(rng, ("tax_agency",))
        irs = next((m for m in home.pool(("tax_agency",), False)[0] if m.name == "IRS"), irs)
        schedule = Schedule("quarterly", "next", day=15, months=(1, 4, 6, 9))
        bills.append(
            Bill(
                "estimated-tax",
                irs,
                schedule,
                "ach",
                "checking",
                noisy(rng, gig * 0.3, 0.15),
                variable=True,
            )
        )
    if p.cars and home.country == "US":
        fee = fixed_steps([(date.min, round(rng.uniform(60, 220) * p.cars, 2))])
        bills.append(
            make_bill(
                home,
                rng,
                "registration",
                ("motor_vehicles",),
                fee,
                method=pay_method(home, rng, 0.6),
                cadence="annual",
            )
        )
    return bills


def _loans(home: Home, rng: random.Random, loans: list[Loan]) -> list[Bill]:
    p, bills = home.persona, []
    for name, balance, kinds, apr_range, term in (
        ("Car Loan", float(p.car_loan), ("auto_lender",), (0.049, 0.119), (350.0, 24, 72)),
        (
            "Student Loan",
            float(p.student_loan),
            ("loan_servicer",),
            (0.045, 0.075),
            (150.0, 60, 180),
        ),
    ):
        if balance <= 0:
            continue
        apr = round(rng.uniform(*apr_range), 4)
        per_month, shortest, longest = term
        months = min(longest, max(shortest, int(balance / per_month * rng.uniform(0.8, 1.2))))
        payment = round(amortized_payment(balance, apr, months), 2)
        bill = make_bill(
            home, rng, name.lower().replace(" ", "-"), kinds, fixed_steps([(date.min, payment)])
        )
        bills.append(bill)
        loans.append(Loan(name, f"{bill.key}:{bill.merchant.id}", apr, balance, payment))
    return bills


OBLIGATIONS = (_insurance, _subscriptions, _fitness, _family, _taxes, _loans)
"""Builders of the series in this module, in posting order."""
