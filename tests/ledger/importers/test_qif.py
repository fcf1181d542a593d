"""QIF reader: golden files for real-world variants, row errors and properties."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budgetlm.errors import InputError
from budgetlm.ledger.importers import parse_statement
from budgetlm.ledger.importers.options import ImportOptions
from budgetlm.ledger.importers.qif import parse_qif
from budgetlm.ledger.records import (
    ImportedTransaction,
    ParsedStatement,
    RowError,
    StatementAccount,
)

DATA = Path(__file__).parents[2] / "data" / "qif"
PROPERTY = settings(max_examples=150, deadline=None)


def read(name: str, options: ImportOptions | None = None) -> ParsedStatement:
    return parse_qif((DATA / name).read_bytes(), name, options or ImportOptions())


def test_bank_file_with_us_dates_and_apostrophe_years() -> None:
    statement = read("bank_us.qif")
    assert statement.file_format == "qif"
    assert statement.account == StatementAccount(account_type="checking")
    assert statement.errors == ()
    [date_note] = statement.notes  # wording belongs to importers.dates; the decision is ours
    assert "MM/DD" in date_note and "line 2" in date_note
    assert statement.transactions == (
        ImportedTransaction(
            date(2024, 1, 15), Decimal("-1234.56"), "City of Springfield", 2,
            payee="City of Springfield", category="Taxes:Property",
            notes="Property tax, first half; number 1042",
        ),
        # "1/ 5'24": space padding; U and T both given.
        ImportedTransaction(
            date(2024, 1, 5), Decimal("2500.00"), "ACME Payroll", 10,
            payee="ACME Payroll", category="Salary",
        ),
        ImportedTransaction(
            date(2023, 12, 31), Decimal("-4.99"), "Streaming Co", 16,
            payee="Streaming Co", category="Entertainment/Family",
        ),
        # No payee: the memo describes the transaction.
        ImportedTransaction(
            date(2024, 2, 29), Decimal("-60.00"), "Cash withdrawal at ATM 0042", 21,
            notes="Cash withdrawal at ATM 0042",
        ),
    )  # fmt: skip


def test_credit_card_file_with_day_first_dates_and_decimal_commas() -> None:
    statement = read("ccard_dayfirst.qif")
    assert statement.account == StatementAccount(account_type="credit_card")
    date_note, amount_note = statement.notes
    assert "DD/MM" in date_note and "line 7" in date_note
    assert amount_note == "amounts read with a decimal comma"
    assert statement.transactions == (
        # 03/01/2024 is 3 January: day-first is decided from the whole file.
        ImportedTransaction(
            date(2024, 1, 3), Decimal("-23.40"), "Café de Flore", 2,
            payee="Café de Flore", category="Dining",
        ),
        ImportedTransaction(
            date(2024, 1, 15), Decimal("-1299.00"), "Electro Markt", 7,
            payee="Electro Markt", category="Electronics", notes="TV",
        ),
        ImportedTransaction(
            date(2024, 2, 28), Decimal("500.00"), "Payment - thank you", 13,
            payee="Payment - thank you", category="[Current Account]",
            notes="transfer: Current Account",
        ),
    )  # fmt: skip


def test_multi_account_file_assigns_each_transaction_its_account() -> None:
    statement = read("multi_account.qif")
    assert statement.account == StatementAccount("Everyday Checking", "checking")
    assert (
        "the file holds transactions of 3 accounts; each transaction carries its own account"
        in (statement.notes)
    )
    assert [(t.account, t.date, t.amount, t.category, t.line) for t in statement.transactions] == [
        ("Everyday Checking", date(2024, 5, 1), Decimal("2000.00"), "Salary", 16),
        ("Everyday Checking", date(2024, 5, 3), Decimal("-500.00"), "[Rewards Visa]", 21),
        ("Rewards Visa", date(2024, 5, 2), Decimal("-42.10"), "Groceries", 31),
        ("Rewards Visa", date(2024, 5, 3), Decimal("500.00"), "[Everyday Checking]", 36),
        ("Wallet", date(2024, 5, 4), Decimal("-3.50"), "Groceries:Produce", 46),
    ]


def test_splits_keep_the_total_and_transfers_keep_their_brackets() -> None:
    statement = read("splits_transfers.qif")
    assert statement.transactions == (
        ImportedTransaction(
            date(2024, 6, 1), Decimal("-120.00"), "Big Box Store", 2, payee="Big Box Store",
            notes="Monthly shop; split: Groceries -80.00 (Food); split: Household:Cleaning -25.00;"
            " split: [Savings] -15.00 (Put aside)",
        ),
        ImportedTransaction(
            date(2024, 6, 2), Decimal("-300.00"), "Transfer to savings", 15,
            payee="Transfer to savings", category="[Savings]/Goals", notes="transfer: Savings",
        ),
        ImportedTransaction(
            date(2024, 6, 3), Decimal("-18.25"), "Pizza Place", 20, payee="Pizza Place",
            category="Dining Out:Takeaway/Vacation 2024",
        ),
    )  # fmt: skip


def test_bad_date_and_amount_become_row_errors_naming_field_and_line() -> None:
    statement = read("bad_date.qif")
    assert [t.description for t in statement.transactions] == ["Good one", "Good two"]
    assert statement.errors == (
        RowError(6, "D", "cannot read the date '2/30/2024'"),
        RowError(11, "T", "cannot read the amount '-ten'"),
    )


def test_missing_date_and_amount_point_at_the_record() -> None:
    statement = parse_qif(
        b"!Type:Bank\nPNo date\n^\nD1/2/24\nPNo amount\n^\n", "m.qif", ImportOptions()
    )
    assert statement.errors == (
        RowError(2, "D", "no date given"),
        RowError(2, "T", "no amount given"),
        RowError(4, "T", "no amount given"),
    )


def test_explicit_date_order_and_format_win_over_detection() -> None:
    data = b"!Type:Bank\nD02/01/2024\nT-1.00\nPX\n^\n"
    assert parse_qif(data, "a.qif", ImportOptions()).transactions[0].date == date(2024, 2, 1)
    as_dmy = parse_qif(data, "a.qif", ImportOptions(date_order="dmy"))
    assert as_dmy.transactions[0].date == date(2024, 1, 2)
    formatted = parse_qif(data, "a.qif", ImportOptions(date_format="%d/%m/%Y"))
    assert formatted.transactions[0].date == date(2024, 1, 2)
    assert formatted.notes == ()


def test_cp1252_file_and_missing_final_caret() -> None:
    data = "!Type:Cash\r\nD1/2/2024\r\nT-3.00\r\nPCafé Crème\r\n".encode("cp1252")
    statement = parse_qif(data, "cash.qif", ImportOptions(currency="EUR"))
    assert statement.transactions == (
        ImportedTransaction(
            date(2024, 1, 2), Decimal("-3.00"), "Café Crème", 2, currency="EUR", payee="Café Crème"
        ),
    )
    assert statement.account == StatementAccount(account_type="cash", currency="EUR")
    assert "1 record(s) had no closing '^'; read anyway" in statement.notes
    assert any("read as cp1252" in note for note in statement.notes)


def test_utf16_with_bom() -> None:
    data = "\ufeff!Type:Bank\r\nD1/2/2024\r\nT-1.00\r\nPZoë\r\n^\r\n".encode("utf-16-le")
    statement = parse_qif(data, "u.qif", ImportOptions())
    assert [(t.date, t.description) for t in statement.transactions] == [(date(2024, 1, 2), "Zoë")]


def test_investment_and_list_sections_are_skipped_with_a_note() -> None:
    data = b"!Type:Cat\nNFood\nE\n^\n!Type:Invst\nD1/2/24\nNBuy\nYACME\nT100\n^\n"
    statement = parse_qif(data, "inv.qif", ImportOptions())
    assert statement.transactions == ()
    assert statement.notes == (
        "skipped 1 record(s) of section 'cat': not bank transactions",
        "skipped 1 record(s) of section 'invst': not bank transactions",
    )


def test_dispatch_by_content() -> None:
    data = (DATA / "bank_us.qif").read_bytes()
    assert parse_statement(data, "export.txt").transactions == read("bank_us.qif").transactions


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Date,Amount\n2024-01-01,5\n", "not a QIF file"),
        (b"\n\nD1/1/24\nT5\n^\n", "not a QIF file"),
        (b"!Type:Bank\n\x00\x01\x02binary", "binary"),
        ("!Type:Bank\nD1/2/24\n".encode("utf-16-le"), "binary"),
    ],
    ids=["csv", "no-header", "binary", "utf16-without-bom"],
)
def test_unreadable_files_raise_input_error(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        parse_qif(data, "bad.qif", ImportOptions())
    assert caught.value.source == "bad.qif"


# ---------------------------------------------------------------- properties

QIF_FRAGMENTS = st.sampled_from(
    ["!Type:Bank", "!Type:CCard", "!Account", "!Option:AutoSwitch", "!Clear:AutoSwitch", "!Type:",
     "D1/15'24", "D15/01/2024", "D", "D2024-13-45", "T-1,234.56", "U1.234,56", "T", "T(5)", "^",
     "S", "SFood", "$-1", "E", "L[Savings]", "LA:B/C", "N", "NChecking", "P", "Pé", "\n", "\r\n",
     "\r", " ", "x"]
)  # fmt: skip


def _qif_or_input_error(data: bytes) -> None:
    try:
        result = parse_qif(data, "fuzz.qif", ImportOptions())
    except InputError as exc:
        assert exc.source == "fuzz.qif"
    else:
        assert isinstance(result, ParsedStatement)


@PROPERTY
@given(st.binary(max_size=600))
def test_random_bytes_give_a_statement_or_input_error(data: bytes) -> None:
    _qif_or_input_error(data)


@PROPERTY
@given(st.lists(QIF_FRAGMENTS, max_size=80).map("".join))
def test_random_records_give_a_statement_or_input_error(text: str) -> None:
    _qif_or_input_error(text.encode())


PAYEES = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=30).filter(
    str.strip
)
ROWS = st.lists(
    st.tuples(
        st.dates(date(2000, 1, 1), date(2099, 12, 31)),
        st.decimals(-(10**7), 10**7, places=2, allow_nan=False, allow_infinity=False),
        PAYEES,
    ),
    min_size=1,
    max_size=8,
)


def write_qif(rows: list[tuple[date, Decimal, str]], style: str) -> str:
    """A bank list; ``style`` picks how dates are printed."""

    def day(d: date) -> str:
        if style == "quicken":  # 1/ 5'24, as Quicken pads it
            return f"{d.month}/{d.day:2d}'{d.year % 100:02d}"
        if style == "dmy":
            return f"{d.day:02d}/{d.month:02d}/{d.year}"
        return f"{d.month:02d}/{d.day:02d}/{d.year}"

    records = "".join(f"D{day(d)}\nT{amount:,}\nP{payee}\n^\n" for d, amount, payee in rows)
    return "!Type:Bank\n" + records


@PROPERTY
@given(ROWS, st.sampled_from(["quicken", "mdy", "dmy"]))
def test_written_files_round_trip(rows: list[tuple[date, Decimal, str]], style: str) -> None:
    options = ImportOptions(date_order="dmy" if style == "dmy" else "auto")
    statement = parse_qif(write_qif(rows, style).encode(), "round.qif", options)
    assert statement.errors == ()
    assert [(t.date, t.amount, t.description, t.line) for t in statement.transactions] == [
        (d, amount, " ".join(payee.split()), 2 + 4 * i) for i, (d, amount, payee) in enumerate(rows)
    ]
