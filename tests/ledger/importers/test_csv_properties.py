"""Property tests for ``parse_csv``: generated statements read back exactly; junk never crashes."""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budgetlm.errors import InputError
from budgetlm.ledger.importers.csv import TEXT_LIMIT, parse_csv
from budgetlm.ledger.importers.options import ImportOptions
from budgetlm.ledger.records import ParsedStatement

DATA = Path(__file__).resolve().parents[2] / "data" / "csv"

DATE_FORMATS = {
    # strftime pattern -> order for numeric day/month dates (None: the text fixes the order)
    "%Y-%m-%d": None,
    "%Y-%m-%dT%H:%M:%S": None,
    "%m/%d/%Y": "mdy",
    "%d/%m/%Y": "dmy",
    "%d.%m.%Y": "dmy",
    "%m/%d/%y": "mdy",
    "%Y/%m/%d": None,
    "%Y%m%d": None,
    "%d %b %Y": None,
    "%b %d, %Y": None,
    "%d-%b-%y": None,
}
AMOUNT_STYLES = ["point", "point-grouped", "comma", "comma-grouped", "dollar", "parens", "trailing"]
HEADERS = {
    "date": ["Date", "Posting Date", "Transaction Date", "Booking Date", "Datum", "Trans. Date"],
    "description": ["Description", "Details", "Narrative", "Memo", "Payee", "Verwendungszweck"],
    "amount": ["Amount", "Transaction Amount", "Betrag", "Value", "AMOUNT"],
    "debit": ["Debit", "Withdrawals", "Money Out", "Outflow", "Paid out"],
    "credit": ["Credit", "Deposits", "Money In", "Inflow", "Paid in"],
    "type": ["Transaction Type", "Type", "Debit/Credit", "DR/CR"],
}
LATIN = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,;|'\"#&*-./\néèàüößñç"
"""Description characters for cp1252 files: each non-ASCII one is an invalid UTF-8 lead byte."""

amounts = st.decimals(min_value=Decimal("-9999999.99"), max_value=Decimal("9999999.99"), places=2)
dates = st.dates(min_value=date(1971, 1, 1), max_value=date(2068, 12, 31))
texts = st.text(
    st.characters(
        exclude_categories=("Cs", "Cc", "Cf", "Co", "Cn", "Zl", "Zp"), include_characters="\n"
    ),
    max_size=40,
)


def render(value: Decimal, style: str) -> str:
    """An amount as some bank prints it."""
    grouped = f"{abs(value):,.2f}"
    plain = f"{abs(value):.2f}"
    negative = value < 0
    text = {
        "point": plain,
        "point-grouped": grouped,
        "comma": plain.replace(".", ","),
        "comma-grouped": grouped.translate(str.maketrans(",.", ".,")),
        "dollar": "$" + grouped,
        "parens": grouped,
        "trailing": plain,
    }[style]
    if not negative:
        return text
    return {"parens": f"({text})", "trailing": f"{text}-"}.get(style, f"-{text}")


@dataclass
class Sample:
    """A generated file and what reading it must give."""

    data: bytes
    options: ImportOptions
    expected: list[tuple[int, date, Decimal, str]]


@st.composite
def samples(draw: st.DrawFn) -> Sample:
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    words = st.text(LATIN, max_size=30) if encoding == "cp1252" else texts
    rows = draw(st.lists(st.tuples(dates, amounts, words), min_size=1, max_size=15))
    pattern = draw(st.sampled_from(sorted(DATE_FORMATS)))
    style = draw(st.sampled_from(AMOUNT_STYLES))
    money = draw(st.sampled_from(["signed", "split", "typed", "headerless"]))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    names = {field: draw(st.sampled_from(choices)) for field, choices in HEADERS.items()}
    preamble = (
        []
        if money == "headerless"
        else draw(
            st.lists(
                st.sampled_from(
                    [
                        ["Account:", "Everyday"],
                        [],
                        ["Statement period", "01/01/2024 - 01/31/2024"],
                        ["Closing balance", "1,234.56"],
                    ]
                ),
                max_size=3,
            )
        )
    )

    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    for preamble_row in preamble:
        writer.writerow(preamble_row)
    fields = {
        "signed": ["date", "description", "amount"],
        "headerless": ["date", "amount", "description"],
        "split": ["date", "description", "debit", "credit"],
        "typed": ["date", "amount", "type", "description"],
    }[money]
    if money != "headerless":
        writer.writerow([names[f] for f in fields])
    expected: list[tuple[int, date, Decimal, str]] = []
    for day, value, words_ in rows:
        description = "Tx " + words_
        cells = {
            "date": day.strftime(pattern),
            "description": description,
            "amount": render(abs(value), style) if money == "typed" else render(value, style),
            "debit": render(-value, style) if value < 0 else "",
            "credit": render(value, style) if value >= 0 else "",
            "type": draw(
                st.sampled_from(["debit", "DR", "Debit"] if value < 0 else ["credit", "CR"])
            ),
        }
        line = out.getvalue().count("\n") + 1
        writer.writerow([cells[f] for f in fields])
        expected.append((line, day, value, " ".join(description.split())[:TEXT_LIMIT]))

    order = DATE_FORMATS[pattern]
    proven = any(d.day > 12 and d.day != d.month for d, _, _ in rows)
    options = ImportOptions(date_order=order if order and not proven else "auto")  # type: ignore[arg-type]
    return Sample(out.getvalue().encode(encoding), options, expected)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(samples())
def test_generated_statements_read_back_exactly(sample: Sample) -> None:
    statement = parse_csv(sample.data, "gen.csv", sample.options)
    assert statement.errors == ()
    got = [(t.line, t.date, t.amount, t.description) for t in statement.transactions]
    assert got == sample.expected


def check_invariants(statement: ParsedStatement, text_lines: int) -> None:
    for t in statement.transactions:
        assert 1 <= t.line <= text_lines + 1
        assert t.amount.is_finite()
        assert len(t.description) <= TEXT_LIMIT
        assert not any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in t.description)
    for e in statement.errors:
        assert 1 <= e.line <= text_lines + 1 and e.message


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_give_a_statement_or_input_error(data: bytes) -> None:
    try:
        statement = parse_csv(data, "junk.csv", ImportOptions())
    except InputError as exc:
        assert exc.source in ("junk.csv", "--encoding")
        return
    check_invariants(statement, data.count(b"\n") + data.count(b"\r") + len(data) // 2)


CSVISH = "0123456789/-.,;|\t\"'$€()  \n\rabcDRCRTotalDateAmountDescription"


@settings(max_examples=400, deadline=None)
@given(st.text(CSVISH, max_size=300), st.sampled_from([None, True, False]))
def test_csv_like_text_gives_a_statement_or_input_error(text: str, comma: bool | None) -> None:
    try:
        statement = parse_csv(text.encode(), "junk.csv", ImportOptions(decimal_comma=comma))
    except InputError:
        return
    check_invariants(statement, text.count("\n") + text.count("\r") + 1)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(p.name for p in DATA.glob("*.csv"))),
    st.lists(st.tuples(st.integers(0, 2000), st.binary(max_size=3)), min_size=1, max_size=4),
)
def test_damaged_fixtures_never_crash(name: str, edits: list[tuple[int, bytes]]) -> None:
    data = bytearray((DATA / name).read_bytes())
    for at, replacement in edits:
        at %= len(data)
        data[at : at + 1] = replacement
    try:
        statement = parse_csv(bytes(data), name, ImportOptions())
    except InputError:
        return
    check_invariants(statement, len(data))
