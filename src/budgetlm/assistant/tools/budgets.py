"""Tools about how the money is managed: budget status, recommended budgets, savings rate and
unusual spending, each a thin reading of its analytics engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from budgetlm.analytics.budget_status import PACE_TOLERANCE
from budgetlm.assistant.tools import common
from budgetlm.assistant.tools.base import Param, Tool, ToolContext, ToolResult
from budgetlm.money import cents

_ZERO = Decimal("0.00")


def budget_status(context: ToolContext, arguments: Mapping[str, object]) -> ToolResult:
    """How a month is going against its budgets (``analytics.budget_status``), for one
    category or all.

    The period names the month (``this_month``, ``last_month``, ``month:2026-03``); a period
    spanning several months is an error. A past month is judged at its end.
    Figures: ``budgeted``, ``spent`` (net outflow so far, positive), ``remaining`` (negative
    when over), ``projected`` (month-end spend), ``pace`` (``on track``, ``ahead of pace`` or
    ``over budget``; for all categories together by the engine's rule on the totals),
    ``month`` (first day). Without a category, rows per budgeted category: ``category``,
    ``budgeted``, ``spent``, ``remaining``, ``pace``. Status ``empty`` when the month (or the
    category) has no budget.
    """
    from budgetlm.analytics.budget_status import budget_status as status_of

    span = common.period(context, arguments)
    category = common.text(arguments, "category")
    result = ToolResult("budget_status", dict(arguments), span, common.filters(arguments), {})
    month = span.start.replace(day=1)
    if span.end.replace(day=1) != month:
        message = f"Budgets are per month, and {span.label()} spans several: ask about one month."
        return replace(result, status="error", message=message)
    budgets = [b for b in context.budgets if category is None or b.category == category]
    status = status_of(context.past, budgets, context.today, month, recurring=context.recurring)
    lines = status.lines
    if not lines:
        what = f"a {category} budget" if category else "any budget"
        message = f"You have not set {what} for {month:%B %Y}: set one with budgetlm budget set."
        spent = next((u.spent for u in status.unbudgeted if u.category == category), _ZERO)
        empty: dict[str, object] = {
            "budgeted": _ZERO, "spent": spent, "remaining": _ZERO, "projected": spent,
            "pace": None, "month": month,
        }  # fmt: skip
        return replace(result, figures=empty, status="empty", message=message)
    budgeted = sum((line.budgeted for line in lines), Decimal(0))
    spent = sum((line.spent for line in lines), Decimal(0))
    projected = sum((line.projected for line in lines), Decimal(0))
    figures: dict[str, object] = {
        "budgeted": budgeted,
        "spent": spent,
        "remaining": budgeted - spent,
        "projected": projected,
        "pace": lines[0].status if category else _pace(budgeted, spent, projected),
        "month": month,
    }
    rows: tuple[dict[str, object], ...] = tuple(
        {
            "category": line.category,
            "budgeted": line.budgeted,
            "spent": line.spent,
            "remaining": line.remaining,
            "pace": line.status,
        }
        for line in lines
    )
    return replace(result, figures=figures, rows=() if category else rows)


def _pace(budgeted: Decimal, spent: Decimal, projected: Decimal) -> str:
    """The engine's per-line rule applied to the month's totals."""
    if spent > budgeted:
        return "over budget"
    if budgeted > 0 and projected / budgeted > 1 + PACE_TOLERANCE:
        return "ahead of pace"
    return "on track"


def budget_recommendation(context: ToolContext, arguments: Mapping[str, object]) -> ToolResult:
    """Recommended monthly budgets from the last 6 full months and the goals
    (``analytics.budget.recommend_budget``), for one category or all.

    Figures: ``total`` (sum of the recommended amounts shown), ``income`` (usual monthly
    income), ``month`` (the month the budget is for). Rows (needs first, then by amount):
    ``category``, ``amount`` (recommended), ``usual`` (the category's usual month),
    ``group``. Status ``empty`` when there is nothing to recommend (for the category).
    """
    from budgetlm.analytics.budget import recommend_budget

    category = common.text(arguments, "category")
    plan = recommend_budget(context.history, context.today, context.goals)
    lines = [b for b in plan.lines if category is None or b.category == category]
    rows: tuple[dict[str, object], ...] = tuple(
        {"category": b.category, "amount": b.recommended, "usual": b.level, "group": b.group}
        for b in lines
    )
    figures: dict[str, object] = {
        "total": sum((b.recommended for b in lines), Decimal(0)),
        "income": plan.income,
        "month": plan.month,
    }
    result = ToolResult(
        "budget_recommendation", dict(arguments), None, common.filters(arguments), figures, rows
    )
    if not lines:
        what = f"{category} has" if category else "there is"
        message = f"No recommendation: {what} too little spending in the last 6 full months."
        return replace(result, status="empty", message=message)
    return result


def savings_rate(context: ToolContext, arguments: Mapping[str, object]) -> ToolResult:
    """The share of income kept in a period: ``(income - spending) / income``, the definition
    of ``analytics.health``'s savings rate, over any period.

    Figures: ``rate`` (percent of income, 1 decimal; None without income), ``income``,
    ``spending``, ``saved`` (``income - spending``, negative when more was spent).
    """
    span = common.period(context, arguments)
    came_in = common.inflow(common.income_txns(context, span))
    went_out = common.outflow(common.spending_txns(context, span))
    figures: dict[str, object] = {
        "rate": common.percent(came_in - went_out, came_in),
        "income": came_in,
        "spending": went_out,
        "saved": came_in - went_out,
    }
    result = ToolResult("savings_rate", dict(arguments), span, {}, figures)
    if came_in == 0:
        message = f"No income {span.label()}, so there is no savings rate."
        return replace(result, status="empty", message=message)
    return result


def unusual_spending(context: ToolContext, arguments: Mapping[str, object]) -> ToolResult:
    """Unusual charges in a period (``analytics.anomalies``): purchases far above the usual,
    duplicate charges and bill spikes, most severe first.

    Figures: ``count``, ``total`` (their amounts, positive). Rows (at most 20): ``date``,
    ``payee``, ``amount`` (positive), ``category``, ``kind`` (``large_purchase``,
    ``duplicate_charge``, ``bill_spike``), ``typical`` (the usual amount), ``ratio``.
    """
    span = common.period(context, arguments)
    flags = [a for a in context.anomalies if span.contains(a.date)]
    rows: tuple[dict[str, object], ...] = tuple(
        {
            "date": a.date,
            "payee": a.payee,
            "amount": -a.amount,
            "category": a.category,
            "kind": a.kind,
            "typical": a.typical_amount,
            "ratio": a.ratio,
        }
        for a in flags[:20]
    )
    figures: dict[str, object] = {
        "count": len(flags),
        "total": cents(-sum((a.amount for a in flags), Decimal(0))),
    }
    result = ToolResult("unusual_spending", dict(arguments), span, {}, figures, rows)
    if not flags:
        message = f"Nothing unusual {span.label()}."
        return replace(result, status="empty", message=message)
    return result


TOOLS: tuple[Tool, ...] = (
    Tool(
        "budget_status",
        "How a month is going against its budgets: budgeted, spent, remaining and pace.",
        (
            Param(
                "period",
                "period",
                "The month: this_month (default), last_month or month:YYYY-MM.",
                required=True,
                default="this_month",
            ),
            Param("category", "category", "Only this category's budget."),
        ),
        budget_status,
    ),
    Tool(
        "savings_rate",
        "The share of income kept (not spent) in a period.",
        (
            Param(
                "period",
                "period",
                "When; default last_n_months:3.",
                required=True,
                default="last_n_months:3",
            ),
        ),
        savings_rate,
    ),
    Tool(
        "unusual_spending",
        "Unusual charges: purchases far above the usual, duplicates and bill spikes.",
        (
            Param(
                "period",
                "period",
                "When; default last_n_days:30.",
                required=True,
                default="last_n_days:30",
            ),
        ),
        unusual_spending,
    ),
    Tool(
        "budget_recommendation",
        "Recommended monthly budgets from your history and goals.",
        (Param("category", "category", "Only this category."),),
        budget_recommendation,
    ),
)
"""The tools of this module, in the order the registry lists them."""
