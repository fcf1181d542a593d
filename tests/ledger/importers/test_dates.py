"""Tests for reading bank-file dates (``budgetlm.ledger.importers.dates``)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budgetlm.ledger.importers.dates import (
    DateParser,
    DateReading,
    choose_date_order,
    is_date,
    resolve,
    split_date,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-31", date(2024, 1, 31)),
        ("2024-01-31T10:15:00", date(2024, 1, 31)),
        ("2024-01-31T23:30:00+02:00", date(2024, 1, 31)),
        ("2024-01-31 23:30:00 -0500", date(2024, 1, 31)),
        ("2024-01-31T10:15:00.123Z", date(2024, 1, 31)),
        ("2023/10/07", date(2023, 10, 7)),
        ("2023-1-7", date(2023, 1, 7)),
        ("20240131", date(2024, 1, 31)),
        ("07 Oct 2023", date(2023, 10, 7)),
        ("Oct 7, 2023", date(2023, 10, 7)),
        ("7-Oct-23", date(2023, 10, 7)),
        ("07-OCT-2023", date(2023, 10, 7)),
        ("October 7th, 2023", date(2023, 10, 7)),
        ("Sat, 07 Oct 2023", date(2023, 10, 7)),
        ("2023-Oct-07", date(2023, 10, 7)),
        ("Sept 30 2023", date(2023, 9, 30)),
    ],
)
def test_forms_that_fix_their_order(text: str, expected: date) -> None:
    shape = split_date(text)
    assert shape.fixed
    assert resolve(shape, "mdy") == expected
    assert resolve(shape, "dmy") == expected


@pytest.mark.parametrize(
    ("text", "mdy", "dmy"),
    [
        ("01/02/2024", date(2024, 1, 2), date(2024, 2, 1)),
        ("1/2/24", date(2024, 1, 2), date(2024, 2, 1)),
        ("01.02.2024", date(2024, 1, 2), date(2024, 2, 1)),
        ("01-02-99", date(1999, 1, 2), date(1999, 2, 1)),
        ("12/11/2024 14:33", date(2024, 12, 11), date(2024, 11, 12)),
        ("12/11/2024 2:33 PM", date(2024, 12, 11), date(2024, 11, 12)),
    ],
)
def test_numeric_dates_follow_the_order(text: str, mdy: date, dmy: date) -> None:
    shape = split_date(text)
    assert not shape.fixed
    assert resolve(shape, "mdy") == mdy
    assert resolve(shape, "dmy") == dmy


def test_ymd_order_for_short_year_first() -> None:
    assert resolve(split_date("24/01/31"), "ymd") == date(2024, 1, 31)
    with pytest.raises(ValueError):
        resolve(split_date("01/31/2024"), "ymd")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Total",
        "12.50",
        "1234",
        "2024-13",
        "01/02",
        "32 Foo 2023",
        "Oct 2023",
        "1/2/2024/5",
        "2024-01-31X",
        "01/02-2024",
        "x" * 100,
        "123/01/2024",
        "2024/01/2024",
    ],
)
def test_not_dates(text: str) -> None:
    assert not is_date(text)
    with pytest.raises(ValueError):
        split_date(text)


@pytest.mark.parametrize(
    "text", ["2024-02-30", "13/13/2024", "0001-01-01", "31/02/2024", "00/00/00"]
)
def test_impossible_dates_are_not_dates(text: str) -> None:
    assert not is_date(text)


def test_day_above_twelve_decides_day_first() -> None:
    reading = choose_date_order([(2, "01/02/2024"), (3, "13/02/2024")])
    assert reading == DateReading("dmy", note="dates read as DD/MM/YYYY (day above 12 on line 3)")


def test_day_above_twelve_in_second_place_decides_month_first() -> None:
    reading = choose_date_order([(5, "02/13/2024"), (6, "01/02/2024")])
    assert reading.order == "mdy"
    assert reading.note is not None and "line 5" in reading.note


def test_invalid_dates_prove_nothing() -> None:
    reading = choose_date_order([(2, "03/33/2026"), (3, "01/02/2026"), (4, "45/01/2026")])
    assert reading.order == "mdy" and "no date in the file has a day above 12" in str(reading.note)


def test_mixed_orders_make_ambiguous_values_errors() -> None:
    reading = choose_date_order([(2, "13/01/2024"), (3, "01/14/2024"), (4, "14/01/2024")])
    assert reading.order == "dmy" and reading.strict
    assert reading.note is not None and "line 2" in reading.note and "line 3" in reading.note
    parser = DateParser(reading)
    assert parser("13/01/2024") == date(2024, 1, 13)
    assert parser("05/05/2024") == date(2024, 5, 5)  # same either way
    with pytest.raises(ValueError, match="day-first or month-first"):
        parser("02/03/2024")
    with pytest.raises(ValueError, match="not a valid date"):
        parser("01/14/2024")


@pytest.mark.parametrize(
    ("values", "hint", "order", "why"),
    [
        (["01/02/2024"], False, "mdy", "the default"),
        (["01/02/2024"], True, "dmy", "looks European"),
        (["01.02.2024"], False, "dmy", "dotted"),
    ],
)
def test_undecided_files_use_hints(values: list[str], hint: bool, order: str, why: str) -> None:
    reading = choose_date_order(enumerate(values, 2), day_first_hint=hint)
    assert reading.order == order
    assert reading.note is not None and why in reading.note and "--date-order" in reading.note


def test_preferred_order_wins_and_fixed_forms_need_no_note() -> None:
    assert choose_date_order([(2, "01/02/2024")], "dmy").order == "dmy"
    assert choose_date_order([(2, "2024-01-02"), (3, "Oct 7, 2023")]) == DateReading("mdy")


def test_date_format_overrides() -> None:
    parser = DateParser(DateReading("mdy"), "%d|%m|%Y")
    assert parser("31|01|2024") == date(2024, 1, 31)
    with pytest.raises(ValueError, match="does not match"):
        parser("2024-01-31")


def test_parser_caches_and_checks_year_range() -> None:
    parser = DateParser(DateReading("mdy"))
    assert parser("2024-01-31") is parser("2024-01-31")
    assert "2024-01-31" in parser.cache
    with pytest.raises(ValueError):
        parser("1066-10-14")


# --- properties -----------------------------------------------------------------------------------

FORMATS = {
    # strftime pattern, the order that reads it, whether the text fixes the order itself
    "iso": ("%Y-%m-%d", "mdy", True),
    "iso-time": ("%Y-%m-%dT%H:%M:%S+01:00", "mdy", True),
    "mdy": ("%m/%d/%Y", "mdy", False),
    "dmy": ("%d/%m/%Y", "dmy", False),
    "dmy-dot": ("%d.%m.%Y", "dmy", False),
    "mdy-short": ("%m/%d/%y", "mdy", False),
    "dmy-dash": ("%d-%m-%Y", "dmy", False),
    "ymd-slash": ("%Y/%m/%d", "mdy", True),
    "compact": ("%Y%m%d", "mdy", True),
    "text-dmy": ("%d %b %Y", "mdy", True),
    "text-mdy": ("%b %d, %Y", "mdy", True),
    "text-short": ("%d-%b-%y", "mdy", True),
}
dates = st.dates(min_value=date(1971, 1, 1), max_value=date(2068, 12, 31))


@settings(max_examples=300, deadline=None)
@given(st.lists(dates, min_size=1, max_size=30), st.sampled_from(sorted(FORMATS)))
def test_whole_column_round_trip(values: list[date], name: str) -> None:
    pattern, order, fixed = FORMATS[name]
    texts = [d.strftime(pattern) for d in values]
    reading = choose_date_order(enumerate(texts, 2))
    proven = fixed or any(d.day > 12 and d.day != d.month for d in values)
    if not proven:  # nothing in the column tells: the user has to say, and the note asks them
        assert reading.note is None or "--date-order" in reading.note or reading.order == order
        reading = choose_date_order(enumerate(texts, 2), order)  # type: ignore[arg-type]
    parser = DateParser(reading)
    assert [parser(t) for t in texts] == values


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet="0123456789/-. :TZ+,OctJanMayAPM", max_size=24),
    st.sampled_from(["mdy", "dmy", "ymd"]),
    st.booleans(),
)
def test_any_text_gives_a_date_or_value_error(text: str, order: str, strict: bool) -> None:
    assert isinstance(is_date(text), bool)
    try:
        value = DateParser(DateReading(order, strict=strict))(text)  # type: ignore[arg-type]
    except ValueError:
        return
    assert 1900 <= value.year <= 2199
