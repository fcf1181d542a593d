"""Ledger commands: init, accounts, transactions, categories, budgets, goals and debts."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape

from budgetlm.cli.common import (
    DbOption,
    JsonOption,
    TodayOption,
    WorkspaceOption,
    console,
    emit,
    ledger_session,
    open_context,
    parse_date,
    parse_decimal,
    print_table,
)
from budgetlm.errors import InputError
from budgetlm.ledger.repository import TransactionFilter
from budgetlm.ledger.store import DEFAULT_WORKSPACE
from budgetlm.ledger.taxonomy import CategoryGroup
from budgetlm.money import format_money

accounts_app = typer.Typer(help="List and add accounts.", no_args_is_help=False)
categories_app = typer.Typer(help="List, add and rename categories.")


def init(
    db: DbOption = None, today: TodayOption = None, workspace: WorkspaceOption = DEFAULT_WORKSPACE
) -> None:
    """Create the database (or bring it up to date) and the workspace."""
    context = open_context(db, today, workspace)
    with ledger_session(context) as ledger:
        count = len(ledger.categories())
    where = escape(context.store.url.render_as_string(hide_password=True))
    console.print(
        f"Ledger ready at [bold]{where}[/], "
        f"workspace [bold]{escape(workspace)}[/] with {count} categories."
    )


@accounts_app.callback(invoke_without_command=True)
def accounts(
    ctx: typer.Context,
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """List accounts with their balances."""
    if ctx.invoked_subcommand is not None:
        return
    context = open_context(db, today, workspace)
    with ledger_session(context) as ledger:
        balances = ledger.balances()
        rows: list[dict[str, Any]] = [
            {
                "name": a.name,
                "type": a.account_type,
                "currency": a.currency,
                "institution": a.institution,
                "number_mask": a.number_mask,
                "balance": balances[a.id],
            }
            for a in ledger.accounts()
        ]
    emit(
        as_json,
        rows,
        lambda: print_table(
            "Accounts",
            ["Account", "Type", "Balance"],
            [(r["name"], r["type"], format_money(r["balance"], r["currency"])) for r in rows],
            right=["Balance"],
        ),
    )


@accounts_app.command("add")
def accounts_add(
    name: str,
    account_type: Annotated[
        str, typer.Option("--type", help="checking, savings, credit_card, cash, loan, investment")
    ] = "checking",
    currency: Annotated[str, typer.Option(help="ISO 4217 code.")] = "USD",
    opening_balance: Annotated[
        str, typer.Option(help="Balance before the first transaction.")
    ] = "0",
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Add an account."""
    allowed = {"checking", "savings", "credit_card", "cash", "loan", "investment", "other"}
    if account_type not in allowed:
        raise InputError(
            f"unknown account type {account_type!r}; use one of {sorted(allowed)}", source="--type"
        )
    context = open_context(db, today, workspace)
    with ledger_session(context) as ledger:
        ledger.add_account(
            name,
            account_type=account_type,
            currency=currency,
            opening_balance=parse_decimal(opening_balance, "--opening-balance"),
        )
    console.print(f"Added account [bold]{escape(name)}[/].")


def transactions(
    start: Annotated[str | None, typer.Option(help="First date, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option(help="Last date, YYYY-MM-DD.")] = None,
    account: Annotated[str | None, typer.Option(help="Account name.")] = None,
    category: Annotated[str | None, typer.Option(help="Category name.")] = None,
    search: Annotated[
        str | None, typer.Option("--search", "-s", help="Text in the description or payee.")
    ] = None,
    uncategorized: Annotated[
        bool, typer.Option(help="Only transactions without a category.")
    ] = False,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many of the newest.")] = 0,
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """List transactions, newest first."""
    where = TransactionFilter(
        start=parse_date(start, "--start") if start else None,
        end=parse_date(end, "--end") if end else None,
        account=account,
        category=category,
        text=search,
        uncategorized=uncategorized,
        limit=limit,
        offset=offset,
    )
    context = open_context(db, today, workspace)
    with ledger_session(context) as ledger:
        names = {c.id: c.name for c in ledger.categories()}
        accounts_by_id = {a.id: a.name for a in ledger.accounts()}
        rows: list[dict[str, Any]] = [
            {
                "id": t.id,
                "date": t.date,
                "account": accounts_by_id[t.account_id],
                "amount": t.amount,
                "currency": t.currency,
                "description": t.description,
                "payee": t.payee,
                "category": names.get(t.category_id) if t.category_id else None,
                "notes": t.notes,
            }
            for t in ledger.transactions(where)
        ]
    emit(
        as_json,
        rows,
        lambda: print_table(
            f"Transactions ({len(rows)})",
            ["Id", "Date", "Account", "Description", "Category", "Amount"],
            [
                (
                    r["id"],
                    r["date"],
                    r["account"],
                    r["payee"] or r["description"],
                    r["category"] or "—",
                    format_money(r["amount"], r["currency"]),
                )
                for r in rows
            ],
            right=["Amount", "Id"],
        ),
    )


@categories_app.callback(invoke_without_command=True)
def categories(
    ctx: typer.Context,
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """List categories with their 50/30/20 group and Plaid PFC code."""
    if ctx.invoked_subcommand is not None:
        return
    context = open_context(db, today, workspace)
    with ledger_session(context) as ledger:
        rows: list[dict[str, Any]] = [
            {"name": c.name, "group": c.group, "plaid_code": c.plaid_code, "default": c.is_default}
            for c in ledger.categories()
        ]
    emit(
        as_json,
        rows,
        lambda: print_table(
            "Categories",
            ["Category", "Group", "Plaid PFC code"],
            [(r["name"], r["group"], r["plaid_code"] or "(yours)") for r in rows],
        ),
    )


@categories_app.command("add")
def categories_add(
    name: str,
    group: Annotated[str, typer.Option(help="need, want, savings, income or transfer.")] = "want",
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Add a category of your own."""
    if group not in ("need", "want", "savings", "income", "transfer"):
        raise InputError(f"unknown group {group!r}", source="--group")
    checked: CategoryGroup = group  # type: ignore[assignment]
    with ledger_session(open_context(db, today, workspace)) as ledger:
        ledger.add_category(name, checked)
    console.print(f"Added category [bold]{escape(name)}[/].")


@categories_app.command("rename")
def categories_rename(
    old: str,
    new: str,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Rename a category; its transactions and budgets follow."""
    with ledger_session(open_context(db, today, workspace)) as ledger:
        renamed = ledger.rename_category(old, new)
    console.print(f"Renamed to [bold]{escape(renamed.name)}[/].")
