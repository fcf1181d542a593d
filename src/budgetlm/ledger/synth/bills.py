"""Recurring outflows: housing, utilities, phone and internet, insurance, subscriptions,
memberships, childcare, tuition, taxes and loan payments.

Card-billed series post on their day even at weekends (day 29-31 clamps to short months); ACH
series use days 1-25 and move to the next business day.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date

from budgetlm.ledger.synth import calendar
from budgetlm.ledger.synth.home import Home
from budgetlm.ledger.synth.household import Cadence, ShiftRule
from budgetlm.ledger.synth.schedule import Schedule
from budgetlm.ledger.synth.series import (
    AmountRule,
    Bill,
    Method,
    fixed_steps,
    price_steps,
    seasonal,
)

_CLIMATE = {
    "hot": (0.8, 0.75, 0.8, 0.9, 1.1, 1.45, 1.75, 1.8, 1.4, 1.0, 0.8, 0.85),
    "cold": (1.25, 1.2, 1.05, 0.9, 0.85, 0.95, 1.1, 1.1, 0.9, 0.85, 1.0, 1.25),
    "mild": (1.1, 1.05, 0.95, 0.9, 0.9, 1.0, 1.1, 1.1, 1.0, 0.9, 0.95, 1.1),
}
_HEATING = (2.2, 2.0, 1.6, 1.1, 0.6, 0.4, 0.35, 0.35, 0.45, 0.8, 1.4, 2.0)
STREAMING_PRICES = (6.99, 7.99, 9.99, 10.99, 11.99, 13.99, 15.49, 17.99, 22.99)
SOFTWARE_PRICES = (0.99, 2.99, 4.99, 9.99, 11.99, 14.99)


@dataclass(frozen=True, slots=True)
class Loan:
    """An installment loan whose payments are a series in the ledger."""

    name: str
    """Debt name (``Car Loan``)."""
    series_id: str
    """Series of its payments."""
    apr: float
    """Annual rate."""
    opening: float
    """Balance before the first generated day."""
    payment: float
    """Principal-and-interest part of each payment."""


def amortized_payment(balance: float, apr: float, months: int) -> float:
    """Level monthly payment repaying ``balance`` over ``months`` at ``apr``."""
    rate = apr / 12
    return balance * rate / (1 - (1 + rate) ** -months)


def card_role(home: Home) -> str:
    """Account role that card-billed series use: the credit card, else the debit card."""
    return "card" if "card" in home.accounts else "checking"


def pay_method(
    home: Home, rng: random.Random, card_chance: float, check_chance: float = 0.5
) -> Method:
    """How a bill is paid: by check for check writers, else by card or ACH."""
    if home.persona.pays_by_check and home.country == "US" and rng.random() < check_chance:
        return "check"
    return "card" if rng.random() < card_chance else "ach"


def make_bill(
    home: Home,
    rng: random.Random,
    key: str,
    kinds: tuple[str, ...],
    amount: AmountRule,
    *,
    method: Method = "ach",
    cadence: Cadence = "monthly",
    months: tuple[int, ...] = (),
    variable: bool = False,
) -> Bill:
    """A series to a merchant of ``kinds``: card bills on any day 1-31, ACH bills on days 1-25."""
    merchant = home.pick(rng, kinds)
    card = method == "card"
    day = rng.randint(1, 31) if card else rng.randint(1, 25)
    anchor = home.start.replace(month=rng.randint(1, 12)) if cadence != "monthly" else None
    shift: ShiftRule = "none" if card else "next"
    schedule = Schedule(cadence, shift, day=day, anchor=anchor, months=months)
    role = card_role(home) if card else "checking"
    return Bill(key, merchant, schedule, method, role, amount, variable=variable)


def _rent(home: Home, rng: random.Random) -> Bill:
    p = home.persona
    payment = float(p.housing_payment)
    renewal = price_steps(rng, payment, home.start, home.end, 0.6, (payment * 0.02, payment * 0.06))
    monthly = Schedule("monthly", "next", day=1)
    if p.landlord == "person":
        method: Method = "check" if p.pays_by_check else "person"
        landlord = home.pick(rng, ("landlord",))
        return Bill("rent", landlord, monthly, method, "checking", renewal, jitter=2)
    manager = home.pick(rng, ("property_manager",))
    return Bill("rent", manager, monthly, pay_method(home, rng, 0.0), "checking", renewal)


def _mortgage(home: Home, rng: random.Random, loans: list[Loan]) -> Bill:
    payment = float(home.persona.housing_payment)
    lender = home.pick(rng, ("lender",))
    principal_interest, apr = round(payment * 0.72, 2), round(rng.uniform(0.03, 0.07), 4)
    months = rng.randint(200, 330)
    opening = principal_interest * (1 - (1 + apr / 12) ** -months) / (apr / 12)
    rise = (-payment * 0.02, payment * 0.04)  # yearly escrow analysis
    escrow = price_steps(rng, payment * 0.28, home.start, home.end, 0.7, rise)
    loans.append(Loan("Mortgage", f"mortgage:{lender.id}", apr, opening, principal_interest))
    schedule = Schedule("monthly", "next", day=1)
    amount: AmountRule = lambda d: principal_interest + escrow(d)  # noqa: E731
    return Bill("mortgage", lender, schedule, "ach", "checking", amount)


def _owned(home: Home, rng: random.Random) -> list[Bill]:
    tax = fixed_steps([(date.min, round(rng.uniform(1100, 3000) * home.cost * home.fx, 2))])
    premium = fixed_steps([(date.min, round(rng.uniform(1300, 2600) * home.fx, 2))])
    tax_method, premium_method = pay_method(home, rng, 0.0, 0.9), pay_method(home, rng, 0.2)
    return [
        make_bill(home, rng, "property-tax", ("county_tax",), tax, method=tax_method,
                  cadence="semiannual", months=(4, 10)),
        make_bill(home, rng, "home-insurance", ("insurance",), premium, method=premium_method,
                  cadence="annual"),
    ]  # fmt: skip


def _housing(home: Home, rng: random.Random, loans: list[Loan]) -> list[Bill]:
    housing = home.persona.housing
    if housing == "rent":
        return [_rent(home, rng)]
    if housing == "mortgage":
        return [_mortgage(home, rng, loans)]
    return _owned(home, rng) if housing == "owned" else []


def _gb_utilities(home: Home, rng: random.Random, scale: float) -> list[Bill]:
    # British households pay energy and water by fixed monthly direct debit, reviewed now and
    # then, and council tax in ten instalments from April to January.
    energy = price_steps(rng, 95 * scale, home.start, home.end, 0.5, (-15, 25))
    water = fixed_steps([(date.min, round(rng.uniform(28, 45) * scale, 2))])
    council = fixed_steps([(date.min, round(rng.uniform(120, 190), 2))])
    return [
        make_bill(home, rng, "energy", ("electric",), energy),
        make_bill(home, rng, "water", ("water",), water),
        make_bill(home, rng, "council-tax", ("county_tax",), council,
                  months=(4, 5, 6, 7, 8, 9, 10, 11, 12, 1)),
    ]  # fmt: skip


def _utilities(home: Home, rng: random.Random, loans: list[Loan]) -> list[Bill]:
    p = home.persona
    if p.housing == "family":
        return []
    house = p.housing in ("mortgage", "owned")
    scale = (1 + 0.35 * (p.people - 1)) * (1.3 if house else 1.0) * home.cost**0.3 * home.fx
    if home.country == "GB":
        return _gb_utilities(home, rng, scale)
    usage = seasonal(rng, 75 * scale, _CLIMATE[home.climate], 0.08)
    electric = make_bill(home, rng, "electric", ("electric",), usage,
                         method=pay_method(home, rng, 0.1), variable=True)  # fmt: skip
    if rng.random() < 0.35:  # one bill-shock month, labelled as an anomaly
        electric = _spiked(electric, rng.choice(calendar.months_between(home.start, home.end)), rng)
    bills = [electric]
    if home.climate == "cold" or house:
        factors = _HEATING if home.climate == "cold" else tuple(0.5 + f / 2 for f in _HEATING)
        heating = seasonal(rng, 45 * scale, factors, 0.1)
        bills.append(make_bill(home, rng, "gas-utility", ("gas_utility",), heating,
                               method=pay_method(home, rng, 0.0), variable=True))  # fmt: skip
    if house:
        water = seasonal(
            rng, 60 * scale, _CLIMATE["hot" if home.climate == "hot" else "mild"], 0.12
        )
        method = pay_method(home, rng, 0.0)
        bills.append(make_bill(home, rng, "water", ("water",), water, method=method,
                               cadence="bimonthly", variable=True))  # fmt: skip
    return bills


def _spiked(bill: Bill, month: date, rng: random.Random) -> Bill:
    nominal = calendar.clamp(month.year, month.month, bill.schedule.day)
    return replace(bill, spikes=frozenset({nominal}), spike_factor=rng.uniform(2.4, 3.6))


def _telecom(home: Home, rng: random.Random, loans: list[Loan]) -> list[Bill]:
    p = home.persona
    fx = home.fx
    internet = rng.choice((55.0, 60.0, 65.0, 70.0, 79.99, 89.99)) * fx
    phone = (rng.choice((35.0, 40.0, 45.0, 55.0, 65.0)) * p.adults + 15 * min(p.kids, 2)) * fx
    bills = [
        make_bill(
            home,
            rng,
            "phone",
            ("telecom",),
            price_steps(rng, phone, home.start, home.end, 0.25, (5, 10)),
            method=pay_method(home, rng, 0.45),
        ),
    ]
    if p.housing != "family" or rng.random() < 0.3:
        rule = price_steps(rng, internet, home.start, home.end, 0.4, (10, 20))
        bills.append(
            make_bill(home, rng, "internet", ("telecom",), rule, method=pay_method(home, rng, 0.4))
        )
    return bills


BILLS = (_housing, _utilities, _telecom)
"""Builders of the series in this module, in posting order."""
