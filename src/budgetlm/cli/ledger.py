"""Ledger commands: init, accounts, transactions, categories, budgets, goals and debts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
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
    parse_decimal,
    parse_month,
    print_table,
)
from budgetlm.errors import InputError
from budgetlm.ledger.repository import TransactionFilter
from budgetlm.ledger.store import DEFAULT_WORKSPACE
from budgetlm.ledger.taxonomy import CategoryGroup
from budgetlm.money import format_money

accounts_app = typer.Typer(help="List and add accounts.", no_args_is_help=False)
categories_app = typer.Typer(help="List, add and rename categories.")
budget_app = typer.Typer(help="Set and show monthly budgets.", no_args_is_help=True)
goal_app = typer.Typer(help="Savings goals.", no_args_is_help=True)
debt_app = typer.Typer(help="Debts (cards, loans).", no_args_is_help=True)


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{value!r} is not a date like 2026-10-31", source=option) from None


def _percent(value: str, option: str) -> Decimal:
    """A percentage typed as ``21.99`` or ``21.99%`` as a fraction (0.2199)."""
    return parse_decimal(value.rstrip("% "), option) / 100


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
        start=_date(start, "--start"),
        end=_date(end, "--end"),
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


@budget_app.command("set")
def budget_set(
    category: str,
    amount: str,
    month: Annotated[str | None, typer.Option(help="YYYY-MM; default this month.")] = None,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Set the budget of a category for a month."""
    context = open_context(db, today, workspace)
    first = parse_month(month, context.today)
    with ledger_session(context) as ledger:
        budget = ledger.set_budget(category, first, parse_decimal(amount, "AMOUNT"))
        name = ledger.category(category).name
    console.print(f"Budget for {escape(name)} in {first:%B %Y}: {format_money(budget.amount)}.")


@budget_app.command("show")
def budget_show(
    month: Annotated[str | None, typer.Option(help="YYYY-MM; default this month.")] = None,
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Budgets of a month beside what was spent."""
    context = open_context(db, today, workspace)
    first = parse_month(month, context.today)
    with ledger_session(context) as ledger:
        lines = ledger.budget_lines(first)
    data: list[dict[str, Any]] = [
        {
            "category": b.category,
            "month": b.month,
            "budgeted": b.budgeted,
            "spent": b.spent,
            "remaining": b.remaining,
        }
        for b in lines
    ]
    emit(
        as_json,
        data,
        lambda: print_table(
            f"Budget for {first:%B %Y}",
            ["Category", "Budgeted", "Spent", "Remaining"],
            [
                (
                    b.category,
                    format_money(b.budgeted),
                    format_money(b.spent),
                    format_money(b.remaining),
                )
                for b in lines
            ],
            right=["Budgeted", "Spent", "Remaining"],
        ),
    )


@goal_app.command("add")
def goal_add(
    name: str,
    target: Annotated[str, typer.Option(help="Amount to reach.")],
    by: Annotated[str, typer.Option(help="Target date, YYYY-MM-DD.")],
    current: Annotated[str, typer.Option(help="Saved so far.")] = "0",
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Add a savings goal."""
    target_date = _date(by, "--by")
    assert target_date is not None
    with ledger_session(open_context(db, today, workspace)) as ledger:
        ledger.add_goal(
            name,
            parse_decimal(target, "--target"),
            target_date,
            parse_decimal(current, "--current"),
        )
    console.print(f"Added goal [bold]{escape(name)}[/].")


@goal_app.command("list")
def goal_list(
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """List savings goals."""
    with ledger_session(open_context(db, today, workspace)) as ledger:
        data: list[dict[str, Any]] = [
            {"name": g.name, "target": g.target, "target_date": g.target_date, "current": g.current}
            for g in ledger.goals()
        ]
    emit(
        as_json,
        data,
        lambda: print_table(
            "Goals",
            ["Goal", "Target", "By", "Saved"],
            [
                (g["name"], format_money(g["target"]), g["target_date"], format_money(g["current"]))
                for g in data
            ],
            right=["Target", "Saved"],
        ),
    )


@debt_app.command("add")
def debt_add(
    name: str,
    balance: Annotated[str, typer.Option(help="Amount owed.")],
    apr: Annotated[str, typer.Option(help="Annual percentage rate, e.g. 21.99 (percent).")],
    min_percent: Annotated[str, typer.Option(help="Minimum payment, percent of balance.")] = "2",
    min_floor: Annotated[str, typer.Option(help="Minimum payment is never below this.")] = "25",
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Add a debt."""
    with ledger_session(open_context(db, today, workspace)) as ledger:
        ledger.add_debt(
            name,
            parse_decimal(balance, "--balance"),
            _percent(apr, "--apr"),
            min_payment_percent=_percent(min_percent, "--min-percent"),
            min_payment_floor=parse_decimal(min_floor, "--min-floor"),
        )
    console.print(f"Added debt [bold]{escape(name)}[/].")


@debt_app.command("list")
def debt_list(
    as_json: JsonOption = False,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """List debts, highest APR first."""
    with ledger_session(open_context(db, today, workspace)) as ledger:
        data: list[dict[str, Any]] = [
            {
                "name": d.name,
                "balance": d.balance,
                "apr": d.apr,
                "min_payment_percent": d.min_payment_percent,
                "min_payment_floor": d.min_payment_floor,
            }
            for d in ledger.debts()
        ]
    emit(
        as_json,
        data,
        lambda: print_table(
            "Debts",
            ["Debt", "Balance", "APR", "Minimum payment"],
            [
                (
                    d["name"],
                    format_money(d["balance"]),
                    f"{d['apr'] * 100:.2f}%",
                    f"{d['min_payment_percent'] * 100:.2f}% "
                    f"(at least {format_money(d['min_payment_floor'])})",
                )
                for d in data
            ],
            right=["Balance", "APR"],
        ),
    )
