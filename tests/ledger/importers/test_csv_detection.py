"""Tests for the CSV reader's detection rules: encoding, delimiter, header, ``--map``, skipping."""

from __future__ import annotations

from decimal import Decimal

import pytest

from budgetlm.errors import InputError
from budgetlm.ledger.importers.columns import header_key, match_header
from budgetlm.ledger.importers.csv import TEXT_LIMIT, parse_csv
from budgetlm.ledger.importers.options import ImportOptions, parse_column_map
from budgetlm.ledger.importers.text import decode, sniff_delimiter
from budgetlm.ledger.records import ParsedStatement

SIMPLE = "Date,Description,Amount\n2024-01-05,Café Olé,-3.50\n2024-01-06,Pay,100.00\n"


def parse(text: str | bytes, **options: object) -> ParsedStatement:
    data = text.encode() if isinstance(text, str) else text
    return parse_csv(data, "t.csv", ImportOptions(**options))  # type: ignore[arg-type]


def summary(statement: ParsedStatement) -> list[tuple[int, str, str, str]]:
    return [
        (t.line, t.date.isoformat(), str(t.amount), t.description) for t in statement.transactions
    ]


def notes(statement: ParsedStatement) -> str:
    return "\n".join(statement.notes)


EXPECTED = [(2, "2024-01-05", "-3.50", "Café Olé"), (3, "2024-01-06", "100.00", "Pay")]

# --- encodings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "note"),
    [
        (SIMPLE.encode("utf-8"), None),
        (SIMPLE.encode("utf-8-sig"), None),
        (SIMPLE.encode("utf-16"), "UTF-16-LE (byte-order mark)"),
        (b"\xfe\xff" + SIMPLE.encode("utf-16-be"), "UTF-16-BE (byte-order mark)"),
        (SIMPLE.encode("utf-16-le"), "UTF-16-LE (no byte-order mark)"),
        (SIMPLE.encode("utf-16-be"), "UTF-16-BE (no byte-order mark)"),
        (SIMPLE.encode("utf-32"), "UTF-32-LE"),
        (SIMPLE.encode("cp1252"), "Windows-1252"),
    ],
)
def test_encodings(data: bytes, note: str | None) -> None:
    statement = parse(data)
    assert summary(statement) == EXPECTED
    if note is None:
        assert "encoding" not in notes(statement) and "Windows" not in notes(statement)
    else:
        assert note in notes(statement)


def test_encoding_option_overrides_and_is_checked() -> None:
    data = SIMPLE.encode("latin-1")
    assert summary(parse(data, encoding="latin-1")) == EXPECTED
    assert summary(parse(SIMPLE.encode("utf-8-sig"), encoding="utf-8")) == EXPECTED
    with pytest.raises(InputError, match="unknown text encoding") as caught:
        parse(data, encoding="klingon")
    assert caught.value.source == "--encoding"
    with pytest.raises(InputError, match="not valid utf-8"):
        parse(data, encoding="utf-8")


def test_undecodable_by_cp1252_falls_back_to_a_guess() -> None:
    text, note = decode("Дата,Описание,Сумма\n".encode("cp1251") + b"\x81\n", None, "t.csv")
    assert note is not None and "guessed" in note
    assert isinstance(text, str)


# --- delimiters -----------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_with_header(delimiter: str) -> None:
    text = SIMPLE.replace(",", delimiter)
    assert sniff_delimiter(text) == delimiter
    assert summary(parse(text)) == EXPECTED


def test_semicolon_with_decimal_commas_and_no_header() -> None:
    text = "02.01.2024;Miete;-1.200,00\n03.01.2024;Brot;-3,20\n15.01.2024;Lohn;2.000,00\n"
    assert sniff_delimiter(text) == ";"
    assert summary(parse(text)) == [
        (1, "2024-01-02", "-1200.00", "Miete"),
        (2, "2024-01-03", "-3.20", "Brot"),
        (3, "2024-01-15", "2000.00", "Lohn"),
    ]


