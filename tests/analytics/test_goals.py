"""Savings goals: net saving per month, the simulated chance, bisection and milestones."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest

from budgetlm.analytics.goals import (
    GoalConfig,
    SavingsGoal,
    check_goal,
    check_goals,
    monthly_net_saving,
    wilson_interval,
)
from budgetlm.analytics.history import from_household
from budgetlm.analytics.records import Txn
from budgetlm.ledger.synth import generate_household

TODAY = date(2026, 6, 30)
FAST = GoalConfig(simulations=2000)


def txn(day: date, amount: str, account: str = "Checking", group: str | None = "need") -> Txn:
    return Txn(str(day) + amount, day, D(amount), "payee", account, group=group)  # type: ignore[arg-type]


def steady(saving: int, months: int = 6) -> list[Txn]:
    """Pay 2,000 on the 1st and spend 2,000 - saving on the 5th, January onwards."""
    out = []
    for month in range(1, months + 1):
        out.append(txn(date(2026, month, 1), "2000", group="income"))
        out.append(txn(date(2026, month, 5), str(saving - 2000)))
    return out


def varied() -> list[Txn]:
    """Twelve months of uneven saving (July 2025 to June 2026)."""
    amounts = [900, -300, 400, 1200, 150, 600, -500, 800, 300, 1000, 200, 450]
    out = []
    for i, amount in enumerate(amounts):
        year, month = (2025, 7 + i) if i < 6 else (2026, i - 5)
        out.append(txn(date(year, month, 2), str(amount)))
    return out


def test_wilson_interval_worked_values() -> None:
    ninety = wilson_interval(90, 100)
    assert (round(ninety.low, 4), round(ninety.high, 4)) == (0.8256, 0.9448)
    half = wilson_interval(5, 10)
    assert (round(half.low, 4), round(half.high, 4)) == (0.2366, 0.7634)
    none = wilson_interval(0, 10)
    assert (none.low, round(none.high, 4)) == (0.0, 0.2775)
    assert wilson_interval(10, 10).high == 1.0


def test_monthly_net_saving_sums_whole_months_and_cancels_transfers() -> None:
    txns = [
        txn(date(2026, 1, 20), "-999"),  # the history starts mid-January: January is partial
        txn(date(2026, 2, 1), "3000", group="income"),
        txn(date(2026, 2, 3), "-1200"),
        txn(date(2026, 2, 10), "-500", group="savings"),  # checking -> savings, both legs here
        txn(date(2026, 2, 10), "500", account="Savings", group="transfer"),
        txn(date(2026, 2, 20), "-80", account="Card", group="want"),
        txn(date(2026, 3, 1), "3000", group="income"),
        txn(date(2026, 4, 2), "-50"),  # April is not over on the 15th
    ]
    months = monthly_net_saving(txns, date(2026, 4, 15))
    assert [(m.month, m.amount) for m in months] == [
        (date(2026, 2, 1), D(1720)),
        (date(2026, 3, 1), D(3000)),
    ]


def test_steady_saving_reaches_exactly_what_it_adds_up_to() -> None:
    goal = SavingsGoal("Trip", D(3000), date(2026, 12, 31), D(0))
    check = check_goal(goal, steady(500), TODAY, FAST)
    assert (check.status, check.months_left, check.history_months) == ("on_track", 6, 6)
    assert check.probability is not None and check.probability.estimate == 1.0
    assert check.extra_monthly_needed == 0 and check.median_at_target == D(3000)
    assert [(m.share, m.date) for m in check.milestones] == [
        (0.25, date(2026, 8, 31)),  # 750 after two months of 500
        (0.5, date(2026, 9, 30)),
        (0.75, date(2026, 11, 30)),
        (1.0, date(2026, 12, 31)),
    ]


def test_steady_saving_short_of_the_target_needs_the_shortfall_spread_over_the_months() -> None:
    goal = SavingsGoal("Car", D(4000), date(2026, 12, 31), D(0))
    check = check_goal(goal, steady(500), TODAY, FAST)
    assert check.status == "at_risk" and check.probability is not None
    assert check.probability.estimate == 0.0
    assert check.extra_monthly_needed == D("166.67")  # 1,000 short over 6 months, rounded up


def test_probability_grows_with_extra_saving_on_common_random_numbers() -> None:
    goal = SavingsGoal("House", D(9000), date(2027, 6, 30), D(2000))
    chances = []
    for extra in range(0, 400, 25):
        check = check_goal(goal, varied(), TODAY, replace(FAST, extra_monthly=float(extra)))
        assert check.probability is not None
        chances.append(check.probability.estimate)
    assert chances == sorted(chances) and chances[0] < 0.5 < chances[-1]


def test_the_bisected_saving_is_the_least_that_reaches_the_probability() -> None:
    goal = SavingsGoal("House", D(9000), date(2027, 6, 30), D(2000))
    check = check_goal(goal, varied(), TODAY, FAST)
    extra = check.extra_monthly_needed
    assert check.status == "at_risk" and extra is not None and extra > 0

    def chance(amount: D) -> float:
        result = check_goal(goal, varied(), TODAY, replace(FAST, extra_monthly=float(amount)))
        assert result.probability is not None
        return result.probability.estimate

    assert chance(extra) >= 0.9 > chance(extra - D("0.01"))


def test_same_seed_same_answer_other_seed_close() -> None:
    goal = SavingsGoal("House", D(9000), date(2027, 6, 30), D(2000))
    first, again = (check_goal(goal, varied(), TODAY, FAST) for _ in range(2))
    assert first == again
    other = check_goal(goal, varied(), TODAY, replace(FAST, seed=7))
    assert first.probability is not None and other.probability is not None
    assert other.probability != first.probability
    assert abs(other.probability.estimate - first.probability.estimate) < 0.05
    interval = first.probability
    assert interval.low < interval.estimate < interval.high < interval.low + 0.05


def test_edge_cases_say_what_happened() -> None:
    reached = check_goal(SavingsGoal("Done", D(100), date(2027, 1, 31), D(150)), varied(), TODAY)
    assert reached.status == "reached" and reached.extra_monthly_needed == 0
    assert all(m.date == TODAY for m in reached.milestones)

    late = check_goal(
        SavingsGoal("Late", D(9000), date(2026, 3, 31), D(100)), varied(), TODAY, FAST
    )
    assert (late.status, late.months_left, late.probability) == ("past_due", 0, None)
    assert "has passed" in late.message and late.milestones[0].date is not None

    empty = check_goal(SavingsGoal("New", D(9000), date(2027, 3, 31), D(0)), steady(500, 2), TODAY)
    assert empty.status == "no_history" and empty.probability is None
    assert "2 whole month(s)" in empty.message


def test_a_household_spending_more_than_it_earns_is_warned() -> None:
    goal = SavingsGoal("Fund", D(5000), date(2027, 6, 30), D(3000))
    check = check_goal(goal, steady(-100), TODAY, FAST)
    assert check.mean_monthly_saving == D(-100)
    assert check.probability is not None and check.probability.estimate == 0.0
    assert any("spent more than it earned" in note for note in check.notes)
    # 2,000 short plus 100 a month drawn out: 3,200 / 12 months.
    assert check.extra_monthly_needed == D("266.67")


def test_a_mid_month_today_counts_only_the_rest_of_the_month() -> None:
    goal = SavingsGoal("Trip", D(3250), date(2026, 12, 31), D(0))
    check = check_goal(goal, steady(500), date(2026, 7, 16), FAST)
    # July 17-31 (15 of 31 days: 241.94), then August to December at 500 each.
    assert check.months_left == 6 and check.median_at_target == D("2741.94")


@pytest.mark.parametrize("seed", [120, 121])
def test_synthetic_household_goals_get_a_verdict(seed: int) -> None:
    household = generate_household("young_renter", months=12, seed=seed)
    txns = from_household(household).transactions
    for g in household.goals:
        goal = SavingsGoal(g.name, g.target, g.target_date, g.current)
        check = check_goal(goal, txns, household.end, FAST)
        assert check.history_months == 12
        assert check.status in ("on_track", "at_risk", "reached")
        if check.status == "at_risk":
            assert check.extra_monthly_needed is not None and check.extra_monthly_needed > 0


def test_goals_checked_together_get_the_answers_they_get_alone() -> None:
    household = generate_household("family_mortgage", months=12, seed=122)
    txns = from_household(household).transactions
    goals = [SavingsGoal(g.name, g.target, g.target_date, g.current) for g in household.goals]
    assert len(goals) > 1
    alone = [check_goal(goal, txns, household.end, FAST) for goal in goals]
    assert check_goals(goals, txns, household.end, FAST) == alone
