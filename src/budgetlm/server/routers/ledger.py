"""Ledger resources: accounts, transactions, bank-file imports, categories, budgets, goals and
debts of the caller's workspace.

Every lookup by id goes through the workspace-scoped ``Ledger`` (or ``_owned``), so another
workspace's id reads exactly like an id that does not exist: 404, never 403.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Form, Path, Query, UploadFile, status
from sqlalchemy import select

from budgetlm.errors import NotFoundError
from budgetlm.ledger.importers import parse_statement
from budgetlm.ledger.importers.options import ImportOptions, parse_column_map
from budgetlm.ledger.importing import import_statement
from budgetlm.ledger.models import Account, Debt, Goal, Transaction
from budgetlm.ledger.repository import Ledger, TransactionFilter
from budgetlm.server.deps import LedgerDep, TodayDep
from budgetlm.server.limits import MAX_PAGE, MAX_TEXT_CHARS
from budgetlm.server.schemas import (
    AccountIn,
    AccountOut,
    BudgetLineOut,
    BudgetsIn,
    CategoryIn,
    CategoryOut,
    DebtIn,
    DebtOut,
    GoalIn,
    GoalOut,
    ImportOut,
    MoneyIn,
    Month,
    Page,
    TransactionOut,
    from_dataclass,
)

router = APIRouter(tags=["ledger"])

Owned = TypeVar("Owned", Account, Transaction, Goal, Debt)
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
Filter = Annotated[str | None, Query(min_length=1, max_length=200)]


def _owned(ledger: Ledger, model: type[Owned], row_id: int, kind: str) -> Owned:
    """The workspace's row ``row_id``; another workspace's row is reported as missing."""
    found = ledger.session.scalar(
        select(model).where(model.id == row_id, model.workspace_id == ledger.workspace_id)
    )
    if found is None:
        raise NotFoundError(f"no {kind} with id {row_id}")
    return found


def transaction_rows(ledger: Ledger, rows: Sequence[Transaction]) -> list[TransactionOut]:
    """Stored transactions as the API shows them (account and category by name)."""
    accounts = {a.id: a.name for a in ledger.accounts()}
    names = {c.id: c.name for c in ledger.categories()}
    return [
        TransactionOut(
            id=t.id, date=t.date, account=accounts[t.account_id], amount=t.amount,
            currency=t.currency, description=t.description, payee=t.payee,
            category=names.get(t.category_id or -1), category_source=t.category_source,
            category_confidence=t.category_confidence,
            suggested_category=names.get(t.suggested_category_id or -1), notes=t.notes,
        )
        for t in rows
    ]  # fmt: skip


def _account_out(account: Account, balances: dict[int, Decimal]) -> AccountOut:
    return AccountOut(
        id=account.id, name=account.name, account_type=account.account_type,
        currency=account.currency, institution=account.institution,
        number_mask=account.number_mask, opening_balance=account.opening_balance,
        balance=balances.get(account.id, account.opening_balance),
    )  # fmt: skip


# --- Accounts ------------------------------------------------------------------------------------


@router.get("/accounts")
def list_accounts(ledger: LedgerDep) -> list[AccountOut]:
    """Accounts with their current balances, by name."""
    balances = ledger.balances()
    return [_account_out(a, balances) for a in ledger.accounts()]


@router.post("/accounts", status_code=status.HTTP_201_CREATED)
def add_account(body: AccountIn, ledger: LedgerDep) -> AccountOut:
    """Add an account; its name must be new in the workspace."""
    account = ledger.add_account(
        body.name, account_type=body.account_type, currency=body.currency,
        institution=body.institution, opening_balance=body.opening_balance,
    )  # fmt: skip
    return _account_out(account, ledger.balances())


@router.get("/accounts/{account_id}")
def get_account(account_id: Id, ledger: LedgerDep) -> AccountOut:
    """One account with its balance."""
    return _account_out(_owned(ledger, Account, account_id, "account"), ledger.balances())


# --- Transactions --------------------------------------------------------------------------------


@router.get("/transactions")
def list_transactions(
    ledger: LedgerDep,
    start: date | None = None,
    end: date | None = None,
    account: Filter = None,
    category: Filter = None,
    search: Filter = None,
    min_amount: Annotated[MoneyIn | None, Query(description="Smallest magnitude.")] = None,
    max_amount: Annotated[MoneyIn | None, Query(description="Largest magnitude.")] = None,
    uncategorized: bool = False,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Page[TransactionOut]:
    """Transactions, newest first, filtered and one page at a time. ``min_amount`` and
    ``max_amount`` bound the amount's magnitude (a $120 purchase and a $120 refund both match
    ``min_amount=100``), as rules do."""
    where = TransactionFilter(
        start=start, end=end, account=account, category=category, text=search,
        uncategorized=uncategorized, min_magnitude=min_amount, max_magnitude=max_amount,
        offset=offset, limit=limit + 1,
    )  # fmt: skip
    rows = ledger.transactions(where)
    more = len(rows) > limit
    return Page[TransactionOut](
        items=transaction_rows(ledger, rows[:limit]), offset=offset, limit=limit,
        next_offset=offset + limit if more else None,
    )  # fmt: skip


@router.get("/transactions/{transaction_id}")
def get_transaction(transaction_id: Id, ledger: LedgerDep) -> TransactionOut:
    """One transaction."""
    found = _owned(ledger, Transaction, transaction_id, "transaction")
    return transaction_rows(ledger, [found])[0]


@router.post("/imports", status_code=status.HTTP_201_CREATED)
def import_file(
    file: UploadFile,
    ledger: LedgerDep,
    account: Annotated[str | None, Form(max_length=200)] = None,
    mapping: Annotated[
        str | None, Form(max_length=1_000, description="e.g. date=Posted,amount=Amt")
    ] = None,
    date_format: Annotated[str | None, Form(max_length=40)] = None,
    date_order: Annotated[Literal["auto", "ymd", "mdy", "dmy"], Form()] = "auto",
    file_format: Annotated[Literal["csv", "ofx", "qfx", "qif"] | None, Form()] = None,
    currency: Annotated[str | None, Form(pattern=r"^[A-Za-z]{3}$")] = None,
    debit_positive: Annotated[bool, Form()] = False,
    skip_bad_rows: Annotated[bool, Form()] = False,
    dry_run: Annotated[bool, Form()] = False,
) -> ImportOut:
    """Import a CSV, OFX, QFX or QIF file, all or nothing; importing it again adds nothing.
    ``account`` is for files that do not name one (created if new)."""
    data = file.file.read()
    source = (file.filename or "upload")[-MAX_TEXT_CHARS:]
    options = ImportOptions(
        file_format=file_format, column_map=parse_column_map(mapping) if mapping else {},
        date_format=date_format, date_order=date_order, currency=currency,
        debit_positive=debit_positive,
    )  # fmt: skip
    statement = parse_statement(data, source, options)
    sha256 = hashlib.sha256(data).hexdigest()
    savepoint = ledger.session.begin_nested()
    report = import_statement(
        ledger, statement, file_sha256=sha256, account=account, skip_bad_rows=skip_bad_rows,
        dry_run=dry_run,
    )  # fmt: skip
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return from_dataclass(ImportOut, report)


# --- Categories ----------------------------------------------------------------------------------


@router.get("/categories")
def list_categories(ledger: LedgerDep) -> list[CategoryOut]:
    """Categories: the defaults in taxonomy order, then the workspace's own."""
    return [from_dataclass(CategoryOut, c) for c in ledger.categories()]


