"""The analytics history: a ledger and the household it was loaded from read the same."""

from __future__ import annotations

from budgetlm.analytics.history import from_household, from_ledger
from budgetlm.ledger.household import load_household
from budgetlm.ledger.repository import Ledger
from budgetlm.ledger.synth import generate_household


def test_a_loaded_household_reads_as_its_own_history(ledger: Ledger) -> None:
    household = generate_household("family_mortgage", months=4, seed=11)
    load_household(ledger, household)
    stored, generated = from_ledger(ledger), from_household(household)
    assert len(stored.transactions) == len(generated.transactions) > 100
    key = lambda t: (t.date, t.amount, t.account, t.category, t.group, t.description)  # noqa: E731
    assert sorted(map(key, stored.transactions)) == sorted(map(key, generated.transactions))
    assert [t.date for t in stored.transactions] == sorted(t.date for t in stored.transactions)
    assert {a.name: a.balance for a in stored.accounts} == {
        a.name: a.balance for a in generated.accounts
    }
    assert stored.balance() == generated.balance()
    assert any(t.is_transfer for t in generated.transactions)
    assert any(t.is_spending for t in generated.transactions)
    paycheck = next(t for t in generated.transactions if t.category == "Paycheck")
    assert paycheck.group == "income" and not paycheck.is_spending
