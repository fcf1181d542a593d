"""Every tool by name, and ``execute``: validate a call, then run its tool.

The order of ``TOOLS`` is the contract's table order; schemas and prompts list tools in it.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from types import MappingProxyType

from budgetlm.assistant.periods import PeriodError
from budgetlm.assistant.tools import budgets, cashflow, meta, plans, spending
from budgetlm.assistant.tools.base import Tool, ToolCall, ToolContext, ToolError, ToolResult
from budgetlm.assistant.tools.schema import validate_call
from budgetlm.money import cents

ORDER = (
    "spending", "income", "net_cash_flow", "compare_spending", "top_categories", "top_payees",
    "average_per_month", "search_transactions", "budget_status", "affordability",
    "upcoming_bills", "forecast_balance", "goal_odds", "debt_plan", "savings_rate",
    "unusual_spending", "budget_recommendation", "help", "clarify", "out_of_scope",
)  # fmt: skip
"""Tool names in canonical order."""

_ALL = {t.name: t for m in (spending, cashflow, budgets, plans, meta) for t in m.TOOLS}
TOOLS: MappingProxyType[str, Tool] = MappingProxyType({name: _ALL[name] for name in ORDER})
"""Every tool by name, read-only."""


def execute(call: ToolCall, context: ToolContext) -> ToolResult:
    """Validate ``call`` against the context's vocabulary and run it.

    Never raises for a bad call or an impossible period: the result then has status
    ``error`` and a message saying what to fix (naming the argument when one is at fault).
    Every Decimal of the result's figures and rows is money in cents.
    """
    try:
        validate_call(call, context.vocabulary)
    except ToolError as exc:
        return _error(call.name, dict(call.arguments), str(exc))
    tool = TOOLS[call.name]
    arguments = tool.with_defaults(call.arguments)
    try:
        result = tool.run(context, arguments)
    except (ToolError, PeriodError) as exc:
        return _error(call.name, arguments, str(exc))
    return replace(
        result, figures=_in_cents(result.figures), rows=tuple(map(_in_cents, result.rows))
    )


def _in_cents(values: dict[str, object]) -> dict[str, object]:
    """Every Decimal (all are money) rounded to cents, so ``6960`` reads ``6960.00``."""
    return {k: cents(v) if isinstance(v, Decimal) else v for k, v in values.items()}


def _error(name: str, arguments: dict[str, object], message: str) -> ToolResult:
    return ToolResult(name, arguments, None, {}, {}, (), "error", message)
