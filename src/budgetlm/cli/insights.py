"""``budgetlm insights``: what deserves attention now, ranked, with the figures behind it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Annotated

import typer
from rich.markup import escape

from budgetlm.analytics.insights import Insight, InsightConfig, ledger_insights
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
)
from budgetlm.ledger.store import DEFAULT_WORKSPACE


def insights(
    limit: Annotated[int, typer.Option(min=1, max=100, help="Most insights shown.")] = 10,
    recent_days: Annotated[
        int, typer.Option(min=1, max=365, help="Unusual spending and price rises this recent.")
    ] = 30,
    threshold: Annotated[
        str | None, typer.Option(help="Warn when the balance is projected below this.")
    ] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Over-budget categories, shortfalls, goals at risk, price rises, unusual spending, bills."""
    context = open_context(db, today, workspace)
    config = InsightConfig(
        recent_days=recent_days,
        threshold=parse_decimal(threshold, "--threshold") if threshold is not None else None,
        limit=limit,
    )
    with ledger_session(context) as ledger:
        found = ledger_insights(ledger, context.today, config)
    emit(as_json, [asdict(i) for i in found], lambda: show_insights(found))


def show_insights(found: Sequence[Insight]) -> None:
    """A numbered list, most severe first."""
    if not found:
        console.print("Nothing needs your attention right now.")
    for number, insight in enumerate(found, 1):
        console.print(f"{number}. [bold]{escape(insight.title)}[/]: {escape(insight.detail)}")
