"""The household overview: what counts as income and spending, and the savings rate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from budgetlm.ledger.importing import import_statement
from budgetlm.ledger.overview import month_cash_flow, overview, spending_by_category
from budgetlm.ledger.records import ImportedTransaction, ParsedStatement
from budgetlm.ledger.repository import Ledger


def _fill(ledger: Ledger) -> None:
    rows = [
        (date(2026, 9, 30), "4000.00", "PAYROLL", "Paycheck"),
        (date(2026, 10, 1), "4000.00", "PAYROLL", "Paycheck"),
        (date(2026, 10, 3), "-1500.00", "LANDLORD", "Rent"),
        (date(2026, 10, 4), "-210.40", "MARKET", "Groceries"),
        (date(2026, 10, 9), "10.40", "MARKET REFUND", "Groceries"),
        (date(2026, 10, 12), "-500.00", "TO SAVINGS", "Savings"),
        (date(2026, 10, 15), "-300.00", "CARD AUTOPAY", "Credit Card Payment"),
        (date(2026, 10, 20), "-100.00", "MYSTERY", None),
        (date(2026, 11, 1), "-1500.00", "LANDLORD", "Rent"),
    ]
    statement = ParsedStatement(
        "x.csv",
        "csv",
        tuple(
            ImportedTransaction(day, Decimal(amount), text, i, category=category)
            for i, (day, amount, text, category) in enumerate(rows, 1)
        ),
    )
    import_statement(ledger, statement, file_sha256="x", account="Checking")


def test_cash_flow_counts_spending_but_not_transfers_or_savings(ledger: Ledger) -> None:
    _fill(ledger)
    october = month_cash_flow(ledger, date(2026, 10, 17))
    assert october["month"] == date(2026, 10, 1)
    assert october["income"] == Decimal("4000.00")
    assert october["spending"] == Decimal("1800.00")  # rent + net groceries + uncategorized
    assert october["net"] == Decimal("2200.00")
    assert october["savings_rate_percent"] == Decimal("55.0")
    assert month_cash_flow(ledger, date(2026, 8, 1))["savings_rate_percent"] is None


def test_spending_by_category_is_net_of_refunds_and_sorted(ledger: Ledger) -> None:
    _fill(ledger)
    assert spending_by_category(ledger, date(2026, 10, 1)) == [
        {"category": "Rent", "spent": Decimal("1500.00")},
        {"category": "Groceries", "spent": Decimal("200.00")},
        {"category": "Uncategorized", "spent": Decimal("100.00")},
    ]


def test_overview_covers_the_last_full_months(ledger: Ledger) -> None:
    _fill(ledger)
    facts = overview(ledger, today=date(2026, 11, 21), months=3)
    assert [c["month"] for c in facts["cash_flow"]] == [
        date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)
    ]  # fmt: skip
    assert facts["transactions"] == 9
    assert facts["accounts"] == [
        {"name": "Checking", "type": "checking", "balance": Decimal("3900.00")}
    ]
    assert facts["recent"][0]["description"] == "LANDLORD"
