"""Monthly totals of a history and the shapes of budgets and goals the engines read.

Shared by the budget recommendation, budget status and the health features: which months a
window covers, spending per category and month, income per month, and what counts as spending.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from budgetlm.analytics.history import History
from budgetlm.analytics.records import CategoryGroup, Txn
from budgetlm.analytics.schedule import add_months

if TYPE_CHECKING:
    from budgetlm.ledger.repository import Ledger

UNCATEGORIZED = "Uncategorized"
"""Line name for spending without a category."""
SPENDING_GROUPS: tuple[CategoryGroup, ...] = ("need", "want")


def window_months(history: History, today: date, months: int) -> tuple[date, ...]:
    """First days of the last ``months`` full months before today's that the history covers."""
    if not history.transactions:
        return ()
    start = history.transactions[0].date.replace(day=1)
    this_month = today.replace(day=1)
    return tuple(m for k in range(months, 0, -1) if (m := add_months(this_month, -k)) >= start)


def spending_by_month(
    transactions: Iterable[Txn], months: Sequence[date]
) -> dict[str, dict[date, Decimal]]:
    """Net outflow (positive) per spending category and month; uncategorized as one category."""
    wanted = set(months)
    totals: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for t in transactions:
        month = t.date.replace(day=1)
        if month in wanted and is_spending_category(t):
            totals[t.category or UNCATEGORIZED][month] -= t.amount
    return totals


def income_by_month(transactions: Iterable[Txn], months: Sequence[date]) -> list[Decimal]:
    """Income (group ``income``, net) of each month, in the order of ``months``."""
    totals = dict.fromkeys(months, Decimal(0))
    for t in transactions:
        month = t.date.replace(day=1)
        if month in totals and t.group == "income":
            totals[month] += t.amount
    return list(totals.values())


def is_spending_category(t: Txn) -> bool:
    """In a need or want category (refunds included), or an uncategorized outflow."""
    return t.group in SPENDING_GROUPS or (t.group is None and t.amount < 0)


class GoalLike(Protocol):
    """A savings goal (``SynthGoal``, the ledger's ``Goal`` or the goals engine's)."""

    @property
    def name(self) -> str: ...
    @property
    def target(self) -> Decimal: ...
    @property
    def target_date(self) -> date: ...
    @property
    def current(self) -> Decimal: ...


class BudgetLike(Protocol):
    """A category's budget for one month (``SynthBudget`` or ``MonthlyBudget``)."""

    @property
    def category(self) -> str: ...
    @property
    def month(self) -> date: ...
    @property
    def amount(self) -> Decimal: ...


@dataclass(frozen=True, slots=True)
class MonthlyBudget:
    """A category's budget for one month."""

    category: str
    """Category name."""
    month: date
    """First day of the month."""
    amount: Decimal
    """Most to spend (positive)."""


def ledger_budgets(ledger: Ledger, months: Iterable[date]) -> list[MonthlyBudget]:
    """The budgets a ledger workspace holds for ``months``."""
    return [
        MonthlyBudget(line.category, line.month, line.budgeted)
        for month in months
        for line in ledger.budget_lines(month)
    ]
