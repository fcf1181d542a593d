"""The coach on a real ledger: the observation built from it, and advice with its numbers."""

from __future__ import annotations

import statistics
import time
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from budgetlm.analytics.debt import DebtTerms
from budgetlm.analytics.goals import SavingsGoal
from budgetlm.analytics.history import History
from budgetlm.analytics.months import MonthlyBudget
from budgetlm.analytics.records import Account, Txn
from budgetlm.assistant.tools.base import ToolContext
from budgetlm.assistant.tools.context import context_from_household, make_context
from budgetlm.coach.actions import ACTIONS
from budgetlm.coach.advice import phrase, recommend
from budgetlm.coach.ledger_view import LoggedTurn, coach_view
from budgetlm.coach.observation import NO_CONTACT_MONTHS, observe
from budgetlm.coach.rules import RulePolicy
from budgetlm.coach.serving import load_served_coach
from budgetlm.errors import InputError
from budgetlm.ledger.synth import generate_household

TODAY = date(2026, 11, 21)
MONTHS = (date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1))
GROUPS = {"Paycheck": "income", "Rent": "need", "Groceries": "need", "Dining Out": "want",
          "Entertainment": "want", "Car Payment": "need", "Transfer": "transfer"}  # fmt: skip


def _txn(n: int, day: date, amount: str, category: str, account: str = "Checking") -> Txn:
    group = GROUPS[category]
    return Txn(str(n), day, Decimal(amount), category, account, category, group)  # type: ignore[arg-type]


def household() -> History:
    """Three months of a steady household: $3,000 pay; rent $1,000, groceries $400, dining $300,
    entertainment $100, a $250 car payment; $200 moved to savings every month."""
    rows = []
    for month in MONTHS:
        for category, amount in (("Paycheck", "3000"), ("Rent", "-1000"), ("Groceries", "-400"),
                                 ("Dining Out", "-300"), ("Entertainment", "-100"),
                                 ("Car Payment", "-250"), ("Transfer", "-200")):  # fmt: skip
            rows.append(_txn(len(rows), month.replace(day=2), amount, category))
        rows.append(_txn(len(rows), month.replace(day=3), "200", "Transfer", "Savings"))
    accounts = (Account("Checking", "checking", Decimal(2_250)),
                Account("Savings", "savings", Decimal(4_750)))  # fmt: skip
    return History(tuple(rows), accounts)


def context(goal: SavingsGoal | None = None) -> ToolContext:
    budgets = [MonthlyBudget("Dining Out", m, Decimal(250)) for m in MONTHS]
    debts = [DebtTerms("Car Loan", Decimal(6_000), Decimal("0.07"), Decimal(0), Decimal(250)),
             DebtTerms("Home Mortgage", Decimal(200_000), Decimal("0.05"), Decimal(0),
                       Decimal(1_000))]  # fmt: skip
    goals = [goal] if goal else []
    return make_context(household(), TODAY, budgets=budgets, goals=goals, debts=debts)


EMERGENCY = SavingsGoal("Emergency Fund", Decimal(10_000), date(2027, 11, 30), Decimal(4_000))


def test_the_view_uses_the_observation_s_ledger_definitions() -> None:
    state = coach_view(context(EMERGENCY), []).state
    # spending counts needs and wants but not the car loan's principal or the transfer
    assert state.savings_rate == pytest.approx((3000 - 1800) / 3000)
    assert state.discretionary_share == pytest.approx(400 / 3000)
    assert state.top_category_share == pytest.approx(300 / 3000)  # Dining Out, the largest want
    assert state.overspend == pytest.approx(300 / 250 - 1)  # last month against its budget
    assert state.budget_adherence == 0.0  # every budgeted month over
    # the mortgage is housing, not a debt the coach helps with
    assert state.debt_to_income == pytest.approx(250 / 3000)
    assert state.debt_to_annual_income == pytest.approx(6000 / 36000)
    assert state.emergency_fund_months == pytest.approx(7000 / 1400)
    assert state.checking_months == pytest.approx(2250 / 1800)
    assert state.auto_transfer_rate == pytest.approx(200 / 3000, rel=0.02)
    assert state.income_stability == 1.0
    assert state.goal_progress == pytest.approx(0.4)
    assert state.goal_months_left == 12.0
    assert state.goal_pace == 2.0  # $1,200 a month kept against $500 needed: capped at 2
    far = SavingsGoal("House", Decimal(30_000), date(2027, 11, 30), Decimal(4_000))
    assert coach_view(context(far), []).state.goal_pace == pytest.approx(1200 / (26000 / 12))
    assert state.months_since_contact == NO_CONTACT_MONTHS and state.acceptance_rate == 0.5
    vector = observe(state)
    assert np.all(np.isfinite(vector)) and vector.min() >= -1.0 and vector.max() <= 1.0