def test_comma_file_with_semicolons_in_descriptions() -> None:
    text = "Date,Description,Amount\n2024-01-05,a;b;c,-1.00\n2024-01-06,d;e,-2.00\n"
    assert summary(parse(text))[0][3] == "a;b;c"


def test_excel_sep_line() -> None:
    statement = parse("sep=;\n" + SIMPLE.replace(",", ";"))
    assert summary(statement) == [
        (3, "2024-01-05", "-3.50", "Café Olé"),
        (4, "2024-01-06", "100.00", "Pay"),
    ]
    assert "from the 'sep=' line" in notes(statement) and "line 1 before the header" in notes(
        statement
    )


def test_delimiter_option() -> None:
    text = SIMPLE.replace(",", "\t")
    assert summary(parse(text, delimiter="tab")) == EXPECTED
    with pytest.raises(InputError, match="one character") as caught:
        parse(text, delimiter=",,")
    assert caught.value.source == "--delimiter"


# --- headers and columns --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "key"),
    [
        ("Trans. Date", ("trans date", None)),
        ("Amount (USD)", ("amount", "USD")),
        ("Betrag (€)", ("betrag", "EUR")),
        ("  Währung ", ("wahrung", None)),
        ("source_name", ("source name", None)),
        ("Category Group/Category", ("category group category", None)),
        ("\ufeffDate", ("date", None)),
    ],
)
def test_header_key(cell: str, key: tuple[str, str | None]) -> None:
    assert header_key(cell) == key


def test_header_needs_a_date_and_an_amount() -> None:
    assert match_header(["Date", "Description"]) is None
    assert match_header(["Description", "Amount"]) is None
    assert match_header(["DATE", "Withdrawals", "Deposits"]) == {"date": 0, "debit": 1, "credit": 2}


def test_header_currency_applies_to_rows() -> None:
    statement = parse("Date,Description,Amount (EUR)\n2024-01-05,x,-1.00\n")
    assert statement.transactions[0].currency == "EUR"
    assert statement.account.currency == "EUR"


def test_currency_symbols_in_amounts() -> None:
    text = "Date,Description,Amount\n2024-01-05,a,-€1.00\n2024-01-06,b,£2.00\n2024-01-07,c,$3.00\n"
    assert [t.currency for t in parse(text).transactions] == ["EUR", "GBP", None]
    assert [t.currency for t in parse(text, currency="usd").transactions] == ["EUR", "GBP", "USD"]


def test_no_date_or_amount_column_asks_for_map() -> None:
    with pytest.raises(InputError, match=r"--map.*'Foo', 'Bar'") as caught:
        parse("Foo,Bar\nhello,world\nmore,text\n")
    assert caught.value.source == "t.csv"
    with pytest.raises(InputError, match="amount"):
        parse("When,What\n2024-01-01,x\n2024-01-02,y\n")


def test_unknown_header_with_clear_content_is_inferred_and_noted() -> None:
    statement = parse("Wann,Was,Wieviel\n2024-01-05,Brot,-3.20\n2024-01-06,Lohn,100.00\n")
    assert summary(statement)[0] == (2, "2024-01-05", "-3.20", "Brot")
    assert "header names no known columns" in notes(statement)


def test_empty_file_has_no_rows() -> None:
    with pytest.raises(InputError, match="no rows"):
        parse("\n\n ,, \n")


# --- --map ----------------------------------------------------------------------------------------


