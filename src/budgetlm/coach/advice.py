"""One recommendation: the policy's action on the user's ledger, said with the ledger's numbers.

``recommend(policy, view, bills_due)`` asks the policy for an action on ``view.state`` (timed:
issue 8 asks for under 5 ms) and ``phrase`` states it in one or two sentences built only from
``LedgerFacts`` and the bills the recurring engine expects before the next month starts, for
example "Move $150 to savings on December 1: your bills are covered ($1,240 due before then,
$3,410 in checking), and at $620 a month the Emergency Fund goal is reached by March 2027, on
its date." Every amount is whole currency units, rounded as people round (transfers and cuts
to $5, goal targets to $50), and the same figures are returned as fields for an app to use.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from budgetlm.analytics.schedule import add_months, clamp
from budgetlm.coach.actions import ACTIONS, Action
from budgetlm.coach.observation import observe
from budgetlm.money import format_money

if TYPE_CHECKING:
    from budgetlm.coach.ledger_view import CoachView, LedgerFacts
    from budgetlm.coach.rollout import Policy


@dataclass(frozen=True)
class Recommendation:
    """What the coach tells the user this month."""

    action: Action
    """The policy's action."""
    message: str
    """The advice in plain words, with the ledger's numbers."""
    amount: Decimal | None = None
    """The monthly transfer, the monthly cut in money, or the goal's new target."""
    category: str | None = None
    """The category a nudge is about."""
    goal: str | None = None
    """The goal the advice mentions."""
    new_date: date | None = None
    """A goal extension's new date."""
    decision_ms: float = 0.0
    """Time the policy took to choose (observation scaling and forward pass)."""


def recommend(policy: Policy, view: CoachView, bills_due: Decimal) -> Recommendation:
    """The policy's action for ``view``, phrased with its facts.

    Args:
        policy: A trained (or rule) coach.
        view: The user's ledger as the coach sees it (``ledger_view.coach_view``).
        bills_due: Bills expected from tomorrow until the next month starts (positive).
    """
    started = time.perf_counter()
    index = policy.act(observe(view.state))
    elapsed = (time.perf_counter() - started) * 1000
    return replace(phrase(ACTIONS[index], view.facts, bills_due), decision_ms=elapsed)


def phrase(action: Action, facts: LedgerFacts, bills_due: Decimal) -> Recommendation:
    """State ``action`` with the user's numbers (see the module docstring)."""
    goal = facts.goal
    if action.kind == "transfer":
        return _transfer(action, facts, bills_due)
    if action.kind == "nudge" and facts.top_category is not None:
        cut = _round_to(facts.top_category_spend * Decimal(str(action.size)), 5)
        text = (
            f"Try spending {action.size:.0%} less on {facts.top_category} next month: about "
            f"{_money(cut)} of your usual {_money(facts.top_category_spend)} a month, or "
            f"{_money(12 * cut)} over a year"
        )
        text += f" toward the {goal.name} goal." if goal is not None else " kept as savings."
        return Recommendation(action, text, amount=cut, category=facts.top_category,
                              goal=goal.name if goal else None)  # fmt: skip
    if action.kind == "goal_extend" and goal is not None:
        new_date = clamp(add_months(goal.target_date, int(action.size)), goal.target_date.day)
        gap = goal.target - goal.current
        text = (
            f"Give the {goal.name} goal {_months(int(action.size))} more, until "
            f"{_month(new_date)}: {_money(gap)} is still needed, "
            f"{_pace_sentence(gap, facts.monthly_saving)}"
        )
        return Recommendation(action, text, goal=goal.name, new_date=new_date)
    if action.kind == "goal_raise" and goal is not None:
        target = _round_to(goal.target * Decimal(1 + action.size), 50)
        text = (
            f"The {goal.name} goal is {goal.current / goal.target:.0%} funded "
            f"({_money(goal.current)} of {_money(goal.target)}) and you are "
            f"{_keeping(facts.monthly_saving)}: raise its target to {_money(target)}."
        )
        return Recommendation(action, text, amount=target, goal=goal.name)
    if action.kind == "celebrate":
        parts = []
        if facts.last_month_saving > 0:
            parts.append(
                f"you kept {_money(facts.last_month_saving)} last month (your usual: "
                f"{_money(max(Decimal(0), facts.monthly_saving))} a month)"
            )
        if goal is not None:
            parts.append(f"the {goal.name} goal is {goal.current / goal.target:.0%} funded")
        text = "Well done: " + " and ".join(parts or ["you are still on board"]) + "."
        return Recommendation(action, text, goal=goal.name if goal else None)
    # nothing to say, or an action the ledger gives nothing to act on (no goal, no category)
    text = f"No change this month: you are {_keeping(facts.monthly_saving)}"
    if facts.monthly_saving > 0:
        text += f", {facts.savings_rate:.0%} of your income"
    if goal is not None:
        gap = goal.target - goal.current
        text += f"; the {goal.name} goal needs {_money(gap)} more by {_month(goal.target_date)}"
    return Recommendation(ACTIONS[0], text + ".", goal=goal.name if goal else None)


