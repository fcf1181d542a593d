"""Analytics over the caller's workspace: insights, the balance forecast, bills, unusual
spending, the budget recommendation, debt payoff plans and savings-goal checks.

Each route reads the ledger as the matching CLI command does and calls the same engine.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from budgetlm.analytics.debt import Strategy, ledger_debts
from budgetlm.analytics.goals import GoalConfig
from budgetlm.analytics.history import from_ledger
from budgetlm.analytics.insights import InsightConfig, ledger_insights
from budgetlm.errors import InputError, NotFoundError
from budgetlm.ledger.repository import Ledger
from budgetlm.server.cache import cached
from budgetlm.server.deps import LedgerDep, TodayDep
from budgetlm.server.schemas import (
    AnomaliesOut,
    AnomalyOut,
    BillsOut,
    CategorySpendingOut,
    DebtPlanOut,
    ForecastOut,
    GoalCheckOut,
    InsightOut,
    MoneyIn,
    PaymentOut,
    PayoffPlanOut,
    RecommendationOut,
    SeriesOut,
    SpendingOut,
    from_dataclass,
)

router = APIRouter(prefix="/analytics", tags=["analytics"])

Threshold = Annotated[
    MoneyIn | None, Query(description="Also warn when the balance is projected below this.")
]


@router.get("/insights")
@cached()
def insights(
    ledger: LedgerDep,
    today: TodayDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    recent_days: Annotated[int, Query(ge=1, le=365)] = 30,
    threshold: Threshold = None,
) -> list[InsightOut]:
    """What deserves attention now, most severe first, with the figures behind each."""
    config = InsightConfig(recent_days=recent_days, threshold=threshold, limit=limit)
    return [from_dataclass(InsightOut, i) for i in ledger_insights(ledger, today, config)]


@router.get("/forecast")
@cached()
def forecast(
    ledger: LedgerDep,
    today: TodayDep,
    days: Annotated[int, Query(ge=1, le=366)] = 60,
    threshold: Threshold = None,
) -> ForecastOut:
    """The checking balance projected day by day with an 80% interval, and warnings."""
    from budgetlm.analytics.forecast import ForecastConfig, forecast_history

    if threshold is not None and threshold < 0:
        raise InputError("the threshold must be zero or more", source="threshold")
    config = ForecastConfig()
    history = from_ledger(ledger)
    cash = [a.name for a in history.accounts if a.account_type in config.cash_account_types]
    if not cash:
        raise InputError("no checking account in this workspace: nothing to forecast")
    result = forecast_history(
        history.transactions, history.accounts, today, days, threshold=threshold, config=config
    )
    return from_dataclass(ForecastOut, result).model_copy(update={"accounts": cash})


@router.get("/spending")
@cached()
def spending(
    ledger: LedgerDep, today: TodayDep, days: Annotated[int, Query(ge=1, le=3660)] = 30
) -> SpendingOut:
    """Money spent per category over the last ``days`` (income and transfers left out), most
    first: the web page's chart."""
    start = today - timedelta(days=days - 1)
    rows = [
        CategorySpendingOut(category=name or "Uncategorized", spent=-total)
        for name, group, total in ledger.category_totals(start, today)
        if total < 0 and group not in ("income", "transfer")
    ]
    rows.sort(key=lambda row: row.spent, reverse=True)
    return SpendingOut(start=start, end=today, categories=rows)


@router.get("/bills")
@cached()
def bills(
    ledger: LedgerDep, today: TodayDep, days: Annotated[int, Query(ge=1, le=366)] = 30
) -> BillsOut:
    """Recurring bills, subscriptions and paychecks, and the payments of the next ``days``."""
    from budgetlm.analytics.recurring import expected_payments, find_recurring

    history = from_ledger(ledger)
    series = find_recurring(history.transactions, today)
    start, end = today + timedelta(days=1), today + timedelta(days=days)
    transfers = {t.category for t in history.transactions if t.group == "transfer"}
    upcoming = [  # a transfer between own accounts is listed once, by the side it leaves
        p
        for p in expected_payments(series, start, end)
        if not (p.amount > 0 and p.category in transfers)
    ]
    return BillsOut(
        series=[from_dataclass(SeriesOut, s) for s in series], start=start, end=end,
        upcoming=[from_dataclass(PaymentOut, p) for p in upcoming],
        upcoming_total=sum((p.amount for p in upcoming), Decimal(0)),
    )  # fmt: skip


