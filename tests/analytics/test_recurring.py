"""Recurring series: worked schedules built by hand, projections, and the F1 floor."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from budgetlm.analytics.history import from_household
from budgetlm.analytics.records import RecurringSeries, Txn
from budgetlm.analytics.recurring import RecurringConfig, expected_payments, find_recurring
from budgetlm.analytics.schedule import series_schedule
from budgetlm.ledger.synth import PERSONAS, generate_household, random_persona


def txns(payee: str, amount: str, days: list[date], account: str = "Checking") -> list[Txn]:
    return [Txn(f"{payee}-{i}", day, Decimal(amount), payee, account) for i, day in enumerate(days)]


def month_ends(first: date, count: int) -> list[date]:
    """The last day of ``count`` months from ``first``'s month."""
    out, year, month = [], first.year, first.month
    for _ in range(count):
        after = date(year + month // 12, month % 12 + 1, 1)
        out.append(after - timedelta(days=1))
        year, month = after.year, after.month
    return out


def next_business_day(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)


def only(series: list[RecurringSeries]) -> RecurringSeries:
    assert len(series) == 1, series
    return series[0]


def test_a_bill_on_the_31st_clamps_to_february_and_moves_off_weekends() -> None:
    # Due on the last day, collected on the next business day (ACH): Jan 31 2026 is a Saturday.
    due = month_ends(date(2025, 9, 1), 11)  # Sep 30 2025 .. Jul 31 2026
    posted = [next_business_day(d) for d in due]
    assert date(2026, 2, 2) in posted and date(2026, 3, 2) in posted  # Jan 31 and Feb 28 Sat
    bill = only(find_recurring(txns("Power Co", "-80.00", posted), date(2026, 8, 10)))
    assert (bill.cadence, bill.typical_amount, bill.last_date) == (
        "monthly",
        Decimal("-80.00"),
        date(2026, 7, 31),
    )
    assert bill.next_date == date(2026, 8, 31)
    upcoming = expected_payments([bill], date(2026, 9, 1), date(2026, 12, 31))
    # Oct 31 2026 is a Saturday: the payment moves to Monday November 2.
    assert [p.date for p in upcoming] == [
        date(2026, 9, 30),
        date(2026, 11, 2),
        date(2026, 11, 30),
        date(2026, 12, 31),
    ]
    assert {p.amount for p in upcoming} == {Decimal("-80.00")}


def test_a_card_subscription_on_the_31st_posts_on_weekends_and_on_february_29() -> None:
    days = month_ends(date(2027, 8, 1), 8)  # Aug 31 2027 .. Mar 31 2028 (Oct 31 is a Sunday)
    assert date(2028, 2, 29) in days
    sub = only(find_recurring(txns("Streamly", "-9.99", days, "Card"), date(2028, 4, 2)))
    assert sub.next_date == date(2028, 4, 30)  # a Sunday: card charges post any day
    upcoming = expected_payments([sub], date(2028, 4, 1), date(2028, 7, 31))
    assert [p.date for p in upcoming] == [
        date(2028, 4, 30),
        date(2028, 5, 31),
        date(2028, 6, 30),
        date(2028, 7, 31),
    ]


def test_a_bill_drifting_across_the_30th_31st_and_1st_is_one_monthly_series() -> None:
    days = [date(2025, 11, 1), date(2025, 11, 30), date(2026, 1, 2), date(2026, 1, 31),
            date(2026, 3, 1), date(2026, 3, 31), date(2026, 5, 1)]  # fmt: skip
    rent = only(find_recurring(txns("Landlord", "-1850.00", days), date(2026, 5, 10)))
    assert rent.cadence == "monthly" and len(rent.transaction_ids) == 7
    assert rent.next_date == date(2026, 6, 1)


def test_a_biweekly_paycheck_is_an_income_series() -> None:
    days = [date(2026, 1, 2) + timedelta(days=14 * k) for k in range(10)]
    pay = txns("Acme Payroll", "2500.00", days)
    pay[4] = Txn("overtime", days[4], Decimal("2710.35"), "Acme Payroll", "Checking")
    paycheck = only(find_recurring(pay, date(2026, 5, 10)))
    assert (paycheck.cadence, paycheck.typical_amount) == ("biweekly", Decimal("2500.00"))
    assert paycheck.next_date == date(2026, 5, 22) and paycheck.previous_amount is None
    assert len(paycheck.transaction_ids) == 10
    upcoming = expected_payments([paycheck], date(2026, 5, 11), date(2026, 6, 30))
    assert [p.date for p in upcoming] == [date(2026, 5, 22), date(2026, 6, 5), date(2026, 6, 19)]


def test_a_yearly_subscription_is_found_beside_everyday_spending() -> None:
    history = txns(
        "Cloud Backup", "-99.00", [date(2024, 3, 15), date(2025, 3, 15), date(2026, 3, 15)]
    )
    history += txns(
        "Corner Cafe", "-4.50", [date(2025, 1, 1) + timedelta(days=3 * k) for k in range(150)]
    )
    yearly = [s for s in find_recurring(history, date(2026, 6, 1)) if s.cadence == "yearly"]
    assert [(s.payee, s.next_date, s.next_amount) for s in yearly] == [
        ("Cloud Backup", date(2027, 3, 15), Decimal("-99.00"))
    ]


def monthly_days(count: int) -> list[date]:
    return [date(2025 + (m + 5) // 12, (m + 5) % 12 + 1, 10) for m in range(count)]


@pytest.mark.parametrize(
    ("amounts", "typical", "previous", "changed"),
    [
        # Two payments agree on 17.99: a new price from the first of them.
        (["15.49"] * 5 + ["17.99"] * 2, "-17.99", "-15.49", 5),
        # One odd charge between regular ones is not a new price.
        (["15.49"] * 5 + ["17.99"] + ["15.49"] * 2, "-15.49", None, None),
        # Nor is one new amount at the end, until a second payment confirms it.
        (["15.49"] * 6 + ["17.99"], "-15.49", None, None),
    ],
)
def test_a_new_price_needs_two_payments_that_agree(
    amounts: list[str], typical: str, previous: str | None, changed: int | None
) -> None:
    days = monthly_days(len(amounts))
    history = [
        Txn(str(i), day, -Decimal(a), "Streamly", "Card")
        for i, (day, a) in enumerate(zip(days, amounts, strict=True))
    ]
    sub = only(find_recurring(history, days[-1] + timedelta(days=3)))
    assert sub.typical_amount == sub.next_amount == Decimal(typical)
    assert sub.previous_amount == (Decimal(previous) if previous else None)
    assert sub.price_changed_on == (days[changed] if changed is not None else None)
    assert sub.last_amount == -Decimal(amounts[-1]) and len(sub.transaction_ids) == len(amounts)


def test_a_one_off_purchase_at_a_subscription_payee_stays_out_of_the_series() -> None:
    days = monthly_days(8)
    history = txns("Amazon", "-14.99", days, "Card")
    one_offs = [days[2], date(2025, 9, 23), date(2026, 1, 4)]  # one on a subscription day
    history += [
        Txn(f"buy-{i}", d, Decimal("-37.20"), "Amazon", "Card") for i, d in enumerate(one_offs)
    ]
    prime = only(find_recurring(history, days[-1]))
    assert prime.typical_amount == Decimal("-14.99")
    assert set(prime.transaction_ids) == {f"Amazon-{i}" for i in range(8)}


def test_an_ended_series_is_dropped_unless_asked_for_and_the_future_is_ignored() -> None:
    days = monthly_days(8)  # Jun 10 2025 .. Jan 10 2026
    history = txns("Gym", "-40.00", days)
    assert find_recurring(history, date(2026, 3, 20)) == []  # missed Feb 10 and Mar 10
    ended = find_recurring(history, date(2026, 3, 20), RecurringConfig(include_ended=True))
    assert only(ended).next_date == date(2026, 2, 10)
    # Payments after today are not seen: on Sep 1 2025 only three have been made.
    assert len(only(find_recurring(history, date(2025, 9, 1))).transaction_ids) == 3


def test_expected_payments_merge_series_in_date_order_within_the_range() -> None:
    # Rent posted on the 1st even on Sundays (Feb 1 and Mar 1 2026): no weekend rule.
    rent_days = [date(2026, m, 1) for m in range(1, 7)]
    rent = only(find_recurring(txns("Landlord", "-1500.00", rent_days), date(2026, 6, 5)))
    # Pay on the 15th comes the Friday before when the 15th is a weekend (Feb 15, Mar 15).
    pay_days = [date(2026, m, 15) for m in range(1, 7)]
    pay_days = [d - timedelta(days=max(0, d.weekday() - 4)) for d in pay_days]
    assert date(2026, 2, 13) in pay_days
    pay = only(find_recurring(txns("Acme", "1000.00", pay_days), date(2026, 6, 20)))
    upcoming = expected_payments([pay, rent], date(2026, 7, 1), date(2026, 8, 15))
    assert [(p.date, p.amount, p.payee) for p in upcoming] == [
        (date(2026, 7, 1), Decimal("-1500.00"), "Landlord"),
        (date(2026, 7, 15), Decimal("1000.00"), "Acme"),
        (date(2026, 8, 1), Decimal("-1500.00"), "Landlord"),  # a Saturday
        (date(2026, 8, 14), Decimal("1000.00"), "Acme"),  # Aug 15 is a Saturday
    ]
    assert expected_payments([rent], date(2026, 7, 2), date(2026, 7, 31)) == []


def test_a_hand_made_series_projects_from_its_last_and_next_dates() -> None:
    bill = RecurringSeries(
        id="s1", payee="Water", category=None, account="Checking", cadence="quarterly",
        typical_amount=Decimal("-60.00"), last_date=date(2026, 4, 30),
        last_amount=Decimal("-58.10"), next_date=date(2026, 7, 31), next_amount=Decimal("-60.00"),
        confidence=0.9, transaction_ids=(),
    )  # fmt: skip
    # Oct 31 2026 is a Saturday and Jan 31 2027 a Sunday: with no weekend evidence a bill is
    # collected on the Monday after.
    assert [p.date for p in expected_payments([bill], date(2026, 7, 1), date(2027, 2, 28))] == [
        date(2026, 7, 31),
        date(2026, 11, 2),
        date(2027, 2, 1),
    ]


def test_expected_payments_follow_the_anchor_and_shift_fields() -> None:
    # Due on the last day (anchor 31), collected the next business day. Its last and next dates
    # (a late payment on Jan 2, then Monday Feb 2 for Saturday Jan 31) would suggest the 2nd of
    # each month; the fields say the last day.
    bill = RecurringSeries(
        id="power", payee="Power Co", category="Utilities", account="Checking",
        cadence="monthly", typical_amount=Decimal("-80.00"), last_date=date(2026, 1, 2),
        last_amount=Decimal("-80.00"), next_date=date(2026, 2, 2), next_amount=Decimal("-80.00"),
        confidence=0.9, transaction_ids=(), anchor=31, shift="next",
    )  # fmt: skip
    upcoming = expected_payments([bill], date(2026, 2, 1), date(2026, 5, 31))
    # February clamps to the 28th, a Saturday: Monday March 2. May 31 is a Sunday: June 1.
    assert [p.date for p in upcoming] == [
        date(2026, 2, 2),
        date(2026, 3, 2),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    leap = replace(bill, last_date=date(2028, 1, 31), next_date=date(2028, 2, 29))
    assert [p.date for p in expected_payments([leap], date(2028, 2, 1), date(2028, 5, 1))] == [
        date(2028, 2, 29),  # a Tuesday: the 29th in a leap year
        date(2028, 3, 31),
        date(2028, 5, 1),  # Apr 30 2028 is a Sunday
    ]


def test_a_weekly_phase_of_zero_is_a_rule_not_unknown() -> None:
    # Phase 0 is a Sunday (date.toordinal() % 7 == 0); the fields say "the Friday before".
    sunday = date(2026, 3, 1)
    assert sunday.toordinal() % 7 == 0
    weekly = RecurringSeries(
        id="club", payee="Chess Club", category="Entertainment", account="Checking",
        cadence="weekly", typical_amount=Decimal("-10.00"), last_date=date(2026, 2, 27),
        last_amount=Decimal("-10.00"), next_date=date(2026, 3, 6),
        next_amount=Decimal("-10.00"), confidence=0.9, transaction_ids=(), anchor=0,
        shift="previous",
    )  # fmt: skip
    schedule = series_schedule(weekly)
    assert (schedule.anchor, schedule.shift) == (0, "previous")


def test_find_recurring_reports_the_fitted_anchor_and_shift() -> None:
    due = month_ends(date(2025, 9, 1), 11)
    bill = only(
        find_recurring(txns("Power Co", "-80.00", [next_business_day(d) for d in due]),
                       date(2026, 8, 10))
    )  # fmt: skip
    assert (bill.anchor, bill.shift) == (31, "next")
    pay_days = [date(2026, 1, 2) + timedelta(days=14 * k) for k in range(10)]  # Fridays
    pay = only(find_recurring(txns("Acme Payroll", "2500.00", pay_days), date(2026, 5, 10)))
    assert pay.anchor == date(2026, 1, 2).toordinal() % 14 and pay.shift == "previous"


def test_a_water_bill_every_other_month_and_a_tax_twice_a_year_get_their_cadences() -> None:
    water_days = [date(2025 + (m - 1) // 12, (m - 1) % 12 + 1, 15) for m in range(1, 18, 2)]
    water = [
        Txn(f"w{i}", next_business_day(d), Decimal(f"-{60 + 7 * (i % 3)}.40"), "City Water", "Chk")
        for i, d in enumerate(water_days)
    ]  # Jan 15 2025 .. May 15 2026, amounts varying with the season
    tax = txns("County Tax", "-1450.00", [date(2025, 4, 10), date(2025, 10, 10), date(2026, 4, 10)])
    found = {s.payee: s for s in find_recurring(water + tax, date(2026, 6, 1))}
    assert (found["City Water"].cadence, found["City Water"].next_date) == (
        "bimonthly",
        date(2026, 7, 15),
    )
    assert len(found["City Water"].transaction_ids) == 9
    assert (found["County Tax"].cadence, found["County Tax"].next_date) == (
        "semiannual",
        date(2026, 10, 12),  # Oct 10 2026 is a Saturday
    )


def test_series_f1_on_new_households_stays_above_the_floor() -> None:
    """Seeds from the held-out evaluation range (never tuned on); benchmark: 0.9+ on 40."""
    presets = sorted(PERSONAS)
    detected = matched = true_total = true_found = 0
    for seed in (5000, 5001, 5002):
        persona = (
            PERSONAS[presets[(seed // 4) % len(presets)]] if seed % 4 == 0 else random_persona(seed)
        )
        household = generate_household(persona, months=12, seed=seed)
        truth = [t.recurring_series for t in household.transactions]
        found = find_recurring(
            from_household(household).transactions,
            household.end,
            RecurringConfig(include_ended=True),
        )
        hits = set()
        for series in found:
            top, votes = Counter(truth[int(i)] for i in series.transaction_ids).most_common(1)[0]
            if top is not None and votes * 2 > len(series.transaction_ids):
                hits.add(top)
                matched += 1
        sizes = Counter(s for s in truth if s)
        detected += len(found)
        true_total += sum(1 for n in sizes.values() if n >= 2)
        true_found += sum(1 for s in hits if sizes[s] >= 2)
    precision, recall = matched / detected, true_found / true_total
    assert 2 * precision * recall / (precision + recall) >= 0.85, (precision, recall)
