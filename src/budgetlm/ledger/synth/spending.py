"""Day-to-day spending: how much a household spends per category, and the purchases themselves.

``plan_spending`` turns the persona into a monthly spend, purchase frequency and typical ticket
per category (``data/spending.yaml``), scaling "want" categories so the persona's savings rate
comes out after its fixed bills. ``post_spending`` then walks the days: weekday and seasonal
patterns, payday splurges, Black Friday; a roster of regular merchants per category with some
exploration; card or debit; refunds; and injected anomalies.

Anomalies are separable by construction: ordinary amounts are capped near their 99th percentile
(``exp(2.3 sigma)`` times the merchant's typical ticket) while an injected unusual amount is at
least 4 times the typical ticket and above that cap.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import accumulate

from budgetlm.ledger.synth import calendar
from budgetlm.ledger.synth.book import Book
from budgetlm.ledger.synth.home import Home
from budgetlm.ledger.synth.merchants import Merchant
from budgetlm.ledger.synth.resources import load

ANOMALY_RATE = 0.012
"""Share of discretionary purchases turned into an unusually large one."""
DUPLICATE_RATE = 0.002
"""Share of purchases charged twice (the second is the anomaly)."""
Z_CAP = 2.3
"""Ordinary purchases stay below ``exp(Z_CAP * sigma)`` times the typical ticket."""


@dataclass(frozen=True, slots=True)
class Profile:
    """How one category is spent on (one entry of ``spending.yaml``)."""

    category: str
    kinds: tuple[str, ...]
    base: float
    elasticity: float
    scale: str
    need: bool
    habit: str | None
    freq: float
    ticket: tuple[float, float]
    sigma: float
    weekday: tuple[float, ...]
    season: tuple[float, ...]
    refund: float
    explore: float
    roster: tuple[int, int]
    online: bool
    rounding: str


def _normalized(values: list[float]) -> tuple[float, ...]:
    mean = sum(values) / len(values)
    return tuple(v / mean for v in values)


@cache
def profiles() -> tuple[Profile, ...]:
    """Spending profiles of every day-to-day category."""
    out = []
    for name, c in load("spending")["categories"].items():
        out.append(
            Profile(
                category=name,
                kinds=tuple(c["kinds"]),
                base=float(c["base"]),
                elasticity=float(c["elasticity"]),
                scale=c["scale"],
                need=bool(c.get("need", False)),
                habit=c.get("habit"),
                freq=float(c["freq"]),
                ticket=(c["ticket"][0], c["ticket"][1]),
                sigma=float(c["sigma"]),
                weekday=_normalized(c["weekday"]),
                season=_normalized(c["season"]),
                refund=float(c["refund"]),
                explore=float(c["explore"]),
                roster=(c["roster"][0], c["roster"][1]),
                online=bool(c.get("online", False)),
                rounding=c.get("round", "cents"),
            )
        )
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Plan:
    """A household's expected spending in one category."""

    profile: Profile
    """The category's profile."""
    monthly: float
    """Expected spend a month, in the household's currency."""
    freq: float
    """Purchases a month."""
    ticket: float
    """Mean purchase."""


def _size(home: Home, scale: str) -> float:
    p = home.persona
    return {
        "people": p.adults + 0.6 * p.kids,
        "adults": float(p.adults),
        "cars": float(p.cars),
        "pets": float(p.pets),
        "household": 1 + 0.3 * (p.people - 1),
    }[scale]


def _raw(home: Home, prof: Profile, income_usd: float) -> float:
    p = home.persona
    habit = float(getattr(p, prof.habit)) if prof.habit else 1.0
    value = prof.base * _size(home, prof.scale) * (income_usd / 5000) ** prof.elasticity * habit
    value *= home.cost ** (0.5 if prof.need else 0.25) * home.fx
    return float(value * boost(home, prof))


def boost(home: Home, prof: Profile) -> float:
    """Extra spend and frequency: transit without a car, driving for gig work, owning a home."""
    p = home.persona
    gig = any(s.kind == "gig" for s in p.incomes)
    boosts = {
        "Transportation": 3.0 if p.cars == 0 else 1.0,
        "Gas & Fuel": 2.5 if gig else 1.0,
        "Auto Maintenance": 1.6 if gig else 1.0,
        "Home": 1.8 if p.housing in ("mortgage", "owned") else 1.0,
    }
    return boosts.get(prof.category, 1.0)