def test_parse_column_map() -> None:
    assert parse_column_map("date=Posted Date, amount=Amount (USD, net),Description=Details") == {
        "date": "Posted Date",
        "amount": "Amount (USD, net)",
        "description": "Details",
    }


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "empty"),
        ("date", "field=column"),
        ("when=Date", "unknown field"),
        ("date=A,date=B", "twice"),
        ("date=,amount=B", "no column"),
        ("date=A,amount=A", "two fields"),
        ("amount=A,debit=B", "either amount"),
    ],
)
def test_parse_column_map_errors(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        parse_column_map(spec)
    assert caught.value.source == "--map"


def test_map_overrides_detection_and_keeps_other_columns() -> None:
    text = "Posted,Value Date,Details,Money,Category\n2024-01-05,2024-01-04,x,-1.00,Food\n"
    statement = parse(text, column_map={"date": "value date", "amount": "Money"})
    assert summary(statement) == [(2, "2024-01-04", "-1.00", "x")]
    assert statement.transactions[0].category == "Food"


def test_map_with_unknown_header_lists_the_columns() -> None:
    with pytest.raises(InputError, match=r"'Amt'.*columns are: 'Date', 'Description', 'Amount'"):
        parse(SIMPLE, column_map={"date": "Date", "amount": "Amt"})


def test_map_by_column_number_for_headerless_files() -> None:
    text = "x,2024-01-05,-1.00,COFFEE\nx,2024-01-06,-2.00,TEA\n"
    statement = parse(text, column_map={"date": "2", "amount": "3", "description": "4"})
    assert summary(statement) == [
        (1, "2024-01-05", "-1.00", "COFFEE"),
        (2, "2024-01-06", "-2.00", "TEA"),
    ]
    statement = parse("Acct 1\n" + text, column_map={"date": "2", "amount": "3"})
    assert [t.line for t in statement.transactions] == [2, 3]
    assert "line 1 before line 2 skipped" in notes(statement)
    with pytest.raises(InputError, match=r"outside 1\.\.4"):
        parse(text, column_map={"date": "2", "amount": "9"})


def test_map_debit_credit() -> None:
    text = "D,Out,In,Memo\n2024-01-05,5.00,,a\n2024-01-06,,7.00,b\n"
    statement = parse(
        text, column_map={"date": "D", "debit": "Out", "credit": "In", "description": "Memo"}
    )
    assert [str(t.amount) for t in statement.transactions] == ["-5.00", "7.00"]


# --- options --------------------------------------------------------------------------------------


def test_decimal_comma_option_decides_ambiguous_amounts() -> None:
    text = 'Date,Description,Amount\n2024-01-05,a,"1,234"\n'
    assert parse(text).transactions[0].amount == Decimal("1234")
    assert "no amount shows which mark is decimal" in notes(parse(text))
    assert parse(text, decimal_comma=True).transactions[0].amount == Decimal("1.234")


def test_date_order_and_format_options() -> None:
    text = "Date,Description,Amount\n01/02/2024,a,-1.00\n"
    assert parse(text).transactions[0].date.isoformat() == "2024-01-02"
    assert "--date-order" in notes(parse(text))
    assert parse(text, date_order="dmy").transactions[0].date.isoformat() == "2024-02-01"
    statement = parse(text, date_format="%d/%m/%Y")
    assert statement.transactions[0].date.isoformat() == "2024-02-01"
    assert "%d/%m/%Y" in notes(statement)


def test_debit_positive_ignored_for_split_columns() -> None:
    text = "Date,Description,Debit,Credit\n2024-01-05,a,5.00,\n"
    statement = parse(text, debit_positive=True)
    assert statement.transactions[0].amount == Decimal("-5.00")
    assert "--debit-positive ignored" in notes(statement)


def test_debit_positive_keeps_explicit_cr_dr() -> None:
    text = "Date,Description,Amount\n2024-01-05,a,5.00\n2024-01-06,b,5.00 CR\n2024-01-07,c,-2.00\n"
    assert [str(t.amount) for t in parse(text, debit_positive=True).transactions] == [
        "-5.00",
        "5.00",
        "2.00",
    ]


def test_type_column_with_unknown_word_is_a_row_error() -> None:
    text = "Date,Description,Amount,Type\n2024-01-05,a,5.00,debit\n2024-01-06,b,5.00,transfer\n"
    statement = parse(text)
    assert [str(t.amount) for t in statement.transactions] == ["-5.00"]
    assert statement.errors[0].field == "Type" and "'transfer'" in statement.errors[0].message


def test_type_column_ignored_when_amounts_are_signed() -> None:
    text = "Date,Description,Amount,Type\n2024-01-05,a,-5.00,Sale\n2024-01-06,b,5.00,Payment\n"
    assert [str(t.amount) for t in parse(text).transactions] == ["-5.00", "5.00"]


# --- rows, lines and text -------------------------------------------------------------------------


def test_line_numbers_with_crlf_cr_and_blank_lines() -> None:
    text = (
        "Date,Description,Amount\r\n\r\n"
        "2024-01-05,a,-1.00\r2024-01-06,b,-2.00\n\n2024-01-07,c,-3.00\n"
    )
    assert [t.line for t in parse(text).transactions] == [3, 4, 6]


def test_trailing_delimiters_and_blank_trailing_cells_are_fine() -> None:
    text = "Date,Description,Amount,\n2024-01-05,a,-1.00,,\n2024-01-06,b,-2.00\n"
    statement = parse(text)
    assert len(statement.transactions) == 2 and statement.errors == ()


def test_unbalanced_quote_names_the_span() -> None:
    text = (
        'Date,Description,Amount\n2024-01-05,"oops,-1.00\n2024-01-06,b,-2.00\n2024-01-07,c,-3.00\n'
    )
    statement = parse(text)
    assert statement.transactions == ()
    assert statement.errors[0].line == 2 and "runs to line 4" in statement.errors[0].message


def test_junk_in_the_middle_is_an_error_and_no_footer_without_transactions() -> None:
    statement = parse("Date,Description,Amount\nTotal,,1.00\n")
    assert statement.transactions == () and len(statement.errors) == 1
    statement = parse("Date,Description,Amount\nHello,,1.00\n2024-01-05,a,-1.00\n")
    assert [e.line for e in statement.errors] == [2]


def test_zero_debit_or_typed_debit_is_plain_zero() -> None:
    text = "Date,Description,Debit,Credit\n2024-01-05,a,0.00,\n"
    assert str(parse(text).transactions[0].amount) == "0.00"
    text = "Date,Description,Amount,Type\n2024-01-05,a,0.00,DR\n2024-01-06,b,1.00,CR\n"
    assert [str(t.amount) for t in parse(text).transactions] == ["0.00", "1.00"]


def test_dash_placeholders_in_split_columns() -> None:
    text = "Date,Description,Debit,Credit\n2024-01-05,a,5.00,-\n2024-01-06,b, - ,7.00\n"
    assert [str(t.amount) for t in parse(text).transactions] == ["-5.00", "7.00"]


def test_footer_after_an_earlier_error() -> None:
    footer = "".join(f"Note {i},,\n" for i in range(10))
    text = "Date,Description,Amount\n2024-01-04,a,x\n2024-01-05,a,-1.00\n" + footer
    statement = parse(text)
    assert [e.line for e in statement.errors] == [2]
    assert notes(statement).count("footer") == 10


def test_long_footer_stays_errors() -> None:
    footer = "".join(f"Note {i},,\n" for i in range(11))
    statement = parse("Date,Description,Amount\n2024-01-05,a,-1.00\n" + footer)
    assert len(statement.errors) == 11 and "footer" not in notes(statement)


def test_descriptions_are_cleaned_and_capped() -> None:
    hostile = "A\u202eB\x00C\x1b[31m  D\u200b\tE"
    long = "x" * (TEXT_LIMIT + 50)
    text = f'Date,Description,Amount\n2024-01-05,"{hostile}",-1.00\n2024-01-06,{long},-2.00\n'
    statement = parse(text)
    assert statement.transactions[0].description == "ABC[31m D E"
    assert statement.transactions[1].description == "x" * TEXT_LIMIT
    assert "cut on lines 3" in notes(statement)


def test_formula_like_text_is_kept_verbatim() -> None:
    text = 'Date,Description,Amount\n2024-01-05,"=HYPERLINK(""x"")",-1.00\n'
    assert parse(text).transactions[0].description == '=HYPERLINK("x")'
