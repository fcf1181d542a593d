"""Tests for reading amounts as banks print them (``budgetlm.money``)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budgetlm.money import (
    ParsedAmount,
    amount_reader,
    cents,
    currency_code,
    decimal_mark_vote,
    detect_decimal_comma,
    format_money,
    parse_amount,
    parse_money,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.50", "12.50"),
        ("-12.50", "-12.50"),
        ("+12.50", "12.50"),
        ("12.50-", "-12.50"),
        ("(12.50)", "-12.50"),
        ("($1,234.56)", "-1234.56"),
        ("1,234.56", "1234.56"),
        ("1,234,567.89", "1234567.89"),
        ("1'234.56", "1234.56"),
        ("1\u2019234.56", "1234.56"),
        ("$12.00", "12.00"),
        ("-$12.00", "-12.00"),
        ("$-12.00", "-12.00"),
        ("USD 12.00", "12.00"),
        ("12.00 USD", "12.00"),
        ("£7.5", "7.5"),
        ("12.50 CR", "12.50"),
        ("12.50DR", "-12.50"),
        ("12.50 dr", "-12.50"),
        ("1,23,456.78", "123456.78"),
        (".50", "0.50"),
        ("-0.00", "0.00"),
        ("  42  ", "42"),
        ("\u2212 5.00", "-5.00"),
        ("1,234,567", "1234567"),
        ("0,123", "0.123"),
        ("12,50", "12.50"),
        ("1 234,56", "1234.56"),
    ],
)
def test_parse_amount_forms(text: str, expected: str) -> None:
    value = parse_amount(text)
    assert value == Decimal(expected)
    assert str(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,56", "1234.56"),
        ("-1.234,56", "-1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("1\u202f234,56", "1234.56"),
        ("12,00 €", "12.00"),
        ("€-12,50", "-12.50"),
        ("1.234", "1234"),
        ("1,234", "1.234"),
        ("12,5", "12.5"),
    ],
)
def test_parse_amount_decimal_comma(text: str, expected: str) -> None:
    assert str(parse_amount(text, decimal_comma=True)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "NaN",
        "nan",
        "Infinity",
        "-inf",
        "1e5",
        "1E-2",
        "12.",
        "12..50",
        "1.2.3",
        "(12.50",
        "--12",
        "-(12.50)",
        "+12.50-",
        "12.50 CR-",
        "€12 USD",
        "1,2345.00",
        "1 2",
        "12,50.00",
        "1_000",
        "0x10",
        "١٢",
        "²",
        "1" * 40,
        "$",
        "CR",
    ],
)
def test_parse_amount_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_amount(text)


@pytest.mark.parametrize("text", ["1,234", "1.234", "-1,234", "$1,234"])
def test_ambiguous_without_style_is_an_error(text: str) -> None:
    with pytest.raises(ValueError, match="ambiguous"):
        parse_amount(text)


@pytest.mark.parametrize(
    ("text", "decimal_comma"),
    [("1,234.56", True), ("12,50", False), ("1.234,56", False), ("12.50", True)],
)
def test_style_mismatch_is_an_error(text: str, decimal_comma: bool) -> None:
    with pytest.raises(ValueError):
        parse_amount(text, decimal_comma=decimal_comma)


def test_parse_money_reports_currency_and_direction() -> None:
    assert parse_money("12,00 €", decimal_comma=True) == ParsedAmount(Decimal("12.00"), "EUR", None)
    assert parse_money("GBP 3.10") == ParsedAmount(Decimal("3.10"), "GBP", None)
    assert parse_money("$3.10").currency is None
    assert parse_money("US$3.10").currency == "USD"
    assert parse_money("5.00 CR") == ParsedAmount(Decimal("5.00"), None, "credit")
    assert parse_money("5.00 DR").direction == "debit"
    assert parse_money("12 IDR") == ParsedAmount(Decimal("12"), "IDR", None)


def test_currency_code() -> None:
    assert currency_code("eur") == "EUR"
    assert currency_code(" € ") == "EUR"
    assert currency_code("£") == "GBP"
    assert currency_code("$") is None
    assert currency_code("Euro") is None


@pytest.mark.parametrize(
    ("text", "vote"),
    [
        ("12,50", ","),
        ("1.234,56", ","),
        ("1,234.56", "."),
        ("12.50", "."),
        ("1,234,567", "."),
        ("1.234.567", ","),
        ("0,500", ","),
        ("12,50 kr.", ","),
        ("1,234", None),
        ("1.234", None),
        ("12", None),
        ("12..50", None),
        ("", None),
    ],
)
def test_decimal_mark_vote(text: str, vote: str | None) -> None:
    assert decimal_mark_vote(text) == vote


def test_detect_decimal_comma() -> None:
    assert detect_decimal_comma(["1,00", "12", "1.234,56"]) is True
    assert detect_decimal_comma(["1.00", "1,234"]) is False
    assert detect_decimal_comma(["1,234", "12"]) is None
    assert detect_decimal_comma(["1,00", "1.00"]) is None


def test_format_money_unchanged() -> None:
    assert format_money(Decimal("-1234.5")) == "-$1,234.50"
    assert format_money(Decimal("12"), "SEK") == "12.00 SEK"


# --- properties -----------------------------------------------------------------------------------

amounts = st.decimals(
    min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2
).map(lambda d: d if d else abs(d))


def _group(digits: str, sep: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return sep.join(parts)


STYLES = {
    # name: (grouping separator, decimal mark, decimal_comma)
    "plain": ("", ".", False),
    "us": (",", ".", False),
    "eu": (".", ",", True),
    "fr": ("\u202f", ",", True),
    "nbsp": ("\u00a0", ",", True),
    "space": (" ", ",", True),
    "ch": ("'", ".", False),
    "comma-plain": ("", ",", True),
}
SIGNS = ["-", "()", "trailing", "DR", "minus-after-symbol"]


def render(value: Decimal, style: str, sign: str, symbol: str, places: int = 2) -> str:
    """Print ``value`` the way some bank would."""
    group, mark, _ = STYLES[style]
    whole, _, fraction = f"{abs(value):.{places}f}".partition(".")
    text = _group(whole, group) if group else whole
    text = f"{text}{mark}{fraction}" if places else text
    negative = value < 0
    prefix, suffix = (symbol, "") if symbol in ("$", "€", "£", "USD ") else ("", symbol)
    if not negative:
        return f"{prefix}{text}{suffix}" if sign != "DR" else f"{prefix}{text}{suffix} CR"
    if sign == "()":
        return f"({prefix}{text}{suffix})"
    if sign == "trailing":
        return f"{prefix}{text}{suffix}-"
    if sign == "DR":
        return f"{prefix}{text}{suffix} DR"
    if sign == "minus-after-symbol" and prefix:
        return f"{prefix}-{text}{suffix}"
    return f"-{prefix}{text}{suffix}"


@settings(max_examples=400, deadline=None)
@given(
    amounts,
    st.sampled_from(sorted(STYLES)),
    st.sampled_from(SIGNS),
    st.sampled_from(["", "$", "€", "£", "USD ", " EUR", " €", " kr"]),
)
def test_round_trip_in_every_style(value: Decimal, style: str, sign: str, symbol: str) -> None:
    text = render(value, style, sign, symbol)
    parsed = parse_amount(text, decimal_comma=STYLES[style][2])
    assert parsed == value
    assert parsed.as_tuple().exponent == -2  # the printed scale is kept
    assert amount_reader(STYLES[style][2])(text).amount == value


@settings(max_examples=300, deadline=None)
@given(amounts, st.sampled_from(sorted(STYLES)), st.sampled_from([0, 2, 3]))
def test_auto_style_is_right_or_refuses(value: Decimal, style: str, places: int) -> None:
    value = value.quantize(Decimal(1).scaleb(-places))
    text = render(value, style, "-", "", places)
    try:
        parsed = parse_amount(text)
    except ValueError as exc:
        assert "ambiguous" in str(exc)
        return
    assert parsed == value


AMOUNT_ALPHABET = "0123456789.,-+() $€£'\u00a0\u202fCRDUSEnaIfe\u2212"


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=AMOUNT_ALPHABET, max_size=16), st.sampled_from([None, True, False]))
def test_any_text_gives_an_amount_or_value_error(text: str, decimal_comma: bool | None) -> None:
    try:
        value = parse_amount(text, decimal_comma=decimal_comma)
    except ValueError:
        return
    assert value.is_finite()
    assert any(c.isdigit() for c in text)


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=AMOUNT_ALPHABET, max_size=16), st.booleans())
def test_fast_reader_agrees_with_parse_money(text: str, decimal_comma: bool) -> None:
    try:
        expected: ParsedAmount | None = parse_money(text, decimal_comma=decimal_comma)
    except ValueError:
        expected = None
    try:
        got: ParsedAmount | None = amount_reader(decimal_comma)(text)
    except ValueError:
        got = None
    assert got == expected
    if got is not None and expected is not None:
        assert str(got.amount) == str(expected.amount)


@settings(max_examples=200, deadline=None)
@given(amounts, st.sampled_from(["us", "eu", "fr", "ch", "comma-plain", "plain"]))
def test_vote_matches_style(value: Decimal, style: str) -> None:
    vote = decimal_mark_vote(render(value, style, "-", ""))
    assert vote == STYLES[style][1]


def test_cents_rounds_half_up_and_reads_floats_by_their_shortest_form() -> None:
    assert cents(Decimal("2.345")) == Decimal("2.35")
    assert cents(Decimal("-2.345")) == Decimal("-2.35")  # half away from zero, both signs
    assert cents(0.1) == Decimal("0.10")
    assert cents(1.005) == Decimal("1.01")  # 1.005 as written, not its binary 1.00499…
