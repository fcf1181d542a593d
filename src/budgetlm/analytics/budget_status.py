"""How a month is going against its budgets: spent, remaining and pace per category.

Spent is the category's net outflow in the month up to today (refunds netted, as the ledger's
``budget_lines``). The projection is the month-end spend: recurring payments as scheduled (paid
ones, plus those still due this month) and the rest carried to the month's end at its daily
rate so far (days counted up to and including today). Pace is the projection over the budget,
so 1.00 ends the month exactly on budget; without recurring series it is the classic
``spent / (budget * elapsed)``. Given the series, rent paid on the 1st is not "ahead of pace"
on the 10th.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from budgetlm.analytics.months import (
    SPENDING_GROUPS,
    UNCATEGORIZED,
    BudgetLike,
    is_spending_category,
)
from budgetlm.analytics.records import CategoryGroup, ExpectedPayment, RecurringSeries, Txn
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
    """Projected month-end spend over the budget, 2 places (1 = exactly on budget); None when
    the month has not started or the budget is zero."""
    projected: Decimal
    """Month-end spend: scheduled payments plus the rest at its daily rate so far."""
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
    *,
    recurring: Sequence[RecurringSeries] = (),
) -> BudgetStatus:
    """Spent, remaining and pace per budgeted category for ``month`` (default today's).

    Args:
        transactions: The household's transactions; those after ``today`` are ignored.
        budgets: Budgets of any months; those of ``month`` are used.
        today: The day the month is judged at.
        month: Any day of the month to report.
        recurring: Recurring series (``analytics.recurring``). Their payments are projected
            by their schedule, not pro rata: rent paid on the 1st is not "ahead of pace" on
            the 10th, and a bill still due this month counts before it posts.
    """
    first = (month or today).replace(day=1)
    as_of, elapsed = month_elapsed(first, today)
    scheduled_ids = {i for s in recurring for i in s.transaction_ids}
    spent: dict[str, Decimal] = defaultdict(Decimal)
    paid: dict[str, Decimal] = defaultdict(Decimal)  # recurring payments already made
    due: dict[str, Decimal] = defaultdict(Decimal)  # recurring payments still to come
    groups: dict[str, CategoryGroup] = {}
    for t in transactions:
        if first <= t.date <= as_of and (t.category is not None or is_spending_category(t)):
            name = t.category or UNCATEGORIZED
            spent[name] -= t.amount
            groups[name] = t.group or "want"
            if t.id in scheduled_ids:
                paid[name] -= t.amount
    for payment in still_due(recurring, as_of, add_months(first, 1)):
        due[payment.category or UNCATEGORIZED] -= payment.amount
    budgeted = {b.category: b.amount for b in budgets if b.month.replace(day=1) == first}
    lines = tuple(
        _line(c, budgeted[c], spent[c], paid[c], due[c], elapsed) for c in sorted(budgeted)
    )
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


def still_due(
    recurring: Sequence[RecurringSeries], as_of: date, next_month: date
) -> list[ExpectedPayment]:
    """Outflows of the series expected after ``as_of`` and before ``next_month``."""
    if not recurring or as_of + timedelta(days=1) >= next_month:
        return []
    from budgetlm.analytics.recurring import expected_payments

    due = expected_payments(recurring, as_of + timedelta(days=1), next_month - timedelta(days=1))
    return [p for p in due if p.amount < 0]


def _line(
    category: str, budget: Decimal, spent: Decimal, paid: Decimal, due: Decimal, elapsed: Decimal
) -> CategoryStatus:
    """``paid`` and ``due``: the category's recurring payments made and still expected."""
    other = spent - paid  # day-to-day spending, carried to month end at its daily rate
    month_end = paid + due + (other / elapsed if elapsed > 0 else other)
    pace = (
        (month_end / budget).quantize(Decimal("0.01"), ROUND_HALF_UP)
        if budget > 0 and elapsed > 0
        else None
    )
    status: Pace = "on track"
    if spent > budget:
        status = "over budget"
    elif pace is not None and pace > 1 + PACE_TOLERANCE:
        status = "ahead of pace"
    percent = (spent * 100 / budget).quantize(Decimal("0.1"), ROUND_HALF_UP) if budget > 0 else None
    projected = cents(month_end) if elapsed > 0 else spent
    return CategoryStatus(category, budget, spent, budget - spent, percent, pace, projected, status)
