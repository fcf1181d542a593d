"""Budget recommendations, a month's budget status, and financial health features."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from budgetlm.analytics.history import from_ledger
from budgetlm.cli.common import (
    DbOption,
    JsonOption,
    TodayOption,
    WorkspaceOption,
    console,
    emit,
    ledger_session,
    open_context,
    parse_month,
    print_table,
)
from budgetlm.ledger.store import DEFAULT_WORKSPACE
from budgetlm.money import format_money

if TYPE_CHECKING:
    from budgetlm.analytics.budget import BudgetRecommendation
    from budgetlm.analytics.budget_status import BudgetStatus
    from budgetlm.analytics.health import HealthFeatures

MonthsOption = Annotated[
    int, typer.Option("--months", min=1, max=36, help="Full months of history to look at.")
]


def budget_recommend(
    months: MonthsOption = 6,
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Recommend monthly budgets from your history and goals, each line explained."""
    from budgetlm.analytics.budget import BudgetConfig, recommend_budget

    context = open_context(db, today, workspace)
    with ledger_session(context) as ledger:
        history, goals = from_ledger(ledger), ledger.goals()
        plan = recommend_budget(history, context.today, goals, BudgetConfig(months=months))
    emit(as_json, asdict(plan), lambda: _render_recommendation(plan))


def _render_recommendation(plan: BudgetRecommendation) -> None:
    print_table(
        f"Recommended budget for {plan.month:%B %Y}",
        ["Category", "Group", "Budget", "Usual month", "Why"],
        [
            (b.category, b.group, format_money(b.recommended), format_money(b.level), b.explanation)
            for b in plan.lines
        ],
        right=["Budget", "Usual month"],
    )
    console.print(
        f"Needs {format_money(plan.totals['need'])}, wants {format_money(plan.totals['want'])}, "
        f"income {format_money(plan.income)}, left to save {format_money(plan.savings)} "
        f"(goals need {format_money(plan.goal_need)}).",
        highlight=False,
    )
    for note in plan.notes:
        console.print(f"• {escape(note)}", highlight=False)


def budget_status(
    month: Annotated[str | None, typer.Option(help="YYYY-MM; default this month.")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Spent, remaining and pace per budgeted category for a month."""
    from budgetlm.analytics.months import ledger_budgets

    context = open_context(db, today, workspace)
    first = parse_month(month, context.today)
    with ledger_session(context) as ledger:
        history = from_ledger(ledger)
        budgets = ledger_budgets(ledger, (first,))
    from budgetlm.analytics.budget_status import budget_status as compute_status
    from budgetlm.analytics.recurring import find_recurring

    series = find_recurring(history.transactions, context.today)
    status = compute_status(history.transactions, budgets, context.today, first, recurring=series)
    emit(as_json, asdict(status), lambda: _render_status(status))


def _render_status(status: BudgetStatus) -> None:
    def percent(value: object) -> str:
        return "" if value is None else f"{value}%"

    print_table(
        f"Budget status for {status.month:%B %Y} as of {status.as_of} "
        f"({status.elapsed:.0%} of the month)",
        ["Category", "Budgeted", "Spent", "Remaining", "Used", "Pace", "Projected", "Status"],
        [
            (
                s.category, format_money(s.budgeted), format_money(s.spent),
                format_money(s.remaining), percent(s.percent_used),
                "" if s.pace is None else f"{s.pace}x", format_money(s.projected), s.status,
            )
            for s in status.lines
        ],
        right=["Budgeted", "Spent", "Remaining", "Used", "Pace", "Projected"],
    )  # fmt: skip
    if not status.lines:
        console.print("No budgets for this month; set one with `budgetlm budget set`.")
    if status.unbudgeted:
        print_table(
            "Spending without a budget",
            ["Category", "Group", "Spent"],
            [(u.category, u.group, format_money(u.spent)) for u in status.unbudgeted],
            right=["Spent"],
        )


def health(
    months: MonthsOption = 6,
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Financial health features: savings rate, debt load, volatility, emergency fund…"""
    from budgetlm.analytics.health import HealthFeatures, health_features
    from budgetlm.analytics.months import ledger_budgets, window_months

    context = open_context(db, today, workspace)
    with ledger_session(context) as ledger:
        history = from_ledger(ledger)
        budgets = ledger_budgets(ledger, window_months(history, context.today, months))
        features = health_features(
            history, context.today, debts=ledger.debts(), budgets=budgets, months=months
        )
    data = asdict(features) | {"names": list(HealthFeatures.names())}
    emit(as_json, data, lambda: _render_health(features))


def _render_health(features: HealthFeatures) -> None:
    from budgetlm.analytics.health import UNITS

    print_table(
        f"Financial health over {features.months} months",
        ["Feature", "Value", "Unit"],
        [
            (name.replace("_", " "), f"{getattr(features, name):.3f}", UNITS[name])
            for name in features.names()
        ],
        right=["Value"],
    )
    console.print(
        f"Monthly income {format_money(features.monthly_income)}, spending "
        f"{format_money(features.monthly_spending)}, minimum debt payments "
        f"{format_money(features.minimum_payments)}, cash {format_money(features.liquid_balance)}.",
        highlight=False,
    )