def _transfer(action: Action, facts: LedgerFacts, bills_due: Decimal) -> Recommendation:
    amount = max(Decimal(5), _round_to(facts.monthly_income * Decimal(str(action.size)), 5))
    day = add_months(facts.today.replace(day=1), 1)
    left = facts.checking - bills_due
    if left >= amount:
        text = (
            f"Move {_money(amount)} to savings on {_day(day)}, and every month after: your bills "
            f"are covered ({_money(bills_due)} due before then, {_money(facts.checking)} in "
            "checking)"
        )
    else:
        text = (
            f"Move {_money(amount)} to savings each month, starting the day after your next "
            f"paycheck: {_money(bills_due)} of bills are due before {_day(day)} and checking "
            f"holds {_money(facts.checking)}, so wait until the money is in"
        )
    goal = facts.goal
    if goal is None:
        text += f"; that is {_money(12 * amount)} a year."
        return Recommendation(action, text, amount=amount)
    gap = goal.target - goal.current
    pace = max(Decimal(0), facts.monthly_saving) + amount
    months = math.ceil(gap / pace)
    reached = add_months(facts.today.replace(day=1), months)
    late = (reached.year - goal.target_date.year) * 12 + reached.month - goal.target_date.month
    if facts.monthly_saving > 0:
        text += f". On top of the {_money(facts.monthly_saving)} a month you keep now, that"
    else:
        text += ". That alone"
    text += f" reaches the {goal.name} goal ({_money(gap)} to go) by {_month(reached)}, "
    after = f"{_months(late)} after its date ({_month(goal.target_date)})"
    text += "on track for its date." if late <= 0 else after + "."
    return Recommendation(action, text, amount=amount, goal=goal.name)


def _pace_sentence(gap: Decimal, saving: Decimal) -> str:
    if saving <= 0:
        return f"and you are {_keeping(saving)}."
    months = _months(math.ceil(gap / saving))
    return f"and at your recent {_money(saving)} a month that takes about {months}."


def _keeping(saving: Decimal) -> str:
    """How a monthly saving reads: kept, or overspent."""
    if saving >= 0:
        return f"keeping {_money(saving)} a month"
    return f"spending {_money(-saving)} a month more than you earn"


def _months(count: int) -> str:
    return f"{count} month" if count == 1 else f"{count} months"


def _round_to(amount: Decimal, step: int) -> Decimal:
    """``amount`` rounded to the nearest ``step`` whole units."""
    return (amount / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step


def _money(amount: Decimal) -> str:
    """Whole units, as people say amounts: ``$1,240``."""
    return format_money(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)).removesuffix(".00")


def _month(day: date) -> str:
    return day.strftime("%B %Y")


def _day(day: date) -> str:
    return f"{day.strftime('%B')} {day.day}"
