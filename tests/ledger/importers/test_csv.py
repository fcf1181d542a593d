"""Golden tests: one invented file per bank style and budgeting-app export (``tests/data/csv``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from budgetlm.errors import InputError
from budgetlm.ledger.importers import parse_statement
from budgetlm.ledger.importers.csv import parse_csv
from budgetlm.ledger.importers.options import ImportOptions
from budgetlm.ledger.records import ParsedStatement, RowError

DATA = Path(__file__).resolve().parents[2] / "data" / "csv"

Row = tuple[int, str, str, str]
"""(line, ISO date, amount, description) of one expected transaction."""


def read(name: str, **options: object) -> ParsedStatement:
    """Parse a fixture through the public dispatcher."""
    return parse_statement((DATA / name).read_bytes(), name, ImportOptions(**options))  # type: ignore[arg-type]


def rows(statement: ParsedStatement) -> list[Row]:
    return [
        (t.line, t.date.isoformat(), str(t.amount), t.description) for t in statement.transactions
    ]


def extras(statement: ParsedStatement) -> list[tuple[str | None, ...]]:
    return [(t.payee, t.category, t.account, t.notes, t.currency) for t in statement.transactions]


def has_note(statement: ParsedStatement, *words: str) -> bool:
    return any(all(w in note for w in words) for note in statement.notes)


GOLDEN: dict[str, list[Row]] = {
    "chase_checking.csv": [
        (2, "2024-01-16", "-82.17", "NORTHSIDE GROCERY #118 SPRINGFIELD IL"),
        (3, "2024-01-15", "1500.00", "ACME CORP PAYROLL PPD ID: 99001"),
        (4, "2024-01-12", "-250.00", "CHECK 1042"),
        (5, "2024-01-02", "-45.10", "CITY WATER UTIL WEB PMT"),
    ],
    "chase_credit.csv": [
        (2, "2024-01-31", "-6.75", "SQ *BLUE BOTTLE CAFE"),
        (3, "2024-01-29", "512.33", "AUTOPAY PAYMENT - THANK YOU"),
        (4, "2024-01-29", "19.99", "HARDWARE HUT"),
    ],
    "boa_with_preamble.csv": [
        (9, "2024-02-02", "3000.00", "PAYROLL DES:SALARY ID:XXXXX4411 INDN:DOE JANE"),
        (10, "2024-02-14", "-1200.00", "RENT PAYMENT ONLINE"),
        (11, "2024-02-20", "-10.99", "SPOTIFY USA DES:ONLINE PMT"),
        (12, "2024-02-27", "-49.41", "CORNER BAKERY #22"),
    ],
    "capital_one.csv": [
        (2, "2024-03-02", "-38.20", "GAS N GO 552"),
        (3, "2024-03-04", "200.00", "CAPITAL ONE MOBILE PYMT"),
        (4, "2024-03-06", "-24.50", "BOOKSHOP.ORG"),
    ],
    "barclays_uk_dmy.csv": [
        (2, "2024-04-03", "-12.40", "TESCO STORES 2231 ON 02 APR CPM"),
        (3, "2024-04-15", "2150.00", "EMPLOYER LTD SALARY"),
        (4, "2024-04-30", "-850.00", "LANDLORD MR SMITH RENT"),
    ],
    "german_semicolon_decimal_comma.csv": [
        (6, "2024-05-02", "-84.00", "Stromabschlag Mai"),
        (7, "2024-05-13", "2431.55", "Gehalt Mai"),
        (8, "2024-05-21", "-1023.10", "Einkauf Grüner Markt"),
    ],
    "utf16_export.csv": [
        (2, "2024-06-01", "-4.20", "CAFÉ NOIR"),
        (3, "2024-06-02", "1200.00", "SALÁRIO"),
        (4, "2024-06-03", "-15.00", "東京ラーメン"),
    ],
    "wells_fargo_noheader.csv": [
        (1, "2024-07-01", "-12.50", "COFFEE SHOP 0192 PORTLAND OR"),
        (2, "2024-07-03", "2000.00", "ONLINE TRANSFER FROM SAVINGS XXXXXX1234"),
        (3, "2024-07-15", "-63.08", "CHECK # 1187"),
    ],
    "amex_credit_positive.csv": [
        (2, "2024-08-02", "23.18", "UBER TRIP HELP.UBER.COM"),
        (3, "2024-08-04", "104.77", "WHOLE GRAINS MARKET"),
        (4, "2024-08-09", "-500.00", "ONLINE PAYMENT - THANK YOU"),
        (5, "2024-08-11", "412.00", "AIRLINE TICKET 0012"),
        (6, "2024-08-20", "15.49", "STREAMFLIX.COM"),
    ],
    "hsbc_text_month.csv": [
        (2, "2023-10-07", "-18.40", "WAITROSE 123"),
        (3, "2023-10-15", "2900.00", "SALARY OCT"),
        (4, "2023-10-31", "-154.00", "DD COUNCIL TAX"),
    ],
    "indian_bank_drcr.csv": [
        (2, "2024-01-02", "-1250.00", "UPI-GROCERY MART-123@okbank"),
        (3, "2024-01-05", "125000.00", "NEFT CR-EMPLOYER PVT LTD"),
        (4, "2024-01-15", "-5000.00", "ATM WDL-MG ROAD"),
    ],
    "pipe_compact_crdr.csv": [
        (2, "2024-03-01", "500.00", "OPENING DEPOSIT"),
        (3, "2024-03-02", "-42.10", "BOOKSTORE"),
        (4, "2024-03-03", "12.00", "REFUND BOOKSTORE"),
    ],
    "swiss_apostrophe.csv": [
        (2, "2024-06-05", "-2150.00", "Miete Juni"),
        (3, "2024-06-25", "8400.50", "Lohn Juni"),
        (4, "2024-06-28", "-87.35", "Migros Filiale 12"),
    ],
    "mint.csv": [
        (2, "2024-01-05", "-54.12", "TRADER JOE S #552 QPS SAN MATEO CA"),
        (3, "2024-01-12", "2450.00", "ACME PAYROLL DIRECT DEP"),
        (4, "2024-01-20", "-15.49", "NETFLIX.COM 866-579-7172"),
    ],
    "ynab.csv": [
        (2, "2024-02-01", "-1350.00", "Landlord"),
        (3, "2024-02-03", "-12.50", "Corner Cafe"),
        (4, "2024-02-15", "3100.00", "Employer"),
    ],
    "actual.csv": [
        (2, "2024-03-02", "-23.75", "Farmers Market"),
        (3, "2024-03-05", "-96.40", "Power Co"),
        (4, "2024-03-15", "2800.00", "Employer Inc"),
    ],
    "firefly.csv": [
        (2, "2024-04-01", "-42.30", "Weekly groceries"),
        (3, "2024-04-25", "3150.00", "Salary April"),
        (4, "2024-04-30", "-9.99", "Music subscription"),
    ],
    "monarch.csv": [
        (2, "2024-05-03", "-41.02", "SHELL OIL 5744123 HOUSTON TX"),
        (3, "2024-05-10", "3200.00", "ACME CORP DIRECT DEP"),
        (4, "2024-05-18", "-58.60", "TST* PIZZA PLACE - DOWNTOWN"),
    ],
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_rows(name: str) -> None:
    statement = read(name)
    assert statement.source == name and statement.file_format == "csv"
    assert rows(statement) == GOLDEN[name]
    assert statement.errors == ()
    assert has_note(statement, "columns")


def test_every_fixture_is_covered() -> None:
    tested = set(GOLDEN) | {
        "bad_rows.csv",
        "bad_split.csv",
        "mixed_date_orders.csv",
        "unknown_headers.csv",
    }
    assert {p.name for p in DATA.glob("*.csv")} == tested


def test_mint_signs_come_from_transaction_type_and_payee_is_the_clean_name() -> None:
    statement = read("mint.csv")
    assert extras(statement) == [
        ("Trader Joe's", "Groceries", "Visa Signature", "weekly shop", None),
        ("Paycheck", "Paycheck", "Checking", None, None),
        ("Netflix", "Television", "Visa Signature", None, None),
    ]
    assert has_note(statement, "no sign", "Transaction Type")


def test_ynab_outflow_inflow_and_leaf_category() -> None:
    assert extras(read("ynab.csv")) == [
        ("Landlord", "Rent", "Everyday Checking", "February", None),
        ("Corner Cafe", "Dining Out", "Everyday Checking", None, None),
        ("Employer", "Ready to Assign", "Everyday Checking", None, None),
    ]


def test_ynab_dollar_sign_takes_the_users_currency() -> None:
    assert {t.currency for t in read("ynab.csv", currency="cad").transactions} == {"CAD"}


def test_actual_export() -> None:
    assert extras(read("actual.csv")) == [
        ("Farmers Market", "Groceries", "Joint Checking", "eggs and bread", None),
        ("Power Co", "Utilities", "Joint Checking", None, None),
        ("Employer Inc", "Income", "Joint Checking", "March salary", None),
    ]


def test_firefly_source_and_destination_depend_on_direction() -> None:
    statement = read("firefly.csv")
    assert extras(statement) == [
        ("Supermarket Zuid", "Groceries", "Main account", "paid by card", "EUR"),
        ("Employer BV", "Salary", "Main account", None, "EUR"),
        ("Tunes Ltd", "Subscriptions", "Main account", None, "EUR"),
    ]
    assert statement.account.currency == "EUR"


def test_monarch_original_statement_is_the_description() -> None:
    assert extras(read("monarch.csv")) == [
        ("Shell", "Gas", "Credit Card (...4242)", None, None),
        ("Acme Corp", "Paychecks", "Checking (...0007)", None, None),
        ("Pizza Place", "Restaurants & Bars", "Credit Card (...4242)", "birthday dinner", None),
    ]


def test_chase_credit_prefers_post_date_and_says_so() -> None:
    statement = read("chase_credit.csv")
    assert has_note(statement, "'Post Date'", "'Transaction Date'")
    assert [t.category for t in statement.transactions] == ["Food & Drink", None, "Home"]
    assert statement.transactions[2].notes == "refund for bolts"


def test_boa_preamble_and_balance_line_are_noted() -> None:
    statement = read("boa_with_preamble.csv")
    assert has_note(statement, "lines 1-6", "header row (line 7)")
    assert has_note(statement, "line 8", "balance line")


def test_german_file_is_cp1252_with_payee_and_currency() -> None:
    statement = read("german_semicolon_decimal_comma.csv")
    assert has_note(statement, "Windows-1252")
    assert has_note(statement, "DD.MM.YYYY")
    assert [t.payee for t in statement.transactions] == [
        "Stadtwerke Müllheim",
        "Bäckerei Größl GmbH",
        "Grüner Markt",
    ]
    assert {t.currency for t in statement.transactions} == {"EUR"}


def test_barclays_day_first_is_proven_by_line_3() -> None:
    assert has_note(read("barclays_uk_dmy.csv"), "DD/MM/YYYY", "line 3")


def test_wells_fargo_columns_inferred_by_content() -> None:
    assert has_note(read("wells_fargo_noheader.csv"), "no header row", "'column 5'")


def test_amex_positive_charges_hint_and_flip() -> None:
    assert has_note(read("amex_credit_positive.csv"), "--debit-positive")
    flipped = read("amex_credit_positive.csv", debit_positive=True)
    assert [str(t.amount) for t in flipped.transactions] == [
        "-23.18",
        "-104.77",
        "500.00",
        "-412.00",
        "-15.49",
    ]
    assert not has_note(flipped, "--debit-positive")


def test_swiss_currency_column() -> None:
    statement = read("swiss_apostrophe.csv")
    assert statement.account.currency == "CHF"


def test_bad_rows_are_reported_with_line_and_column() -> None:
    statement = read("bad_rows.csv")
    assert rows(statement) == [
        (2, "2024-01-03", "-10.00", "GOOD ONE"),
        (10, "2024-01-07", "-3.00", "MULTI LINE MEMO"),
        (12, "2024-01-08", "-4.00", "LAST GOOD"),
    ]
    assert [(e.line, e.field) for e in statement.errors] == [
        (3, "Date"),
        (4, "Amount"),
        (5, None),
        (6, "Date"),
        (7, "Amount"),
    ]
    assert "expected 3 fields, found 4" in statement.errors[2].message
    assert statement.errors[4].message == "no amount"
    assert has_note(statement, "line 9 repeats the header")
    assert has_note(statement, "line 13", "footer", "Total")
    assert has_note(statement, "line 14", "footer", "Exported on")


def test_row_errors_become_input_errors_naming_the_file() -> None:
    error = read("bad_rows.csv").errors[0].as_input_error("bad_rows.csv")
    assert str(error).startswith("bad_rows.csv, line 3, field 'Date': ")


def test_debit_and_credit_both_filled_is_an_error() -> None:
    statement = read("bad_split.csv")
    assert rows(statement) == [(4, "2024-02-03", "-7.25", "ZERO CREDIT IS FINE")]
    assert statement.errors[0] == RowError(2, "Debit", "both 'Debit' and 'Credit' hold an amount")
    assert [(e.line, e.field) for e in statement.errors[1:]] == [(3, "Debit"), (5, "Credit")]


def test_mixed_date_orders_give_errors_not_guesses() -> None:
    statement = read("mixed_date_orders.csv")
    assert rows(statement) == [
        (2, "2024-01-13", "-1.00", "DAY FIRST"),
        (5, "2024-01-25", "-4.00", "DAY FIRST AGAIN"),
    ]
    assert [e.line for e in statement.errors] == [3, 4]
    assert has_note(statement, "mixes day-first (line 2) and month-first (line 3)")


def test_several_amount_like_columns_need_a_map() -> None:
    with pytest.raises(InputError, match=r"'Amt Paid', 'Balance Left'.*--map") as caught:
        read("unknown_headers.csv")
    assert caught.value.source == "unknown_headers.csv"
    statement = read(
        "unknown_headers.csv",
        column_map={"date": "Posted", "amount": "Amt Paid", "description": "Details"},
    )
    assert rows(statement) == [
        (2, "2024-09-01", "-29.00", "GYM MONTHLY"),
        (3, "2024-09-02", "-6.40", "BAKERY"),
    ]


def test_direct_call_matches_dispatcher() -> None:
    data = (DATA / "chase_checking.csv").read_bytes()
    assert parse_csv(data, "x.csv", ImportOptions()).transactions[0].date == date(2024, 1, 16)
    assert parse_csv(data, "x.csv", ImportOptions()).transactions[0].amount == Decimal("-82.17")
