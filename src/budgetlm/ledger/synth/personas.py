"""Personas: who a synthetic household is, as frozen presets or sampled from distributions.

A persona fixes the traits (income, household, housing, debts, habits); the seed passed to the
generator fixes everything drawn from them (merchants, days, amounts, bank styles).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, fields, replace
from decimal import Decimal
from typing import Any, Literal

from budgetlm.ledger.synth.resources import load

IncomeKind = Literal["salary", "hourly", "gig", "pension", "social_security", "support"]
"""Where an income stream comes from."""

PayCadence = Literal["weekly", "biweekly", "semimonthly", "monthly", "irregular"]
"""How often an income stream pays."""

Housing = Literal["rent", "mortgage", "owned", "family"]
"""How the household is housed: renting, paying a mortgage, owning outright, living with family."""


@dataclass(frozen=True, slots=True)
class IncomeStream:
    """One source of income."""

    kind: IncomeKind
    """Salary, hourly wages, gig-platform payouts, pension, Social Security or family support."""
    cadence: PayCadence
    """Pay frequency (gig payouts are ``irregular``: weekly payouts plus instant cash-outs)."""
    monthly_net: Decimal
    """Average take-home pay a month, in the persona's currency."""


@dataclass(frozen=True, slots=True)
class Persona:
    """Traits of a household; habits are multipliers where 1.0 is typical and 0 means never."""

    key: str
    """Short name, e.g. ``young_renter``."""
    description: str
    """One line about who this is."""
    region: str
    """State code (``TX``) or ``ENG`` for England; picks cities, utilities and climate."""
    adults: int
    """Adults in the household."""
    kids: int
    """Children in the household."""
    incomes: tuple[IncomeStream, ...]
    """Income streams."""
    housing: Housing
    """Rent, mortgage, owned outright or living with family."""
    housing_payment: Decimal
    """Monthly rent or mortgage payment (0 when none)."""
    country: Literal["US", "GB"] = "US"
    """Country: sets bank-string conventions and bank holidays."""
    currency: str = "USD"
    """ISO 4217 currency of every account."""
    landlord: Literal["company", "person"] = "company"
    """Rent goes to a property manager by ACH, or to a person by Zelle or check."""
    cars: int = 1
    """Cars owned (drives fuel, maintenance and auto insurance)."""
    car_loan: Decimal = Decimal(0)
    """Car-loan balance at the start (0: none)."""
    student_loan: Decimal = Decimal(0)
    """Student-loan balance at the start (0: none)."""
    card_debt: Decimal = Decimal(0)
    """Credit-card balance carried (revolving) at the start; 0 means the card is paid in full."""
    card_paydown: float = -0.03
    """Monthly relative change of the carried card balance for revolvers (negative pays down)."""
    savings_rate: float = 0.08
    """Target share of net income not spent (negative: spends more than it earns)."""
    opening_savings: Decimal = Decimal(0)
    """Savings-account balance at the start (no savings account when this and the rate are 0)."""
    annual_bonus: float = 0.0
    """Bonus paid each March, as a fraction of one month's salary."""
    pets: int = 0
    """Pets (pet food, vet)."""
    subscriptions: int = 3
    """Streaming and software subscriptions."""
    childcare: Decimal = Decimal(0)
    """Monthly daycare tuition (0: none)."""
    tuition: Decimal = Decimal(0)
    """Tuition per term, paid in January and August (students)."""
    card_share: float = 0.5
    """Share of day-to-day purchases put on the credit card (0: no credit card)."""
    cash_share: float = 1.0
    """Cash-machine habit (withdrawals a month at 1.0)."""
    pays_by_check: bool = False
    """Writes paper checks for some bills."""
    dining_out: float = 1.0
    """Restaurants, takeout and delivery."""
    coffee: float = 1.0
    """Coffee shops."""
    bars: float = 1.0
    """Bars and liquor stores."""
    shopping: float = 1.0
    """General merchandise, clothing and electronics."""
    online_share: float = 0.3
    """Share of shopping done at online merchants."""
    impulse: float = 1.0
    """More, smaller unplanned purchases above 1.0."""
    entertainment: float = 1.0
    """Cinema, events, games."""
    personal_care: float = 1.0
    """Hair, nails, dry cleaning."""
    healthcare: float = 1.0
    """Out-of-pocket medical spending."""
    home: float = 1.0
    """Hardware, furniture, home services."""
    giving: float = 1.0
    """Gifts and donations."""
    travel: float = 1.0
    """Trips a year (about 1.2 at 1.0) and travel spending."""
    transit: float = 1.0
    """Transit, rideshare and parking (tripled when there is no car)."""
    education: float = 0.0
    """Books, classes and school costs."""
    fitness: float = 1.0
    """Gym membership at 1.0 or more, plus drop-in classes."""

    @property
    def name(self) -> str:
        """The persona's name; the same as ``key``."""
        return self.key

    @property
    def monthly_income(self) -> Decimal:
        """Average net income a month over all streams."""
        return sum((s.monthly_net for s in self.incomes), Decimal(0))

    @property
    def people(self) -> int:
        """Household size."""
        return self.adults + self.kids


