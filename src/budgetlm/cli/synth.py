"""``budgetlm synth`` (synthetic households) and ``budgetlm demo`` (a tour of one)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress

from budgetlm.analytics.insights import InsightConfig, ledger_insights
from budgetlm.categorize.service import categorize_ledger, workspace_categorizer
from budgetlm.cli.assistant import demo_answers
from budgetlm.cli.categorize import default_model
from budgetlm.cli.common import (
    DbOption,
    JsonOption,
    TodayOption,
    WorkspaceOption,
    console,
    emit,
    err_console,
    ledger_session,
    open_context,
    print_table,
)
from budgetlm.errors import InputError
from budgetlm.ledger.household import load_household
from budgetlm.ledger.overview import overview
from budgetlm.ledger.store import DEFAULT_WORKSPACE
from budgetlm.ledger.synth import PERSONAS, Household, generate_household, random_persona
from budgetlm.ledger.synth.export import write_csv, write_json
from budgetlm.money import format_money
from budgetlm.settings import resolve_today


def _month_end_before(day: date) -> date:
    return day.replace(day=1) - timedelta(days=1)


def _households(persona: str, count: int, months: int, seed: int, end: date) -> Iterator[Household]:
    """Households ``seed``, ``seed + 1``, …, generated one at a time as they are consumed."""
    if persona != "random" and persona not in PERSONAS:
        known = ", ".join(sorted(PERSONAS))
        raise InputError(
            f"unknown persona {persona!r}; use random or one of: {known}", source="--persona"
        )
    return (
        generate_household(
            random_persona(seed + i) if persona == "random" else persona,
            months=months,
            seed=seed + i,
            end=end,
        )
        for i in range(count)
    )


def synth(
    persona: Annotated[
        str, typer.Option(help="A named persona, or 'random' for sampled traits.")
    ] = "young_renter",
    months: Annotated[int, typer.Option(min=1, max=120, help="Months of history.")] = 12,
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives the same household.")
    ] = 0,
    households: Annotated[
        int, typer.Option(min=1, max=1000, help="How many households (seeds seed, seed+1, …).")
    ] = 1,
    out: Annotated[
        Path | None,
        typer.Option(help="Write to this .csv or .json file (CSV includes ground truth)."),
    ] = None,
    load: Annotated[bool, typer.Option(help="Load into the workspace (--db/--workspace).")] = False,
    list_personas: Annotated[bool, typer.Option(help="List the named personas and exit.")] = False,
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Generate synthetic households with ground truth, to a file or into a workspace."""
    if list_personas:
        data = [{"name": name, "description": p.description} for name, p in PERSONAS.items()]
        emit(
            as_json,
            data,
            lambda: print_table(
                "Personas",
                ["Persona", "Description"],
                [(d["name"], d["description"]) for d in data],
            ),
        )
        return
    if out is not None and out.suffix.lower() not in (".csv", ".json"):
        raise InputError("the output file must end in .csv or .json", source="--out")
    context = open_context(db, today, workspace) if load else None
    end = _month_end_before(context.today if context else resolve_today(today))
    made = _households(persona, households, months, seed, end)
    summary: list[dict[str, Any]] = []
    with Progress(console=err_console, transient=True, disable=as_json or households < 2) as bar:
        for index, household in enumerate(
            bar.track(made, total=households, description="Households")
        ):
            if out is not None:
                target = out if households == 1 else out.with_stem(f"{out.stem}-{index}")
                (write_csv if target.suffix.lower() == ".csv" else write_json)(household, target)
            if context is not None:
                with ledger_session(context) as ledger:
                    load_household(ledger, household)
            summary.append(_summary(household))
    emit(
        as_json,
        summary,
        lambda: print_table(
            "Synthetic households",
            ["Persona", "Seed", "From", "To", "Transactions", "Accounts"],
            [
                (s["persona"], s["seed"], s["start"], s["end"], s["transactions"], s["accounts"])
                for s in summary
            ],
        ),
    )


def _summary(household: Household) -> dict[str, Any]:
    return {
        "persona": household.persona.name,
        "seed": household.seed,
        "start": household.start,
        "end": household.end,
        "transactions": len(household.transactions),
        "accounts": len(household.accounts),
    }


