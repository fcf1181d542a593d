"""``budgetlm forecast``: the projected cash balance over the coming weeks, with warnings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from budgetlm.analytics.history import from_ledger
from budgetlm.analytics.records import ExpectedPayment
from budgetlm.cli.common import (
    DbOption,
    JsonOption,
    TodayOption,
    WorkspaceOption,
    console,
    emit,
    ledger_session,
    open_context,
    parse_decimal,
    print_table,
)
from budgetlm.errors import InputError
from budgetlm.ledger.store import DEFAULT_WORKSPACE
from budgetlm.money import format_money

if TYPE_CHECKING:
    from budgetlm.analytics.forecast import Forecast, ForecastDay


def forecast(
    days: Annotated[int, typer.Option(min=1, max=366, help="Days to project.")] = 60,
    threshold: Annotated[
        str | None, typer.Option(help="Also warn when the balance falls below this amount.")
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Project the checking balance day by day: known bills and paychecks plus typical
    day-to-day spending, with an 80% interval, and warn before it runs low."""
    line = None if threshold is None else parse_decimal(threshold, "--threshold")
    if line is not None and line < 0:
        raise InputError("the threshold must be zero or more", source="--threshold")
    from budgetlm.analytics.forecast import ForecastConfig, forecast_history

    config = ForecastConfig()
    context = open_context(db, today, workspace)
    with ledger_session(context) as ledger:
        history = from_ledger(ledger)
    cash = [a.name for a in history.accounts if a.account_type in config.cash_account_types]
    if not cash:
        raise InputError("no checking account in this workspace: nothing to forecast")
    result = forecast_history(
        history.transactions, history.accounts, context.today, days, threshold=line, config=config
    )
    emit(as_json, _data(result, cash), lambda: _render(result, cash))


def _data(result: Forecast, accounts: list[str]) -> dict[str, Any]:
    return {
        "accounts": accounts,
        "today": result.today,
        "opening_balance": result.opening_balance,
        "interval": result.interval,
        "method": result.method,
        "history_days": result.history_days,
        "minimum_balance": result.minimum_balance,
        "minimum_date": result.minimum_date,
        "warnings": [
            {
                "kind": w.kind,
                "date": w.date,
                "balance": w.balance,
                "line": w.line,
                "payments": [_payment(p) for p in w.payments],
                "message": w.message,
            }
            for w in result.warnings
        ],
        "notes": list(result.notes),
        "days": [
            {
                "date": d.date,
                "expected_balance": d.expected_balance,
                "lower": d.lower,
                "upper": d.upper,
                "day_to_day": d.day_to_day,
                "scheduled": [_payment(p) for p in d.scheduled],
            }
            for d in result.days
        ],
    }


def _payment(p: ExpectedPayment) -> dict[str, Any]:
    return {"date": p.date, "amount": p.amount, "payee": p.payee, "category": p.category}


def _key_days(result: Forecast) -> list[ForecastDay]:
    """Weekly rows, plus the lowest day, each warning's day and the last day."""
    marked: set[date] = {result.minimum_date, *(w.date for w in result.warnings)}
    return [
        d
        for k, d in enumerate(result.days, start=1)
        if k % 7 == 0 or d.date in marked or k == len(result.days)
    ]


def _render(result: Forecast, accounts: list[str]) -> None:
    percent = f"{result.interval:.0%}"
    rows = []
    previous = result.days[0].date
    shown = _key_days(result)
    for d in shown:
        span = [x for x in result.days if previous <= x.date <= d.date]
        scheduled = sum((x.scheduled_total for x in span), Decimal(0))
        day_to_day = sum((x.day_to_day for x in span), Decimal(0))
        rows.append(
            (
                f"{d.date:%a %Y-%m-%d}",
                format_money(scheduled),
                format_money(day_to_day),
                format_money(d.expected_balance),
                f"{format_money(d.lower)} … {format_money(d.upper)}",
            )
        )
        previous = date.fromordinal(d.date.toordinal() + 1)
    print_table(
        f"Balance of {', '.join(accounts)}: {format_money(result.opening_balance)} "
        f"on {result.today:%Y-%m-%d}",
        ["Until", "Scheduled", "Day-to-day", "Expected", f"{percent} interval"],
        rows,
        right=["Scheduled", "Day-to-day", "Expected", f"{percent} interval"],
    )
    console.print(
        f"Lowest expected balance: {format_money(result.minimum_balance)} "
        f"on {result.minimum_date:%Y-%m-%d}.",
        highlight=False,
    )
    for w in result.warnings:
        colour = "red" if w.kind == "below_zero" else "yellow"
        console.print(f"[{colour}]warning:[/] {escape(w.message)}", highlight=False)
    for note in result.notes:
        console.print(f"[dim]note: {escape(note)}[/]", highlight=False)
