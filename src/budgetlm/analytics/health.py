"""Financial health features: one documented vector that the coach and the assistant read.

``health_features(history, today)`` looks at the last ``months`` full calendar months before
today's month that the history covers (``analytics.budget.window_months``). Income is the net of
``income``-group transactions; spending is the net outflow of ``need`` and ``want`` categories
plus uncategorized outflows (refunds netted), as in ``analytics.budget``. Transfers, savings
and loan-principal payments are neither.

Conventions that keep every feature a finite number:
    * A ratio over a zero denominator is 0 when its numerator is 0 too, and otherwise the end
      of the feature's documented range on the numerator's side (``RANGES``): no income but
      some spending gives a savings rate of -1; debt payments without income a debt-to-income of
      1; cash without essential spending 24 emergency-fund months.
    * A coefficient of variation (population standard deviation over the mean) is 0 when the
      mean is 0 or there is at most one month.
    * With no budget in the window, budget adherence is 1 (nothing was overspent);
      ``budgeted_category_months`` says how many category-months it rests on.

``as_vector`` gives the raw features in ``names()`` order; ``as_bounded_vector`` clips them to
``RANGES`` and scales each to [0, 1] for learning code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from statistics import median
from typing import ClassVar, Protocol

import numpy as np
import numpy.typing as npt

from budgetlm.analytics.history import History
from budgetlm.analytics.months import BudgetLike, income_by_month, spending_by_month, window_months
from budgetlm.analytics.records import Txn
from budgetlm.money import cents

LIQUID_ACCOUNTS = ("checking", "savings")
"""Account types counted as cash for the emergency fund."""

RANGES: dict[str, tuple[float, float]] = {
    "savings_rate": (-1.0, 1.0),
    "debt_to_income": (0.0, 1.0),
    "debt_to_annual_income": (0.0, 5.0),
    "spending_volatility": (0.0, 2.0),
    "emergency_fund_months": (0.0, 24.0),
    "budget_adherence": (0.0, 1.0),
    "income_stability": (0.0, 1.0),
}
"""Documented range of each feature: zero-denominator values and the bounded vector use it."""

UNITS: dict[str, str] = {
    "savings_rate": "share of income",
    "debt_to_income": "share of monthly income",
    "debt_to_annual_income": "years of income",
    "spending_volatility": "coefficient of variation",
    "emergency_fund_months": "months of essentials",
    "budget_adherence": "share of budget-months",
    "income_stability": "1 - coefficient of variation",
}
"""Unit of each feature, for display."""


class DebtLike(Protocol):
    """A debt with its minimum-payment rule (``SynthDebt`` or the ledger's ``Debt``)."""

    @property
    def balance(self) -> Decimal: ...
    @property
    def min_payment_percent(self) -> Decimal: ...
    @property
    def min_payment_floor(self) -> Decimal: ...


@dataclass(frozen=True)
class HealthFeatures:
    """A household's financial health as numbers (the vector features, then context)."""

    savings_rate: float
    """(income - spending) / income over the window; a fraction, 0.2 = 20% of income kept."""
    debt_to_income: float
    """Monthly minimum debt payments / mean monthly income; a fraction."""
    debt_to_annual_income: float
    """Total debt owed / (12 x mean monthly income); years of income."""
    spending_volatility: float
    """Coefficient of variation of monthly spending; unitless, 0 = the same every month."""
    emergency_fund_months: float
    """Cash (checking and savings balances on ``today``) / median monthly essential (``need``)
    spending; months."""
    budget_adherence: float
    """Share of budgeted category-months in the window spent within budget; a fraction."""
    income_stability: float
    """1 - coefficient of variation of monthly income, clipped to [0, 1]; 1 = steady."""
    months: int
    """Full months the features were computed over."""
    monthly_income: Decimal
    """Mean monthly income of the window (cents)."""
    monthly_spending: Decimal
    """Mean monthly spending of the window (cents)."""
    minimum_payments: Decimal
    """Monthly minimum payments of all debts (cents)."""
    liquid_balance: Decimal
    """Checking and savings balances on ``today``."""
    budgeted_category_months: int
    """Budgeted category-months that ``budget_adherence`` rests on."""

    VECTOR: ClassVar[tuple[str, ...]] = tuple(RANGES)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Feature names in vector order."""
        return cls.VECTOR

    def as_vector(self) -> npt.NDArray[np.float64]:
        """The features in ``names()`` order, as they are."""
        return np.array([getattr(self, name) for name in self.VECTOR], dtype=np.float64)

    def as_bounded_vector(self) -> npt.NDArray[np.float64]:
        """Each feature clipped to its ``RANGES`` entry and scaled to [0, 1]."""
        low = np.array([RANGES[n][0] for n in self.VECTOR], dtype=np.float64)
        high = np.array([RANGES[n][1] for n in self.VECTOR], dtype=np.float64)
        bounded: npt.NDArray[np.float64] = (np.clip(self.as_vector(), low, high) - low) / (
            high - low
        )
        return bounded


def minimum_payment(debt: DebtLike) -> Decimal:
    """``max(floor, percent x balance)``, or the whole balance when smaller (0 when paid off)."""
    if debt.balance <= 0:
        return Decimal(0)
    return min(debt.balance, max(debt.min_payment_floor, debt.min_payment_percent * debt.balance))


def ratio(numerator: float, denominator: float, feature: str) -> float:
    """``numerator / denominator``, or a documented stand-in when the denominator is 0."""
    if denominator != 0:
        return numerator / denominator
    if numerator == 0:
        return 0.0
    low, high = RANGES[feature]
    return high if numerator > 0 else low


def variation(values: Sequence[float]) -> float:
    """Coefficient of variation (population); 0 for a zero mean or fewer than two values."""
    mean = float(np.mean(values)) if values else 0.0
    if len(values) < 2 or mean == 0:
        return 0.0
    return float(np.std(values)) / abs(mean)


def adherence(
    transactions: Iterable[Txn], budgets: Iterable[BudgetLike], months: Sequence[date]
) -> tuple[float, int]:
    """Share of the window's budgeted category-months spent within budget, and their count."""
    wanted = set(months)
    limits = {(b.category, b.month.replace(day=1)): b.amount for b in budgets}
    limits = {key: amount for key, amount in limits.items() if key[1] in wanted}
    spent: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
    for t in transactions:
        key = (t.category or "", t.date.replace(day=1))
        if key in limits:
            spent[key] -= t.amount
    within = sum(1 for key, amount in limits.items() if spent[key] <= amount)
    return (within / len(limits) if limits else 1.0), len(limits)


def liquid_balance(
    history: History, today: date, account_types: tuple[str, ...] = LIQUID_ACCOUNTS
) -> Decimal:
    """Balances of the accounts of ``account_types`` (checking and savings by default) on
    ``today`` (later transactions taken back out)."""
    liquid = {a.name for a in history.accounts if a.account_type in account_types}
    later = sum(
        (t.amount for t in history.transactions if t.date > today and t.account in liquid),
        Decimal(0),
    )
    return history.balance(account_types) - later


def health_features(
    history: History,
    today: date,
    *,
    debts: Iterable[DebtLike] = (),
    budgets: Iterable[BudgetLike] = (),
    months: int = 6,
) -> HealthFeatures:
    """Turn a household's history into its health features (see the module docstring).

    Args:
        history: Transactions and accounts.
        today: Features use the full months before this date's month and balances on this day.
        debts: Debts with their minimum-payment rules.
        budgets: Monthly budgets; those in the window are checked for adherence.
        months: Full months in the window.
    """
    window = window_months(history, today, months)
    income = income_by_month(history.transactions, window)
    by_category = spending_by_month(history.transactions, window)
    need_categories = {t.category for t in history.transactions if t.group == "need"}
    spending = [_total(by_category.values(), m) for m in window]
    needs = [_total((v for c, v in by_category.items() if c in need_categories), m) for m in window]
    n = max(1, len(window))
    total_income, total_spending = sum(income, Decimal(0)), sum(spending, Decimal(0))
    debts = tuple(debts)
    payments = sum((minimum_payment(d) for d in debts), Decimal(0))
    owed = sum((max(d.balance, Decimal(0)) for d in debts), Decimal(0))
    cash = liquid_balance(history, today)
    share, count = adherence(history.transactions, budgets, window)
    mean_income = float(total_income) / n
    return HealthFeatures(
        savings_rate=ratio(
            float(total_income - total_spending), float(total_income), "savings_rate"
        ),
        debt_to_income=ratio(float(payments), mean_income, "debt_to_income"),
        debt_to_annual_income=ratio(float(owed), 12 * mean_income, "debt_to_annual_income"),
        spending_volatility=variation([float(v) for v in spending]),
        emergency_fund_months=ratio(
            float(cash), float(median(needs)) if needs else 0.0, "emergency_fund_months"
        ),
        budget_adherence=share,
        income_stability=_stability([float(v) for v in income]),
        months=len(window),
        monthly_income=cents(total_income / n),
        monthly_spending=cents(total_spending / n),
        minimum_payments=cents(payments),
        liquid_balance=cash,
        budgeted_category_months=count,
    )


def _total(categories: Iterable[dict[date, Decimal]], month: date) -> Decimal:
    return sum((c.get(month, Decimal(0)) for c in categories), Decimal(0))


def _stability(income: Sequence[float]) -> float:
    """1 - CV of monthly income in [0, 1]; 0 without income (no income is not stable)."""
    if not any(income):
        return 0.0
    return min(1.0, max(0.0, 1.0 - variation(income)))