def _persona(key: str, spec: dict[str, Any]) -> Persona:
    money = {f.name for f in fields(Persona) if f.type in ("Decimal", Decimal)}
    values: dict[str, Any] = {}
    for name, value in spec.items():
        if name == "incomes":
            value = tuple(
                IncomeStream(s["kind"], s["cadence"], Decimal(str(s["monthly_net"]))) for s in value
            )
        elif name in money:
            value = Decimal(str(value))
        values[name] = value
    return Persona(key=key, **values)


def _presets() -> dict[str, Persona]:
    return {key: _persona(key, spec) for key, spec in load("personas")["personas"].items()}


PERSONAS: dict[str, Persona] = _presets()
"""Named presets (``data/personas.yaml``): young_renter, family_mortgage, gig_worker, retiree,
student, high_earner_debt, single_parent, uk_renter."""

_US_REGIONS = (
    "CA",
    "TX",
    "NY",
    "FL",
    "IL",
    "OH",
    "GA",
    "WA",
    "AZ",
    "MA",
    "NC",
    "CO",
    "MN",
    "PA",
    "TN",
    "OR",
)


def _habit(rng: random.Random, spread: float = 0.35) -> float:
    return round(rng.lognormvariate(0.0, spread), 2)


def _money(value: float, step: int = 10) -> Decimal:
    return Decimal(round(value / step) * step)


def _incomes(rng: random.Random, adults: int, kids: int, retired: bool) -> tuple[IncomeStream, ...]:
    if retired:
        ss = _money(rng.uniform(1500, 2200) * adults)
        streams = [IncomeStream("social_security", "monthly", ss)]
        if rng.random() < 0.6:
            streams.append(IncomeStream("pension", "monthly", _money(rng.uniform(600, 2600))))
        return tuple(streams)
    out = []
    for n in range(adults):
        # median about 4,200 a month; a sole earner with children earns at least a living wage
        net = max(rng.lognormvariate(8.35, 0.38), 1200.0 if n else 1700.0 + 450.0 * kids)
        roll = rng.random()
        if roll < 0.1:
            out.append(IncomeStream("gig", "irregular", _money(net * 0.8)))
            continue
        cadence: PayCadence = rng.choices(
            ("biweekly", "semimonthly", "weekly", "monthly"), (0.46, 0.24, 0.18, 0.12)
        )[0]
        kind: IncomeKind = "hourly" if cadence == "weekly" or rng.random() < 0.3 else "salary"
        out.append(IncomeStream(kind, cadence, _money(net)))
    return tuple(out)


