"""Whole files through parsing and the import service into a real store."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from budgetlm.ledger.importers import read_statement
from budgetlm.ledger.importing import import_statement
from budgetlm.ledger.repository import Ledger

DATA = Path(__file__).parents[1] / "data"

CLEAN_FILES = sorted(
    path
    for folder in ("csv", "ofx", "qif")
    for path in (DATA / folder).iterdir()
    if not path.name.startswith(("bad", "malformed", "not_", "mixed", "unknown"))
)


def _import(ledger: Ledger, name: str, account: str | None = "Imported") -> tuple[int, int]:
    statement = read_statement(DATA / name)
    report = import_statement(ledger, statement, file_sha256="x", account=account)
    return report.added, report.duplicates


@pytest.mark.parametrize("path", CLEAN_FILES, ids=lambda p: p.name)
def test_every_fixture_imports_once_and_only_once(ledger: Ledger, path) -> None:  # type: ignore[no-untyped-def]
    name = f"{path.parent.name}/{path.name}"
    added, duplicates = _import(ledger, name)
    assert added > 0 and duplicates == 0
    assert _import(ledger, name) == (0, added)
    assert ledger.transaction_count() == added


def test_multi_account_ofx_creates_each_account_with_its_own_type_and_currency(
    ledger: Ledger,
) -> None:
    _import(ledger, "ofx/multi_account.ofx", account=None)
    accounts = {a.name: (a.account_type, a.currency, a.number_mask) for a in ledger.accounts()}
    assert accounts == {
        "Checking …6789": ("checking", "USD", "6789"),
        "Savings …4321": ("savings", "CAD", "4321"),
        "Credit Card …1111": ("credit_card", "USD", "1111"),
    }


def test_multi_account_qif_keeps_account_names_and_types(ledger: Ledger) -> None:
    _import(ledger, "qif/multi_account.qif", account=None)
    accounts = {a.name: (a.account_type, a.number_mask) for a in ledger.accounts()}
    assert accounts["Everyday Checking"] == ("checking", None)
    assert accounts["Rewards Visa"] == ("credit_card", None)


def test_app_export_brings_its_categories_accounts_and_notes(ledger: Ledger) -> None:
    _import(ledger, "csv/mint.csv", account=None)
    names = {c.id: c.name for c in ledger.categories()}
    accounts = {a.id: a.name for a in ledger.accounts()}
    rows = {t.description: t for t in ledger.transactions()}
    groceries = rows["TRADER JOE S #552 QPS SAN MATEO CA"]
    assert names[groceries.category_id] == "Groceries"  # type: ignore[index]
    assert (groceries.amount, groceries.notes) == (Decimal("-54.12"), "weekly shop")
    assert accounts[groceries.account_id] == "Visa Signature"
    assert groceries.category_source == "import"
    netflix = rows["NETFLIX.COM 866-579-7172"]
    assert names[netflix.category_id] == "Internet & Phone"  # type: ignore[index]
    assert rows["ACME PAYROLL DIRECT DEP"].amount == Decimal("2450.00")
