"""Recurring series: one payment per period, weekend/holiday shifts, month-end clamping."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date
from functools import cache
from itertools import pairwise

from budgetlm.ledger.synth import PERSONAS, Household, SynthSeries, generate_household
from budgetlm.ledger.synth.calendar import bank_holidays, clamp, is_business_day, shift
from budgetlm.ledger.synth.schedule import Schedule, due_dates


@cache
def household(key: str, seed: int) -> Household:
    return generate_household(key, months=14, seed=seed)


def households() -> list[Household]:
    return [household(key, seed) for key in PERSONAS for seed in (0, 1, 2)]


def own_legs(h: Household, series: SynthSeries) -> list[date]:
    return sorted(
        t.date for t in h.transactions
        if t.recurring_series == series.id and t.account == series.account
    )  # fmt: skip


def nominal_for(series: SynthSeries, posted: date) -> set[date]:
    """Due dates a posted date may belong to, reconstructed from the series rule."""
    match = re.fullmatch(r"day (\d+)(?: in months .*)?", series.rule)
    if match:
        day = int(match.group(1))
        months = [(posted.year, posted.month), ((posted.year * 12 + posted.month - 2) // 12,
                                                  (posted.month - 2) % 12 + 1)]  # fmt: skip
        months.append(((posted.year * 12 + posted.month) // 12, posted.month % 12 + 1))
        return {clamp(y, m, day) for y, m in months}
    if series.rule == "15th and last day":
        return {date(posted.year, posted.month, 15), clamp(posted.year, posted.month, 31)} | {
            clamp(posted.year + (posted.month == 12), posted.month % 12 + 1, 15)
        }
    return set()


def test_calendar_knows_bank_holidays() -> None:
    us = bank_holidays(2026, "US")
    assert date(2026, 11, 26) in us  # Thanksgiving
    assert date(2026, 7, 3) not in us  # Saturday July 4th: the Fed stays open the Friday before
    assert date(2026, 1, 19) in us  # Martin Luther King Jr. Day
    gb = bank_holidays(2026, "GB")
    assert {date(2026, 4, 3), date(2026, 4, 6), date(2026, 12, 28)} <= gb  # Easter, Boxing Day sub
    assert shift(date(2026, 11, 26), "next", "US") == date(2026, 11, 27)
    assert shift(date(2026, 10, 31), "previous", "US") == date(2026, 10, 30)
    assert shift(date(2026, 10, 31), "none", "US") == date(2026, 10, 31)


def test_month_end_clamping_in_schedules() -> None:
    monthly_31st = Schedule("monthly", "none", day=31)
    posted = [p for _, p in due_dates(monthly_31st, date(2026, 1, 1), date(2028, 12, 31), "US")]
    assert date(2026, 2, 28) in posted and date(2028, 2, 29) in posted
    assert date(2026, 4, 30) in posted and date(2026, 1, 31) in posted
    assert len(posted) == 36


def test_schedules_shift_both_ways() -> None:
    # 2026-02-28 is a Saturday
    ach = Schedule("monthly", "next", day=28)
    pay = Schedule("monthly", "previous", day=28)
    feb = (date(2026, 2, 1), date(2026, 3, 31))
    assert (date(2026, 2, 28), date(2026, 3, 2)) in due_dates(ach, *feb, "US")
    assert (date(2026, 2, 28), date(2026, 2, 27)) in due_dates(pay, *feb, "US")


def test_every_exact_series_posts_on_business_days_by_its_rule() -> None:
    checked = Counter[str]()
    for h in households():
        country = h.persona.country
        for series in h.series:
            if series.jitter_days:
                continue
            for posted in own_legs(h, series):
                if series.shift != "none":
                    assert is_business_day(posted, country), (series, posted)
                nominal = nominal_for(series, posted)
                if nominal:
                    assert posted in {shift(n, series.shift, country) for n in nominal}, (
                        series,
                        posted,
                    )
                    checked[series.shift] += 1
    assert checked["next"] > 200 and checked["previous"] > 50 and checked["none"] > 50


def test_weekend_rules_move_dates_in_both_directions() -> None:
    moved = Counter[str]()
    for h in households():
        for series in h.series:
            if series.jitter_days or not series.rule.startswith(("day", "15th")):
                continue
            for posted in own_legs(h, series):
                if posted not in nominal_for(series, posted):
                    moved[series.shift] += 1
    assert moved["next"] > 10 and moved["previous"] > 5 and moved["none"] == 0


def test_monthly_series_pay_once_a_month_without_gaps() -> None:
    for h in households():
        for series in h.series:
            if series.cadence != "monthly" or series.jitter_days:
                continue
            if series.id.split(":")[0] in ("interest", "savings-transfer", "council-tax"):
                continue  # tiny interest is not paid; transfers pause; council tax skips 2 months
            months = Counter((d.year, d.month) for d in own_legs(h, series))
            assert max(months.values()) == 1, series
            first, last = min(months), max(months)
            span = (last[0] * 12 + last[1]) - (first[0] * 12 + first[1]) + 1
            assert span == len(months), series


def test_core_bills_and_paychecks_run_the_whole_period() -> None:
    for h in households():
        ids = {s.id.split(":")[0] for s in h.series}
        housing = {"rent": "rent", "mortgage": "mortgage"}.get(h.persona.housing)
        if housing:
            rent = next(s for s in h.series if s.id.startswith(housing))
            assert len(own_legs(h, rent)) == 14, rent
        assert ids & {"pay-0", "ssa-0", "pension-0"} or any(i.startswith("gig") for i in ids)


def test_paychecks_follow_their_cadence() -> None:
    expected = {"weekly": 7, "biweekly": 14}
    for h in households():
        for series in h.series:
            if not series.id.startswith("pay-") or series.cadence not in expected:
                continue
            days = own_legs(h, series)
            gaps = Counter((b - a).days for a, b in pairwise(days))
            step = expected[series.cadence]
            assert gaps.most_common(1)[0][0] == step
            assert set(gaps) <= {step - 1, step, step + 1}, gaps


def test_month_end_subscriptions_clamp_in_generated_households() -> None:
    found = 0
    for h in households():
        for series in h.series:
            if series.shift == "none" and series.rule in ("day 29", "day 30", "day 31"):
                day = int(series.rule.split()[1])
                for posted in own_legs(h, series):
                    assert posted == clamp(posted.year, posted.month, day)
                    found += 1
    assert found >= 10


def test_price_changes_and_variable_bills_exist() -> None:
    changed = variable = 0
    for h in households():
        amounts: dict[str, set[object]] = defaultdict(set)
        for t in h.transactions:
            if t.recurring_series and t.recurring_series.startswith("sub-"):
                amounts[t.recurring_series].add(t.amount)
        changed += sum(len(a) == 2 for a in amounts.values())
        variable += sum(s.variable_amount for s in h.series)
    assert changed >= 3 and variable >= 20


def test_series_ground_truth_matches_the_transactions() -> None:
    for h in households():
        ids = {s.id for s in h.series}
        used = {t.recurring_series for t in h.transactions if t.recurring_series}
        assert used == ids
        for series in h.series:
            assert {t.merchant_id for t in h.transactions if t.recurring_series == series.id} == {
                series.merchant_id
            } or series.category in ("Credit Card Payment", "Savings")
