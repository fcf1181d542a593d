"""Planning commands: monthly budgets, savings goals and debts."""

from __future__ import annotations

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
    parse_date,
    parse_decimal,
    parse_month,
    print_table,
)
from budgetlm.errors import InputError
from budgetlm.ledger.store import DEFAULT_WORKSPACE
from budgetlm.money import format_money

budget_app = typer.Typer(help="Set and show monthly budgets.", no_args_is_help=True)
goal_app = typer.Typer(help="Savings goals.", no_args_is_help=True)
debt_app = typer.Typer(help="Debts (cards, loans).", no_args_is_help=True)


def _percent(value: str, option: str) -> Decimal:
    """A percentage typed as ``21.99`` or ``21.99%`` as a fraction (0.2199)."""
    return parse_decimal(value.rstrip("% "), option) / 100


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
    target_date = parse_date(by, "--by")
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
    promo_apr: Annotated[
        str | None, typer.Option(help="Promotional APR (percent), e.g. 0 for a balance transfer.")
    ] = None,
    promo_until: Annotated[
        str | None, typer.Option(help="Last day of the promotional rate (YYYY-MM-DD).")
    ] = None,
    db: DbOption = None,
    today: TodayOption = None,
    workspace: WorkspaceOption = DEFAULT_WORKSPACE,
) -> None:
    """Add a debt."""
    if (promo_apr is None) != (promo_until is None):
        raise InputError("--promo-apr and --promo-until go together", source="--promo-until")
    with ledger_session(open_context(db, today, workspace)) as ledger:
        ledger.add_debt(
            name,
            parse_decimal(balance, "--balance"),
            _percent(apr, "--apr"),
            min_payment_percent=_percent(min_percent, "--min-percent"),
            min_payment_floor=parse_decimal(min_floor, "--min-floor"),
            promo_apr=_percent(promo_apr, "--promo-apr") if promo_apr is not None else None,
            promo_until=parse_date(promo_until, "--promo-until") if promo_until else None,
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
