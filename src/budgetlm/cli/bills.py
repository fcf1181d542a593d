"""``budgetlm bills``: recurring bills, subscriptions and paychecks, or the payments coming up."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any

import typer

from budgetlm.analytics.history import from_ledger
from budgetlm.cli.common import (
    DbOption,
    JsonOption,
    TodayOption,
    WorkspaceOption,
    console,
    emit,
    ledger_session,
    open_context,
    print_table,
)
from budgetlm.errors import InputError
from budgetlm.ledger.store import DEFAULT_WORKSPACE
from budgetlm.money import format_money


def bills(
    days: Annotated[
        int | None,
        typer.Option("--days", help="List the payments expected in the next N days instead."),
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Recurring series found in the history, or (with --days) the payments coming up."""
    if days is not None and days < 1:
        raise InputError(f"--days must be at least 1, not {days}", source="--days")
    from budgetlm.analytics.recurring import expected_payments, find_recurring

    context = open_context(db, today, workspace)
    with ledger_session(context) as ledger:
        history = from_ledger(ledger)
    series = find_recurring(history.transactions, context.today)
    if days is None:
        _show_series(series, as_json)
        return
    start, end = context.today + timedelta(days=1), context.today + timedelta(days=days)
    transfers = {t.category for t in history.transactions if t.group == "transfer"}
    upcoming = [  # a transfer between own accounts is listed once, by the side it leaves
        p
        for p in expected_payments(series, start, end)
        if not (p.amount > 0 and p.category in transfers)
    ]
    total = sum((p.amount for p in upcoming), Decimal(0))
    data: dict[str, Any] = {
        "start": start,
        "end": end,
        "payments": [
            {
                "date": p.date,
                "payee": p.payee,
                "amount": p.amount,
                "category": p.category,
                "series_id": p.series_id,
            }
            for p in upcoming
        ],
        "total": total,
    }
    emit(as_json, data, lambda: _print_upcoming(data))


def _show_series(series: list[Any], as_json: bool) -> None:
    data = [
        {
            "id": s.id,
            "payee": s.payee,
            "category": s.category,
            "account": s.account,
            "cadence": s.cadence,
            "typical_amount": s.typical_amount,
            "last_date": s.last_date,
            "last_amount": s.last_amount,
            "next_date": s.next_date,
            "next_amount": s.next_amount,
            "anchor": s.anchor,
            "shift": s.shift,
            "confidence": s.confidence,
            "previous_amount": s.previous_amount,
            "price_changed_on": s.price_changed_on,
        }
        for s in series
    ]
    emit(
        as_json,
        data,
        lambda: print_table(
            "Recurring bills and income",
            ["Payee", "Cadence", "Typical", "Last", "Next", "Confidence", "Price change"],
            [
                (
                    s.payee,
                    s.cadence,
                    format_money(s.typical_amount),
                    f"{s.last_date} {format_money(s.last_amount)}",
                    f"{s.next_date} {format_money(s.next_amount)}",
                    f"{s.confidence:.0%}",
                    f"{format_money(s.previous_amount)} until {s.price_changed_on}"
                    if s.previous_amount is not None
                    else "",
                )
                for s in series
            ],
            right=["Typical", "Confidence"],
        ),
    )


def _print_upcoming(data: dict[str, Any]) -> None:
    print_table(
        f"Expected payments {data['start']} to {data['end']}",
        ["Date", "Payee", "Category", "Amount"],
        [
            (p["date"], p["payee"], p["category"] or "", format_money(p["amount"]))
            for p in data["payments"]
        ],
        right=["Amount"],
    )
    console.print(f"Total: {format_money(data['total'])}", highlight=False)
