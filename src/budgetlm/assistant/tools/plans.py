"""Tools about the household's plans: the odds of a savings goal and a debt payoff plan."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal

from budgetlm.analytics.debt import STRATEGIES, Strategy
from budgetlm.analytics.goals import GoalConfig
from budgetlm.assistant.tools import common
from budgetlm.assistant.tools.base import Param, Tool, ToolContext, ToolResult
from budgetlm.money import cents

GOAL_CONFIG = GoalConfig(simulations=2000)
"""Simulated futures per goal check: 2,000 keep the check near 20 ms, and the chance's 95%
interval within about 2 points of the 10,000 the CLI runs."""


def goal_odds(context: ToolContext, arguments: Mapping[str, object]) -> ToolResult:
    """The chance of reaching a savings goal by its date (``analytics.goals.check_goal``:
    the household's past months replayed in simulation).

    Figures: ``probability`` (a fraction in [0, 1], 2 decimals; 1.0 when already reached,
    None when there was too little history or the date has passed), ``needed_monthly`` (what
    is left to save divided by the months left, cents; 0 when reached), ``extra_monthly``
    (extra saving a month that lifts the chance to 90%; None when not simulated), ``target``,
    ``current``, ``target_date``, ``months_left``, ``goal``. Status ``empty`` when the
    household has no goals.
    """
    from budgetlm.analytics.goals import check_goal

    name = common.text(arguments, "goal")
    result = ToolResult("goal_odds", dict(arguments), None, {}, {})
    if not context.goals:
        message = "You have no savings goals yet: add one with budgetlm goal add."
        return replace(result, status="empty", message=message)
    goal = next((g for g in context.goals if g.name == name), context.goals[0])
    check = check_goal(goal, context.past, context.today, GOAL_CONFIG)
    left = max(Decimal(0), goal.target - goal.current)
    chance = check.probability
    probability = 1.0 if check.status == "reached" else chance and round(chance.estimate, 2)
    figures: dict[str, object] = {
        "probability": probability,
        "needed_monthly": cents(left / max(1, check.months_left)),
        "extra_monthly": check.extra_monthly_needed,
        "target": goal.target,
        "current": goal.current,
        "target_date": goal.target_date,
        "months_left": check.months_left,
        "goal": goal.name,
    }
    return replace(result, filters={"goal": goal.name}, figures=figures, message=check.message)


def debt_plan(context: ToolContext, arguments: Mapping[str, object]) -> ToolResult:
    """A payoff plan for all the debts (``analytics.debt.plan_payoff``): minimums plus
    ``extra`` a month, aimed by ``strategy``.

    Figures: ``months`` (until debt-free; None if never within 50 years), ``debt_free_date``
    (None if never), ``total_interest``, ``monthly_payment`` (minimums plus extra),
    ``strategy``, ``extra``. Rows per debt: ``name``, ``balance``, ``months``,
    ``payoff_date``, ``total_interest``. Status ``empty`` when no debts are recorded.
    """
    from budgetlm.analytics.debt import plan_payoff

    strategy = _strategy(common.text(arguments, "strategy"))
    extra = common.amount(arguments, "extra") or Decimal("0.00")
    result = ToolResult("debt_plan", dict(arguments), None, {}, {})
    if not context.debts:
        message = "You have no debts recorded: add one with budgetlm debt add."
        return replace(result, status="empty", message=message)
    plan = plan_payoff(context.debts, strategy, extra, context.today)
    balances = {d.name: d.balance for d in context.debts}
    figures: dict[str, object] = {
        "months": plan.months_to_debt_free,
        "debt_free_date": plan.debt_free_date,
        "total_interest": cents(plan.total_interest),
        "monthly_payment": plan.monthly_budget,
        "strategy": strategy,
        "extra": extra,
    }
    rows: tuple[dict[str, object], ...] = tuple(
        {
            "name": p.name,
            "balance": balances[p.name],
            "months": p.months,
            "payoff_date": p.payoff_date,
            "total_interest": cents(p.total_interest),
        }
        for p in plan.payoffs
    )
    return replace(result, figures=figures, rows=rows, message=plan.message or "")


def _strategy(value: str | None) -> Strategy:
    return next((s for s in STRATEGIES if s == value), "avalanche")


TOOLS: tuple[Tool, ...] = (
    Tool(
        "goal_odds",
        "The chance of reaching a savings goal by its date, and what it takes.",
        (Param("goal", "goal", "The savings goal.", required=True),),
        goal_odds,
    ),
    Tool(
        "debt_plan",
        "When the debts will be paid off, and the interest, under a payoff strategy.",
        (
            Param(
                "strategy",
                "strategy",
                "avalanche (highest rate first; default), snowball (smallest balance first) "
                "or hybrid.",
                default="avalanche",
            ),
            Param("extra", "amount", "Paid each month on top of the minimums."),
        ),
        debt_plan,
    ),
)
"""The tools of this module, in the order the registry lists them."""
