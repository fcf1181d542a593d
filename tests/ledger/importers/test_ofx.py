"""OFX/QFX reader: golden files for real-world quirks, errors, ofxtools parity and properties."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budgetlm.errors import InputError
from budgetlm.ledger.importers import parse_statement
from budgetlm.ledger.importers.ofx import parse_ofx
from budgetlm.ledger.importers.options import ImportOptions
from budgetlm.ledger.records import (
    ImportedTransaction,
    ParsedStatement,
    RowError,
    StatementAccount,
)

DATA = Path(__file__).parents[2] / "data" / "ofx"
PROPERTY = settings(max_examples=150, deadline=None)


def read(name: str, options: ImportOptions | None = None) -> ParsedStatement:
    return parse_ofx((DATA / name).read_bytes(), name, options or ImportOptions())


def essentials(statement: ParsedStatement) -> list[tuple[date, Decimal, str, str | None]]:
    return [(t.date, t.amount, t.description, t.fitid) for t in statement.transactions]


def test_sgml_v102_bank_statement_with_unclosed_tags_and_crlf() -> None:
    statement = read("bank_v102_sgml.ofx")
    account = "000123456789"
    assert statement.file_format == "ofx"
    assert statement.account == StatementAccount(account, "checking", "USD", "First Example Bank")
    assert statement.errors == ()
    assert statement.notes == ()
    assert statement.transactions == (
        ImportedTransaction(
            date(2024, 1, 5), Decimal("-12.5"), "BLUE BOTTLE COFFEE / POS PURCHASE", 43,
            currency="USD", account=account, notes="POS PURCHASE", fitid="202401050001",
        ),
        # 23:00 EST is 04:00 UTC next day: the date printed by the bank is kept.
        ImportedTransaction(
            date(2024, 1, 15), Decimal("100.00"), "ACME PAYROLL", 51,
            currency="USD", account=account, fitid="202401150002",
        ),
        # MEMO extends NAME that the bank cut at 32 characters; thousands comma in TRNAMT.
        ImportedTransaction(
            date(2024, 1, 20), Decimal("-1234.56"), "AMAZON MKTPLACE PMTS AMZN.COM/BILL WA", 59,
            currency="USD", account=account,
            notes="AMAZON MKTPLACE PMTS AMZN.COM/BILL WA; check 1042", fitid="202401200003",
        ),
        # Entities decoded; a MEMO already inside NAME is not repeated.
        ImportedTransaction(
            date(2024, 1, 25), Decimal("-45.00"), "AT&T WIRELESS", 68,
            currency="USD", account=account, notes="AT&T", fitid="202401250004",
        ),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("variant", "line_shift"),
    [
        (lambda b: b.replace(b"\r\n", b"\n"), 0),
        (lambda b: b"\xef\xbb\xbf\r\n\r\n" + b, 2),
        (lambda b: b.replace(b"<NAME>", b"<name>").replace(b"<MEMO>", b"<Memo>"), 0),
        (lambda b: b.replace(b"CHARSET:1252", b"CHARSET:8859-1"), 0),
        (lambda b: b.replace(b"<SEVERITY>INFO\r\n", b""), -2),
        (lambda b: b.replace(b"</STMTTRN>", b"</STMTTRN> trailing junk"), 0),
        (lambda b: b.replace(b"<DTSERVER>", b"<INTU.BID>3000\r\n<DTSERVER>"), 1),
    ],
    ids=["lf", "bom-blank-lines", "lower-case-tags", "charset-8859", "no-severity", "tail", "intu"],
)
def test_sgml_quirks_read_the_same(variant: Callable[[bytes], bytes], line_shift: int) -> None:
    original = read("bank_v102_sgml.ofx")
    data = variant((DATA / "bank_v102_sgml.ofx").read_bytes())
    statement = parse_ofx(data, "bank.ofx", ImportOptions())
    assert essentials(statement) == essentials(original)
    assert [t.line for t in statement.transactions] == [
        t.line + line_shift for t in original.transactions
    ]
    assert statement.errors == ()


def test_xml_v220_credit_card_statement() -> None:
    statement = read("creditcard_v220.ofx")
    card = "4111111111111111"
    assert statement.account == StatementAccount(
        card, "credit_card", "EUR", "Example Card Services"
    )
    assert statement.notes == ()
    assert statement.transactions == (
        ImportedTransaction(
            date(2024, 2, 3), Decimal("-23.40"), "Café de Flore", 22,
            currency="EUR", account=card, fitid="CC-0001",
        ),
        ImportedTransaction(
            date(2024, 2, 10), Decimal("-54.10"), "Hotel Zürich AG / Room 12", 29,
            currency="EUR", account=card, payee="Hotel Zürich AG",
            notes="Room 12; converted from CHF at rate 1.0234", fitid="CC-0002",
        ),
        ImportedTransaction(
            date(2024, 2, 15), Decimal("-10.00"), "Amazon US", 45,
            currency="USD", account=card, notes="amount in USD; rate to EUR: 0.92",
            fitid="CC-0003",
        ),
        ImportedTransaction(
            date(2024, 2, 28), Decimal("500.00"), "Payment - Thank You", 50,
            currency="EUR", account=card, fitid="CC-0004",
        ),
    )  # fmt: skip


def test_qfx_with_intu_bid_bom_and_extension_aggregate() -> None:
    statement = read("intuit_bid.qfx")
    assert statement.file_format == "qfx"
    assert statement.account == StatementAccount("9876543210", "savings", "USD", "B1")
    # The <NAME> inside <INTU.EXTRA> does not replace the transaction's own NAME.
    assert essentials(statement) == [
        (date(2024, 3, 31), Decimal("0.42"), "INTEREST PAID", "QFX-1"),
        (date(2024, 3, 10), Decimal("-200.00"), "ONLINE TRANSFER TO CHK 6789", "QFX-2"),
    ]
    assert [t.line for t in statement.transactions] == [47, 57]


def test_intu_bid_makes_qfx_even_under_an_ofx_name() -> None:
    data = (DATA / "intuit_bid.qfx").read_bytes()
    assert parse_ofx(data, "download.ofx", ImportOptions()).file_format == "qfx"
    assert parse_statement(data, "download.ofx").file_format == "qfx"
    assert read("bank_v102_sgml.ofx").file_format == "ofx"


def test_cp1252_names_and_decimal_comma_amounts() -> None:
    statement = read("cp1252_names.ofx")
    assert statement.account.institution == "Crédit Exemple"
    assert statement.notes == ("amounts read with a decimal comma",)
    assert essentials(statement) == [
        (date(2024, 4, 2), Decimal("-4.50"), "CAFÉ MÜNCHEN / Crème brûlée – 4,50 €", "CP-1"),
        (date(2024, 4, 5), Decimal("1250.00"), "SALAIRE AVRIL", "CP-2"),
    ]


def test_utf8_declared_file_with_cp1252_bytes_falls_back_with_a_note() -> None:
    data = (DATA / "cp1252_names.ofx").read_bytes().replace(b"CHARSET:1252", b"CHARSET:NONE")
    statement = parse_ofx(data, "x.ofx", ImportOptions())
    assert statement.transactions[0].description.startswith("CAFÉ MÜNCHEN")
    assert any("read as cp1252" in note for note in statement.notes)


def test_encoding_option_wins_over_the_header() -> None:
    # The header says CHARSET:1252 but the bytes are UTF-8: a common lie the user can correct.
    data = (DATA / "cp1252_names.ofx").read_bytes().decode("cp1252").encode("utf-8")
    as_declared = parse_ofx(data, "x.ofx", ImportOptions())
    as_told = parse_ofx(data, "x.ofx", ImportOptions(encoding="utf-8"))
    assert as_declared.transactions[0].description.startswith("CAFÃ‰")
    assert as_told.transactions[0].description.startswith("CAFÉ MÜNCHEN")


def test_multi_account_file() -> None:
    statement = read("multi_account.ofx")
    assert statement.account == StatementAccount("11116789", "checking", "USD", "Multi Bank")
    assert statement.notes == (
        "the file holds 3 statements (accounts …6789, …4321, …1111); "
        "each transaction carries its own account",
    )
    assert [(t.account, t.currency, t.amount, t.line) for t in statement.transactions] == [
        ("11116789", "USD", Decimal("-60.00"), 43),
        ("11116789", "USD", Decimal("2500.00"), 50),
        ("22224321", "CAD", Decimal("3.21"), 80),
        ("4000001111", "USD", Decimal("-19.99"), 110),
    ]


def test_bad_amount_and_date_become_row_errors_with_lines() -> None:
    statement = read("malformed_amount.ofx")
    assert [t.fitid for t in statement.transactions] == ["B-1", "B-4"]
    assert statement.errors == (
        RowError(50, "TRNAMT", "cannot read the amount '-12..50'"),
        RowError(57, "DTPOSTED", "cannot read the date '20240631'"),
    )
    error = statement.errors[0].as_input_error(statement.source)
    assert (
        str(error)
        == "malformed_amount.ofx, line 50, field 'TRNAMT': cannot read the amount '-12..50'"
    )


def test_dtuser_stands_in_for_dtposted_and_contrary_signs_are_noted() -> None:
    data = (DATA / "bank_v102_sgml.ofx").read_bytes()
    data = data.replace(b"<DTPOSTED>20240105", b"<DTUSER>20240104").replace(b"-12.5", b"12.5")
    statement = parse_ofx(data, "b.ofx", ImportOptions())
    assert (statement.transactions[0].date, statement.transactions[0].amount) == (
        date(2024, 1, 4),
        Decimal("12.5"),
    )
    assert statement.notes == ("1 transaction(s) signed against their TRNTYPE; kept as stated",)


def test_payee_aggregate_or_text_when_there_is_no_name() -> None:
    data = (DATA / "creditcard_v220.ofx").read_bytes()
    data = data.replace(b"<NAME>Amazon US</NAME>", b"<PAYEE>Amazon Marketplace</PAYEE>")
    third = parse_ofx(data, "c.ofx", ImportOptions()).transactions[2]
    assert (third.description, third.payee) == ("Amazon Marketplace", "Amazon Marketplace")


def test_missing_amount_and_date_are_named() -> None:
    data = (DATA / "malformed_amount.ofx").read_bytes()
    data = data.replace(b"<TRNAMT>-12..50\r\n", b"").replace(b"<DTPOSTED>20240631\r\n", b"")
    statement = parse_ofx(data, "m.ofx", ImportOptions())
    assert statement.errors == (
        RowError(50, "TRNAMT", "no amount given"),
        RowError(56, "DTPOSTED", "no date given"),
    )


def test_one_long_line_numbers_transactions_by_ordinal() -> None:
    data = (DATA / "multi_account.ofx").read_bytes()
    head, _, body = data.partition(b"<OFX>")
    statement = parse_ofx(head + b"<OFX>" + body.replace(b"\r\n", b""), "flat.ofx", ImportOptions())
    assert [t.line for t in statement.transactions] == [1, 2, 3, 4]
    assert any("ordinals" in note for note in statement.notes)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ((DATA / "not_ofx.ofx").read_bytes(), "not an OFX file"),
        (b"Date,Amount\n2024-01-01,5\n", "not an OFX file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ((DATA / "bank_v102_sgml.ofx").read_bytes()[:900], "truncated"),
        (b"OFXHEADER:100\n\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>15500<SEVERITY>ERROR"
         b"<MESSAGE>Signon invalid</STATUS></SONRS></SIGNONMSGSRSV1></OFX>", "Signon invalid"),
    ],
    ids=["html", "csv", "binary", "truncated", "error-response"],
)  # fmt: skip
def test_unreadable_files_raise_input_error_naming_the_file(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        parse_ofx(data, "bad.ofx", ImportOptions())
    assert caught.value.source == "bad.ofx"


def test_truncated_file_names_its_last_line() -> None:
    data = (DATA / "bank_v102_sgml.ofx").read_bytes()[:900]
    with pytest.raises(InputError) as caught:
        parse_ofx(data, "cut.ofx", ImportOptions())
    assert caught.value.line == data.count(b"\n") + 1


def test_agrees_with_ofxtools_on_a_spec_conforming_file() -> None:
    from ofxtools.Parser import OFXTree

    tree = OFXTree()
    tree.parse(io.BytesIO((DATA / "multi_account.ofx").read_bytes()))
    converted = tree.convert()  # this file is clean enough for ofxtools' strict models
    expected = [
        (s.account.acctid, t.dtposted.date(), t.trnamt, t.name, t.fitid)
        for s in converted.statements
        for t in s.banktranlist
    ]
    ours = read("multi_account.ofx").transactions
    assert [(t.account, t.date, t.amount, t.description, t.fitid) for t in ours] == expected


# ---------------------------------------------------------------- properties

OFX_FRAGMENTS = st.sampled_from(
    ["OFXHEADER:100\n", "<OFX>", "</OFX>", "<STMTRS>", "</STMTRS>", "<CCSTMTRS>", "<STMTTRN>",
     "</STMTTRN>", "<TRNAMT>", "<DTPOSTED>", "<NAME>", "<MEMO/>", "<PAYEE>", "</PAYEE>", "-1.50",
     "20240101", "x", " ", "\r\n", "<", ">", "&amp;", "&#0;", "<![CDATA[", "]]>", "<!--", "</",
     "<?xml encoding='utf-8'?>", "<CURRENCY>", "<CURSYM>EUR", "1,234", "<BANKACCTFROM>"]
)  # fmt: skip


def _ofx_or_input_error(data: bytes) -> None:
    try:
        result = parse_ofx(data, "fuzz.ofx", ImportOptions())
    except InputError as exc:
        assert exc.source == "fuzz.ofx"
    else:
        assert isinstance(result, ParsedStatement)


@PROPERTY
@given(st.binary(max_size=600))
def test_random_bytes_give_a_statement_or_input_error(data: bytes) -> None:
    _ofx_or_input_error(data)


@PROPERTY
@given(st.lists(OFX_FRAGMENTS, max_size=80).map("".join))
def test_random_markup_gives_a_statement_or_input_error(text: str) -> None:
    _ofx_or_input_error(text.encode())


PAYEES = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=30).filter(
    str.strip
)
ROWS = st.lists(
    st.tuples(
        st.dates(date(1990, 1, 1), date(2099, 12, 31)),
        st.decimals(-(10**7), 10**7, places=2, allow_nan=False, allow_infinity=False),
        PAYEES,
    ),
    min_size=1,
    max_size=8,
)
SGML_HEADER = (
    "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:UTF-8\r\n"
    "CHARSET:NONE\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n"
)
XML_HEADER = (
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\r\n<?OFX OFXHEADER="200" '
    'VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>\r\n'
)


def write_ofx(rows: list[tuple[date, Decimal, str]], xml: bool) -> str:
    """A minimal bank statement; SGML leaves data elements unclosed, as v1 banks do."""

    def element(tag: str, value: str) -> str:
        return f"<{tag}>{value}</{tag}>" if xml else f"<{tag}>{value}"

    transactions = "".join(
        f"<STMTTRN>\r\n{element('TRNTYPE', 'OTHER')}{element('DTPOSTED', f'{day:%Y%m%d}')}"
        f"{element('TRNAMT', str(amount))}{element('FITID', str(i))}"
        f"{element('NAME', escape(name))}\r\n</STMTTRN>\r\n"
        for i, (day, amount, name) in enumerate(rows)
    )
    return (
        (XML_HEADER if xml else SGML_HEADER)
        + "<OFX>\r\n<BANKMSGSRSV1><STMTTRNRS><STMTRS>"
        + f"{element('CURDEF', 'USD')}<BANKACCTFROM>{element('ACCTID', '42')}</BANKACCTFROM>"
        + f"<BANKTRANLIST>\r\n{transactions}</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1>"
        + "\r\n</OFX>\r\n"
    )


@PROPERTY
@given(ROWS, st.booleans())
def test_written_statements_round_trip(rows: list[tuple[date, Decimal, str]], xml: bool) -> None:
    text = write_ofx(rows, xml)
    statement = parse_ofx(text.encode(), "round.ofx", ImportOptions())
    assert statement.errors == ()
    assert [(t.date, t.amount, t.description, t.fitid) for t in statement.transactions] == [
        (day, amount, " ".join(name.split()), str(i)) for i, (day, amount, name) in enumerate(rows)
    ]
    starts = [n for n, line in enumerate(text.split("\r\n"), start=1) if line == "<STMTTRN>"]
    assert [t.line for t in statement.transactions] == starts
