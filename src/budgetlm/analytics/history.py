"""A household's history as the analytics engines read it: from a ledger or a synthetic household.

This is the only analytics module that touches the database (one query for the transactions,
one each for accounts and categories); everything downstream is pure.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, cast

from sqlalchemy import select

from budgetlm.analytics.records import Account, Txn
from budgetlm.ledger.models import Transaction
from budgetlm.ledger.taxonomy import CategoryGroup, default_categories

if TYPE_CHECKING:
    from budgetlm.ledger.repository import Ledger
    from budgetlm.ledger.synth import Household


@dataclass(frozen=True)
class History:
    """Transactions (oldest first) and accounts of one household."""

    transactions: tuple[Txn, ...]
    """Every transaction, sorted by date then id."""
    accounts: tuple[Account, ...]
    """Every account with its balance after the last transaction."""

    def balance(self, account_types: tuple[str, ...] = ("checking", "savings")) -> Decimal:
        """Total balance of the accounts of the given types (cash on hand by default)."""
        return sum(
            (a.balance for a in self.accounts if a.account_type in account_types), Decimal(0)
        )


def from_ledger(ledger: Ledger) -> History:
    """The whole history of a ledger workspace."""
    categories = {c.id: (c.name, cast(CategoryGroup, c.group)) for c in ledger.categories()}
    accounts = {a.id: a for a in ledger.accounts()}
    query = (
        select(
            Transaction.id,
            Transaction.date,
            Transaction.amount,
            Transaction.payee,
            Transaction.description,
            Transaction.account_id,
            Transaction.category_id,
        )
        .where(Transaction.workspace_id == ledger.workspace_id)
        .order_by(Transaction.date, Transaction.id)
    )
    txns = []
    for row_id, day, amount, payee, description, account_id, category_id in ledger.session.execute(
        query
    ):
        name, group = categories.get(category_id, (None, None)) if category_id else (None, None)
        txns.append(
            Txn(
                id=str(row_id),
                date=day,
                amount=amount,
                payee=payee or description,
                account=accounts[account_id].name,
                category=name,
                group=group,
                description=description,
            )
        )
    balances = ledger.balances()
    return History(
        tuple(txns),
        tuple(Account(a.name, a.account_type, balances[a.id]) for a in accounts.values()),
    )


def from_household(household: Household) -> History:
    """The history of a generated household (ids are the transaction's index as text).

    Payees are normalized from the bank lines, as an import would store them, not taken from
    the ground truth.
    """
    from budgetlm.categorize.normalize import normalize_payee

    groups = {c.name: c.group for c in default_categories()}
    totals: dict[str, Decimal] = defaultdict(Decimal)
    txns = []
    for index, t in enumerate(household.transactions):
        totals[t.account] += t.amount
        txns.append(
            Txn(
                id=str(index),
                date=t.date,
                amount=t.amount,
                payee=normalize_payee(t.description) or t.description,
                account=t.account,
                category=t.category,
                group=groups.get(t.category),
                description=t.description,
            )
        )
    txns.sort(key=lambda t: (t.date, int(t.id)))
    accounts = tuple(
        Account(a.name, a.account_type, a.opening_balance + totals[a.name])
        for a in household.accounts
    )
    return History(tuple(txns), accounts)
