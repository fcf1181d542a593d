"""Debt payoff: closed-form amortization and a month-by-month plan for several debts.

Conventions (one rounding rule everywhere)
    Rates are nominal APRs compounded monthly: a month's rate is ``apr / 12``. Each month the
    interest ``balance * apr / 12`` is rounded to cents, half up, and added to the balance;
    then the payments (whole cents) are taken off. A payment never exceeds what is owed, so the
    last payment of a debt is its remaining balance. As on a lender's schedule, a remainder of
    at most 0.5% of the month's payment (what rounding a level payment to cents leaves over the
    term) is added to that payment rather than costing one more month: 200,000 at 7.5% paying
    ``pmt`` = 1,854.02 clears in 180 months, the last payment 1,855.50. ``months_to_payoff``
    and ``payment_for`` are the textbook ``nper``/``pmt`` formulas on the same rates, and the
    plan's whole number of months for one level payment is the ``ceil`` of ``months_to_payoff``
    to two decimals (64.07 -> 65; 180.0008 shows as 180.00 -> 180).

The plan
    The household pays a fixed monthly budget: the minimum payments due at the start plus
    ``extra``. Every month each open debt gets its minimum (``max(floor, percent * statement
    balance)``, capped at the balance); whatever the budget leaves after the minimums goes to
    the strategy's target debt, then to the next once the target is cleared. A cleared debt's
    minimum stays in the budget, so freed payments roll over to the next target. Promotional
    rates apply to a month whose payment date is on or before ``promo_until``.

Strategies (the target order, re-evaluated every month)
    ``avalanche``: highest current rate first (a promo rate counts while it lasts), which pays
    the least interest. ``snowball``: smallest balance first, for early wins. ``hybrid``:
    avalanche, except that a debt which the money available to it (its minimum plus the free
    budget) clears within ``quick_win_months`` goes first, smallest first; it keeps most of
    avalanche's savings while taking the quick wins snowball is liked for.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, localcontext
from typing import TYPE_CHECKING, Literal

from budgetlm.money import cents

if TYPE_CHECKING:
    from budgetlm.ledger.repository import Ledger

Strategy = Literal["avalanche", "snowball", "hybrid"]
"""How extra money is aimed at the debts."""

STRATEGIES: tuple[Strategy, ...] = ("avalanche", "snowball", "hybrid")
"""Every strategy, in the order comparisons list them."""

_ZERO = Decimal(0)
_TWELVE = Decimal(12)
_FOLD_SHARE = Decimal("0.005")
"""A remainder up to this share of the month's payment is paid with it (see the docstring)."""


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the month's end (Jan 31 + 1 = Feb 28/29)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def months_to_payoff(balance: Decimal, apr: Decimal, payment: Decimal) -> Decimal | None:
    """Months to repay ``balance`` with a level ``payment`` (``nper``), to two decimals.

    Args:
        balance: Amount owed.
        apr: Annual rate as a fraction (0.07 = 7%), compounded monthly.
        payment: Paid at the end of every month.

    Returns:
        Fractional months, e.g. 64.07 for 8,000 at 7% paying 150; ``0`` when nothing is owed;
        None when the payment does not exceed the first month's interest (it never pays off).
        A payment larger than the balance gives less than one month: one payment clears it.
    """
    if balance <= 0:
        return _ZERO
    if payment <= 0:
        return None
    rate = apr / _TWELVE
    if rate == 0:
        return cents(balance / payment)
    if payment <= balance * rate:
        return None
    with localcontext() as ctx:
        ctx.prec = 34
        months = -(1 - rate * balance / payment).ln() / (1 + rate).ln()
    return cents(months)


def payment_for(balance: Decimal, apr: Decimal, months: int) -> Decimal:
    """Level monthly payment that repays ``balance`` in ``months`` (``pmt``), in cents.

    200,000 at 7.5% over 180 months needs 1,854.02. Rounded half up, so the last payment of a
    schedule may differ from it by a few cents.

    Raises:
        ValueError: ``months`` is not positive.
    """
    if months <= 0:
        raise ValueError("the number of months must be positive")
    if balance <= 0:
        return _ZERO
    rate = apr / _TWELVE
    if rate == 0:
        return cents(balance / months)
    with localcontext() as ctx:
        ctx.prec = 34
        payment = balance * rate / (1 - (1 + rate) ** -months)
    return cents(payment)


@dataclass(frozen=True)
class DebtTerms:
    """A debt as the planner reads it (the ledger's ``Debt`` row or a ``SynthDebt``)."""

    name: str
    """Debt name, unique within a plan."""
    balance: Decimal
    """Amount owed now (positive)."""
    apr: Decimal
    """Annual percentage rate as a fraction (0.2199 = 21.99%)."""
    min_payment_percent: Decimal = _ZERO
    """Minimum payment as a fraction of the statement balance (0 for fixed-payment loans)."""
    min_payment_floor: Decimal = _ZERO
    """The minimum payment is never below this (nor above the balance)."""
    promo_apr: Decimal | None = None
    """Promotional rate, if any."""
    promo_until: date | None = None
    """Last payment date at which the promotional rate applies."""

    def rate_on(self, day: date) -> Decimal:
        """The APR for the month whose payment falls on ``day``."""
        if self.promo_apr is not None and self.promo_until is not None and day <= self.promo_until:
            return self.promo_apr
        return self.apr

    def minimum(self, balance: Decimal) -> Decimal:
        """Minimum payment due on a statement ``balance``."""
        due = max(self.min_payment_floor, cents(self.min_payment_percent * balance))
        return min(balance, due)


