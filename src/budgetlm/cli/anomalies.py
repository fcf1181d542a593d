"""``budgetlm anomalies``: unusual spending in the last days, most severe first."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated

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
from budgetlm.ledger.store import DEFAULT_WORKSPACE
from budgetlm.money import format_money

if TYPE_CHECKING:
    from budgetlm.analytics.anomalies import Anomaly


def anomalies(
    days: Annotated[
        int, typer.Option(min=1, help="Look at transactions of the last N days up to today.")
    ] = 90,
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Unusual spending: big purchases, duplicate charges and bill spikes, with the reason."""
    from budgetlm.analytics.anomalies import find_anomalies
    from budgetlm.analytics.recurring import find_recurring

    context = open_context(db, today, workspace)
    with ledger_session(context) as ledger:
        history = from_ledger(ledger)
    since = context.today - timedelta(days=days - 1)
    series = find_recurring(history.transactions, context.today)
    flags = find_anomalies(history.transactions, context.today, recurring=series, since=since)
    data = {"start": since, "end": context.today, "anomalies": [asdict(f) for f in flags]}
    emit(as_json, data, lambda: _render(flags, since, context.today))


def _render(flags: list[Anomaly], since: date, today: date) -> None:
    title = f"Unusual spending {since} to {today}"
    if not flags:
        console.print(f"{title}: nothing unusual.")
        return
    print_table(
        title,
        ["Date", "Payee", "Category", "Amount", "Why"],
        [(f.date, f.payee, f.category or "", format_money(f.amount), f.explanation) for f in flags],
        right=["Amount"],
    )
