"""A household at a glance: balances, monthly cash flow and where the money went.

Pure queries over a workspace's ledger; the demo shows them, later the analytics engines go
deeper. Spending is the net outflow of need and want categories plus uncategorized outflows;
transfers, savings and debt principal are not spending.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from budgetlm.ledger.repository import Ledger, TransactionFilter, month_start, next_month

SPENDING_GROUPS = ("need", "want", None)
"""Category groups counted as spending; None is uncategorized."""


def _month_totals(ledger: Ledger, month: date) -> list[tuple[str | None, str | None, Decimal]]:
    first = month_start(month)
    return ledger.category_totals(first, next_month(first) - timedelta(days=1))


def month_cash_flow(ledger: Ledger, month: date) -> dict[str, Any]:
    """Income, spending, net and savings rate (percent, one decimal) of ``month``."""
    totals = _month_totals(ledger, month)
    income = sum((t for _, group, t in totals if group == "income"), Decimal(0))
    spending = -sum((t for _, group, t in totals if group in SPENDING_GROUPS), Decimal(0))
    rate = ((income - spending) / income * 100).quantize(Decimal("0.1")) if income > 0 else None
    return {
        "month": month_start(month),
        "income": income,
        "spending": spending,
        "net": income - spending,
        "savings_rate_percent": rate,
    }


def spending_by_category(ledger: Ledger, month: date) -> list[dict[str, Any]]:
    """Net spending per category in ``month``, largest first."""
    first = month_start(month)
    rows = [
        {"category": name or "Uncategorized", "spent": -total}
        for name, group, total in ledger.category_totals(
            first, next_month(first) - timedelta(days=1)
        )
        if group in SPENDING_GROUPS and total < 0
    ]
    return sorted(rows, key=lambda row: row["spent"], reverse=True)


def overview(ledger: Ledger, today: date, months: int = 6) -> dict[str, Any]:
    """Balances, the last ``months`` full months of cash flow, last month's spending and
    budgets, goals, debts and the latest transactions, as JSON-ready facts."""
    last_month = month_start(month_start(today) - timedelta(days=1))
    history = [last_month]
    while len(history) < months:
        history.insert(0, month_start(history[0] - timedelta(days=1)))
    balances = ledger.balances()
    return {
        "accounts": [
            {"name": a.name, "type": a.account_type, "balance": balances[a.id]}
            for a in ledger.accounts()
        ],
        "transactions": ledger.transaction_count(),
        "cash_flow": [month_cash_flow(ledger, m) for m in history],
        "spending_last_month": spending_by_category(ledger, last_month)[:10],
        "budget_last_month": [
            asdict(b) | {"remaining": b.remaining} for b in ledger.budget_lines(last_month)
        ],
        "goals": [
            {"name": g.name, "target": g.target, "current": g.current, "by": g.target_date}
            for g in ledger.goals()
        ],
        "debts": [{"name": d.name, "balance": d.balance, "apr": d.apr} for d in ledger.debts()],
        "recent": [
            {"date": t.date, "description": t.description, "amount": t.amount}
            for t in ledger.transactions(TransactionFilter(limit=5))
        ],
    }
