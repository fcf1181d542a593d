"""Tools over past transactions: spending, income, cash flow, comparisons, rankings, search.

What counts as spending and income is defined once in ``tools.common``. Every figure is exact
``Decimal`` arithmetic over the ledger's amounts, in cents; percents are floats with 1 decimal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING

from budgetlm.analytics.months import UNCATEGORIZED
from budgetlm.assistant.tools import common
from budgetlm.assistant.tools.base import Param, Status, Tool, ToolContext, ToolResult
from budgetlm.money import cents, format_money

if TYPE_CHECKING:
    from budgetlm.assistant.periods import Period

_PERIOD = "When: a period spec such as last_month, month:2026-03, last_n_days:30, ytd."
_CATEGORY = "Only this category."
_PAYEE = "Only this payee (merchant)."
_ACCOUNT = "Only this account."


def spending(context: ToolContext, arguments: Mapping[str, object]) -> ToolResult:
    """How much was spent in a period, optionally in one category, at one payee, on one account.

    Figures: ``total`` (Decimal, positive = spent, refunds netted), ``count`` (transactions
    counted, refunds included). Status ``empty`` when nothing matched, or for an income
    category (the message says to ask about income).
    """
    span = common.period(context, arguments)
    category = common.text(arguments, "category")
    group = context.category_groups.get(category) if category else None
    base = _result("spending", arguments, span)
    if group == "income":
        message = f"{category} is an income category, not spending: ask how much came in instead."
        return _with(base, {"total": Decimal("0.00"), "count": 0}, status="empty", message=message)
    txns = common.spending_txns(
        context,
        span,
        category=category,
        payee=common.text(arguments, "payee"),
        account=common.text(arguments, "account"),
    )
    figures: dict[str, object] = {"total": common.outflow(txns), "count": len(txns)}
    if not txns:
        return _with(base, figures, status="empty", message=f"No spending matched {span.label()}.")
    message = ""
    if group in ("transfer", "savings"):
        message = (
            f"{category} moves money to your own accounts or pays down debt, so it is not "
            "day-to-day spending; this is its net outflow."
        )
    return _with(base, figures, message=message)


def income(context: ToolContext, arguments: Mapping[str, object]) -> ToolResult:
    """How much came in (income categories, net) in a period, optionally from one payee or
    into one account.

    Figures: ``total`` (Decimal), ``count`` (transactions). Transfers between own accounts
    are not income.
    """
    span = common.period(context, arguments)
    txns = common.income_txns(
        context,
        span,
        payee=common.text(arguments, "payee"),
        account=common.text(arguments, "account"),
    )
    figures: dict[str, object] = {"total": common.inflow(txns), "count": len(txns)}
    base = _result("income", arguments, span, figures)
    if not txns:
        return _with(base, figures, status="empty", message=f"No income {span.label()}.")
    return base


def net_cash_flow(context: ToolContext, arguments: Mapping[str, object]) -> ToolResult:
    """Income less spending in a period, optionally on one account.

    Figures: ``income``, ``spending``, ``net`` (Decimal; ``net = income - spending``,
    negative when more went out than came in).
    """
    span = common.period(context, arguments)
    account = common.text(arguments, "account")
    earned = common.income_txns(context, span, account=account)
    spent = common.spending_txns(context, span, account=account)
    came_in, went_out = common.inflow(earned), common.outflow(spent)
    figures: dict[str, object] = {
        "income": came_in,
        "spending": went_out,
        "net": came_in - went_out,
    }
    base = _result("net_cash_flow", arguments, span, figures)
    if not earned and not spent:
        return _with(
            base, figures, status="empty", message=f"No income or spending {span.label()}."
        )
    return base


def compare_spending(context: ToolContext, arguments: Mapping[str, object]) -> ToolResult:
    """Spending in one period against another, optionally for one category or payee.

    Figures: ``total`` (the period), ``other_total`` (the other period), ``difference``
    (``total - other_total``: positive = more spent in the period), ``change_percent``
    (``difference`` as a percent of ``other_total``, 1 decimal; None when ``other_total`` is
    0, and the message says so), ``other_period`` (the other period's label).
    """
    span = common.period(context, arguments)
    other = common.period(context, arguments, "other_period")
    category, payee = common.text(arguments, "category"), common.text(arguments, "payee")
    now = common.spending_txns(context, span, category=category, payee=payee)
    then = common.spending_txns(context, other, category=category, payee=payee)
    total, other_total = common.outflow(now), common.outflow(then)
    figures: dict[str, object] = {
        "total": total,
        "other_total": other_total,
        "difference": total - other_total,
        "change_percent": common.percent(total - other_total, other_total),
        "other_period": other.label(),
    }
    base = _result("compare_spending", arguments, span)
    if not now and not then:
        return _with(base, figures, status="empty", message="No spending matched in either period.")
    message = ""
    if other_total == 0:
        message = f"Nothing was spent {other.label()}, so there is no percent change."
    return _with(base, figures, message=message)


def top_categories(context: ToolContext, arguments: Mapping[str, object]) -> ToolResult:
    """The categories with the most spending in a period.

    Figures: ``total`` (all spending in the period), ``count`` (categories with spending).
    Rows (largest first, at most ``limit``): ``name``, ``total``, ``share`` (percent of all
    spending, 1 decimal). Uncategorized outflows form one ``Uncategorized`` row.
    """
    span = common.period(context, arguments)
    txns = common.spending_txns(context, span)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for t in txns:
        totals[t.category or UNCATEGORIZED] -= t.amount
    return _ranking("top_categories", arguments, span, totals, common.outflow(txns))


def top_payees(context: ToolContext, arguments: Mapping[str, object]) -> ToolResult:
    """The payees with the most spending in a period, optionally within one category.

    Figures: ``total`` (all spending matched), ``count`` (payees with spending). Rows
    (largest first, at most ``limit``): ``name`` (the payee), ``total``, ``share`` (percent).
    """
    span = common.period(context, arguments)
    txns = common.spending_txns(context, span, category=common.text(arguments, "category"))
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for t in txns:
        totals[t.payee] -= t.amount
    return _ranking("top_payees", arguments, span, totals, common.outflow(txns))


def _ranking(
    tool: str,
    arguments: Mapping[str, object],
    span: Period,
    totals: dict[str, Decimal],
    overall: Decimal,
) -> ToolResult:
    rows = common.ranked(totals, common.whole(arguments, "limit", 5), overall)
    figures: dict[str, object] = {
        "total": overall,
        "count": sum(1 for v in totals.values() if v > 0),
    }
    base = _result(tool, arguments, span, figures)
    if not rows:
        return _with(base, figures, "empty", f"No spending {span.label()}.")
    return replace(base, rows=tuple(rows))


def average_per_month(context: ToolContext, arguments: Mapping[str, object]) -> ToolResult:
    """Average monthly spending over the whole calendar months of a period, optionally for one
    category or payee.

    Partial months at either end of the period (such as the current month) are left out, and so
    are months before the history starts, so they do not pull the average down.

    Figures: ``average`` (Decimal, cents, half up), ``months`` (whole months averaged over),
    ``total`` (spending in those months). Status ``empty`` when the period holds no whole month.
    """
    span = common.period(context, arguments)
    months = common.whole_months(span, context.earliest)
    category, payee = common.text(arguments, "category"), common.text(arguments, "payee")
    base = _result("average_per_month", arguments, span)
    if not months:
        message = (
            f"The period {span.label()} holds no whole calendar month of history to average; "
            "ask about e.g. the last 3 months."
        )
        zero = Decimal("0.00")
        return _with(base, {"average": zero, "months": 0, "total": zero}, "empty", message)
    wanted = set(months)
    txns = [
        t
        for t in common.spending_txns(context, span, category=category, payee=payee)
        if t.date.replace(day=1) in wanted
    ]
    total = common.outflow(txns)
    figures: dict[str, object] = {
        "average": cents(total / len(months)),
        "months": len(months),
        "total": total,
    }
    left_out = span.start != months[0] or span.end != common.month_end(months[-1])
    message = "Partial months at the ends of the period are left out." if left_out else ""
    return _with(base, figures, message=message)


def search_transactions(context: ToolContext, arguments: Mapping[str, object]) -> ToolResult:
    """Transactions matching filters, newest first: any kind (purchases, refunds, income,
    transfers), by period, category, payee and size.

    ``min_amount``/``max_amount`` bound the size of the amount whatever its sign.
    Figures: ``count`` (all matches), ``shown`` (rows returned, at most ``limit``). Rows:
    ``date``, ``payee``, ``amount`` (signed: outflows negative), ``category`` (None when
    uncategorized), ``account``.
    """
    span = common.period(context, arguments)
    category, payee = common.text(arguments, "category"), common.text(arguments, "payee")
    low = common.amount(arguments, "min_amount")
    high = common.amount(arguments, "max_amount")
    base = _result("search_transactions", arguments, span)
    if low is not None and high is not None and low > high:
        message = (
            f"The smallest amount {format_money(low)} is above the largest {format_money(high)}."
        )
        return _with(base, {"count": 0, "shown": 0}, "error", message)
    matches = [
        t
        for t in common.in_period(context, span)
        if (category is None or t.category == category)
        and (payee is None or t.payee == payee)
        and (low is None or abs(t.amount) >= low)
        and (high is None or abs(t.amount) <= high)
    ]
    shown = matches[::-1][: common.whole(arguments, "limit", 10)]
    rows: tuple[dict[str, object], ...] = tuple(
        {
            "date": t.date,
            "payee": t.payee,
            "amount": t.amount,
            "category": t.category,
            "account": t.account,
        }
        for t in shown
    )
    figures: dict[str, object] = {"count": len(matches), "shown": len(rows)}
    if not matches:
        return _with(base, figures, "empty", f"No transactions matched {span.label()}.")
    return replace(base, figures=figures, rows=rows)


def _result(
    tool: str,
    arguments: Mapping[str, object],
    span: Period,
    figures: dict[str, object] | None = None,
) -> ToolResult:
    """A result of ``tool`` over ``span`` with the call's filters (no figures unless given)."""
    return ToolResult(tool, dict(arguments), span, common.filters(arguments), figures or {})


def _with(
    base: ToolResult,
    figures: dict[str, object],
    status: Status = "ok",
    message: str = "",
) -> ToolResult:
    """``base`` with its figures, status and message set."""
    return replace(base, figures=figures, status=status, message=message)


_LIMIT = Param("limit", "limit", "How many rows (1..20).", default=5)
TOOLS: tuple[Tool, ...] = (
    Tool(
        "spending",
        "How much was spent in a period (optionally in a category, at a payee or on an account).",
        (
            Param("period", "period", _PERIOD, required=True, default="this_month"),
            Param("category", "category", _CATEGORY),
            Param("payee", "payee", _PAYEE),
            Param("account", "account", _ACCOUNT),
        ),
        spending,
    ),
    Tool(
        "income",
        "How much income came in during a period (optionally from a payee or into an account).",
        (
            Param("period", "period", _PERIOD, required=True, default="this_month"),
            Param("payee", "payee", _PAYEE),
            Param("account", "account", _ACCOUNT),
        ),
        income,
    ),
    Tool(
        "net_cash_flow",
        "Income minus spending in a period.",
        (
            Param("period", "period", _PERIOD, required=True, default="this_month"),
            Param("account", "account", _ACCOUNT),
        ),
        net_cash_flow,
    ),
    Tool(
        "compare_spending",
        "Spending in one period compared with another.",
        (
            Param("period", "period", _PERIOD, required=True, default="this_month"),
            Param(
                "other_period",
                "period",
                "The period to compare with (e.g. before:last_month).",
                required=True,
                default="last_month",
            ),
            Param("category", "category", _CATEGORY),
            Param("payee", "payee", _PAYEE),
        ),
        compare_spending,
    ),
    Tool(
        "top_categories",
        "The categories with the most spending in a period.",
        (Param("period", "period", _PERIOD, required=True, default="this_month"), _LIMIT),
        top_categories,
    ),
    Tool(
        "top_payees",
        "The payees (merchants) with the most spending in a period.",
        (
            Param("period", "period", _PERIOD, required=True, default="this_month"),
            Param("category", "category", _CATEGORY),
            _LIMIT,
        ),
        top_payees,
    ),
    Tool(
        "average_per_month",
        "Average monthly spending over the whole months of a period.",
        (
            Param(
                "period",
                "period",
                _PERIOD + " Default last_n_months:12.",
                required=True,
                default="last_n_months:12",
            ),
            Param("category", "category", _CATEGORY),
            Param("payee", "payee", _PAYEE),
        ),
        average_per_month,
    ),
    Tool(
        "search_transactions",
        "Find transactions by period, category, payee or size, newest first.",
        (
            Param("period", "period", _PERIOD + " Default all.", default="all"),
            Param("category", "category", _CATEGORY),
            Param("payee", "payee", _PAYEE),
            Param("min_amount", "amount", "Smallest amount (either sign)."),
            Param("max_amount", "amount", "Largest amount (either sign)."),
            Param("limit", "limit", "How many rows (1..20).", default=10),
        ),
        search_transactions,
    ),
)
"""The tools of this module, in the order the registry lists them."""
