"""Insights: ranked by severity, one per subject, each with the figures behind it."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from budgetlm.analytics.anomalies import Anomaly
from budgetlm.analytics.budget_status import budget_status
from budgetlm.analytics.history import from_household
from budgetlm.analytics.insights import compose, household_insights
from budgetlm.analytics.months import MonthlyBudget
from budgetlm.analytics.records import ExpectedPayment, RecurringSeries, Txn
from budgetlm.ledger.synth import generate_household

TODAY = date(2026, 11, 15)


def txn(n: int, day: int, amount: str, category: str, group: str = "want") -> Txn:
    return Txn(str(n), date(2026, 11, day), Decimal(amount), "Shop", "Checking", category, group)  # type: ignore[arg-type]


def streaming(price_changed_on: date | None) -> RecurringSeries:
    return RecurringSeries(
        id="s1", payee="StreamCo", category="Subscriptions", account="Checking",
        cadence="monthly", typical_amount=Decimal("-17.99"), last_date=date(2026, 11, 1),
        last_amount=Decimal("-17.99"), next_date=date(2026, 12, 1),
        next_amount=Decimal("-17.99"), confidence=0.95, transaction_ids=("7", "8", "9"),
        previous_amount=Decimal("-15.49") if price_changed_on else None,
        price_changed_on=price_changed_on,
    )  # fmt: skip


def test_ranked_deduplicated_and_explained() -> None:
    spent = [txn(1, 3, "-300.00", "Dining Out"), txn(2, 9, "-120.00", "Dining Out")]
    status = budget_status(
        spent, [MonthlyBudget("Dining Out", date(2026, 11, 1), Decimal(350))], TODAY
    )
    odd = Anomaly("2", date(2026, 11, 9), "Shop", "Dining Out", Decimal("-120.00"),
                  "large_purchase", 6.0, Decimal("30.00"), 4.0,
                  "4.0x your usual Dining Out purchase of $30.00")  # fmt: skip
    stale = Anomaly("0", date(2026, 8, 1), "Shop", "Dining Out", Decimal("-99.00"),
                    "large_purchase", 6.0, Decimal("30.00"), 3.3, "old news")  # fmt: skip
    upcoming = [
        ExpectedPayment(date(2026, 11, 20), Decimal("-17.99"), "s1", "StreamCo", "Subscriptions"),
        ExpectedPayment(date(2026, 11, 18), Decimal("-1400.00"), "s2", "Landlord", "Rent"),
        ExpectedPayment(date(2026, 12, 30), Decimal("-60.00"), "s3", "Gym", "Fitness"),
    ]
    found = compose(
        TODAY, status=status, anomalies=[odd, stale], series=[streaming(date(2026, 11, 1))],
        upcoming=upcoming,
    )  # fmt: skip
    assert [i.kind for i in found] == [
        "over_budget",
        "price_rise",
        "unusual_spending",
        "upcoming_bill",
    ]
    over = found[0]
    assert over.title == "Dining Out is over budget"
    assert over.detail == "$420.00 of $350.00 (120.0%) spent, $70.00 over, with 15 days left."
    assert over.figures["spent"] == Decimal("420.00")
    rise = found[1]  # the StreamCo bill due Nov 20 is the same subject: it appears once
    assert rise.detail.startswith("Up from $15.49 (+16%) since Nov 1")
    assert found[3].title == "Landlord due Nov 18"  # the Gym bill is too far off
    assert all(a.severity >= b.severity for a, b in itertools.pairwise(found))


def test_an_old_price_change_is_not_news() -> None:
    assert compose(TODAY, series=[streaming(date(2026, 6, 1))]) == []
    assert compose(TODAY, series=[streaming(None)]) == []


def test_a_household_gets_insights_with_figures() -> None:
    household = generate_household("young_renter", months=8, seed=8)
    found = household_insights(from_household(household), household.end, budgets=household.budgets)
    assert found
    assert len({i.key for i in found}) == len(found)
    assert all(i.figures and i.detail for i in found)
