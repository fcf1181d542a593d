"""Budget recommendations and status: worked examples by hand, and a synthetic household."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from budgetlm.analytics.budget import recommend_budget, round_budget
from budgetlm.analytics.budget_status import budget_status
from budgetlm.analytics.history import History, from_household
from budgetlm.analytics.months import MonthlyBudget
from budgetlm.analytics.records import CategoryGroup, Txn
from budgetlm.analytics.recurring import find_recurring
from budgetlm.ledger.synth import SynthGoal, generate_household

TODAY = date(2026, 7, 10)
"""Window: January to June 2026."""
GROUPS: dict[str, CategoryGroup] = {
    "Paycheck": "income",
    "Rent": "need",
    "Groceries": "need",
    "Dining Out": "want",
    "Shopping": "want",
    "Travel": "want",
    "Coffee Shops": "want",
    "Savings": "savings",
}


def txn(day: date, amount: str, category: str | None, payee: str = "Shop") -> Txn:
    return Txn(
        id=f"{day}-{category}-{amount}-{payee}",
        date=day,
        amount=Decimal(amount),
        payee=payee,
        account="Checking",
        category=category,
        group=GROUPS[category] if category else None,
    )


def history(*txns: Txn) -> History:
    return History(tuple(sorted(txns, key=lambda t: (t.date, t.id))), ())


def monthly(category: str, amounts: list[str], day: int = 5) -> list[Txn]:
    """One transaction per month from January 2026 (amounts as outflows for spending)."""
    sign = "" if GROUPS[category] == "income" else "-"
    return [txn(date(2026, m, day), sign + a, category) for m, a in enumerate(amounts, 1)]


# --- Levels and one-offs ------------------------------------------------------------------------


def test_a_one_off_is_left_out_and_explained() -> None:
    # Groceries 100, 110, 90, 500, 105, 95: April's 500 is 100 of groceries and a 400 party.
    txns = monthly("Groceries", ["100", "110", "90", "100", "105", "95"])
    txns.append(txn(date(2026, 4, 20), "-400", "Groceries", payee="Party Supply"))
    [line] = recommend_budget(history(*txns), TODAY).lines
    # Usual month: median 102.50, so anything above 307.50 is a one-off. Left: 100, 110, 90,
    # 100, 105, 95; without the highest and lowest, (100 + 100 + 105 + 95) / 4 = 100.
    assert (line.level, line.recommended, line.months_used) == (Decimal("100.00"), 100, 6)
    assert [(o.amount, o.payee) for o in line.one_offs] == [(Decimal(400), "Party Supply")]
    assert line.explanation == (
        "mean of the last 6 months without the highest and lowest $100.00 "
        "(range $90.00–$110.00); left out one-off $400.00 at Party Supply on 2026-04-20"
    )


def test_a_month_of_nothing_but_a_one_off_is_left_out_not_counted_as_zero() -> None:
    txns = monthly("Groceries", ["100", "110", "90", "500", "105", "95"])
    [line] = recommend_budget(history(*txns), TODAY).lines
    # April drops out: (100 + 105 + 95) / 3 of 100, 110, 90, 105, 95 without 90 and 110.
    assert (line.level, line.months_used, line.low, line.high) == (Decimal("100.00"), 5, 90, 110)


def test_occasional_spending_is_spread_over_every_month() -> None:
    trip = txn(date(2026, 3, 14), "-600", "Travel", payee="Airline")
    pay = monthly("Paycheck", ["1000"] * 6)
    plan = recommend_budget(history(*monthly("Groceries", ["100"] * 6), *pay, trip), TODAY)
    travel = next(b for b in plan.lines if b.category == "Travel")
    assert (travel.level, travel.recommended, travel.one_offs) == (Decimal("100.00"), 100, ())
    assert travel.explanation.startswith("occasional, spread over every month: mean of 6 months")


def test_lines_under_five_a_month_are_not_budgeted_but_named() -> None:
    txns = [*monthly("Groceries", ["100"] * 6), txn(date(2026, 2, 3), "-24", "Coffee Shops")]
    plan = recommend_budget(history(*txns), TODAY)
    assert [b.category for b in plan.lines] == ["Groceries"]
    assert "Under $5.00 a month, so not budgeted: Coffee Shops." in plan.notes


def test_levels_use_only_full_months_before_today() -> None:
    txns = [*monthly("Groceries", ["100"] * 6), txn(date(2026, 7, 2), "-900", "Groceries")]
    txns.append(txn(date(2025, 12, 30), "-900", "Groceries"))  # before the 6-month window
    plan = recommend_budget(history(*txns), TODAY)
    assert plan.window == tuple(date(2026, m, 1) for m in range(1, 7))
    assert plan.lines[0].level == 100


def test_a_short_history_says_so() -> None:
    txns = [
        t
        for t in monthly("Groceries", ["80", "90", "100", "110", "120", "130"])
        if t.date.month > 3
    ]
    [line] = recommend_budget(history(*txns), TODAY).lines
    assert (line.level, line.months_used) == (Decimal("120.00"), 3)
    assert "mean of 3 months" in line.explanation and "only 3 months of history" in line.explanation


@pytest.mark.parametrize(
    ("level", "budget"),
    [("412.30", 410), ("415.00", 420), ("62.50", 65), ("62.49", 60), ("17.49", 17), ("0.40", 0)],
)
def test_budgets_round_half_up_to_whole_units_fives_or_tens(level: str, budget: int) -> None:
    assert round_budget(Decimal(level)) == budget


# --- Income, goals and the 50/30/20 frame --------------------------------------------------------


def household() -> list[Txn]:
    """Income 3,000; rent 1,500 (need); dining 600 and shopping 400 (wants), every month."""
    return [
        *monthly("Paycheck", ["3000"] * 6, day=1),
        *monthly("Rent", ["1500"] * 6, day=1),
        *monthly("Dining Out", ["600"] * 6),
        *monthly("Shopping", ["400"] * 6),
        *monthly("Savings", ["500"] * 6),  # a transfer to savings is not spending
    ]


def goal(target: int, current: int = 0, by: date = date(2027, 7, 10)) -> SynthGoal:
    return SynthGoal("House", Decimal(target), by, Decimal(current))


def test_without_goals_the_budget_is_the_history_and_is_checked_against_50_30_20() -> None:
    plan = recommend_budget(history(*household()), TODAY)
    assert [(b.category, b.recommended) for b in plan.lines] == [
        ("Rent", 1500),
        ("Dining Out", 600),
        ("Shopping", 400),
    ]
    assert (plan.income, plan.savings, plan.goal_need, plan.shortfall) == (3000, 500, 0, 0)
    assert plan.totals == {"need": 1500, "want": 1000}
    assert [(f.group, f.amount, f.share, f.target_amount) for f in plan.frame] == [
        ("need", 1500, Decimal("0.5000"), Decimal("1500.00")),
        ("want", 1000, Decimal("0.3333"), Decimal("900.00")),
        ("savings", 500, Decimal("0.1667"), Decimal("600.00")),
    ]
    assert "Wants $1,000.00 are 33% of income (frame 30%: $900.00)." in plan.notes


def test_wants_are_cut_proportionally_so_the_goal_is_funded() -> None:
    # 7,200 in 12 months needs 600 a month; 500 is left, so wants give up 100 of 1,000 (10%).
    plan = recommend_budget(history(*household()), TODAY, [goal(7200)])
    assert plan.goal_need == 600
    assert [(b.category, b.recommended, b.cut) for b in plan.lines] == [
        ("Rent", 1500, 0),
        ("Dining Out", 540, Decimal("0.1")),
        ("Shopping", 360, Decimal("0.1")),
    ]
    assert (plan.savings, plan.shortfall) == (600, 0)
    assert plan.lines[1].explanation.endswith("; cut 10% to fund goals ($600.00 → $540.00)")
    assert [f.share for f in plan.frame] == [Decimal("0.5"), Decimal("0.3"), Decimal("0.2")]
    assert "Goal House needs $600.00 a month ($7,200.00 over 12 months)." in plan.notes


def test_a_goal_out_of_reach_is_said_plainly_with_the_shortfall() -> None:
    # 24,000 - 6,000 saved = 18,000 over 12 months: 1,500 a month. Wants stop at half (500).
    plan = recommend_budget(history(*household()), TODAY, [goal(24000, current=6000)])
    assert [b.recommended for b in plan.lines] == [1500, 300, 200]
    assert (plan.goal_need, plan.savings, plan.shortfall) == (1500, 1000, 500)
    assert (
        "Even with wants cut to 50% of their usual level, savings of $1,000.00 fall $500.00 "
        "short of the $1,500.00 a month the goals need." in plan.notes
    )


def test_reached_and_past_goals_need_nothing() -> None:
    goals = [goal(1000, current=1000), goal(5000, by=date(2026, 6, 30))]
    plan = recommend_budget(history(*household()), TODAY, goals)
    assert plan.goal_need == 0 and all(b.cut == 0 for b in plan.lines)
    assert any("passed its date 2026-06-30 with $5,000.00 to go" in n for n in plan.notes)


def test_without_income_wants_are_cut_to_their_floor_and_the_frame_is_not_checked() -> None:
    txns = [t for t in household() if t.category != "Paycheck"]
    plan = recommend_budget(history(*txns), TODAY)
    assert (plan.income, plan.savings, plan.shortfall) == (0, -2000, 2000)
    assert all(f.share is None for f in plan.frame)
    assert "No income in the window, so the 50/30/20 frame cannot be checked." in plan.notes
    assert "Wants cut 50% to keep spending within income." in plan.notes


def test_no_history_recommends_nothing_and_says_why() -> None:
    plan = recommend_budget(history(), TODAY)
    assert (plan.lines, plan.income, plan.savings) == ((), 0, 0)
    assert plan.notes[0].startswith("No full month of history")


def test_a_synthetic_household_gets_budgets_near_the_ones_it_was_given() -> None:
    h = generate_household("family_mortgage", months=12, seed=104, end=date(2026, 10, 31))
    plan = recommend_budget(from_household(h), date(2026, 11, 1))
    truth = {b.category: b.amount for b in h.budgets if b.month == date(2026, 10, 1)}
    levels = {b.category: round_budget(b.level) for b in plan.lines}
    assert set(truth) <= set(levels)
    total = sum(levels[c] for c in truth) / sum(truth.values())
    assert 0.85 <= total <= 1.15
    needs = {b.category for b in plan.lines if b.group == "need"}
    for category, amount in truth.items():
        if amount >= 300 and category in needs:  # bills and groceries; wants are lumpier
            assert 0.75 <= levels[category] / amount <= 1.33, category
    assert plan.income > plan.totals["need"] > 0 and all(b.explanation for b in plan.lines)


# --- Status --------------------------------------------------------------------------------------

SEPTEMBER = [
    txn(date(2026, 9, 3), "-150", "Groceries"),
    txn(date(2026, 9, 4), "-150", "Dining Out"),
    txn(date(2026, 9, 5), "-150", "Shopping"),
    txn(date(2026, 9, 9), "20", "Shopping"),  # a refund
    txn(date(2026, 9, 10), "-12.50", "Coffee Shops"),
    txn(date(2026, 9, 12), "-7.25", None),
    txn(date(2026, 9, 12), "3000", "Paycheck"),
    txn(date(2026, 9, 20), "-500", "Groceries"),  # after today
    txn(date(2026, 8, 20), "-390", "Groceries"),
]
BUDGETS = [
    MonthlyBudget("Groceries", date(2026, 9, 1), Decimal(400)),
    MonthlyBudget("Dining Out", date(2026, 9, 1), Decimal(200)),
    MonthlyBudget("Shopping", date(2026, 9, 1), Decimal(100)),
    MonthlyBudget("Travel", date(2026, 9, 1), Decimal(0)),
    MonthlyBudget("Groceries", date(2026, 8, 1), Decimal(400)),
]


def test_status_on_day_15_of_a_30_day_month() -> None:
    status = budget_status(SEPTEMBER, BUDGETS, date(2026, 9, 15))
    assert (status.month, status.as_of, status.elapsed) == (
        date(2026, 9, 1),
        date(2026, 9, 15),
        Decimal("0.5000"),
    )
    rows = {s.category: s for s in status.lines}
    assert list(rows) == ["Dining Out", "Groceries", "Shopping", "Travel"]
    groceries, dining, shopping = rows["Groceries"], rows["Dining Out"], rows["Shopping"]
    # 150 of a 400 budget by mid-month: 150 / (400 * 0.5) = 0.75.
    assert (groceries.spent, groceries.remaining, groceries.percent_used) == (150, 250, 37.5)
    assert (groceries.pace, groceries.projected, groceries.status) == (
        Decimal("0.75"),
        300,
        "on track",
    )
    assert (dining.pace, dining.projected, dining.status) == (Decimal("1.50"), 300, "ahead of pace")
    assert (shopping.spent, shopping.remaining, shopping.status) == (130, -30, "over budget")
    assert (rows["Travel"].pace, rows["Travel"].percent_used, rows["Travel"].status) == (
        None,
        None,
        "on track",
    )
    assert [(u.category, u.group, u.spent) for u in status.unbudgeted] == [
        ("Coffee Shops", "want", Decimal("12.50")),
        ("Uncategorized", "want", Decimal("7.25")),
    ]
    assert (status.total_budgeted, status.total_spent) == (700, 430)


def test_pace_up_to_ten_percent_over_is_still_on_track() -> None:
    txns = [txn(date(2026, 9, 2), "-110", "Dining Out")]
    [line] = budget_status(txns, BUDGETS[1:2], date(2026, 9, 15)).lines
    assert (line.pace, line.status) == (Decimal("1.10"), "on track")


def test_a_past_month_is_judged_whole_and_a_future_one_not_at_all() -> None:
    past = budget_status(SEPTEMBER, BUDGETS, date(2026, 9, 15), month=date(2026, 8, 1))
    assert (past.as_of, past.elapsed) == (date(2026, 8, 31), 1)
    [groceries] = past.lines
    assert (groceries.spent, groceries.pace, groceries.projected) == (390, Decimal("0.98"), 390)
    future = budget_status(SEPTEMBER, BUDGETS, date(2026, 8, 15), month=date(2026, 9, 1))
    assert future.elapsed == 0 and all(s.spent == 0 and s.pace is None for s in future.lines)


def test_scheduled_bills_are_projected_by_their_dates_not_pro_rata() -> None:
    history = [
        Txn(f"r{m}", date(2026, m, 1), Decimal("-1500.00"), "Oak Property", "Checking", "Rent",
            "need")
        for m in range(1, 10)
    ] + [
        Txn(f"w{m}", date(2026, m, 20), Decimal("-60.00"), "City Water", "Checking", "Utilities",
            "need")
        for m in range(1, 9)
    ]  # fmt: skip
    today = date(2026, 9, 10)  # rent paid on the 1st; the water bill is due on the 20th
    budgets = [MonthlyBudget("Rent", date(2026, 9, 1), Decimal(1500)),
               MonthlyBudget("Utilities", date(2026, 9, 1), Decimal(60))]  # fmt: skip
    naive = {s.category: s for s in budget_status(history, budgets, today).lines}
    assert naive["Rent"].status == "ahead of pace"  # 1,500 by a third of the month, pro rata
    series = find_recurring(history, today)
    aware = {s.category: s for s in budget_status(history, budgets, today, recurring=series).lines}
    rent, water = aware["Rent"], aware["Utilities"]
    assert (rent.pace, rent.projected, rent.status) == (Decimal("1.00"), 1500, "on track")
    assert (water.spent, water.projected, water.pace) == (0, 60, Decimal("1.00"))  # still due