def ledger_debts(ledger: Ledger) -> list[DebtTerms]:
    """The debts recorded in a ledger workspace, as the planner reads them."""
    return [
        DebtTerms(
            d.name,
            d.balance,
            d.apr,
            d.min_payment_percent,
            d.min_payment_floor,
            d.promo_apr,
            d.promo_until,
        )
        for d in ledger.debts()
    ]


@dataclass(frozen=True)
class PlanConfig:
    """Knobs of the payoff simulation."""

    max_months: int = 600
    """Stop after this many months (50 years); a debt still open then is reported unpaid."""
    quick_win_months: int = 3
    """``hybrid``: a debt that can be cleared within this many months goes first."""


@dataclass(frozen=True)
class DebtMonth:
    """One debt in one month of the plan."""

    name: str
    """Debt name."""
    payment: Decimal
    """Paid this month."""
    interest: Decimal
    """Interest charged this month."""
    principal: Decimal
    """Payment minus interest (negative when the payment did not cover the interest)."""
    balance: Decimal
    """Owed after this month's payment."""


@dataclass(frozen=True)
class PlanMonth:
    """One month of the plan, over the debts open at its start."""

    month: int
    """1 for the first payment."""
    date: date
    """Payment date."""
    debts: tuple[DebtMonth, ...]
    """Per debt, in the order the debts were given."""

    @property
    def payment(self) -> Decimal:
        """Total paid this month."""
        return sum((d.payment for d in self.debts), _ZERO)

    @property
    def interest(self) -> Decimal:
        """Total interest charged this month."""
        return sum((d.interest for d in self.debts), _ZERO)

    @property
    def balance(self) -> Decimal:
        """Total owed after this month."""
        return sum((d.balance for d in self.debts), _ZERO)


@dataclass(frozen=True)
class DebtPayoff:
    """How one debt ends under a plan."""

    name: str
    """Debt name."""
    months: int | None
    """Payments until it is cleared (0 if nothing was owed); None if never within the plan."""
    payoff_date: date | None
    """Date of its last payment; None if never."""
    total_interest: Decimal
    """Interest charged until it is cleared (or the plan ends)."""
    total_paid: Decimal
    """Everything paid on it."""


@dataclass(frozen=True)
class PayoffPlan:
    """A month-by-month payoff schedule for several debts."""

    strategy: Strategy
    """How extra money was aimed."""
    start: date
    """Plan start; the first payment is one month later."""
    extra: Decimal
    """Paid each month on top of the starting minimums."""
    monthly_budget: Decimal
    """Starting minimums plus ``extra``: what is paid each month until the debts are cleared."""
    months: tuple[PlanMonth, ...]
    """The schedule."""
    payoffs: tuple[DebtPayoff, ...]
    """Per debt, in the order given."""
    message: str | None = None
    """Plain words when the plan never clears every debt."""

    @property
    def paid_off(self) -> bool:
        """Whether every debt is cleared within the plan."""
        return all(p.months is not None for p in self.payoffs)

    @property
    def months_to_debt_free(self) -> int | None:
        """Months until the last debt is cleared; None if never."""
        return max((p.months or 0 for p in self.payoffs), default=0) if self.paid_off else None

    @property
    def debt_free_date(self) -> date | None:
        """Date of the last payment; None if never."""
        months = self.months_to_debt_free
        return None if months is None else add_months(self.start, months)

    @property
    def total_interest(self) -> Decimal:
        """Interest over the whole plan."""
        return sum((p.total_interest for p in self.payoffs), _ZERO)

    @property
    def total_paid(self) -> Decimal:
        """Everything paid over the whole plan."""
        return sum((p.total_paid for p in self.payoffs), _ZERO)


@dataclass(frozen=True)
class StrategyComparison:
    """The same debts and budget under every strategy."""

    plans: tuple[PayoffPlan, ...]
    """One plan per strategy, in ``STRATEGIES`` order."""
    best: Strategy | None = field(default=None)
    """Least total interest (fewer months on a tie); None when no plan clears the debts."""


def _validate(debts: tuple[DebtTerms, ...], strategy: str, extra: Decimal) -> None:
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if extra < 0:
        raise ValueError("the extra payment cannot be negative")
    names = [d.name for d in debts]
    if len(set(names)) != len(names):
        raise ValueError("debt names must be unique")
    if any(d.balance < 0 or d.apr < 0 for d in debts):
        raise ValueError("debt balances and APRs cannot be negative")


