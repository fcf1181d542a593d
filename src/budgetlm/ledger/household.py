"""Load a synthetic household into a workspace, through the same import path as bank files."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from budgetlm.ledger.importing import import_statement
from budgetlm.ledger.records import ImportedTransaction, ParsedStatement
from budgetlm.ledger.repository import Ledger
from budgetlm.ledger.synth import Household


@dataclass(frozen=True)
class LoadReport:
    """What loading a household added."""

    accounts: int
    transactions: int
    budgets: int
    goals: int
    debts: int


def load_household(
    ledger: Ledger, household: Household, *, with_categories: bool = True
) -> LoadReport:
    """Add a household's accounts, transactions, budgets, goals and debts to ``ledger``.

    Loading the same household twice adds nothing the second time (the import fingerprints).

    Args:
        ledger: The workspace to fill.
        household: Output of ``budgetlm.ledger.synth.generate_household``.
        with_categories: Keep the ground-truth categories (as an app export would carry them);
            False leaves every transaction uncategorized, as a bank file would.
    """
    new_accounts = 0
    for account in household.accounts:
        if ledger.find_account(account.name) is None:
            ledger.add_account(
                account.name,
                account_type=account.account_type,
                currency=account.currency,
                institution=account.institution,
                opening_balance=account.opening_balance,
            )
            new_accounts += 1
    rows = tuple(
        ImportedTransaction(
            date=t.date,
            amount=t.amount,
            description=t.description,
            line=line,
            account=t.account,
            category=t.category if with_categories else None,
        )
        for line, t in enumerate(household.transactions, start=1)
    )
    source = f"synth:{household.persona.name}:seed{household.seed}"
    statement = ParsedStatement(source=source, file_format="csv", transactions=rows)
    digest = hashlib.sha256(repr((source, household.start, household.end)).encode()).hexdigest()
    report = import_statement(ledger, statement, file_sha256=digest)
    for budget in household.budgets:
        ledger.set_budget(budget.category, budget.month, budget.amount)
    existing_goals = {g.name for g in ledger.goals()}
    goals = [g for g in household.goals if g.name not in existing_goals]
    for goal in goals:
        ledger.add_goal(goal.name, goal.target, goal.target_date, goal.current)
    existing_debts = {d.name for d in ledger.debts()}
    debts = [d for d in household.debts if d.name not in existing_debts]
    for debt in debts:
        ledger.add_debt(
            debt.name,
            debt.balance,
            debt.apr,
            min_payment_percent=debt.min_payment_percent,
            min_payment_floor=debt.min_payment_floor,
        )
    return LoadReport(new_accounts, report.added, len(household.budgets), len(goals), len(debts))