def random_persona(seed: int) -> Persona:
    """Sample a persona's traits from distributions, for many distinct households.

    Args:
        seed: Seed of the draw; the same seed gives the same persona.

    Returns:
        A US persona with key ``random_<seed>``.
    """
    rng = random.Random(f"persona:{seed}")
    retired = rng.random() < 0.12
    adults = 2 if rng.random() < 0.5 else 1
    kids = 0 if retired or rng.random() < 0.55 else rng.choice((1, 1, 2, 2, 3))
    incomes = _incomes(rng, adults, kids, retired)
    income = float(sum(s.monthly_net for s in incomes))
    housing: Housing = rng.choices(
        ("rent", "mortgage", "owned", "family"), (0.55, 0.33, 0.08, 0.04)
    )[0]
    if retired and housing == "rent" and rng.random() < 0.5:
        housing = "owned"
    share = {"rent": rng.uniform(0.25, 0.38), "mortgage": rng.uniform(0.2, 0.32)}.get(housing, 0.0)
    base = Persona(
        key=f"random_{seed}",
        description="Sampled household",
        region=rng.choice(_US_REGIONS),
        adults=adults,
        kids=kids,
        incomes=incomes,
        housing=housing,
        housing_payment=_money(income * share),
        cars=min(adults, rng.choice((0, 1, 1, 1, 2))),
    )
    return _affordable(_sample_finances(rng, base, income, retired), income)


def _affordable(p: Persona, income: float) -> Persona:
    """Scale loans and childcare down so fixed costs leave room to live (about 55% of income)."""
    loans = float(p.car_loan) / 48 + float(p.student_loan) / 110 + float(p.childcare)
    room = 0.55 * income - float(p.housing_payment) - 140 * p.cars - 250 * p.kids
    if loans <= max(room, 0.0):
        return p
    factor = max(room, 0.0) / loans
    return replace(
        p,
        car_loan=_money(float(p.car_loan) * factor, 100),
        student_loan=_money(float(p.student_loan) * factor, 100),
        childcare=_money(float(p.childcare) * factor),
    )


def _sample_finances(rng: random.Random, p: Persona, income: float, retired: bool) -> Persona:
    revolver = rng.random() < 0.35
    young = not retired and rng.random() < 0.4
    return replace(
        p,
        landlord="person" if p.housing == "rent" and rng.random() < 0.2 else "company",
        car_loan=_money(rng.uniform(6000, 30000), 100)
        if p.cars and rng.random() < 0.5
        else Decimal(0),
        student_loan=_money(rng.uniform(8000, 60000), 100) if young else Decimal(0),
        card_debt=_money(rng.uniform(800, 14000), 50) if revolver else Decimal(0),
        card_paydown=rng.uniform(-0.05, 0.015),
        savings_rate=max(-0.08, min(0.3, rng.gauss(0.08, 0.08))),
        opening_savings=_money(rng.lognormvariate(8.2, 1.2), 50),
        annual_bonus=rng.choice((0.0, 0.0, 0.0, 0.25, 0.5, 1.0)),
        pets=rng.choice((0, 0, 0, 1, 1, 2)),
        subscriptions=rng.randint(1, max(1, min(7, int(income / 1100)))),
        childcare=_money(rng.uniform(350, 1300)) if p.kids and rng.random() < 0.4 else Decimal(0),
        card_share=0.0 if rng.random() < 0.12 else round(rng.uniform(0.2, 0.9), 2),
        cash_share=_habit(rng, 0.6),
        pays_by_check=rng.random() < (0.5 if retired else 0.08),
        dining_out=_habit(rng),
        coffee=0.0 if rng.random() < 0.2 else _habit(rng, 0.5),
        bars=0.0 if rng.random() < 0.25 else _habit(rng, 0.5),
        shopping=_habit(rng),
        online_share=round(rng.uniform(0.1, 0.6), 2),
        impulse=_habit(rng, 0.25),
        entertainment=_habit(rng),
        personal_care=_habit(rng),
        healthcare=_habit(rng) * (1.8 if retired else 1.0),
        home=_habit(rng),
        giving=_habit(rng, 0.5),
        travel=_habit(rng, 0.5) * min(1.0, income / (3000 + 1200 * p.people)),
        transit=_habit(rng),
        education=0.6 * p.kids,
        fitness=0.0 if rng.random() < 0.4 else _habit(rng),
    )
