"""Behaviour at realistic scale (marked slow; CI runs them with ``pytest -m slow``)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import pytest

from budgetlm.ledger.household import load_household
from budgetlm.ledger.importers import read_statement
from budgetlm.ledger.importing import import_statement
from budgetlm.ledger.repository import Ledger
from budgetlm.ledger.store import Store
from budgetlm.ledger.synth import PERSONAS, generate_household

pytestmark = pytest.mark.slow


def test_a_100k_row_statement_imports_whole_and_reimports_as_nothing(tmp_path: Path) -> None:
    rng = random.Random(1)
    lines = ["Transaction Date,Details,Withdrawals,Deposits"]
    for _ in range(100_000):
        day = date(2021, 1, 1) + timedelta(days=rng.randrange(1500))
        cents = rng.randrange(1, 500_000)
        cells = (f"{cents / 100:,.2f}", "") if rng.random() < 0.9 else ("", f"{cents / 100:,.2f}")
        lines.append(f'{day:%d/%m/%Y},"SHOP {rng.randrange(300)} REF {rng.randrange(99)}",'
                     f'"{cells[0]}","{cells[1]}"')  # fmt: skip
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    store = Store(f"sqlite:///{tmp_path / 'big.db'}")
    workspace = store.workspace_id()
    statement = read_statement(path)
    assert len(statement.transactions) == 100_000 and not statement.errors
    for expected_added in (100_000, 0):
        with store.session() as session:
            ledger = Ledger(session, workspace)
            report = import_statement(ledger, statement, file_sha256="x", account="Checking")
            assert report.added == expected_added
    with store.session() as session:
        ledger = Ledger(session, workspace)
        assert ledger.transaction_count() == 100_000
        total = sum(t.amount for t in statement.transactions)
        assert ledger.balances()[ledger.account("Checking").id] == total
    store.close()


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_every_persona_loads_in_full_twice_without_duplicates(tmp_path: Path, persona: str) -> None:
    household = generate_household(persona, months=24, seed=11, end=date(2026, 10, 31))
    store = Store(f"sqlite:///{tmp_path / 'h.db'}")
    workspace = store.workspace_id()
    for expected in (len(household.transactions), 0):
        with store.session() as session:
            assert load_household(Ledger(session, workspace), household).transactions == expected
    with store.session() as session:
        ledger = Ledger(session, workspace)
        by_id = ledger.balances()
        balances = {a.name: by_id[a.id] for a in ledger.accounts()}
    store.close()
    for account in household.accounts:
        own = [t.amount for t in household.transactions if t.account == account.name]
        assert balances[account.name] == account.opening_balance + sum(own)
