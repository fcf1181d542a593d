"""What the tools share: reading arguments, resolving periods, and which transactions count.

Spending and income follow ``analytics.months`` (the budget, budget-status and health engines):

* **Spending** is the net outflow, as a positive amount, of transactions in ``need`` and
  ``want`` categories (refunds, which keep the purchase's category, net off) plus uncategorized
  outflows. Transfers between the household's own accounts, card payments, savings and loan
  principal (groups ``transfer`` and ``savings``) and income are not spending.
* **Income** is the net of ``income``-group transactions.

Asked for one category by name, spending is that category's net outflow whatever its group, as
the ledger's budgets count it: "how much went to Loan Payments" has an answer even though loan
principal is not day-to-day spending (the tool's message says so).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from budgetlm.analytics.months import is_spending_category
from budgetlm.analytics.records import Txn
from budgetlm.analytics.schedule import add_months
from budgetlm.assistant.periods import Period, resolve_period
from budgetlm.assistant.tools.base import ToolContext, ToolError
from budgetlm.money import cents

FILTER_NAMES = ("category", "payee", "account")
"""Arguments that narrow which transactions count; a result's ``filters`` names those given."""


def text(arguments: Mapping[str, object], name: str) -> str | None:
    """A string argument, or None when omitted."""
    value = arguments.get(name)
    return value if isinstance(value, str) else None


def whole(arguments: Mapping[str, object], name: str, default: int) -> int:
    """An integer argument (validated already), or ``default``."""
    value = arguments.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def amount(arguments: Mapping[str, object], name: str) -> Decimal | None:
    """A money argument as Decimal cents (floats through their shortest repr), or None."""
    value = arguments.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return cents(value) if isinstance(value, float) else cents(Decimal(value))


def period(context: ToolContext, arguments: Mapping[str, object], name: str = "period") -> Period:
    """Resolve a period argument against the context's today and earliest day.

    Raises:
        PeriodError: The spec is impossible (its message names the bad part).
        ToolError: The argument is missing.
    """
    spec = text(arguments, name)
    if spec is None:
        raise ToolError("a period is required", argument=name)
    return resolve_period(spec, context.today, earliest=context.earliest)


def filters(arguments: Mapping[str, object]) -> dict[str, str]:
    """The filters given, by name."""
    return {n: v for n in FILTER_NAMES if (v := text(arguments, n)) is not None}


def in_period(context: ToolContext, span: Period) -> Iterable[Txn]:
    """Transactions inside ``span`` (its day filter honoured), oldest first."""
    days = span.days
    for t in context.between(span.start, span.end):
        if days == "all" or (t.date.weekday() >= 5) == (days == "weekends"):
            yield t


def spending_txns(
    context: ToolContext,
    span: Period,
    *,
    category: str | None = None,
    payee: str | None = None,
    account: str | None = None,
) -> list[Txn]:
    """The transactions counted as spending in ``span`` under the filters (module docstring)."""
    return [
        t
        for t in in_period(context, span)
        if (t.category == category if category is not None else is_spending_category(t))
        and (payee is None or t.payee == payee)
        and (account is None or t.account == account)
    ]


def income_txns(
    context: ToolContext, span: Period, *, payee: str | None = None, account: str | None = None
) -> list[Txn]:
    """The income transactions in ``span`` under the filters."""
    return [
        t
        for t in in_period(context, span)
        if t.group == "income"
        and (payee is None or t.payee == payee)
        and (account is None or t.account == account)
    ]


def outflow(txns: Iterable[Txn]) -> Decimal:
    """Net outflow as a positive amount (refunds net off), in cents."""
    return cents(-sum((t.amount for t in txns), Decimal(0)))


def inflow(txns: Iterable[Txn]) -> Decimal:
    """Net inflow, in cents."""
    return cents(sum((t.amount for t in txns), Decimal(0)))


def percent(part: Decimal, whole_amount: Decimal) -> float | None:
    """``part`` as a percentage of ``whole_amount``, 1 decimal rounded half up (as money is);
    None when the whole is 0."""
    if whole_amount == 0:
        return None
    return float((part * 100 / whole_amount).quantize(Decimal("0.1"), ROUND_HALF_UP))


def month_end(first: date) -> date:
    """The last day of ``first``'s month."""
    return add_months(first, 1) - timedelta(days=1)


def whole_months(span: Period, earliest: date) -> list[date]:
    """First days of the calendar months lying wholly inside ``span``, from the history's first
    month on (the first month counts even when the history starts inside it, as
    ``analytics.months.window_months`` counts it)."""
    month = span.start if span.start.day == 1 else add_months(span.start, 1)
    first = earliest.replace(day=1)
    months = []
    while month_end(month) <= span.end:
        if month >= first:
            months.append(month)
        month = add_months(month, 1)
    return months


def ranked(totals: Mapping[str, Decimal], limit: int, overall: Decimal) -> list[dict[str, object]]:
    """Rows ``{name, total, share}`` of the positive totals, largest first (ties by name);
    ``share`` is the percent of ``overall``."""
    order: Sequence[tuple[str, Decimal]] = sorted(
        ((k, v) for k, v in totals.items() if v > 0), key=lambda kv: (-kv[1], kv[0])
    )
    return [
        {"name": name, "total": cents(total), "share": percent(total, overall)}
        for name, total in order[:limit]
    ]
