"""A simulated person's fixed money facts, derived once from a short synthetic history.

``person_profile(persona_seed)`` samples ``random_persona(persona_seed)``, generates
``history_months`` of that household's ledger (``ledger.synth``) and turns it into monthly
aggregates: net income and how much it varies, housing, other essentials, discretionary spending
per "want" category, non-mortgage debts with their terms, checking and savings balances, and the
household's first unfunded savings goal. The simulator then steps these aggregates month by
month; it never generates transactions itself. Profiles are cached per process (a six-month
history takes about 35 ms to generate; a simulated month a few microseconds).

Money here is ``float`` in the household's currency, not ``Decimal``: the profile feeds a
simulator whose figures are draws from a model, not amounts anyone owes. Ledger figures stay
``Decimal``; they are converted once, here.

Category conventions follow the default taxonomy's groups (``ledger/taxonomy.yaml``):

* housing: ``Rent`` and ``Mortgage`` (the whole mortgage payment; the mortgage is housing, not one
  of the debts the coach helps pay down);
* essentials: every other ``need`` category except debt service (``Car Payment``; ``Loan
  Payments`` is in the ``savings`` group anyway), which the simulator pays from the debts'
  minimum-payment rules, and ``Fees & Charges``, whose card interest the simulator computes;
* discretionary: every ``want`` category (``WANT_CATEGORIES``), kept apart so that a nudge can
  target one.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache

from budgetlm.ledger.synth import Household, Persona, generate_household, random_persona
from budgetlm.ledger.taxonomy import default_categories

HOUSING_CATEGORIES = ("Rent", "Mortgage")
"""Housing payments."""
NOT_ESSENTIALS = ("Car Payment", "Fees & Charges")
"""``need`` categories the simulator models itself (loan payments, card interest)."""
UNNUDGEABLE = ("Cash & ATM",)
"""Discretionary categories a nudge never targets (cash says nothing about what it buys)."""
DEFAULT_CARD = (0.2424, 0.02, 35.0)
"""APR, minimum-payment share and floor of the card a person without one borrows on."""
FALLBACK_GOAL_MONTHS = 24
"""Deadline of the goal made up for a household whose goals are all funded."""


@cache
def _groups() -> dict[str, str]:
    return {c.name: c.group for c in default_categories()}


def want_categories() -> tuple[str, ...]:
    """The taxonomy's discretionary (``want``) categories, in taxonomy order."""
    return tuple(name for name, group in _groups().items() if group == "want")


@dataclass(frozen=True, slots=True)
class DebtTerms:
    """One non-mortgage debt at the start of the simulation."""

    name: str
    """Debt name from the ledger (``Credit Card``, ``Car Loan``, ``Student Loan``)."""
    balance: float
    """Owed at the start."""
    apr: float
    """Annual rate as a fraction; interest accrues monthly at ``apr / 12``."""
    min_percent: float
    """Share of the balance due each month (0 for installment loans)."""
    min_floor: float
    """Smallest payment (an installment loan's fixed payment)."""
    revolving: bool
    """A credit card: shortfalls are borrowed on it and extra payments go to it."""

    def minimum(self, balance: float) -> float:
        """``max(floor, percent x balance)``, or the whole balance when smaller (as ``health``)."""
        if balance <= 0:
            return 0.0
        return min(balance, max(self.min_floor, self.min_percent * balance))


@dataclass(frozen=True, slots=True)
class PersonProfile:
    """Monthly money facts of one simulated person (floats, household currency)."""

    persona_seed: int
    """Seed of ``random_persona`` and of the history; identifies the person."""
    persona: Persona
    """The sampled persona (habits inform the hidden traits)."""
    income: float
    """Usual monthly net income (the persona's streams; bonuses and refunds left out)."""
    income_cv: float
    """Coefficient of variation of monthly income in the history, clipped to [0.02, 0.4]."""
    housing: float
    """Monthly rent or mortgage payment."""
    essentials: float
    """Other monthly needs: groceries, utilities, insurance, transport, childcare, ..."""
    wants: tuple[float, ...]
    """Usual monthly spend per ``want_categories()`` entry."""
    debts: tuple[DebtTerms, ...]
    """Non-mortgage debts; exactly one is ``revolving`` (balance 0 when the card is paid in full
    or the person has no card)."""
    checking: float
    """Checking balance at the end of the history (at least 0)."""
    savings: float
    """Savings balance at the end of the history (at least 0)."""
    goal_name: str
    """Name of the savings goal the person works towards."""
    goal_target: float
    """Amount the goal needs."""
    goal_funded: float
    """Amount already put towards the goal."""
    goal_months: int
    """Months until the goal's date (at least 1)."""

    @property
    def total_wants(self) -> float:
        """Usual monthly discretionary spending."""
        return sum(self.wants)

    @property
    def needs(self) -> float:
        """Usual monthly housing plus essentials."""
        return self.housing + self.essentials

    @property
    def minimum_payments(self) -> float:
        """Monthly minimum payments of the starting debts."""
        return sum(d.minimum(d.balance) for d in self.debts)

    @property
    def surplus(self) -> float:
        """Usual income left after needs, wants and minimum payments (may be negative)."""
        return self.income - self.needs - self.total_wants - self.minimum_payments


