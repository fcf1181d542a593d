"""The user's real ledger as the coach sees it (issue 8, point 5).

``coach_view(context, turns)`` gives two things:

* the ``FinancialState`` a trained policy reads, built with the ledger definitions listed in
  ``observation``'s docstring, so a policy meets in use what it met in the simulator: the last
  ``SimConfig.window`` full months before today's, the mortgage left out of the debts (it is
  housing), loan principal (``Car Payment``) left out of spending, budget adherence and
  overspending over discretionary (``want``) budgets, the savings goal from the user's first
  unfunded goal, the automatic transfer from recurring deposits into savings accounts, and the
  coaching fields from the advice log;
* ``LedgerFacts``: the figures in the user's money (``Decimal``) that a recommendation quotes.

It is pure: it reads a ``ToolContext`` (``assistant.tools.context.load_context`` for a ledger,
``context_from_household`` for a synthetic household) and the advice log as ``LoggedTurn``s.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from budgetlm.analytics.health import adherence, liquid_balance, minimum_payment
from budgetlm.analytics.months import income_by_month, spending_by_month, window_months
from budgetlm.analytics.records import CADENCE_DAYS
from budgetlm.coach.actions import ACTION_NAMES, ACTIONS, Family
from budgetlm.coach.observation import (
    NO_CONTACT_MONTHS,
    RECENT_MONTHS,
    CoachingTurn,
    FinancialState,
)
from budgetlm.coach.profile import FALLBACK_GOAL_MONTHS, NOT_ESSENTIALS, UNNUDGEABLE
from budgetlm.coach.simulator import SimConfig
from budgetlm.errors import InputError

if TYPE_CHECKING:
    from budgetlm.analytics.goals import SavingsGoal
    from budgetlm.assistant.tools.base import ToolContext

DEBT_SERVICE = ("Car Payment",)
"""Spending categories that repay loan principal: not spending in the coach's savings rate."""
MONTH_DAYS = 365.25 / 12
"""Days in an average month, to turn a recurring series into a monthly amount."""


@dataclass(frozen=True, slots=True)
class LoggedTurn:
    """One recommendation from the advice log, as far as the observation needs it."""

    day: date
    """When it was given."""
    action: str
    """Its action's name (``ACTION_NAMES``)."""
    followed: bool | None
    """Whether the user followed it; None while unanswered."""


@dataclass(frozen=True)
class LedgerFacts:
    """The figures a recommendation quotes, from the same window as the observation."""

    today: date
    """The day of the recommendation."""
    monthly_income: Decimal
    """Mean monthly income."""
    monthly_spending: Decimal
    """Mean monthly spending (needs and wants, without loan principal)."""
    monthly_saving: Decimal
    """Mean monthly income minus spending (negative when spending more than earning)."""
    last_month_saving: Decimal
    """Last full month's income minus spending."""
    checking: Decimal
    """Checking balance today."""
    top_category: str | None
    """The discretionary category with the largest usual spend a nudge may target."""
    top_category_spend: Decimal
    """Its mean monthly spend (0 without one)."""
    goal: SavingsGoal | None
    """The first unfunded goal by date; None when every goal is funded or there is none."""
    auto_transfer: Decimal
    """Recurring monthly deposits into savings accounts."""

    @property
    def savings_rate(self) -> float:
        """Mean monthly saving over mean monthly income (0 without income)."""
        if self.monthly_income <= 0:
            return 0.0
        return float(self.monthly_saving / self.monthly_income)


@dataclass(frozen=True)
class CoachView:
    """What a policy reads and what its advice may quote."""

    state: FinancialState
    """The observation's raw values."""
    facts: LedgerFacts
    """The figures in the user's money."""


