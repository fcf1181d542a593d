"""Insights: one ranked, deduplicated list of what deserves the user's attention now.

Composed from the other engines' results (``compose`` is pure; ``household_insights`` runs the
engines first):

* ``shortfall`` — the forecast balance falls below zero or the user's threshold;
* ``over_budget`` / ``ahead_of_pace`` — this month's budget status;
* ``goal_at_risk`` — a goal whose chance of being reached is below the chosen probability;
* ``price_rise`` — a recurring payment whose price went up in the last ``recent_days``;
* ``unusual_spending`` — flags from the anomaly detector in the last ``recent_days``;
* ``upcoming_bill`` — recurring payments due in the next ``upcoming_days``.

Ranking: each kind has a base severity (how much harm ignoring it can do: an overdraft more
than an early bill) raised by the size of the problem, e.g. how far over budget; the list is
sorted by severity, then date. Deduplication: an insight has a key naming the thing it is about
(a category this month, a transaction, a series); when two share a key the more severe one
stays, so a bill that both rose in price and is due this week appears once, as the price rise
with its due date.

Every insight carries the figures behind it (``figures``) and a sentence built from them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from budgetlm.analytics.records import ExpectedPayment, RecurringSeries
from budgetlm.ledger.repository import next_month
from budgetlm.money import format_money

if TYPE_CHECKING:
    from budgetlm.analytics.anomalies import Anomaly
    from budgetlm.analytics.budget_status import BudgetStatus
    from budgetlm.analytics.forecast import Forecast
    from budgetlm.analytics.goals import GoalCheck, SavingsGoal
    from budgetlm.analytics.history import History
    from budgetlm.analytics.months import BudgetLike
    from budgetlm.ledger.repository import Ledger

InsightKind = Literal[
    "shortfall",
    "over_budget",
    "ahead_of_pace",
    "goal_at_risk",
    "price_rise",
    "unusual_spending",
    "upcoming_bill",
]
Figure = Decimal | float | int | str | date


@dataclass(frozen=True)
class InsightConfig:
    """What counts as recent, upcoming and worth saying."""

    recent_days: int = 30
    """Price rises and unusual spending from this many days back are news."""
    upcoming_days: int = 7
    """Bills due within this many days are listed."""
    forecast_days: int = 30
    """Horizon of the balance forecast that warns of a shortfall."""
    threshold: Decimal | None = None
    """Balance the user does not want to go below (besides zero)."""
    limit: int = 10
    """Most insights returned."""


@dataclass(frozen=True)
class Insight:
    """One thing worth the user's attention."""

    kind: InsightKind
    """What sort of insight it is."""
    title: str
    """A short headline, e.g. "Dining Out is over budget"."""
    detail: str
    """One or two sentences with the figures."""
    severity: float
    """Ranking score in [0, 1]; higher first."""
    key: str
    """What it is about (deduplication key)."""
    date: date | None = None
    """The day it concerns (a due date, a posting date), when there is one."""
    figures: Mapping[str, Figure] = field(default_factory=dict)
    """The numbers behind it."""


_BASE: dict[InsightKind, float] = {
    "shortfall": 0.9,
    "over_budget": 0.6,
    "goal_at_risk": 0.5,
    "price_rise": 0.45,
    "ahead_of_pace": 0.35,
    "unusual_spending": 0.3,
    "upcoming_bill": 0.15,
}
"""Base severity per kind; the size of the problem adds up to 0.1 (0.3 for budgets)."""


def compose(
    today: date,
    *,
    status: BudgetStatus | None = None,
    anomalies: Iterable[Anomaly] = (),
    series: Iterable[RecurringSeries] = (),
    upcoming: Iterable[ExpectedPayment] = (),
    forecast: Forecast | None = None,
    goals: Iterable[GoalCheck] = (),
    config: InsightConfig | None = None,
) -> list[Insight]:
    """Rank and deduplicate the insights in the engines' results (see the module docstring)."""
    cfg = config or InsightConfig()
    recent = today - timedelta(days=cfg.recent_days)
    found = [
        *(_shortfall(forecast) if forecast is not None else ()),
        *(_budget(status) if status is not None else ()),
        *(_goal(check) for check in goals if check.status in ("at_risk", "past_due")),
        *(_price_rise(s) for s in series if s.price_changed_on and s.price_changed_on >= recent),
        *(_unusual(a) for a in anomalies if recent <= a.date <= today),
        *(_bill(p) for p in upcoming if today < p.date <= today + timedelta(cfg.upcoming_days)),
    ]
    best: dict[str, Insight] = {}
    for insight in found:
        kept = best.get(insight.key)
        if kept is None or insight.severity > kept.severity:
            best[insight.key] = insight
    ranked = sorted(best.values(), key=lambda i: (-i.severity, i.date or today, i.title))
    return ranked[: cfg.limit]


def household_insights(
    history: History,
    today: date,
    *,
    budgets: Iterable[BudgetLike] = (),
    goals: Iterable[SavingsGoal] = (),
    config: InsightConfig | None = None,
) -> list[Insight]:
    """Run the engines over a household's history and ``compose`` what they find."""
    from budgetlm.analytics.anomalies import find_anomalies
    from budgetlm.analytics.budget_status import budget_status
    from budgetlm.analytics.forecast import forecast_history
    from budgetlm.analytics.goals import check_goals
    from budgetlm.analytics.recurring import expected_payments, find_recurring

    cfg = config or InsightConfig()
    past = [t for t in history.transactions if t.date <= today]
    series = find_recurring(past, today)
    since = today - timedelta(days=cfg.recent_days)
    return compose(
        today,
        status=budget_status(past, list(budgets), today, recurring=series),
        anomalies=find_anomalies(past, today, recurring=series, since=since),
        series=series,
        upcoming=expected_payments(series, today + timedelta(days=1), today + timedelta(30)),
        forecast=forecast_history(
            past, history.accounts, today, cfg.forecast_days, threshold=cfg.threshold, series=series
        ),
        goals=check_goals(list(goals), past, today),
        config=cfg,
    )


