"""Periods: the time grammar resolved against a given today, its labels and its regex."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import ClassVar

import llguidance
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from budgetlm.assistant.periods import (
    NAMED_PERIODS,
    PERIOD_PATTERN,
    Period,
    PeriodError,
    format_date,
    previous_period,
    resolve_period,
)
from budgetlm.errors import BudgetlmError

TODAY = date(2026, 11, 21)  # a Saturday
D = date.fromisoformat


def span(spec: str, today: date = TODAY) -> tuple[date, date]:
    period = resolve_period(spec, today)
    return period.start, period.end


@pytest.mark.parametrize(
    ("spec", "start", "end"),
    [
        ("today", "2026-11-21", "2026-11-21"),
        ("yesterday", "2026-11-20", "2026-11-20"),
        ("this_week", "2026-11-16", "2026-11-21"),
        ("last_week", "2026-11-09", "2026-11-15"),
        ("this_month", "2026-11-01", "2026-11-21"),
        ("last_month", "2026-10-01", "2026-10-31"),
        ("this_quarter", "2026-10-01", "2026-11-21"),
        ("last_quarter", "2026-07-01", "2026-09-30"),
        ("this_year", "2026-01-01", "2026-11-21"),
        ("ytd", "2026-01-01", "2026-11-21"),
        ("last_year", "2025-01-01", "2025-12-31"),
        ("all", "2000-01-01", "2026-11-21"),
        ("date:2026-02-14", "2026-02-14", "2026-02-14"),
        ("month:2024-02", "2024-02-01", "2024-02-29"),
        ("month:2025-02", "2025-02-01", "2025-02-28"),
        ("quarter:2026-Q1", "2026-01-01", "2026-03-31"),
        ("quarter:2025-Q4", "2025-10-01", "2025-12-31"),
        ("year:2024", "2024-01-01", "2024-12-31"),
        ("last_n_days:1", "2026-11-21", "2026-11-21"),
        ("last_n_days:30", "2026-10-23", "2026-11-21"),
        ("last_n_weeks:2", "2026-11-08", "2026-11-21"),
        ("last_n_months:3", "2026-08-01", "2026-10-31"),
        ("last_n_months:12", "2025-11-01", "2026-10-31"),
        ("since:2026-11-01", "2026-11-01", "2026-11-21"),
        ("between:2025-12-01..2026-01-31", "2025-12-01", "2026-01-31"),
        ("between:2026-03-05..2026-03-05", "2026-03-05", "2026-03-05"),
    ],
)
def test_each_kind_resolves_against_today(spec: str, start: str, end: str) -> None:
    assert span(spec) == (D(start), D(end))


def test_periods_never_reach_past_today() -> None:
    assert span("month:2026-11") == (D("2026-11-01"), TODAY)
    assert span("year:2026") == (D("2026-01-01"), TODAY)
    assert span("between:2026-11-01..2026-12-31") == (D("2026-11-01"), TODAY)


@pytest.mark.parametrize(
    ("spec", "today", "start", "end"),
    [
        ("last_month", "2026-03-31", "2026-02-01", "2026-02-28"),
        ("last_month", "2024-03-31", "2024-02-01", "2024-02-29"),
        ("last_month", "2026-01-15", "2025-12-01", "2025-12-31"),
        ("last_quarter", "2026-02-10", "2025-10-01", "2025-12-31"),
        ("last_n_months:2", "2026-01-15", "2025-11-01", "2025-12-31"),
        ("yesterday", "2026-01-01", "2025-12-31", "2025-12-31"),
        ("this_week", "2026-11-16", "2026-11-16", "2026-11-16"),  # Monday: just today
        ("this_week", "2026-11-22", "2026-11-16", "2026-11-22"),  # Sunday: the whole week
        ("last_week", "2026-11-16", "2026-11-09", "2026-11-15"),
        ("this_week", "2026-01-01", "2025-12-29", "2026-01-01"),  # a week across new year
        ("last_week", "2026-01-03", "2025-12-22", "2025-12-28"),
        ("last_n_days:60", "2024-03-01", "2024-01-02", "2024-03-01"),
    ],
)
def test_month_ends_leap_years_and_year_boundaries(
    spec: str, today: str, start: str, end: str
) -> None:
    assert span(spec, D(today)) == (D(start), D(end))


@pytest.mark.parametrize(
    ("spec", "same_as"),
    [
        ("before:last_month", "month:2026-09"),
        ("before:month:2026-01", "month:2025-12"),
        ("before:month:2024-03", "month:2024-02"),
        ("before:this_month", "month:2026-10"),  # partial month -> whole previous month
        ("before:this_week", "last_week"),
        ("before:last_week", "between:2026-11-02..2026-11-08"),
        ("before:this_quarter", "last_quarter"),
        ("before:quarter:2026-Q1", "quarter:2025-Q4"),
        ("before:ytd", "last_year"),
        ("before:this_year", "year:2025"),
        ("before:year:2024", "year:2023"),
        ("before:today", "yesterday"),
        ("before:yesterday", "date:2026-11-19"),
        ("before:date:2026-03-01", "date:2026-02-28"),
        ("before:last_n_days:30", "between:2026-09-23..2026-10-22"),
        ("before:last_n_weeks:1", "between:2026-11-08..2026-11-14"),
        ("before:last_n_months:3", "between:2026-05-01..2026-07-31"),
        ("before:since:2026-11-15", "between:2026-11-08..2026-11-14"),
        ("before:between:2026-10-10..2026-10-19", "between:2026-09-30..2026-10-09"),
        ("before:before:last_month", "month:2026-08"),
        ("before:before:before:month:2026-02", "month:2025-11"),
    ],
)
def test_before_is_the_same_kind_just_before(spec: str, same_as: str) -> None:
    assert span(spec) == span(same_as)
    period = resolve_period(spec, TODAY)
    assert period.spec == spec
    inner = resolve_period(spec.removeprefix("before:"), TODAY)
    assert previous_period(inner) == period


@pytest.mark.parametrize(
    ("spec", "today", "start", "end"),
    [
        ("month:08", "2026-10-31", "2026-08-01", "2026-08-31"),
        ("month:10", "2026-10-31", "2026-10-01", "2026-10-31"),
        ("month:11", "2026-10-31", "2025-11-01", "2025-11-30"),  # November has not begun
        ("month:02", "2024-03-10", "2024-02-01", "2024-02-29"),
        ("quarter:Q2", "2026-10-31", "2026-04-01", "2026-06-30"),
        ("quarter:Q4", "2026-10-05", "2026-10-01", "2026-10-05"),
        ("quarter:Q4", "2026-09-30", "2025-10-01", "2025-12-31"),
        ("before:month:01", "2026-10-31", "2025-12-01", "2025-12-31"),
        ("weekdays:month:09", "2026-10-31", "2026-09-01", "2026-09-30"),
    ],
)
def test_a_month_or_quarter_without_a_year_is_the_latest_begun(
    spec: str, today: str, start: str, end: str
) -> None:
    assert span(spec, D(today)) == (D(start), D(end))
    assert re.fullmatch(PERIOD_PATTERN, spec)


def test_before_a_partly_future_period_measures_it_as_written() -> None:
    """61 days as written (Nov 1..Dec 31), not the 21 days left after cutting at today."""
    assert span("before:between:2026-11-01..2026-12-31") == (D("2026-09-01"), D("2026-10-31"))
    assert span("before:month:2026-12") == (D("2026-11-01"), TODAY)


def test_day_filters_keep_dates_and_restrict_contains() -> None:
    weekends = resolve_period("weekends:last_month", TODAY)
    assert (weekends.start, weekends.end, weekends.days) == (
        D("2026-10-01"),
        D("2026-10-31"),
        "weekends",
    )
    assert weekends.contains(D("2026-10-03"))  # Saturday
    assert weekends.contains(D("2026-10-04"))  # Sunday
    assert not weekends.contains(D("2026-10-05"))  # Monday
    assert not weekends.contains(D("2026-11-01"))  # Sunday, but outside
    weekdays = resolve_period("weekdays:last_month", TODAY)
    in_october = [D("2026-10-01") + timedelta(days=k) for k in range(31)]
    assert sum(weekdays.contains(d) for d in in_october) == 22
    assert sum(weekends.contains(d) for d in in_october) == 9
    before = resolve_period("before:weekends:last_month", TODAY)
    assert (before.start, before.end, before.days) == (D("2026-09-01"), D("2026-09-30"), "weekends")
    assert resolve_period("weekends:before:last_month", TODAY).to_json() | {"spec": ""} == (
        before.to_json() | {"spec": ""}
    )


@pytest.mark.parametrize(
    ("spec", "today", "names"),
    [
        ("month:2026-13", TODAY, ["month:2026-13", "month 13"]),
        ("month:2026-00", TODAY, ["month 0"]),
        ("date:2026-02-30", TODAY, ["2026-02-30", "not a real date"]),
        ("date:2025-02-29", TODAY, ["2025-02-29"]),
        ("quarter:2026-Q5", TODAY, ["quarter:YYYY-Qn"]),
        ("quarter:Q0", TODAY, ["quarter:Qn"]),
        ("month:ab", TODAY, ["'ab' is not a month"]),
        ("month:13", TODAY, ["month 13 does not exist"]),
        ("year:26", TODAY, ["'26'", "YYYY"]),
        ("last_n_days:0", TODAY, ["1..999", "'0'"]),
        ("last_n_months:1000", TODAY, ["1..999", "'1000'"]),
        ("last_n_weeks:x", TODAY, ["'x'"]),
        ("between:2026-11-05..2026-11-01", TODAY, ["start 2026-11-05 is after end 2026-11-01"]),
        ("between:2026-11-05", TODAY, ["between:YYYY-MM-DD..YYYY-MM-DD"]),
        ("since:2026-12-01", TODAY, ["Dec 1, 2026", "after today (Nov 21, 2026)"]),
        ("date:2026-11-22", TODAY, ["starts on Nov 22, 2026", "after today"]),
        ("month:2027-01", TODAY, ["after today"]),
        ("before:all", TODAY, ["before 'all'"]),
        ("weekends:weekdays:this_month", TODAY, ["cannot be combined"]),
        ("weekends:today", D("2026-11-18"), ["no weekend days", "Nov 18, 2026"]),
        ("weekdays:date:2026-11-21", TODAY, ["no weekdays"]),
        ("last month", TODAY, ["unknown period 'last month'", "last_month"]),
        ("", TODAY, ["unknown period ''"]),
        ("before:nonsense", TODAY, ["unknown period 'nonsense'"]),
    ],
)
def test_bad_specs_raise_a_message_naming_the_bad_part(
    spec: str, today: date, names: list[str]
) -> None:
    with pytest.raises(PeriodError) as caught:
        resolve_period(spec, today)
    for name in names:
        assert name in str(caught.value)
    assert isinstance(caught.value, BudgetlmError)
    assert isinstance(caught.value, ValueError)


def test_labels() -> None:
    assert resolve_period("last_month", TODAY).label() == "from Oct 1 to Oct 31, 2026"
    assert resolve_period("date:2026-11-20", TODAY).label() == "on Nov 20, 2026"
    assert (
        resolve_period("between:2025-12-01..2026-01-31", TODAY).label()
        == "from Dec 1, 2025 to Jan 31, 2026"
    )
    assert (
        resolve_period("weekends:last_month", TODAY).label()
        == "on weekends from Oct 1 to Oct 31, 2026"
    )
    assert resolve_period("weekdays:yesterday", TODAY).label() == "on Nov 20, 2026"
    assert format_date(D("2026-09-03")) == "Sep 3, 2026"


def test_to_json() -> None:
    assert resolve_period("weekdays:last_n_days:7", TODAY).to_json() == {
        "spec": "weekdays:last_n_days:7",
        "start": "2026-11-15",
        "end": "2026-11-21",
        "days": "weekdays",
        "label": "on weekdays from Nov 15 to Nov 21, 2026",
    }


def test_all_uses_earliest_and_spec_blanks_are_ignored() -> None:
    period = resolve_period(" all ", TODAY, earliest=D("2023-04-02"))
    assert (period.spec, period.start, period.end) == ("all", D("2023-04-02"), TODAY)


def test_period_refuses_start_after_end() -> None:
    with pytest.raises(PeriodError, match="after end"):
        Period("x", D("2026-02-02"), D("2026-02-01"))


# --- The pattern --------------------------------------------------------------------------------

VALID = [
    "last_month",
    "before:weekends:month:2026-02",
    "weekdays:before:before:this_week",
    "before:before:before:last_n_months:999",
    "between:2025-12-01..2026-01-31",
    "quarter:2026-Q4",
    "month:08",
    "quarter:Q2",
]
INVALID = [
    "lastmonth",
    "month:2026-13",
    "last_n_days:0",
    "last_n_days:1000",
    "weekends:weekdays:today",
    "before:before:before:before:today",
    "between:2026-01-01",
    "last_month ",
    "quarter:2026-Q5",
    "month:8",
    "quarter:Q5",
]


@pytest.mark.parametrize("spec", VALID)
def test_pattern_accepts_valid_specs(spec: str) -> None:
    assert re.fullmatch(PERIOD_PATTERN, spec)
    assert re.search(PERIOD_PATTERN, spec)  # anchored: search == fullmatch


@pytest.mark.parametrize("spec", INVALID)
def test_pattern_refuses_malformed_specs(spec: str) -> None:
    assert not re.search(PERIOD_PATTERN, spec)


class _ByteTokenizer:
    """One token per byte plus an end token: enough for llguidance to run a grammar."""

    eos_token_id = 256
    bos_token_id = None
    tokens: ClassVar[list[bytes]] = [bytes([i]) for i in range(256)] + [b"<eos>"]
    special_token_ids: ClassVar[list[int]] = [256]

    def __call__(self, text: bytes) -> list[int]:
        return list(text)


def test_pattern_compiles_and_decodes_in_llguidance() -> None:
    grammar = llguidance.LLMatcher.grammar_from_json_schema(
        {"type": "string", "pattern": PERIOD_PATTERN}
    )
    assert llguidance.LLMatcher.validate_grammar(grammar) == ""
    tokenizer = llguidance.LLTokenizer(llguidance.TokenizerWrapper(_ByteTokenizer()))
    for spec, valid in [(s, True) for s in VALID] + [(s, False) for s in INVALID]:
        matcher = llguidance.LLMatcher(tokenizer, grammar, log_level=0)
        consumed = matcher.consume_tokens(list(json.dumps(spec).encode()))
        assert (consumed and matcher.is_accepting()) is valid, spec


# --- Properties ---------------------------------------------------------------------------------

days_before_today = st.dates(min_value=D("1990-01-01"), max_value=TODAY)


@st.composite
def base_specs(draw: st.DrawFn) -> str:
    """A base spec whose dates do not lie after TODAY."""
    kinds = ["named", "date", "month", "quarter", "year", "n", "since", "between"]
    kind = draw(st.sampled_from(kinds))
    day = draw(days_before_today)
    if kind == "named":
        return draw(st.sampled_from([n for n in NAMED_PERIODS if n != "all"]))
    if kind == "date":
        return f"date:{day.isoformat()}"
    if kind == "month":
        return f"month:{day:%m}" if draw(st.booleans()) else f"month:{day:%Y-%m}"
    if kind == "quarter":
        quarter = f"Q{(day.month - 1) // 3 + 1}"
        return f"quarter:{quarter}" if draw(st.booleans()) else f"quarter:{day.year}-{quarter}"
    if kind == "year":
        return f"year:{day.year}"
    if kind == "n":
        unit = draw(st.sampled_from(["days", "weeks", "months"]))
        return f"last_n_{unit}:{draw(st.integers(1, 999))}"
    if kind == "since":
        return f"since:{day.isoformat()}"
    other = draw(days_before_today)
    return f"between:{min(day, other).isoformat()}..{max(day, other).isoformat()}"


@st.composite
def specs(draw: st.DrawFn) -> str:
    """A spec of the grammar: up to three prefixes, at most one day filter."""
    befores = draw(st.integers(0, 3))
    prefixes = ["before:"] * befores
    if befores < 3 and draw(st.booleans()):
        at = draw(st.integers(0, befores))
        prefixes.insert(at, draw(st.sampled_from(["weekends:", "weekdays:"])))
    return "".join(prefixes) + draw(base_specs())


@given(specs())
@settings(max_examples=200, deadline=None)
def test_every_grammar_spec_matches_the_pattern_and_resolves_before_today(spec: str) -> None:
    """The one allowed failure: a day filter on a span with no such day (weekends:today on a
    weekday). Everything else resolves to ``start <= end <= today``."""
    assert re.fullmatch(PERIOD_PATTERN, spec)
    try:
        period = resolve_period(spec, TODAY)
    except PeriodError as exc:
        assert "has no week" in str(exc)
        assert spec.startswith(("weekends:", "weekdays:", "before:"))
        return
    assert period.start <= period.end <= TODAY
    assert period.spec == spec
    if spec.startswith("before:"):
        assert period.end < resolve_period(spec.removeprefix("before:"), TODAY).start


@given(st.from_regex(PERIOD_PATTERN, fullmatch=True), st.dates(D("1900-01-01"), D("2100-12-31")))
@settings(max_examples=200, deadline=None)
def test_anything_the_pattern_allows_resolves_or_raises_period_error(
    spec: str, today: date
) -> None:
    try:
        period = resolve_period(spec, today)
    except PeriodError as exc:
        assert str(exc)
        return
    assert period.start <= period.end <= today


@given(specs())
@settings(max_examples=200, deadline=None)
def test_previous_period_ends_the_day_before(spec: str) -> None:
    try:
        period = resolve_period(spec, TODAY)
        previous = previous_period(period)
    except PeriodError:
        return
    assert previous.end == period.start - timedelta(days=1)
    assert previous.days == period.days
    assert previous.spec == f"before:{spec}"