def _render_demo(facts: dict[str, Any], persona: str) -> None:
    console.rule(f"[bold]budgetlm demo[/] — a synthetic '{escape(persona)}' household")
    console.print(f"{facts['transactions']} transactions in {len(facts['accounts'])} accounts.")
    done = facts["categorized"]
    console.print(
        f"Categorized {done['by_model']} of {done['considered']} automatically; "
        f"{done['to_review']} wait for review: budgetlm categorize review "
        f"--db {escape(facts['database'])} --workspace demo"
    )
    print_table(
        "Accounts",
        ["Account", "Type", "Balance"],
        [(a["name"], a["type"], format_money(a["balance"])) for a in facts["accounts"]],
        right=["Balance"],
    )
    print_table(
        "Cash flow by month",
        ["Month", "Income", "Spending", "Net", "Savings rate"],
        [
            (
                f"{c['month']:%b %Y}",
                format_money(c["income"]),
                format_money(c["spending"]),
                format_money(c["net"]),
                f"{c['savings_rate_percent']}%" if c["savings_rate_percent"] is not None else "—",
            )
            for c in facts["cash_flow"]
        ],
        right=["Income", "Spending", "Net", "Savings rate"],
    )
    print_table(
        "Where the money went last month",
        ["Category", "Spent"],
        [(s["category"], format_money(s["spent"])) for s in facts["spending_last_month"]],
        right=["Spent"],
    )
    print_table(
        "Budget last month",
        ["Category", "Budgeted", "Spent", "Remaining"],
        [
            (
                b["category"],
                format_money(b["budgeted"]),
                format_money(b["spent"]),
                format_money(b["remaining"]),
            )
            for b in facts["budget_last_month"]
        ],
        right=["Budgeted", "Spent", "Remaining"],
    )
    print_table(
        "Goals",
        ["Goal", "Saved", "Target", "By"],
        [
            (g["name"], format_money(g["current"]), format_money(g["target"]), g["by"])
            for g in facts["goals"]
        ],
    )
    print_table(
        "Debts",
        ["Debt", "Balance", "APR"],
        [(d["name"], format_money(d["balance"]), f"{d['apr'] * 100:.2f}%") for d in facts["debts"]],
    )
    print_table(
        "Latest transactions",
        ["Date", "Description", "Amount"],
        [(t["date"], t["description"], format_money(t["amount"])) for t in facts["recent"]],
        right=["Amount"],
    )
    console.print("[bold]What needs attention[/] (budgetlm insights)")
    for number, insight in enumerate(facts["insights"], 1):
        console.print(f"{number}. [bold]{escape(insight['title'])}[/]: {escape(insight['detail'])}")
    if facts["questions"]:
        console.print("[bold]Ask it[/] (budgetlm ask)")
    for asked in facts["questions"]:
        console.print(f"[bold]> {escape(asked['question'])}[/]\n  {escape(asked['answer'])}")


def demo(
    persona: Annotated[
        str, typer.Option(help="Persona of the demo household.")
    ] = "family_mortgage",
    months: Annotated[int, typer.Option(min=2, max=60, help="Months of history.")] = 12,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
) -> None:
    """Build a demo household in its own database and show what budgetlm knows about it."""
    context = open_context(db, today, "demo", default_file="demo.db")
    context.store.delete_workspace("demo")
    context = replace(context, workspace_id=context.store.workspace_id("demo"))
    [household] = _households(persona, 1, months, seed, _month_end_before(context.today))
    with ledger_session(context) as ledger:  # as a bank file arrives: no categories
        load_household(ledger, household, with_categories=False)
    with ledger_session(context) as ledger:
        report = categorize_ledger(ledger, workspace_categorizer(ledger, default_model()))
    with ledger_session(context) as ledger:
        facts = overview(ledger, context.today) | {
            "categorized": asdict(report),
            "database": context.store.url.render_as_string(hide_password=True),
            "insights": [
                asdict(i) for i in ledger_insights(ledger, context.today, InsightConfig(limit=5))
            ],
            "questions": demo_answers(ledger, context.today),
        }
    emit(as_json, {"persona": persona, **facts}, lambda: _render_demo(facts, persona))