@router.get("/anomalies")
@cached()
def anomalies(
    ledger: LedgerDep, today: TodayDep, days: Annotated[int, Query(ge=1, le=366)] = 90
) -> AnomaliesOut:
    """Unusual spending of the last ``days``: big purchases, duplicate charges, bill spikes."""
    from budgetlm.analytics.anomalies import find_anomalies
    from budgetlm.analytics.recurring import find_recurring

    history = from_ledger(ledger)
    since = today - timedelta(days=days - 1)
    series = find_recurring(history.transactions, today)
    flags = find_anomalies(history.transactions, today, recurring=series, since=since)
    return AnomaliesOut(
        start=since, end=today, anomalies=[from_dataclass(AnomalyOut, f) for f in flags]
    )


@router.get("/budget-recommendation")
@cached()
def budget_recommendation(
    ledger: LedgerDep, today: TodayDep, months: Annotated[int, Query(ge=1, le=36)] = 6
) -> RecommendationOut:
    """Monthly budgets recommended from the history and goals, each line explained."""
    from budgetlm.analytics.budget import BudgetConfig, recommend_budget

    history = from_ledger(ledger)
    plan = recommend_budget(history, today, ledger.goals(), BudgetConfig(months=months))
    return from_dataclass(RecommendationOut, plan)


@router.get("/debt-plan")
@cached()
def debt_plan(
    ledger: LedgerDep,
    today: TodayDep,
    strategy: Strategy = "avalanche",
    extra: Annotated[MoneyIn, Query(description="Paid each month beyond the minimums.")] = (
        Decimal(0)
    ),
    schedule: bool = False,
) -> DebtPlanOut:
    """Paying off the recorded debts: payoff dates and interest under ``strategy``, and every
    strategy compared with the same money."""
    from budgetlm.analytics.debt import compare_strategies, plan_payoff

    if extra < 0:
        raise InputError("the extra payment cannot be negative", source="extra")
    debts = ledger_debts(ledger)
    if not debts:
        raise InputError("no debts recorded; add one with POST /api/v1/debts")
    plan = from_dataclass(PayoffPlanOut, plan_payoff(debts, strategy, extra, today))
    comparison = compare_strategies(debts, extra, today)
    compared = [
        from_dataclass(PayoffPlanOut, p).model_copy(update={"months": None})
        for p in comparison.plans
    ]
    if not schedule:
        plan = plan.model_copy(update={"months": None})
    return DebtPlanOut(plan=plan, comparison=compared, best=comparison.best)


async def goal_config(
    probability: Annotated[float, Query(gt=0, lt=1)] = 0.9,
    simulations: Annotated[int, Query(ge=100, le=100_000)] = 10_000,
    seed: int = 0,
    share: Annotated[float, Query(gt=0, le=100)] = 100.0,
) -> GoalConfig:
    """The goal checks' query parameters (``share`` in percent)."""
    return GoalConfig(
        probability=probability, simulations=simulations, seed=seed, share=share / 100
    )


GoalConfigDep = Annotated[GoalConfig, Depends(goal_config)]


@router.get("/goals")
@cached()
def check_goals(ledger: LedgerDep, today: TodayDep, config: GoalConfigDep) -> list[GoalCheckOut]:
    """Each savings goal's chance of being reached in time, simulated from past months."""
    return _checks(ledger, today, None, config)


@router.get("/goals/{goal_id}")
@cached()
def check_goal(
    goal_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    ledger: LedgerDep,
    today: TodayDep,
    config: GoalConfigDep,
) -> GoalCheckOut:
    """One savings goal's chance of being reached in time."""
    return _checks(ledger, today, goal_id, config)[0]


def _checks(
    ledger: Ledger, today: date, goal_id: int | None, config: GoalConfig
) -> list[GoalCheckOut]:
    from budgetlm.analytics.goals import SavingsGoal
    from budgetlm.analytics.goals import check_goals as check

    rows = [g for g in ledger.goals() if goal_id is None or g.id == goal_id]
    if goal_id is not None and not rows:
        raise NotFoundError(f"no goal with id {goal_id}")
    if not rows:
        raise InputError("no goals recorded; add one with POST /api/v1/goals")
    goals = [SavingsGoal(g.name, g.target, g.target_date, g.current) for g in rows]
    checks = check(goals, from_ledger(ledger).transactions, today, config)
    return [from_dataclass(GoalCheckOut, c) for c in checks]
