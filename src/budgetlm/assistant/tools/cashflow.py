"""Tools that look ahead: upcoming bills, the balance forecast, and "can I afford this?".

Bills come from the recurring series the history shows (``analytics.recurring``, found once
per context); the forecast is ``analytics.forecast`` over the cash accounts (checking by
default) with that schedule.

Affordability rule (``affordability``)
    The horizon runs from tomorrow to the end of the period's calendar unit: Sunday for
    ``this_week``, the quarter's or year's end for ``this_quarter``/``this_year``/``ytd``, the
    day itself for ``today``, and the end of this month for anything else. Paying the amount
    today lowers every projected balance by it. Then:

    * **no** when the amount is more than the cash balance now, or the lowest expected balance
      until the horizon's end, after paying, falls below zero;
    * **tight** when it is more than the category's budget left this month (when the category
      has one), or when the lower bound of the forecast's 80% interval, after paying, dips
      below zero before the horizon's end;
    * **yes** otherwise.

    The message gives every reason with its figures.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from budgetlm.analytics.schedule import add_months
from budgetlm.assistant.periods import Period, format_date
from budgetlm.assistant.tools import common
from budgetlm.assistant.tools.base import Param, Tool, ToolContext, ToolResult
from budgetlm.money import cents, format_money

if TYPE_CHECKING:
    from budgetlm.analytics.forecast import Forecast

_ZERO = Decimal("0.00")


def upcoming_bills(context: ToolContext, arguments: Mapping[str, object]) -> ToolResult:
    """Payments the recurring series expect in the next ``days`` days (from tomorrow).

    Bills are the expected outflows: bills, subscriptions, loan and card payments and scheduled
    transfers to savings; paychecks and other inflows are left out.
    Figures: ``count``, ``total`` (Decimal, positive), ``days``, ``until`` (last day covered).
    Rows (by date): ``payee``, ``date``, ``amount`` (positive), ``category``.
    """
    from budgetlm.analytics.recurring import expected_payments

    days = common.whole(arguments, "days", 30)
    until = context.today + timedelta(days=days)
    due = [
        p
        for p in expected_payments(context.recurring, context.today + timedelta(days=1), until)
        if p.amount < 0
    ]
    rows: tuple[dict[str, object], ...] = tuple(
        {"payee": p.payee, "date": p.date, "amount": -p.amount, "category": p.category} for p in due
    )
    figures: dict[str, object] = {
        "count": len(due),
        "total": cents(-sum((p.amount for p in due), Decimal(0))),
        "days": days,
        "until": until,
    }
    result = ToolResult("upcoming_bills", dict(arguments), None, {}, figures, rows)
    if not due:
        message = f"No bills are expected by {format_date(until)}."
        return replace(result, status="empty", message=message)
    return result


def forecast_balance(context: ToolContext, arguments: Mapping[str, object]) -> ToolResult:
    """The projected cash balance over the next ``days`` days (checking accounts, or one
    account).

    Figures: ``balance`` (today), ``end_balance`` (expected on the last day), ``end_date``,
    ``low``/``high`` (the 80% interval on the last day), ``lowest_balance`` and
    ``lowest_date`` (lowest expected balance on the way; today's when nothing is lower),
    ``days``. The message warns when the balance is projected below zero.
    """
    days = common.whole(arguments, "days", 30)
    account = common.text(arguments, "account")
    forecast = _forecast(context, days, account)
    result = ToolResult("forecast_balance", dict(arguments), None, common.filters(arguments), {})
    if forecast is None:
        message = "There is no checking account to forecast."
        return replace(result, status="empty", message=message)
    last = forecast.days[-1]
    figures: dict[str, object] = {
        "balance": forecast.opening_balance,
        "end_balance": last.expected_balance,
        "end_date": last.date,
        "low": last.lower,
        "high": last.upper,
        "lowest_balance": forecast.minimum_balance,
        "lowest_date": forecast.minimum_date,
        "days": days,
    }
    message = ""
    if below := next((d for d in forecast.days if d.expected_balance < 0), None):
        message = (
            f"The balance is projected below zero on {format_date(below.date)} "
            f"({format_money(below.expected_balance)})."
        )
    return replace(result, figures=figures, message=message)


def affordability(context: ToolContext, arguments: Mapping[str, object]) -> ToolResult:
    """Whether a purchase fits: cash now, the forecast after paying it, and the category's
    budget (see the module docstring for the rule).

    Figures: ``verdict`` (``yes``/``tight``/``no``), ``amount``, ``remaining_budget`` (the
    category's budget left this month; None without a category or budget), ``bills_due``
    (scheduled outflows of the cash accounts from tomorrow to ``until``, positive),
    ``balance`` (cash now), ``lowest_balance`` and ``lowest_date`` (lowest expected balance
    until ``until`` after paying), ``until`` (the horizon's last day).
    """
    span = common.period(context, arguments)
    price = common.amount(arguments, "amount") or _ZERO
    category = common.text(arguments, "category")
    until = _horizon_end(span, context.today)
    forecast = _forecast(context, max(1, (until - context.today).days), None)
    result = ToolResult("affordability", dict(arguments), span, common.filters(arguments), {})
    if forecast is None:
        message = "There is no checking account to judge this against."
        return replace(result, status="empty", message=message)
    days = [d for d in forecast.days if d.date <= until]
    opening = forecast.opening_balance
    low = min(days, key=lambda d: d.expected_balance, default=None)
    dips = low is not None and low.expected_balance < opening
    after = _AfterPaying(
        price=price,
        balance=opening,
        lowest=(low.expected_balance if low and dips else opening) - price,
        lowest_date=low.date if low and dips else context.today,
        low_bound=min((d.lower for d in days), default=opening) - price,
        remaining=_remaining_budget(context, category),
        until=until,
    )
    verdict, reasons = after.verdict(category)
    figures: dict[str, object] = {
        "verdict": verdict,
        "amount": price,
        "remaining_budget": after.remaining,
        "bills_due": cents(
            -sum((p.amount for d in days for p in d.scheduled if p.amount < 0), _ZERO)
        ),
        "balance": after.balance,
        "lowest_balance": after.lowest,
        "lowest_date": after.lowest_date,
        "until": until,
    }
    return replace(result, figures=figures, message=" ".join(reasons))


@dataclass(frozen=True)
class _AfterPaying:
    """The figures an affordability verdict rests on."""

    price: Decimal
    balance: Decimal
    """Cash now."""
    lowest: Decimal
    """Lowest expected balance until ``until``, after paying."""
    lowest_date: date
    low_bound: Decimal
    """Lowest lower bound of the 80% interval until ``until``, after paying."""
    remaining: Decimal | None
    """The category's budget left this month."""
    until: date

    def verdict(self, category: str | None) -> tuple[str, list[str]]:
        """The verdict and its reasons in words with figures (module docstring)."""
        no, tight = [], []
        if self.price > self.balance:
            no.append(
                f"{format_money(self.price)} is more than the {format_money(self.balance)} "
                "you have now."
            )
        elif self.lowest < 0:
            no.append(
                f"After paying it, your balance is projected to fall to "
                f"{format_money(self.lowest)} on {format_date(self.lowest_date)}."
            )
        elif self.low_bound < 0:
            tight.append(
                f"After paying it, your balance could dip below zero by "
                f"{format_date(self.until)} if spending runs high."
            )
        if self.remaining is not None and self.remaining <= 0 < self.price:
            tight.append(
                f"Your {category} budget is already used up ({format_money(-self.remaining)} over)."
            )
        elif self.remaining is not None and self.price > self.remaining:
            tight.append(
                f"It is more than the {format_money(self.remaining)} left in your {category} "
                "budget."
            )
        if no:
            return "no", no + tight
        if tight:
            return "tight", tight
        return "yes", [
            f"After paying it, your lowest projected balance until {format_date(self.until)} "
            f"is {format_money(self.lowest)}."
        ]


def _horizon_end(span: Period, today: date) -> date:
    """Last day of the affordability horizon for a period (module docstring)."""
    base = span.spec
    while base.startswith(("weekends:", "weekdays:")):
        base = base.split(":", 1)[1]
    if base == "today":
        return today
    if base == "this_week":
        return today + timedelta(days=6 - today.weekday())
    if base == "this_quarter":
        quarter = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)
        return add_months(quarter, 3) - timedelta(days=1)
    if base in ("this_year", "ytd"):
        return date(today.year, 12, 31)
    return common.month_end(today.replace(day=1))


def _remaining_budget(context: ToolContext, category: str | None) -> Decimal | None:
    """The category's budget left this month; None without a category or a budget."""
    if category is None:
        return None
    from budgetlm.analytics.budget_status import budget_status

    budgets = [b for b in context.budgets if b.category == category]
    if not budgets:
        return None
    status = budget_status(context.past, budgets, context.today, recurring=context.recurring)
    return next((line.remaining for line in status.lines if line.category == category), None)


def _forecast(context: ToolContext, days: int, account: str | None) -> Forecast | None:
    """The forecast of the checking accounts (or of ``account``); None when there is none."""
    from budgetlm.analytics.forecast import ForecastConfig, forecast_history

    accounts = context.history.accounts
    config = ForecastConfig()
    if account is not None:
        accounts = tuple(a for a in accounts if a.name == account)
        config = ForecastConfig(cash_account_types=tuple({a.account_type for a in accounts}))
    if not any(a.account_type in config.cash_account_types for a in accounts):
        return None
    return forecast_history(
        context.history.transactions,
        accounts,
        context.today,
        days,
        config=config,
        series=context.recurring,
    )


_DAYS = Param("days", "days", "How many days ahead (1..365).", default=30)
TOOLS: tuple[Tool, ...] = (
    Tool(
        "affordability",
        "Whether a purchase of an amount fits the budget, the bills due and the cash balance.",
        (
            Param("amount", "amount", "The price.", required=True),
            Param("category", "category", "The budget category it would fall in."),
            Param(
                "period",
                "period",
                "The span to judge over: this_month (default) or this_week.",
                default="this_month",
            ),
        ),
        affordability,
    ),
    Tool(
        "upcoming_bills",
        "Bills and subscriptions expected in the coming days.",
        (_DAYS,),
        upcoming_bills,
    ),
    Tool(
        "forecast_balance",
        "The projected cash balance over the coming days.",
        (_DAYS, Param("account", "account", "Forecast this account only.")),
        forecast_balance,
    ),
)
"""The tools of this module, in the order the registry lists them."""
