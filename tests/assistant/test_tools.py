"""The assistant's tools on a small hand-built household: exact figures a user would check."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from budgetlm.analytics.debt import DebtTerms
from budgetlm.analytics.goals import SavingsGoal
from budgetlm.analytics.history import History
from budgetlm.analytics.months import MonthlyBudget
from budgetlm.analytics.records import Account, CategoryGroup, Txn
from budgetlm.assistant.tools import ToolCall, ToolContext, ToolResult, execute, make_context

TODAY = date(2026, 11, 21)  # a Saturday
_ROWS: list[tuple[str, str, str, str, str | None, CategoryGroup | None]] = [
    # date, amount, payee, account, category, group
    ("2026-09-01", "-1200.00", "Landlord", "Checking", "Rent", "need"),
    ("2026-09-05", "-100.00", "Fresh Market", "Card", "Groceries", "need"),
    ("2026-09-15", "3000.00", "Acme Corp", "Checking", "Paycheck", "income"),
    ("2026-10-01", "-1200.00", "Landlord", "Checking", "Rent", "need"),
    ("2026-10-03", "-85.40", "Fresh Market", "Card", "Groceries", "need"),  # Saturday
    ("2026-10-10", "-64.60", "Fresh Market", "Card", "Groceries", "need"),  # Saturday
    ("2026-10-12", "20.00", "Fresh Market", "Card", "Groceries", "need"),  # a refund
    ("2026-10-15", "-45.25", "Taco Stand", "Card", "Dining Out", "want"),
    ("2026-10-15", "3000.00", "Acme Corp", "Checking", "Paycheck", "income"),
    ("2026-10-20", "-500.00", "Transfer", "Checking", "Savings", "savings"),
    ("2026-10-20", "500.00", "Transfer", "Savings", "Transfer", "transfer"),
    ("2026-10-25", "-400.00", "Card Payment", "Checking", "Credit Card Payment", "transfer"),
    ("2026-10-25", "400.00", "Card Payment", "Card", "Credit Card Payment", "transfer"),
    ("2026-10-28", "-30.00", "Mystery Shop", "Checking", None, None),
    ("2026-10-29", "15.00", "Venmo", "Checking", None, None),  # uncategorized inflow
    ("2026-11-01", "-1200.00", "Landlord", "Checking", "Rent", "need"),
    ("2026-11-07", "-50.00", "Corner Store", "Card", "Groceries", "need"),
    ("2026-11-22", "-999.00", "Fresh Market", "Card", "Groceries", "need"),  # after today
]


def _history() -> History:
    txns = tuple(
        Txn(str(i), date.fromisoformat(d), Decimal(a), payee, account, category, group)
        for i, (d, a, payee, account, category, group) in enumerate(_ROWS)
    )
    accounts = (
        Account("Checking", "checking", Decimal("2000.00")),
        Account("Card", "credit_card", Decimal("-300.00")),
        Account("Savings", "savings", Decimal("5000.00")),
    )
    return History(txns, accounts)


@pytest.fixture(scope="module")
def context() -> ToolContext:
    return make_context(
        _history(),
        TODAY,
        budgets=[
            MonthlyBudget("Groceries", date(2026, 11, 1), Decimal(200)),
            MonthlyBudget("Dining Out", date(2026, 11, 1), Decimal(100)),
        ],
        goals=[SavingsGoal("Vacation", Decimal(2000), date(2027, 6, 30), Decimal(500))],
        debts=[DebtTerms("Card", Decimal(1000), Decimal("0.2"), Decimal("0.02"), Decimal(25))],
    )


def run(context: ToolContext, name: str, **arguments: object) -> ToolResult:
    return execute(ToolCall(name, arguments), context)


def money(value: str) -> Decimal:
    return Decimal(value)


@pytest.mark.parametrize(
    ("arguments", "total", "count"),
    [
        # Rent 1,200 + groceries 130.00 (a 20.00 refund netted) + dining 45.25 + an
        # uncategorized 30.00; transfers, the card payment and the uncategorized inflow are out.
        ({}, "1405.25", 6),
        ({"category": "Groceries"}, "130.00", 3),
        ({"payee": "Fresh Market"}, "130.00", 3),
        ({"account": "Card"}, "175.25", 4),
        ({"category": "Groceries", "account": "Checking"}, "0.00", 0),
    ],
)
def test_spending_last_month_by_filter(
    context: ToolContext, arguments: dict[str, str], total: str, count: int
) -> None:
    result = run(context, "spending", period="last_month", **arguments)
    assert (result.figures["total"], result.figures["count"]) == (money(total), count)
    assert result.period is not None
    assert (result.period.start, result.period.end) == (date(2026, 10, 1), date(2026, 10, 31))
    assert result.filters == arguments
    assert result.status == ("ok" if count else "empty")


def test_weekends_and_weekdays_split_the_month(context: ToolContext) -> None:
    weekends = run(context, "spending", period="weekends:last_month")
    weekdays = run(context, "spending", period="weekdays:last_month")
    assert (weekends.figures["total"], weekends.figures["count"]) == (money("150.00"), 2)
    assert weekdays.figures["total"] == money("1255.25")
    assert weekends.period is not None and weekends.period.label().startswith("on weekends")


def test_a_transaction_after_today_is_never_counted(context: ToolContext) -> None:
    everything = run(context, "spending", period="all", category="Groceries")
    assert everything.figures["total"] == money("280.00")  # 100 + 130 + 50, not the 999
    assert everything.period is not None and everything.period.start == date(2026, 9, 1)


def test_a_transfer_category_asked_by_name_gives_its_outflow_and_says_so(
    context: ToolContext,
) -> None:
    result = run(context, "spending", period="last_month", category="Savings")
    assert result.figures["total"] == money("500.00")
    assert "not day-to-day spending" in result.message


def test_an_income_category_is_not_spending(context: ToolContext) -> None:
    result = run(context, "spending", period="last_month", category="Paycheck")
    assert result.status == "empty" and "income" in result.message


def test_income_and_net_cash_flow(context: ToolContext) -> None:
    income = run(context, "income", period="last_month")
    assert (income.figures["total"], income.figures["count"]) == (money("3000.00"), 1)
    flow = run(context, "net_cash_flow", period="last_month")
    assert flow.figures == {
        "income": money("3000.00"),
        "spending": money("1405.25"),
        "net": money("1594.75"),
    }
    nothing = run(context, "income", period="last_month", payee="Fresh Market")
    assert nothing.status == "empty" and nothing.figures["total"] == 0


def test_compare_spending_reports_both_totals_and_the_change(context: ToolContext) -> None:
    result = run(
        context,
        "compare_spending",
        period="last_month",
        other_period="before:last_month",
        category="Groceries",
    )
    assert result.figures == {
        "total": money("130.00"),
        "other_total": money("100.00"),
        "difference": money("30.00"),
        "change_percent": 30.0,
        "other_period": "from Sep 1 to Sep 30, 2026",
    }


def test_compare_with_nothing_spent_before_has_no_percent(context: ToolContext) -> None:
    result = run(
        context,
        "compare_spending",
        period="last_month",
        other_period="before:last_month",
        category="Dining Out",
    )
    assert result.figures["difference"] == money("45.25")
    assert result.figures["change_percent"] is None
    assert result.status == "ok" and "no percent change" in result.message


def test_top_categories_rank_and_share(context: ToolContext) -> None:
    result = run(context, "top_categories", period="last_month", limit=3)
    assert [(r["name"], r["total"], r["share"]) for r in result.rows] == [
        ("Rent", money("1200.00"), 85.4),
        ("Groceries", money("130.00"), 9.3),
        ("Dining Out", money("45.25"), 3.2),
    ]
    assert (result.figures["total"], result.figures["count"]) == (money("1405.25"), 4)


def test_top_payees_within_a_category(context: ToolContext) -> None:
    result = run(context, "top_payees", period="all", category="Groceries")
    assert [(r["name"], r["total"]) for r in result.rows] == [
        ("Fresh Market", money("230.00")),
        ("Corner Store", money("50.00")),
    ]


def test_average_per_month_counts_whole_months_only(context: ToolContext) -> None:
    two = run(context, "average_per_month", period="between:2026-09-01..2026-10-31")
    # (1,300.00 + 1,405.25) / 2 = 1,352.625, rounded half up.
    assert two.figures == {"average": money("1352.63"), "months": 2, "total": money("2705.25")}
    assert two.message == ""
    partial = run(context, "average_per_month", period="since:2026-09-15")
    assert (partial.figures["months"], partial.figures["average"]) == (1, money("1405.25"))
    assert "Partial months" in partial.message
    # last_n_months:12 reaches back before the history: those months do not count as zero.
    year = run(context, "average_per_month", period="last_n_months:12", category="Rent")
    assert (year.figures["months"], year.figures["average"]) == (2, money("1200.00"))
    none = run(context, "average_per_month", period="this_month")
    assert none.status == "empty" and none.figures["months"] == 0


def test_search_transactions_by_size_newest_first(context: ToolContext) -> None:
    result = run(context, "search_transactions", min_amount=1000, limit=3)
    assert result.figures == {"count": 5, "shown": 3}
    assert [(r["date"], r["payee"], r["amount"]) for r in result.rows] == [
        (date(2026, 11, 1), "Landlord", money("-1200.00")),
        (date(2026, 10, 15), "Acme Corp", money("3000.00")),
        (date(2026, 10, 1), "Landlord", money("-1200.00")),
    ]
    bad = run(context, "search_transactions", min_amount=50, max_amount=10)
    assert bad.status == "error" and "above the largest" in bad.message


def test_budget_status_for_this_month(context: ToolContext) -> None:
    groceries = run(context, "budget_status", period="this_month", category="Groceries")
    figures = groceries.figures
    assert (figures["budgeted"], figures["spent"], figures["remaining"]) == (
        money("200.00"),
        money("50.00"),
        money("150.00"),
    )
    both = run(context, "budget_status", period="this_month")
    assert both.figures["budgeted"] == money("300.00")
    assert [r["category"] for r in both.rows] == ["Dining Out", "Groceries"]
    unset = run(context, "budget_status", period="last_month")
    assert unset.status == "empty" and "budgetlm budget set" in unset.message
    several = run(context, "budget_status", period="last_n_months:2")
    assert several.status == "error" and "one month" in several.message


def test_savings_rate(context: ToolContext) -> None:
    result = run(context, "savings_rate", period="last_month")
    assert result.figures == {
        "rate": 53.2,  # 1,594.75 / 3,000
        "income": money("3000.00"),
        "spending": money("1405.25"),
        "saved": money("1594.75"),
    }


def test_affordability_says_no_beyond_the_cash_and_tight_beyond_the_budget(
    context: ToolContext,
) -> None:
    too_much = run(context, "affordability", amount=2500)
    assert too_much.figures["verdict"] == "no"
    assert too_much.figures["balance"] == money("2000.00")
    assert "$2,500.00 is more than the $2,000.00" in too_much.message
    over_budget = run(context, "affordability", amount=160, category="Groceries")
    assert over_budget.figures["verdict"] == "tight"
    assert over_budget.figures["remaining_budget"] == money("150.00")
    assert "$150.00 left in your Groceries budget" in over_budget.message
    fine = run(context, "affordability", amount=40, category="Groceries", period="this_week")
    assert fine.figures["verdict"] == "yes"
    assert fine.figures["until"] == date(2026, 11, 22)  # the Sunday of this week


def test_goals_and_debts(context: ToolContext) -> None:
    goal = run(context, "goal_odds", goal="Vacation")
    assert goal.figures["target"] == money("2000.00")
    assert goal.figures["needed_monthly"] == money("187.50")  # 1,500 over 8 month ends
    assert goal.figures["probability"] is None  # two whole months of history: too few
    plan = run(context, "debt_plan", extra=100)
    assert plan.figures["strategy"] == "avalanche" and plan.figures["extra"] == money("100.00")
    assert isinstance(plan.figures["months"], int) and plan.figures["total_interest"] > 0


def test_an_impossible_period_is_an_error_result_not_an_exception(context: ToolContext) -> None:
    result = run(context, "spending", period="month:2027-01")
    assert result.status == "error" and "after today" in result.message
    assert json.loads(result.to_prompt())["status"] == "error"


def test_money_figures_are_text_in_json(context: ToolContext) -> None:
    data = run(context, "spending", period="last_month").to_json()
    assert data["figures"] == {"total": "1405.25", "count": 6}
    assert data["period"] == {
        "spec": "last_month",
        "start": "2026-10-01",
        "end": "2026-10-31",
        "days": "all",
        "label": "from Oct 1 to Oct 31, 2026",
    }