def plan_spending(home: Home, committed_monthly: float) -> list[Plan]:
    """Monthly spend, frequency and ticket per category for ``home``.

    Args:
        home: The household.
        committed_monthly: Average monthly outflow already committed (bills, loans, trips, cash).
    """
    p = home.persona
    income = float(p.monthly_income)
    raw = {prof: _raw(home, prof, income / home.fx) for prof in profiles()}
    need = sum(v * _inflation(prof) for prof, v in raw.items() if prof.need)
    want = sum(v * _inflation(prof) for prof, v in raw.items() if not prof.need) or 1.0
    available = income * (1 - p.savings_rate) - committed_monthly
    # tight budgets squeeze wants first, then needs a little (cheaper stores, fewer trips)
    need_scale = min(1.0, max(0.75, (available - 0.5 * want) / need)) if need else 1.0
    k = min(2.5, max(0.3, (available - need * need_scale) / want))
    plans = []
    for prof, value in raw.items():
        if value <= 0:
            continue
        scale = need_scale if prof.need else k
        habit = float(getattr(p, prof.habit)) if prof.habit else 1.0
        impulse = p.impulse if prof.category in ("Shopping", "Clothing", "Electronics") else 1.0
        freq = (
            prof.freq
            * _size(home, prof.scale) ** 0.6
            * habit**0.5
            * scale**0.5
            * impulse
            * boost(home, prof)
        )
        monthly = value * scale
        lo, hi = prof.ticket[0] * home.fx, prof.ticket[1] * home.fx
        ticket = min(hi, max(lo, monthly / max(freq, 1e-6)))
        plans.append(Plan(prof, monthly, monthly / ticket, ticket))
    return plans


def _inflation(prof: Profile) -> float:
    """Expected spend over plan from injected anomalies and, for wants, payday splurges."""
    anomaly = ANOMALY_RATE * (max(4.0, math.exp(Z_CAP * prof.sigma) * 1.5) - 1)
    return 1 + anomaly + (0.0 if prof.need else 0.04)