def test_the_advice_log_becomes_the_contact_history() -> None:
    turns = [
        LoggedTurn(date(2026, 10, 1), "transfer_5", followed=True),
        LoggedTurn(date(2026, 9, 3), "nudge_cut_10", followed=False),
        LoggedTurn(date(2026, 9, 1), "celebrate", followed=None),  # the month's later one counts
        LoggedTurn(date(2026, 8, 2), "none", followed=None),  # saying nothing is no contact
    ]
    state = coach_view(context(EMERGENCY), turns).state
    assert [(t.family, t.followed) for t in state.recent] == [
        ("transfer", True), ("nudge", False), (None, False)
    ]  # fmt: skip
    assert state.months_since_contact == 1.0
    assert state.acceptance_rate == 0.5  # one followed, one not; unanswered left out
    with pytest.raises(InputError, match="unknown coach action"):
        coach_view(context(), [LoggedTurn(date(2026, 10, 1), "shout", None)])


def test_a_ledger_without_a_full_month_is_refused_clearly() -> None:
    rows = (_txn(0, date(2026, 11, 3), "-20", "Dining Out"),)
    young = make_context(History(rows, (Account("Checking", "checking", Decimal(100)),)), TODAY)
    with pytest.raises(InputError, match="at least one full month"):
        coach_view(young, [])


def test_a_transfer_is_said_with_the_ledger_s_numbers() -> None:
    facts = coach_view(context(EMERGENCY), []).facts
    advice = phrase(ACTIONS[4], facts, bills_due=Decimal(1_000))  # transfer 5% of income
    assert advice.amount == Decimal(150) and advice.goal == "Emergency Fund"
    # $1,200 kept a month + $150: the $6,000 left takes 5 months from November: April 2027
    assert advice.message.startswith("Move $150 to savings on December 1")
    assert "your bills are covered ($1,000 due before then, $2,250 in checking)" in advice.message
    assert "reaches the Emergency Fund goal ($6,000 to go) by April 2027" in advice.message
    short = phrase(ACTIONS[4], facts, bills_due=Decimal(2_200))
    assert "starting the day after your next paycheck" in short.message


def test_every_action_is_said_with_its_own_figures() -> None:
    facts = coach_view(context(EMERGENCY), []).facts
    nudge = phrase(ACTIONS[2], facts, Decimal(0))
    assert (nudge.category, nudge.amount) == ("Dining Out", Decimal(60))
    assert "20% less on Dining Out" in nudge.message and "$720 over a year" in nudge.message
    extend = phrase(ACTIONS[6], facts, Decimal(0))
    assert extend.new_date == date(2028, 5, 30) and "until May 2028" in extend.message
    raise_ = phrase(ACTIONS[7], facts, Decimal(0))
    assert raise_.amount == Decimal(12_500) and "40% funded" in raise_.message
    assert "Emergency Fund goal is 40% funded" in phrase(ACTIONS[8], facts, Decimal(0)).message
    nothing = phrase(ACTIONS[0], facts, Decimal(0))
    assert "keeping $1,200 a month, 40% of your income" in nothing.message
    # without a goal, goal advice has nothing to act on and becomes "no change"
    no_goal = coach_view(context(), []).facts
    assert phrase(ACTIONS[6], no_goal, Decimal(0)).action.name == "none"


def test_the_shipped_coach_decides_in_well_under_5_ms() -> None:
    coach = load_served_coach()
    view = coach_view(context(EMERGENCY), [])
    recommend(coach.policy, view, Decimal(0))  # first call: lazy set-up
    times = []
    for _ in range(50):
        started = time.perf_counter()
        chosen = recommend(coach.policy, view, Decimal(0))
        times.append((time.perf_counter() - started) * 1000)
        assert chosen.decision_ms < 5.0
    assert statistics.median(times) < 5.0


def test_a_synthetic_household_gives_a_bounded_observation_and_advice() -> None:
    generated = generate_household("family_mortgage", months=6, seed=3, end=date(2026, 10, 31))
    view = coach_view(context_from_household(generated, TODAY), [])
    assert view.facts.top_category not in (None, "Cash & ATM")
    assert view.facts.monthly_income > 0
    vector = observe(view.state)
    assert vector.min() >= -1.0 and vector.max() <= 1.0
    advice = recommend(RulePolicy(), view, Decimal(0))
    assert advice.message and "$" in advice.message