def coach_view(
    context: ToolContext, turns: Sequence[LoggedTurn], *, window: int = SimConfig.window
) -> CoachView:
    """Build the coach's view of a household (see the module docstring).

    Args:
        context: The household's history, budgets, goals and debts as of ``context.today``.
        turns: Earlier recommendations from the advice log, in any order.
        window: Full months the financial features average over.

    Raises:
        InputError: The history has no full month before today's.
    """
    today, past, groups = context.today, context.past, context.category_groups
    months = window_months(context.history, today, window)
    if not months:
        raise InputError(
            "the coach needs at least one full month of history before this one; import more "
            "transactions first"
        )
    n = len(months)
    by_category = spending_by_month(past, months)
    incomes = income_by_month(past, months)
    income = sum(incomes, Decimal(0))
    mean_income = income / n

    def spent(categories: set[str] | None, month: date | None = None) -> Decimal:
        return sum(
            (
                amount
                for category, by_month in by_category.items()
                if category not in DEBT_SERVICE and (categories is None or category in categories)
                for m, amount in by_month.items()
                if month is None or m == month
            ),
            Decimal(0),
        )

    wants = {c for c, g in groups.items() if g == "want"}
    needs = {c for c, g in groups.items() if g == "need"} - set(NOT_ESSENTIALS)
    spending, want_total = spent(None), spent(wants)
    need_months = [float(spent(needs, m)) for m in months]
    usual_spending = float(spent(needs | wants)) / n
    nudgeable = {c: spent({c}) / n for c in wants - set(UNNUDGEABLE)}
    top = max(nudgeable, key=lambda c: (nudgeable[c], c), default=None)
    top_spend = nudgeable[top] if top is not None and nudgeable[top] > 0 else Decimal(0)

    debts = [d for d in context.debts if "mortgage" not in d.name.lower()]
    payments = float(sum((minimum_payment(d) for d in debts), Decimal(0)))
    owed = float(sum((max(d.balance, Decimal(0)) for d in debts), Decimal(0)))
    checking = liquid_balance(context.history, today, ("checking",))
    cash = liquid_balance(context.history, today)
    want_budgets = [b for b in context.budgets if b.category in wants]
    budget_share, _ = adherence(past, want_budgets, months)
    last = months[-1]
    last_budgets = {b.category: b.amount for b in want_budgets if b.month == last}
    last_budget = sum(last_budgets.values(), Decimal(0))
    overspend = 0.0  # budgeted wants of last month against their budgets; 0 without budgets
    if last_budget > 0:
        overspend = float(spent(set(last_budgets), last) / last_budget - 1)
    auto = _auto_transfer(context)
    goal = _first_unfunded_goal(context.goals)
    saving = (income - spending) / n
    history = _coaching_history(turns, today)
    mean = max(float(mean_income), 1.0)
    spread = statistics.pstdev([float(x) for x in incomes]) if n > 1 else 0.0

    if goal is not None:
        target, funded = float(goal.target), float(goal.current)
        months_left = max(0, _month_index(goal.target_date) - _month_index(today))
    else:  # as the simulator does for a person whose goals are all met
        funded = float(cash)
        target, months_left = max(1.5 * funded, funded + mean), FALLBACK_GOAL_MONTHS
    gap = target - funded
    pace = max(0.0, float(saving))
    goal_pace = 2.0 if gap <= 0 else min(2.0, pace / (gap / max(1, months_left)))
    state = FinancialState(
        savings_rate=float((income - spending) / income) if income > 0 else -0.5,
        budget_adherence=budget_share,
        debt_to_income=payments / mean,
        debt_to_annual_income=owed / (12 * mean),
        emergency_fund_months=float(cash) / max(statistics.median(need_months), 1.0),
        income_stability=min(1.0, max(0.0, 1.0 - spread / mean)),
        goal_progress=funded / target if target > 0 else 1.0,
        goal_pace=goal_pace,
        goal_months_left=float(months_left),
        discretionary_share=float(want_total) / max(float(income), 1.0),
        top_category_share=float(top_spend) / mean,
        overspend=overspend,
        auto_transfer_rate=float(auto) / mean,
        checking_months=float(checking) / max(usual_spending, 1.0),
        engaged=True,  # someone asking the coach for advice is reading it
        months_since_contact=history.months_since_contact,
        acceptance_rate=history.acceptance_rate,
        recent=history.recent,
    )
    facts = LedgerFacts(
        today=today,
        monthly_income=mean_income,
        monthly_spending=spending / n,
        monthly_saving=saving,
        last_month_saving=incomes[-1] - spent(None, last),
        checking=checking,
        top_category=top if top_spend > 0 else None,
        top_category_spend=top_spend,
        goal=goal,
        auto_transfer=auto,
    )
    return CoachView(state, facts)


@dataclass(frozen=True, slots=True)
class _CoachingHistory:
    months_since_contact: float
    acceptance_rate: float
    recent: tuple[CoachingTurn, ...]


def _coaching_history(turns: Sequence[LoggedTurn], today: date) -> _CoachingHistory:
    """The contact-history fields from the advice log, kept as the simulator keeps them: one
    turn a month (a month's latest advice counts), answers of the last
    ``SimConfig.acceptance_memory`` pieces of advice, unanswered ones left out."""
    for turn in turns:
        if turn.action not in ACTION_NAMES:
            raise InputError(f"unknown coach action {turn.action!r} in the advice log")
    now = _month_index(today)
    latest: dict[int, LoggedTurn] = {}
    for turn in sorted(turns, key=lambda t: t.day):
        latest[_month_index(turn.day)] = turn
    delivered = {m: t for m, t in latest.items() if _family(t) is not None and m <= now}
    recent = []
    for lag in range(1, RECENT_MONTHS + 1):
        found = delivered.get(now - lag)
        if found is None:
            recent.append(CoachingTurn(None, False))
        else:
            recent.append(CoachingTurn(_family(found), bool(found.followed)))
    since = now - max(delivered) if delivered else NO_CONTACT_MONTHS
    answered = [t.followed for _, t in sorted(delivered.items()) if t.followed is not None]
    answered = answered[-SimConfig.acceptance_memory :]
    return _CoachingHistory(
        months_since_contact=min(NO_CONTACT_MONTHS, float(since)),
        acceptance_rate=sum(answered) / len(answered) if answered else 0.5,
        recent=tuple(recent),
    )


def _family(turn: LoggedTurn) -> Family | None:
    return ACTIONS[ACTION_NAMES.index(turn.action)].family


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _auto_transfer(context: ToolContext) -> Decimal:
    """Monthly amount of the recurring deposits into savings accounts that are not income."""
    savings = {a.name for a in context.history.accounts if a.account_type == "savings"}
    groups = context.category_groups
    return sum(
        (
            s.typical_amount * Decimal(MONTH_DAYS / CADENCE_DAYS[s.cadence])
            for s in context.recurring
            if s.account in savings
            and s.typical_amount > 0
            and groups.get(s.category or "") != "income"
        ),
        Decimal(0),
    )


def _first_unfunded_goal(goals: Sequence[SavingsGoal]) -> SavingsGoal | None:
    unfunded = [g for g in goals if g.current < g.target]
    return min(unfunded, key=lambda g: (g.target_date, g.name), default=None)