@router.post("/categories", status_code=status.HTTP_201_CREATED)
def add_category(body: CategoryIn, ledger: LedgerDep) -> CategoryOut:
    """Add a category of your own."""
    return from_dataclass(CategoryOut, ledger.add_category(body.name, body.group))


# --- Budgets -------------------------------------------------------------------------------------


def _month(value: str | None, today: date) -> date:
    return date.fromisoformat(value + "-01") if value else today.replace(day=1)


@router.get("/budgets")
def this_months_budgets(ledger: LedgerDep, today: TodayDep) -> list[BudgetLineOut]:
    """This month's budgets beside what was spent."""
    return [from_dataclass(BudgetLineOut, b) for b in ledger.budget_lines(_month(None, today))]


@router.get("/budgets/{month}")
def budgets(
    month: Annotated[Month, Path()], ledger: LedgerDep, today: TodayDep
) -> list[BudgetLineOut]:
    """A month's budgets (``YYYY-MM``) beside what was spent."""
    return [from_dataclass(BudgetLineOut, b) for b in ledger.budget_lines(_month(month, today))]


@router.put("/budgets/{month}")
def set_budgets(
    month: Annotated[Month, Path()], body: BudgetsIn, ledger: LedgerDep, today: TodayDep
) -> list[BudgetLineOut]:
    """Set (or replace) the budgets of some categories for a month; others stay as they are."""
    first = _month(month, today)
    for line in body.lines:
        ledger.set_budget(line.category, first, line.amount)
    return [from_dataclass(BudgetLineOut, b) for b in ledger.budget_lines(first)]


# --- Goals and debts -----------------------------------------------------------------------------


@router.get("/goals")
def list_goals(ledger: LedgerDep) -> list[GoalOut]:
    """Savings goals, soonest first."""
    return [from_dataclass(GoalOut, g) for g in ledger.goals()]


@router.post("/goals", status_code=status.HTTP_201_CREATED)
def add_goal(body: GoalIn, ledger: LedgerDep) -> GoalOut:
    """Add a savings goal."""
    goal = ledger.add_goal(body.name, body.target, body.target_date, body.current)
    return from_dataclass(GoalOut, goal)


@router.get("/goals/{goal_id}")
def get_goal(goal_id: Id, ledger: LedgerDep) -> GoalOut:
    """One savings goal."""
    return from_dataclass(GoalOut, _owned(ledger, Goal, goal_id, "goal"))


@router.delete("/goals/{goal_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_goal(goal_id: Id, ledger: LedgerDep) -> None:
    """Remove a savings goal."""
    ledger.session.delete(_owned(ledger, Goal, goal_id, "goal"))
    ledger.touch()


@router.get("/debts")
def list_debts(ledger: LedgerDep) -> list[DebtOut]:
    """Debts, highest APR first."""
    return [from_dataclass(DebtOut, d) for d in ledger.debts()]


@router.post("/debts", status_code=status.HTTP_201_CREATED)
def add_debt(body: DebtIn, ledger: LedgerDep) -> DebtOut:
    """Add a debt; rates are fractions (21.99% is ``"0.2199"``)."""
    debt = ledger.add_debt(
        body.name, body.balance, body.apr, min_payment_percent=body.min_payment_percent,
        min_payment_floor=body.min_payment_floor, promo_apr=body.promo_apr,
        promo_until=body.promo_until,
    )  # fmt: skip
    return from_dataclass(DebtOut, debt)


@router.get("/debts/{debt_id}")
def get_debt(debt_id: Id, ledger: LedgerDep) -> DebtOut:
    """One debt."""
    return from_dataclass(DebtOut, _owned(ledger, Debt, debt_id, "debt"))


@router.delete("/debts/{debt_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_debt(debt_id: Id, ledger: LedgerDep) -> None:
    """Remove a debt."""
    ledger.session.delete(_owned(ledger, Debt, debt_id, "debt"))
    ledger.touch()