@lru_cache(maxsize=8192)
def person_profile(persona_seed: int, history_months: int = 6) -> PersonProfile:
    """The profile of person ``persona_seed`` (cached; pure and deterministic).

    Args:
        persona_seed: Seed of ``random_persona`` and of the generated history.
        history_months: Months of history the aggregates are averaged over.
    """
    persona = random_persona(persona_seed)
    household = generate_household(persona, months=history_months, seed=persona_seed)
    return profile_from_household(household, persona_seed)


def profile_from_household(household: Household, persona_seed: int) -> PersonProfile:
    """Monthly aggregates of a generated household (see the module docstring)."""
    groups = _groups()
    months = _month_count(household.start, household.end)
    by_category: dict[str, float] = defaultdict(float)
    income_by_month: dict[tuple[int, int], float] = defaultdict(float)
    for t in household.transactions:
        by_category[t.category] -= float(t.amount) / months
        if groups.get(t.category) == "income":
            income_by_month[(t.date.year, t.date.month)] += float(t.amount)
    essentials = sum(
        value
        for category, value in by_category.items()
        if groups.get(category) == "need" and category not in HOUSING_CATEGORIES + NOT_ESSENTIALS
    )
    persona = household.persona
    incomes = list(income_by_month.values())
    cv = statistics.pstdev(incomes) / statistics.fmean(incomes) if len(incomes) > 1 else 0.0
    balances = _balances(household)
    target, funded, goal_months, goal_name = _goal(household, balances["savings"])
    return PersonProfile(
        persona_seed=persona_seed,
        persona=persona,
        income=float(persona.monthly_income),
        income_cv=min(0.4, max(0.02, cv)),
        housing=max(0.0, sum(by_category[c] for c in HOUSING_CATEGORIES)),
        essentials=max(0.0, essentials),
        wants=tuple(max(0.0, by_category[c]) for c in want_categories()),
        debts=_debts(household),
        checking=max(0.0, balances["checking"]),
        savings=max(0.0, balances["savings"]),
        goal_name=goal_name,
        goal_target=target,
        goal_funded=funded,
        goal_months=goal_months,
    )


def _month_count(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _balances(household: Household) -> dict[str, float]:
    out = {"checking": 0.0, "savings": 0.0}
    for account in household.accounts:
        if account.account_type in out:
            moves = sum(
                float(t.amount) for t in household.transactions if t.account == account.name
            )
            out[account.account_type] += float(account.opening_balance) + moves
    return out


def _debts(household: Household) -> tuple[DebtTerms, ...]:
    debts = [
        DebtTerms(
            name=d.name,
            balance=float(d.balance),
            apr=float(d.apr),
            min_percent=float(d.min_payment_percent),
            min_floor=float(d.min_payment_floor),
            revolving=d.account is not None,
        )
        for d in household.debts
        if d.name != "Mortgage"
    ]
    if not any(d.revolving for d in debts):
        apr, percent, floor = DEFAULT_CARD
        debts.insert(0, DebtTerms("Credit Card", 0.0, apr, percent, floor, revolving=True))
    return tuple(debts)


def _goal(household: Household, savings: float) -> tuple[float, float, int, str]:
    """Target, funded, months and name of the first goal not yet reached."""
    for goal in household.goals:
        if goal.current < goal.target:
            months = max(1, _month_count(household.end, goal.target_date) - 1)
            return float(goal.target), float(goal.current), months, goal.name
    # every goal met: the person aims to grow savings by half (at least a month's income)
    income = float(household.persona.monthly_income)
    target = max(1.5 * savings, savings + income)
    return target, savings, FALLBACK_GOAL_MONTHS, "Savings Boost"
