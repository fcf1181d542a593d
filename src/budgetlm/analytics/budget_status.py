"""How a month is going against its budgets: spent, remaining and pace per category.

Spent is the category's net outflow in the month up to today (refunds netted, as the ledger's
``budget_lines``). Pace compares it with the budget's pro-rata share of the month elapsed, days
counted up to and including today: ``pace = spent / (budget * elapsed)``, so 1.00 is exactly on
pace. The projection carries the month's daily rate to its end (``spent / elapsed``). Fixed bills
paid early in the month read as ahead of pace until the month catches up; the projection says
the same, so read both with the bill's date in mind.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from budgetlm.analytics.months import (
    SPENDING_GROUPS,
    UNCATEGORIZED,
    BudgetLike,
    is_spending_category,
)
from budgetlm.analytics.records import CategoryGroup, Txn
from budgetlm.analytics.schedule import add_months
from budgetlm.money import cents

PACE_TOLERANCE = Decimal("0.10")
"""Spending up to 10% above the month's pro-rata budget still counts as on track."""

Pace = Literal["on track", "ahead of pace", "over budget"]


@dataclass(frozen=True)
class CategoryStatus:
    """How one budgeted category is doing in the month."""

    category: str
    """Category name."""
    budgeted: Decimal
    """The month's budget."""
    spent: Decimal
    """Net outflow so far (refunds netted), positive."""
    remaining: Decimal
    """Budget left (negative when over)."""
    percent_used: Decimal | None
    """Spent as a percentage of the budget, 1 place; None for a zero budget."""
    pace: Decimal | None
    """Spent over the budget's pro-rata share of the elapsed month, 2 places (1 = exactly on
    pace); None when the month has not started or the budget is zero."""
    projected: Decimal
    """Month-end spend if spending goes on at the same daily rate."""
    status: Pace
    """``over budget`` when spent exceeds the budget; ``ahead of pace`` when pace exceeds 1 by
    more than ``PACE_TOLERANCE``; else ``on track``."""


@dataclass(frozen=True)
class UnbudgetedSpending:
    """Spending in a category with no budget this month."""

    category: str
    """Category name (``Uncategorized`` for outflows without one)."""
    group: CategoryGroup
    """Its 50/30/20 group (uncategorized counts as a want)."""
    spent: Decimal
    """Net outflow so far, positive."""


@dataclass(frozen=True)
class BudgetStatus:
    """A month's spending against its budgets, as of a day."""

    month: date
    """First day of the month."""
    as_of: date
    """Last day counted (today, or the month's end for a past month)."""
    elapsed: Decimal
    """Share of the month elapsed, 4 places (0 for a month that has not begun)."""
    lines: tuple[CategoryStatus, ...]
    """Budgeted categories by name."""
    unbudgeted: tuple[UnbudgetedSpending, ...]
    """Spending categories without a budget, largest first."""
    total_budgeted: Decimal
    """Sum of the month's budgets."""
    total_spent: Decimal
    """Spent in the budgeted categories."""


def month_elapsed(month: date, today: date) -> tuple[date, Decimal]:
    """The last day counted in ``month`` as of ``today`` and the share of the month elapsed."""
    first = month.replace(day=1)
    last = add_months(first, 1).toordinal() - 1
    as_of = date.fromordinal(min(last, today.toordinal()))
    days = max(0, as_of.toordinal() - first.toordinal() + 1)
    return as_of, Decimal(days) / (last - first.toordinal() + 1)


def budget_status(
    transactions: Iterable[Txn],
    budgets: Iterable[BudgetLike],
    today: date,
    month: date | None = None,
) -> BudgetStatus:
    """Spent, remaining and pace per budgeted category for ``month`` (default today's).

    Args:
        transactions: The household's transactions; those after ``today`` are ignored.
        budgets: Budgets of any months; those of ``month`` are used.
        today: The day the month is judged at.
        month: Any day of the month to report.
    """
    first = (month or today).replace(day=1)
    as_of, elapsed = month_elapsed(first, today)
    spent: dict[str, Decimal] = defaultdict(Decimal)
    groups: dict[str, CategoryGroup] = {}
    for t in transactions:
        if first <= t.date <= as_of and (t.category is not None or is_spending_category(t)):
            name = t.category or UNCATEGORIZED
            spent[name] -= t.amount
            groups[name] = t.group or "want"
    budgeted = {b.category: b.amount for b in budgets if b.month.replace(day=1) == first}
    lines = tuple(_line(c, budgeted[c], spent[c], elapsed) for c in sorted(budgeted))
    unbudgeted = sorted(
        (
            UnbudgetedSpending(c, groups[c], v)
            for c, v in spent.items()
            if c not in budgeted and v > 0 and groups[c] in SPENDING_GROUPS
        ),
        key=lambda u: (-u.spent, u.category),
    )
    return BudgetStatus(
        month=first,
        as_of=as_of,
        elapsed=elapsed.quantize(Decimal("0.0001"), ROUND_HALF_UP),
        lines=lines,
        unbudgeted=tuple(unbudgeted),
        total_budgeted=sum(budgeted.values(), Decimal(0)),
        total_spent=sum((line.spent for line in lines), Decimal(0)),
    )


def _line(category: str, budget: Decimal, spent: Decimal, elapsed: Decimal) -> CategoryStatus:
    due = budget * elapsed
    pace = (spent / due).quantize(Decimal("0.01"), ROUND_HALF_UP) if due > 0 else None
    status: Pace = "on track"
    if spent > budget:
        status = "over budget"
    elif pace is not None and pace > 1 + PACE_TOLERANCE:
        status = "ahead of pace"
    percent = (spent * 100 / budget).quantize(Decimal("0.1"), ROUND_HALF_UP) if budget > 0 else None
    projected = cents(spent / elapsed) if elapsed > 0 else spent
    return CategoryStatus(category, budget, spent, budget - spent, percent, pace, projected, status)