class Roster:
    """The merchants a household uses in one category: regulars plus occasional new ones."""

    def __init__(self, home: Home, rng: random.Random, prof: Profile, online: bool | None) -> None:
        found, _ = home.pool(prof.kinds, True)
        if online is not None:
            found = tuple(m for m in found if (m.scope == "online") == online)
        self.pool = found
        self.cum = list(accumulate(m.popularity for m in found))
        self.explore = prof.explore
        self.members: list[Merchant] = []
        self.weights: list[float] = []
        for _ in range(rng.randint(*prof.roster) if found else 0):
            self._join(self._draw(rng), 1.0 / (len(self.members) + 1) ** 1.1)
        total = sum(self.weights) or 1.0
        # prices are relative to the household's usual places, so its plan holds whichever it uses
        self.level = (
            sum(w * m.price for w, m in zip(self.weights, self.members, strict=True)) / total or 1.0
        )

    def _draw(self, rng: random.Random) -> Merchant:
        return self.pool[bisect(self.cum, rng.random() * self.cum[-1])]

    def _join(self, merchant: Merchant, weight: float) -> None:
        if merchant not in self.members:
            self.members.append(merchant)
            self.weights.append(weight)

    def pick(self, rng: random.Random) -> Merchant | None:
        """The merchant of the next purchase, or None when the pool is empty."""
        if not self.pool:
            return None
        if not self.members or rng.random() < self.explore:
            merchant = self._draw(rng)
            if rng.random() < 0.3:
                self._join(merchant, 0.25)
            return merchant
        return rng.choices(self.members, self.weights)[0]


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (Knuth's method; ``lam`` is small here)."""
    limit, k, prod = math.exp(-lam), 0, rng.random()
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k


def special_day(day: date, category: str, country: str) -> float:
    """Multiplier for days like Black Friday, Cyber Monday and Valentine's Day."""
    if country == "US" and day.month == 11:
        black_friday = calendar.nth_weekday(day.year, 11, 3, 4) + timedelta(days=1)
        if day == black_friday and category in ("Shopping", "Clothing", "Electronics"):
            return 3.0
        if day == black_friday + timedelta(days=3) and category in ("Shopping", "Electronics"):
            return 2.0
    if day.month == 2 and day.day in (13, 14) and category in ("Dining Out", "Gifts & Donations"):
        return 2.0
    return 1.0


@dataclass
class Spender:
    """State of the daily spending walk for one household."""

    book: Book
    """Where purchases are posted."""
    rng: random.Random
    """Random stream of the walk."""
    paydays: frozenset[date]
    """Days earned income arrives."""
    away: dict[date, tuple[str, str]]
    """Days away on a trip, with the city and state printed."""
    rosters: dict[tuple[str, bool | None], Roster]
    """Regular merchants per (category, online?)."""
    usual: dict[str, float]
    """The usual order's price at coffee shops and fast-food places."""
    checking: float = 0.0
    """Running checking balance as the walk sees it (bills and income already posted)."""

    @property
    def broke(self) -> bool:
        """Checking is nearly empty: cut back on wants and lean on the card."""
        return self.checking < 150 * self.home.fx

    @property
    def home(self) -> Home:
        """The household."""
        return self.book.home

    def roster(self, prof: Profile) -> Roster:
        """The roster for the next purchase in ``prof``'s category (online or in store)."""
        online: bool | None = None
        if prof.online:
            online = self.rng.random() < self.home.persona.online_share
        key = (prof.category, online)
        if key not in self.rosters:
            self.rosters[key] = Roster(self.home, self.home.rng(f"roster:{key}"), prof, online)
        return self.rosters[key]


def _flows(book: Book) -> dict[date, float]:
    name = book.home.accounts["checking"].name
    flows: dict[date, float] = {}
    for t in book.transactions:
        if t.account == name:
            flows[t.date] = flows.get(t.date, 0.0) + float(t.amount)
    return flows


_AT_HOME = frozenset({"Groceries", "Coffee Shops", "Home", "Personal Care", "Gas & Fuel"})
"""Categories mostly paused while the household is away on a trip."""


def _rate(spender: Spender, plan: Plan, day: date, mood: float) -> float:
    """Expected purchases in ``plan``'s category on ``day``."""
    prof = plan.profile
    lam = plan.freq * 12 / 365 * prof.weekday[day.weekday()] * prof.season[day.month - 1]
    lam *= special_day(day, prof.category, spender.home.country)
    if prof.need:
        lam *= 0.8 if spender.broke else 1.0
    else:
        lam *= mood
    return lam * 0.15 if day in spender.away and prof.category in _AT_HOME else lam


def post_spending(
    book: Book,
    rng: random.Random,
    plans: list[Plan],
    paydays: list[date],
    away: dict[date, tuple[str, str]],
    opening: float,
) -> None:
    """Post every day-to-day purchase of the household's period.

    The walk follows the checking balance from ``opening`` through the income and bills already
    posted; when it runs low the household cuts back on wants and leans on its card. Wants rise
    by a fifth on payday and the two days after.
    """
    spender = Spender(book, rng, frozenset(paydays), away, {}, {}, opening)
    home, flows = book.home, _flows(book)
    day = home.start
    while day <= home.end:
        spender.checking += flows.get(day, 0.0)
        payday = any(day - timedelta(days=i) in spender.paydays for i in range(3))
        mood = 0.25 if spender.broke else (1.2 if payday else 1.0)
        for plan in plans:
            for _ in range(poisson(rng, _rate(spender, plan, day, mood))):
                buy(spender, plan, day)
        day += timedelta(days=1)


def _amount(spender: Spender, plan: Plan, merchant: Merchant, level: float) -> tuple[float, bool]:
    """A purchase amount at ``merchant`` and whether it is an injected anomaly."""
    rng, sigma = spender.rng, plan.profile.sigma
    typical = plan.ticket * merchant.price / level
    if rng.random() < ANOMALY_RATE:
        return typical * max(4.0, math.exp(Z_CAP * sigma) * rng.uniform(1.2, 1.8)), True
    if merchant.kind in ("coffee", "fast_food") and rng.random() < 0.5:
        # regulars order the same thing: the same price again and again
        return spender.usual.setdefault(
            merchant.id, typical * rng.lognormvariate(-0.02, 0.2)
        ), False
    z = min(Z_CAP, max(-2.5, rng.gauss(0.0, 1.0)))
    value = typical * math.exp(sigma * z - sigma * sigma / 2)
    if merchant.kind == "charity":
        value = max(5.0, round(value / 5) * 5)
    elif plan.profile.rounding == "whole" or merchant.kind == "transport":
        value = max(
            1.0,
            round(value * (4 if merchant.kind == "transport" else 1))
            / (4 if merchant.kind == "transport" else 1),
        )
    return value, False


def _role(spender: Spender, merchant: Merchant) -> str:
    home = spender.home
    if "card" not in home.accounts:
        return "checking"
    share = home.persona.card_share + (0.2 if merchant.scope == "online" else 0.0)
    share = max(share, 0.8) if spender.broke else share
    return "card" if spender.rng.random() < share else "checking"


def buy(spender: Spender, plan: Plan, day: date) -> None:
    """One purchase in ``plan``'s category on ``day``, with a possible duplicate and refund."""
    rng, book = spender.rng, spender.book
    roster = spender.roster(plan.profile)
    merchant = roster.pick(rng)
    if merchant is None:
        return
    value, anomaly = _amount(spender, plan, merchant, roster.level)
    role = _role(spender, merchant)
    amount = book.money(-value)
    away = spender.away.get(day) if merchant.scope != "online" else None
    tx = book.purchase(role, day, amount, merchant, anomaly=anomaly, away=away)
    if tx is None:
        return
    if role == "checking":
        spender.checking += float(amount)
    if rng.random() < DUPLICATE_RATE:
        book.purchase(role, day, amount, merchant, anomaly=True, away=away, posted=tx.date)
    if rng.random() < plan.profile.refund:
        back = -amount if rng.random() < 0.7 else book.money(-float(amount) * rng.uniform(0.2, 0.8))
        book.purchase(
            role, day + timedelta(days=rng.randint(2, 30)), back, merchant, refund=True, away=away
        )