def _targets(
    strategy: Strategy,
    owed: dict[str, Decimal],
    rates: dict[str, Decimal],
    minimums: dict[str, Decimal],
    free: Decimal,
    config: PlanConfig,
) -> list[str]:
    """Open debts in the order the free budget goes to them this month."""
    by_rate = sorted(owed, key=lambda n: (-rates[n], owed[n]))
    if strategy == "avalanche":
        return by_rate
    by_balance = sorted(owed, key=lambda n: (owed[n], -rates[n]))
    if strategy == "snowball":
        return by_balance
    quick = [n for n in by_balance if owed[n] <= config.quick_win_months * (minimums[n] + free)]
    return quick + [n for n in by_rate if n not in quick]


def _pay_month(
    debts: tuple[DebtTerms, ...],
    owed: dict[str, Decimal],
    day: date,
    strategy: Strategy,
    budget: Decimal,
    config: PlanConfig,
) -> dict[str, tuple[Decimal, Decimal]]:
    """Charge a month's interest and pay it; returns ``name -> (interest, payment)``."""
    rates = {d.name: d.rate_on(day) for d in debts if d.name in owed}
    interest = {n: cents(owed[n] * rates[n] / _TWELVE) for n in owed}
    statement = {n: owed[n] + interest[n] for n in owed}
    terms = {d.name: d for d in debts}
    payment = {n: terms[n].minimum(statement[n]) for n in owed}
    free = max(_ZERO, budget - sum(payment.values(), _ZERO))
    for name in _targets(strategy, statement, rates, payment, free, config):
        more = min(free, statement[name] - payment[name])
        payment[name] += more
        free -= more
    for name in owed:
        left = statement[name] - payment[name]
        if 0 < left <= payment[name] * _FOLD_SHARE:
            payment[name] += left
    return {n: (interest[n], payment[n]) for n in owed}


def plan_payoff(
    debts: tuple[DebtTerms, ...] | list[DebtTerms],
    strategy: Strategy,
    extra: Decimal,
    start: date,
    config: PlanConfig | None = None,
) -> PayoffPlan:
    """Simulate paying the debts month by month under one strategy.

    Args:
        debts: The debts, with balances as of ``start``.
        strategy: ``avalanche``, ``snowball`` or ``hybrid`` (see the module docstring).
        extra: Paid every month beyond the starting minimums (whole cents).
        start: Today; the first payment falls one month later.
        config: Simulation limits.

    Raises:
        ValueError: Unknown strategy, negative extra or balance, or duplicate debt names.
    """
    config = config or PlanConfig()
    debts = tuple(debts)
    _validate(debts, strategy, extra)
    extra = cents(extra)
    owed = {d.name: cents(d.balance) for d in debts if d.balance > 0}
    budget = sum((d.minimum(owed[d.name]) for d in debts if d.name in owed), extra)
    interest_paid = {d.name: _ZERO for d in debts}
    paid = {d.name: _ZERO for d in debts}
    cleared: dict[str, int] = {d.name: 0 for d in debts if d.name not in owed}
    months: list[PlanMonth] = []
    for month in range(1, config.max_months + 1):
        if not owed:
            break
        day = add_months(start, month)
        rows = []
        for name, (interest, payment) in _pay_month(
            debts, owed, day, strategy, budget, config
        ).items():
            owed[name] += interest - payment
            interest_paid[name] += interest
            paid[name] += payment
            rows.append(DebtMonth(name, payment, interest, payment - interest, owed[name]))
            if owed[name] == 0:
                del owed[name]
                cleared[name] = month
        months.append(PlanMonth(month, day, tuple(rows)))
    payoffs = tuple(
        DebtPayoff(
            d.name,
            cleared.get(d.name),
            add_months(start, cleared[d.name]) if d.name in cleared else None,
            interest_paid[d.name],
            paid[d.name],
        )
        for d in debts
    )
    return PayoffPlan(
        strategy, start, extra, budget, tuple(months), payoffs, _never_message(debts, owed, config)
    )


def _never_message(
    debts: tuple[DebtTerms, ...], owed: dict[str, Decimal], config: PlanConfig
) -> str | None:
    """Plain words for debts still open when the plan stops."""
    if not owed:
        return None
    names = ", ".join(sorted(owed))
    started = sum((cents(d.balance) for d in debts if d.name in owed), _ZERO)
    if sum(owed.values(), _ZERO) >= started:
        return (
            f"{names} never pays off: the payments do not cover the interest, so the balance "
            "grows. Pay more each month."
        )
    return f"{names} is not paid off within {config.max_months} months. Pay more each month."


def compare_strategies(
    debts: tuple[DebtTerms, ...] | list[DebtTerms],
    extra: Decimal,
    start: date,
    config: PlanConfig | None = None,
) -> StrategyComparison:
    """Plan the same debts and budget under every strategy and name the cheapest."""
    plans = tuple(plan_payoff(debts, s, extra, start, config) for s in STRATEGIES)
    finished = [p for p in plans if p.paid_off]
    best = min(
        finished,
        key=lambda p: (p.total_interest, p.months_to_debt_free or 0),
        default=None,
    )
    return StrategyComparison(plans, best.strategy if best else None)
