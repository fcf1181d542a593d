"""The import service: atomic, idempotent, category and account mapping, clear refusals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from budgetlm.errors import InputError
from budgetlm.ledger.importing import ImportRefusedError, fingerprints, import_statement
from budgetlm.ledger.records import ImportedTransaction, ParsedStatement, RowError, StatementAccount
from budgetlm.ledger.repository import Ledger
from budgetlm.ledger.store import Store


def tx(day: int, amount: str, text: str, line: int = 0, **extra: object) -> ImportedTransaction:
    return ImportedTransaction(date(2026, 3, day), Decimal(amount), text, line or day, **extra)  # type: ignore[arg-type]


def statement(
    *rows: ImportedTransaction, errors: tuple[RowError, ...] = (), **extra: object
) -> ParsedStatement:
    return ParsedStatement("march.csv", "csv", rows, errors, **extra)  # type: ignore[arg-type]


def load(ledger: Ledger, parsed: ParsedStatement, **options: object):  # type: ignore[no-untyped-def]
    options.setdefault("account", "Checking")
    return import_statement(ledger, parsed, file_sha256="0" * 64, **options)  # type: ignore[arg-type]


def test_reimporting_the_same_statement_adds_nothing(ledger: Ledger) -> None:
    rows = (tx(1, "-4.50", "COFFEE"), tx(2, "-60.10", "MARKET"), tx(3, "2500", "PAYROLL"))
    first = load(ledger, statement(*rows))
    second = load(ledger, statement(*rows))
    assert (first.added, first.duplicates) == (3, 0)
    assert (second.added, second.duplicates) == (0, 3)
    assert ledger.transaction_count() == 3


def test_identical_purchases_on_one_day_are_both_kept_and_overlap_is_skipped(
    ledger: Ledger,
) -> None:
    early = statement(
        tx(1, "-3.00", "BUS FARE"), tx(5, "-3.00", "BUS FARE"), tx(5, "-3.00", "BUS  fare")
    )
    assert load(ledger, early).added == 3
    overlapping = statement(
        tx(5, "-3.00", "BUS FARE"),
        tx(5, "-3.00", "BUS FARE"),  # the two already held
        tx(5, "-3.00", "BUS FARE"),  # a third identical ride that day is new
        tx(9, "-3.00", "BUS FARE"),
    )
    report = load(ledger, overlapping)
    assert (report.added, report.duplicates) == (2, 2)
    assert ledger.transaction_count() == 5


def test_fingerprints_ignore_case_spacing_and_trailing_zeros() -> None:
    a = fingerprints([tx(1, "-3.5", "Bus  Fare")])
    b = fingerprints([tx(1, "-3.50", "BUS FARE")])
    assert a == b
    assert fingerprints([tx(1, "-3.50", "BUS FARE")]) != fingerprints([tx(1, "3.50", "BUS FARE")])


def test_fitid_identifies_a_transaction_even_if_its_text_changes(ledger: Ledger) -> None:
    load(ledger, statement(tx(1, "-9.99", "STREAMCO", fitid="A1")))
    report = load(ledger, statement(tx(1, "-9.99", "STREAMCO*MEMBERSHIP", fitid="A1")))
    assert report.added == 0


def test_a_file_with_a_bad_row_imports_nothing(ledger: Ledger) -> None:
    bad = (RowError(3, "Amount", "'12,3,4' is not an amount"),)
    with pytest.raises(ImportRefusedError) as caught:
        load(ledger, statement(tx(1, "-1", "A"), errors=bad), account="New Account")
    message = str(caught.value)
    assert "march.csv" in message and "line 3" in message and "'Amount'" in message
    assert "nothing was imported" in message and "--skip-bad-rows" in message
    assert ledger.transaction_count() == 0
    assert ledger.find_account("New Account") is None


def test_skip_bad_rows_imports_the_rest_and_reports_each_skipped_row(ledger: Ledger) -> None:
    bad = (RowError(3, "Date", "bad date"), RowError(7, "Amount", "bad amount"))
    report = load(
        ledger, statement(tx(1, "-1", "A"), tx(2, "-2", "B"), errors=bad), skip_bad_rows=True
    )
    assert report.added == 2 and report.skipped == bad and report.rows_read == 4


def test_a_failure_while_writing_rolls_the_whole_file_back(store: Store, workspace: int) -> None:
    rows = (tx(1, "-1.00", "FINE"), tx(2, "-1.000001", "TOO PRECISE"))
    with pytest.raises(Exception, match="decimal places"), store.session() as session:
        load(Ledger(session, workspace), statement(*rows))
    with store.session() as session:
        ledger = Ledger(session, workspace)
        assert ledger.transaction_count() == 0 and ledger.accounts() == []


def test_app_export_categories_map_to_ours_or_become_user_categories(ledger: Ledger) -> None:
    rows = (
        tx(1, "-30", "DINER", category="Restaurants"),
        tx(2, "-12", "BEANS", category="Food & Dining: Coffee Shops"),
        tx(3, "-45", "CLUB", category="Kids Soccer"),
        tx(4, "-9", "MISC", category="Uncategorized"),
        tx(5, "-200", "TO SAVINGS", category="[Savings Account]"),
        tx(6, "1500", "SIDE GIG", category="Consulting Income"),
    )
    report = load(ledger, statement(*rows))
    assert report.created_categories == ("Kids Soccer", "Consulting Income")
    by_text = {t.description: t for t in ledger.transactions()}
    names = {c.id: (c.name, c.group) for c in ledger.categories()}
    assert names[by_text["DINER"].category_id] == ("Dining Out", "want")  # type: ignore[index]
    assert names[by_text["BEANS"].category_id] == ("Coffee Shops", "want")  # type: ignore[index]
    assert names[by_text["SIDE GIG"].category_id] == ("Consulting Income", "income")  # type: ignore[index]
    assert names[by_text["TO SAVINGS"].category_id] == ("Transfer", "transfer")  # type: ignore[index]
    assert by_text["MISC"].category_id is None
    assert by_text["DINER"].category_source == "import"


def test_rows_go_to_the_accounts_the_file_names(ledger: Ledger) -> None:
    rows = (
        tx(1, "-1", "A", account="Visa"),
        tx(2, "-2", "B", account="Joint Checking"),
        tx(3, "-3", "C"),
    )
    report = load(ledger, statement(*rows), account="Cash")
    assert set(report.accounts) == {"Visa", "Joint Checking", "Cash"}
    assert set(report.created_accounts) == {"Visa", "Joint Checking", "Cash"}


def test_ofx_account_numbers_are_masked_in_the_account_name(ledger: Ledger) -> None:
    facts = StatementAccount(account_id="000123456789", account_type="credit_card", currency="EUR")
    parsed = ParsedStatement(
        "card.ofx", "ofx", (tx(1, "-5", "SHOP", account="000123456789"),), account=facts
    )
    report = import_statement(ledger, parsed, file_sha256="0" * 64)
    [account] = ledger.accounts()
    assert report.accounts == ("Credit Card …6789",)
    assert (account.number_mask, account.currency, account.account_type) == (
        "6789",
        "EUR",
        "credit_card",
    )
    assert "123456" not in account.name


def test_a_file_without_an_account_needs_one(ledger: Ledger) -> None:
    with pytest.raises(InputError, match="--account NAME"):
        load(ledger, statement(tx(1, "-1", "A")), account=None)
