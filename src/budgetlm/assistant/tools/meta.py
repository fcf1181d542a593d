"""Tools that answer about the conversation itself: help, a clarifying question, a refusal.

They compute nothing from the ledger but still return a ``ToolResult``, so every turn of the
assistant is a tool call and every answer is rendered and guarded the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal

from budgetlm.assistant.periods import resolve_period
from budgetlm.assistant.tools import common
from budgetlm.assistant.tools.base import Param, Tool, ToolContext, ToolResult

HELP_TOPICS: tuple[tuple[str, str], ...] = (
    ("spending", "How much did I spend on groceries last month?"),
    ("income", "How much did I earn this year?"),
    ("compare_spending", "Did I spend more on dining out than the month before?"),
    ("top_categories", "Where does most of my money go?"),
    ("budget_status", "How am I doing against my budget this month?"),
    ("affordability", "Can I afford a $300 purchase this month?"),
    ("upcoming_bills", "What bills are due in the next two weeks?"),
    ("forecast_balance", "What will my balance be in 30 days?"),
    ("goal_odds", "Will I reach my savings goal in time?"),
    ("debt_plan", "When will I be debt-free?"),
)
"""What the assistant can answer, each with an example question."""

_QUESTIONS = {
    "amount": "How much is it?",
    "category": "Which category do you mean?",
    "period": "For which period: this month, last month, or another?",
    "goal": "Which savings goal do you mean?",
    "account": "Which account do you mean?",
    "topic": "What would you like to know about your money: spending, budgets, bills, goals "
    "or debts?",
}
_OPTIONS_SHOWN = 5

_REFUSALS = {
    "regulated_advice": "I can't give investment, tax or legal advice. I can tell you about "
    "your own spending, budgets, bills, goals and debts.",
    "harmful": "I can't help with that. I can help with your budget, spending and savings.",
    "unrelated": "I only answer questions about your own money: spending, income, budgets, "
    "bills, goals and debts.",
}


def help_tool(context: ToolContext, arguments: Mapping[str, object]) -> ToolResult:
    """What the assistant can do.

    Figures: ``count`` (topics). Rows: ``topic`` (a tool name), ``example`` (a question).
    """
    rows: tuple[dict[str, object], ...] = tuple(
        {"topic": name, "example": example} for name, example in HELP_TOPICS
    )
    message = (
        "I answer questions about your own money from your ledger: spending, income, budgets, "
        "bills, your balance ahead, savings goals and debts."
    )
    return ToolResult("help", {}, None, {}, {"count": len(rows)}, rows, "ok", message)


def clarify(context: ToolContext, arguments: Mapping[str, object]) -> ToolResult:
    """A question back to the user when the request misses something.

    Figures: ``missing`` (what is missing), ``question`` (the question to ask). Rows: up to
    five ``option`` values from the user's own names (categories, goals or accounts) to
    choose from.
    """
    missing = common.text(arguments, "missing") or "topic"
    vocabulary = context.vocabulary
    choices = {
        "category": _busiest_categories(context),
        "goal": vocabulary.goals,
        "account": vocabulary.accounts,
    }.get(missing, ())
    rows: tuple[dict[str, object], ...] = tuple(
        {"option": name} for name in choices[:_OPTIONS_SHOWN]
    )
    question = _QUESTIONS[missing]
    figures: dict[str, object] = {"missing": missing, "question": question}
    return ToolResult("clarify", dict(arguments), None, {}, figures, rows, "ok", question)


def _busiest_categories(context: ToolContext) -> tuple[str, ...]:
    """Categories by spending over the last 90 days, then the rest in vocabulary order."""
    recent = resolve_period("last_n_days:90", context.today, earliest=context.earliest)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for t in common.spending_txns(context, recent):
        if t.category:
            totals[t.category] -= t.amount
    busiest = sorted((c for c in totals if totals[c] > 0), key=lambda c: (-totals[c], c))
    known = [c for c in busiest if c in context.vocabulary.categories]
    return tuple(dict.fromkeys([*known, *context.vocabulary.categories]))


def out_of_scope(context: ToolContext, arguments: Mapping[str, object]) -> ToolResult:
    """A polite refusal for what the assistant must not or cannot answer.

    Figures: ``reason`` (``regulated_advice``, ``harmful`` or ``unrelated``).
    """
    reason = common.text(arguments, "reason") or "unrelated"
    figures: dict[str, object] = {"reason": reason}
    return ToolResult(
        "out_of_scope", dict(arguments), None, {}, figures, (), "ok", _REFUSALS[reason]
    )


TOOLS: tuple[Tool, ...] = (
    Tool("help", "What the assistant can answer, with examples.", (), help_tool),
    Tool(
        "clarify",
        "Ask the user for what the question leaves out.",
        (Param("missing", "missing", "What is missing.", required=True),),
        clarify,
    ),
    Tool(
        "out_of_scope",
        "Decline a question outside personal budgeting (advice, harm, unrelated).",
        (Param("reason", "reason", "Why it is declined.", required=True),),
        out_of_scope,
    ),
)
"""The tools of this module, in the order the registry lists them."""