# -- one function per kind -----------------------------------------------------------------


def _shortfall(forecast: Forecast) -> Iterable[Insight]:
    for warning in forecast.warnings[:1]:  # the most serious; the others repeat it
        below = warning.line - warning.balance
        scale = abs(forecast.opening_balance) + abs(warning.line) or Decimal(1)
        yield Insight(
            "shortfall",
            "Balance projected too low",
            warning.message,
            _severity("shortfall", float(below / scale)),
            "forecast",
            warning.date,
            {"balance": warning.balance, "line": warning.line, "opening": forecast.opening_balance},
        )


def _budget(status: BudgetStatus) -> Iterable[Insight]:
    days_left = (next_month(status.month) - status.as_of).days - 1
    for line in status.lines:
        if line.status == "on track" or line.budgeted <= 0:
            continue
        over = line.spent - line.budgeted
        figures: dict[str, Figure] = {
            "spent": line.spent,
            "budgeted": line.budgeted,
            "projected": line.projected,
            "percent_used": line.percent_used or Decimal(0),
        }
        used = f"{format_money(line.spent)} of {format_money(line.budgeted)} ({line.percent_used}%)"
        if line.status == "over budget":
            detail = f"{used} spent, {format_money(over)} over, with {days_left} days left."
            share = float(over / line.budgeted)
            kind: InsightKind = "over_budget"
            title = f"{line.category} is over budget"
        else:
            detail = (
                f"{used} spent so far; at this pace the month ends near "
                f"{format_money(line.projected)}."
            )
            share = float((line.projected - line.budgeted) / line.budgeted)
            kind = "ahead_of_pace"
            title = f"{line.category} is ahead of pace"
        yield Insight(
            kind,
            title,
            detail,
            _severity(kind, share, weight=0.3),
            f"budget:{line.category}:{status.month:%Y-%m}",
            status.as_of,
            figures,
        )


def _goal(check: GoalCheck) -> Insight:
    chance = check.probability.estimate if check.probability is not None else 0.0
    figures: dict[str, Figure] = {
        "target": check.goal.target,
        "current": check.goal.current,
        "target_date": check.goal.target_date,
        "probability": round(chance, 3),
    }
    if check.extra_monthly_needed is not None:
        figures["extra_monthly_needed"] = check.extra_monthly_needed
    return Insight(
        "goal_at_risk",
        f"Goal at risk: {check.goal.name}",
        check.message,
        _severity("goal_at_risk", 1.0 - chance),
        f"goal:{check.goal.name}",
        check.goal.target_date,
        figures,
    )


def _price_rise(series: RecurringSeries) -> Insight:
    old = abs(series.previous_amount or series.typical_amount)
    new = abs(series.typical_amount)
    change = (new - old) / old if old else Decimal(0)
    return Insight(
        "price_rise",
        f"{series.payee} now costs {format_money(new)}",
        f"Up from {format_money(old)} ({change:+.0%}) since {_day(series.price_changed_on)}; "
        f"next {format_money(abs(series.next_amount))} on {_day(series.next_date)}.",
        _severity("price_rise", float(change)),
        f"series:{series.id}",
        series.next_date,
        {"previous": old, "current": new, "next_date": series.next_date, "cadence": series.cadence},
    )


def _unusual(anomaly: Anomaly) -> Insight:
    return Insight(
        "unusual_spending",
        f"Unusual: {format_money(abs(anomaly.amount))} at {anomaly.payee}",
        f"{anomaly.explanation} ({_day(anomaly.date)}).",
        _severity("unusual_spending", anomaly.ratio / 10),
        f"txn:{anomaly.transaction_id}",
        anomaly.date,
        {"amount": anomaly.amount, "typical": anomaly.typical_amount, "ratio": anomaly.ratio},
    )


def _bill(payment: ExpectedPayment) -> Insight:
    return Insight(
        "upcoming_bill",
        f"{payment.payee} due {_day(payment.date)}",
        f"{format_money(abs(payment.amount))} expected on {payment.date:%a} {_day(payment.date)}.",
        _severity("upcoming_bill", 0.0),
        f"series:{payment.series_id}",
        payment.date,
        {"amount": payment.amount},
    )


def _severity(kind: InsightKind, size: float, weight: float = 0.1) -> float:
    """The kind's base severity plus ``weight`` times the problem's size clipped to [0, 1]."""
    return round(_BASE[kind] + weight * min(1.0, max(0.0, size)), 4)


def _day(day: date | None) -> str:
    """``Nov 21`` (portable: no platform-specific strftime flags)."""
    return "" if day is None else f"{day:%b} {day.day}"


def ledger_insights(ledger: Ledger, today: date, config: InsightConfig) -> list[Insight]:
    """The insights of a ledger workspace: its history, this month's budgets and its goals."""
    from budgetlm.analytics.goals import ledger_goals
    from budgetlm.analytics.history import from_ledger
    from budgetlm.analytics.months import ledger_budgets

    budgets = ledger_budgets(ledger, (today.replace(day=1),))
    return household_insights(
        from_ledger(ledger), today, budgets=budgets, goals=ledger_goals(ledger), config=config
    )
