"""Health features on a tiny hand-made history, with every value worked out by hand."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from budgetlm.analytics.health import RANGES, HealthFeatures, health_features
from budgetlm.analytics.history import History, from_household
from budgetlm.analytics.months import MonthlyBudget
from budgetlm.analytics.records import Account, CategoryGroup, Txn
from budgetlm.ledger.synth import SynthDebt, generate_household

TODAY = date(2026, 4, 10)
"""Window with months=3: January to March 2026."""
GROUPS: dict[str, CategoryGroup] = {
    "Paycheck": "income",
    "Rent": "need",
    "Dining Out": "want",
    "Savings": "savings",
}


def txn(day: date, amount: str, category: str, account: str = "Checking") -> Txn:
    return Txn(f"{day}-{category}-{amount}", day, Decimal(amount), category, account, category,
               GROUPS[category])  # fmt: skip


def debt(balance: str, percent: str, floor: str) -> SynthDebt:
    return SynthDebt(
        "Debt", Decimal(balance), Decimal("0.2"), Decimal(percent), Decimal(floor), None
    )


TXNS = (
    # Income 2,000, 3,000, 1,000: mean 2,000, population sd 816.50, CV 0.40825.
    txn(date(2026, 1, 1), "2000", "Paycheck"),
    txn(date(2026, 2, 1), "3000", "Paycheck"),
    txn(date(2026, 3, 1), "1000", "Paycheck"),
    # Spending 1,200, 1,500, 1,200 (rent 1,000 a month plus dining): mean 1,300, CV 0.10879.
    *(txn(date(2026, m, 2), "-1000", "Rent") for m in (1, 2, 3)),
    txn(date(2026, 1, 9), "-200", "Dining Out"),
    txn(date(2026, 2, 9), "-520", "Dining Out"),
    txn(date(2026, 2, 11), "20", "Dining Out"),  # a refund nets against the month
    txn(date(2026, 3, 9), "-200", "Dining Out"),
    txn(date(2026, 1, 20), "-300", "Savings"),  # a transfer to savings is not spending
    txn(date(2026, 4, 20), "-100", "Dining Out"),  # after today: the cash on today is 100 more
)
ACCOUNTS = (
    Account("Checking", "checking", Decimal(2500)),
    Account("Savings", "savings", Decimal(500)),
    Account("Card", "credit_card", Decimal(-1000)),
)
BUDGETS = [
    *(MonthlyBudget("Dining Out", date(2026, m, 1), Decimal(300)) for m in (1, 2, 3, 4)),
    MonthlyBudget("Rent", date(2026, 3, 1), Decimal(1000)),
]
DEBTS = [debt("1000", "0.02", "25"), debt("5000", "0", "300")]  # minimums 25 and 300


def test_features_of_a_hand_made_household() -> None:
    f = health_features(History(TXNS, ACCOUNTS), TODAY, debts=DEBTS, budgets=BUDGETS, months=3)
    assert f.months == 3
    assert (f.monthly_income, f.monthly_spending) == (Decimal("2000.00"), Decimal("1300.00"))
    assert f.savings_rate == pytest.approx(0.35)  # (6,000 - 3,900) / 6,000
    assert f.minimum_payments == 325
    assert f.debt_to_income == pytest.approx(0.1625)  # 325 / 2,000
    assert f.debt_to_annual_income == pytest.approx(0.25)  # 6,000 / 24,000
    assert f.spending_volatility == pytest.approx(math.sqrt(20000) / 1300)
    assert f.liquid_balance == 3100
    assert f.emergency_fund_months == pytest.approx(3.1)  # 3,100 / median rent 1,000
    # Dining within 300 in January and March, not February; rent within 1,000 in March.
    assert (f.budget_adherence, f.budgeted_category_months) == (0.75, 4)
    assert f.income_stability == pytest.approx(1 - math.sqrt(2 / 3) * 1000 / 2000)


def test_the_vector_has_the_documented_order_and_the_bounded_one_lies_in_0_1() -> None:
    f = health_features(History(TXNS, ACCOUNTS), TODAY, debts=DEBTS, budgets=BUDGETS, months=3)
    assert HealthFeatures.names() == tuple(RANGES) == (
        "savings_rate", "debt_to_income", "debt_to_annual_income", "spending_volatility",
        "emergency_fund_months", "budget_adherence", "income_stability",
    )  # fmt: skip
    vector = f.as_vector()
    assert vector.dtype == np.float64 and vector[0] == pytest.approx(0.35)
    bounded = f.as_bounded_vector()
    # savings rate 0.35 on [-1, 1] -> 0.675; emergency 3.1 on [0, 24] -> 0.12917.
    assert bounded[0] == pytest.approx(0.675) and bounded[4] == pytest.approx(3.1 / 24)
    assert ((bounded >= 0) & (bounded <= 1)).all()


def test_no_income_gives_the_documented_ends_of_the_ranges_never_nan() -> None:
    spending_only = tuple(t for t in TXNS if t.category != "Paycheck")
    f = health_features(History(spending_only, ACCOUNTS), TODAY, debts=DEBTS, months=3)
    assert (f.savings_rate, f.debt_to_income, f.debt_to_annual_income) == (-1.0, 1.0, 5.0)
    assert (f.income_stability, f.budget_adherence, f.budgeted_category_months) == (0.0, 1.0, 0)
    assert np.isfinite(f.as_vector()).all()


def test_an_empty_history_is_all_finite() -> None:
    f = health_features(History((), ACCOUNTS[:1]), TODAY)
    assert f.months == 0 and f.monthly_income == 0
    # Cash but no essential spending: the top of the emergency-fund range.
    assert f.emergency_fund_months == 24.0 and f.savings_rate == 0.0
    assert np.isfinite(f.as_vector()).all() and np.isfinite(f.as_bounded_vector()).all()


def test_a_synthetic_household_reads_plausibly() -> None:
    h = generate_household("retiree", months=8, seed=120, end=date(2026, 10, 31))
    f = health_features(from_household(h), date(2026, 11, 1), debts=h.debts, budgets=h.budgets)
    assert f.months == 6 and f.budgeted_category_months > 10
    assert -0.5 < f.savings_rate < 0.6 and f.income_stability > 0.8  # pensions are steady
    assert 0 <= f.budget_adherence <= 1 and f.emergency_fund_months > 1
