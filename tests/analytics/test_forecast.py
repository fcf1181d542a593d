"""The cash-flow forecast: worked paths, intervals, warnings, thin histories and the backtest."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from budgetlm.analytics.forecast import (
    ForecastConfig,
    balance_on,
    forecast_balance,
    forecast_history,
)
from budgetlm.analytics.forecast_backtest import (
    BacktestConfig,
    OriginResult,
    backtest_household,
    naive_scale,
    seasonal_naive,
    summarize,
)
from budgetlm.analytics.history import from_household
from budgetlm.analytics.records import Account, ExpectedPayment, RecurringSeries, Txn
from budgetlm.analytics.recurring import find_recurring
from budgetlm.ledger.synth import generate_household

TODAY = date(2026, 6, 30)  # a Tuesday
CHECKING = Account("Checking", "checking", Decimal("1000.00"))
CARD = Account("Card", "credit_card", Decimal("-250.00"))
RENT = ExpectedPayment(TODAY + timedelta(days=3), Decimal("-500.00"), "rent", "Landlord", "Rent")


def daily(amounts: list[Decimal], account: str = "Checking", end: date = TODAY) -> list[Txn]:
    """One transaction per day ending on ``end`` (zero amounts are skipped)."""
    start = end - timedelta(days=len(amounts) - 1)
    return [
        Txn(f"{account}-{k}", start + timedelta(days=k), amount, "Shop", account)
        for k, amount in enumerate(amounts)
        if amount
    ]


def noisy(days: int, seed: int = 1) -> list[Txn]:
    rng = np.random.default_rng(seed)
    spend = -np.round(rng.gamma(1.2, 25.0, days) * (rng.random(days) < 0.6), 2)
    return daily([Decimal(str(x)) for x in spend])


def test_flat_history_and_one_bill_give_an_exact_path() -> None:
    history = daily([Decimal("-10.00")] * 56)
    result = forecast_balance(
        history, [CHECKING], TODAY, 5, scheduled=[RENT], recurring_ids=frozenset()
    )
    assert [d.expected_balance for d in result.days] == [
        Decimal("990.00"),
        Decimal("980.00"),
        Decimal("470.00"),
        Decimal("460.00"),
        Decimal("450.00"),
    ]
    assert [d.scheduled for d in result.days] == [(), (), (RENT,), (), ()]
    assert all(d.lower == d.expected_balance == d.upper for d in result.days)  # no noise
    assert (result.minimum_balance, result.minimum_date) == (Decimal("450.00"), date(2026, 7, 5))
    assert result.method == "weekday_profile" and result.warnings == () and result.notes == ()


def test_recurring_payments_and_other_accounts_stay_out_of_the_day_to_day_flow() -> None:
    rent_paid = [Txn(f"r{k}", TODAY - timedelta(days=k), Decimal("-500.00"), "Landlord", "Checking")
                 for k in (50, 20)]  # fmt: skip
    card = daily([Decimal("-80.00")] * 56, account="Card")
    history = daily([Decimal("-10.00")] * 56) + rent_paid + card
    result = forecast_balance(
        history,
        [CHECKING, CARD],
        TODAY,
        3,
        scheduled=[RENT],
        recurring_ids=frozenset(t.id for t in rent_paid),
    )
    assert [d.day_to_day for d in result.days] == [Decimal("-10.00")] * 3
    assert result.days[-1].expected_balance == Decimal("470.00")


def test_the_opening_balance_leaves_out_transactions_after_today() -> None:
    later = daily([Decimal("-40.00")] * 3, end=TODAY + timedelta(days=3))
    assert balance_on(later, [CHECKING, CARD], TODAY, ForecastConfig()) == Decimal("1120.00")
    both = ForecastConfig(cash_account_types=("checking", "savings"))
    savings = Account("Savings", "savings", Decimal("300.00"))
    assert balance_on([], [CHECKING, savings, CARD], TODAY, both) == Decimal("1300.00")


def test_a_weekly_shopping_day_shows_in_the_profile() -> None:
    friday = date(2026, 6, 26)  # eight whole weeks of history, Saturday to Friday
    saturdays = [Decimal("-70.00") if k % 7 == 0 else Decimal(0) for k in range(56)]
    result = forecast_balance(
        daily(saturdays, end=friday), [CHECKING], friday, 7, scheduled=[], recurring_ids=frozenset()
    )
    by_day = {d.date.weekday(): d.day_to_day for d in result.days}
    # 8 weeks of data keep 8 / (8 + 2) of the Saturday's -60 deviation from the -10 mean.
    assert by_day[5] == Decimal("-58.00")
    assert by_day[0] == Decimal("-2.00")
    assert result.days[-1].expected_balance == Decimal("930.00")  # a week still costs 70


def test_intervals_widen_with_the_horizon_and_are_reproducible() -> None:
    history = noisy(26 * 7)
    run = lambda: forecast_balance(  # noqa: E731
        history, [CHECKING], TODAY, 60, scheduled=[], recurring_ids=frozenset()
    )
    result = run()
    width = [float(d.upper - d.lower) for d in result.days]
    assert 0 < width[0] < width[6] < width[29] < width[59]
    assert 1.4 < width[59] / width[14] < 2.8  # roughly sqrt(4) = 2: sums of weekly draws
    assert all(d.lower <= d.expected_balance <= d.upper for d in result.days)
    assert run() == result
    wider = forecast_balance(
        history,
        [CHECKING],
        TODAY,
        60,
        scheduled=[],
        recurring_ids=frozenset(),
        config=ForecastConfig(interval=0.95),
    )
    assert (
        wider.days[-1].upper - wider.days[-1].lower > result.days[-1].upper - result.days[-1].lower
    )


def bill_forecast(amounts: list[str], late_days: list[int]) -> list[tuple[Decimal, Decimal]]:
    """Interval offsets (lower, upper minus expected) over 2026-07-01..05 with a bill of -100
    due on the 3rd, whose past six payments had these amounts and days late; the day-to-day
    flow is a flat -10 a day, so any width comes from the bill."""
    paid = [
        Txn(f"bill{k}", date(2026, k + 1, 3 + late), Decimal(amount), "Power Co", "Checking")
        for k, (amount, late) in enumerate(zip(amounts, late_days, strict=True))
    ]
    bill = RecurringSeries(
        "power", "Power Co", "Utilities", "Checking", "monthly", Decimal("-100.00"),
        paid[-1].date, paid[-1].amount, RENT.date, Decimal("-100.00"), 0.9,
        tuple(t.id for t in paid), anchor=3, shift="none",
    )  # fmt: skip
    due = ExpectedPayment(RENT.date, Decimal("-100.00"), "power", "Power Co", "Utilities")
    result = forecast_balance(
        daily([Decimal("-10.00")] * 200) + paid,
        [CHECKING],
        TODAY,
        5,
        scheduled=[due],
        recurring_ids=frozenset(t.id for t in paid),
        series=[bill],
    )
    return [(d.lower - d.expected_balance, d.upper - d.expected_balance) for d in result.days]


def test_a_bill_whose_amount_varies_widens_the_interval_on_its_due_day() -> None:
    fixed = bill_forecast(["-100.00"] * 6, [0] * 6)
    assert all(offsets == (0, 0) for offsets in fixed)  # always on time at one price: certain
    varying = bill_forecast(["-100", "-120", "-80", "-110", "-90", "-100"], [0] * 6)
    # Drawn amounts are 100 times 1.2, 0.8, 1.1, 0.9, 1.0, 1.0: each extreme holds 1/6 > 10%.
    assert varying[:2] == [(0, 0)] * 2
    assert varying[2:] == [(Decimal("-20.00"), Decimal("20.00"))] * 3


def test_a_bill_that_often_posts_late_may_not_have_left_on_its_due_day() -> None:
    late = bill_forecast(["-100.00"] * 6, [0, 1, 2, 0, 1, 0])
    # Half its payments posted later than the 3rd, a third of them two days late.
    assert late == [(0, 0), (0, 0), (0, Decimal("100.00")), (0, Decimal("100.00")), (0, 0)]


def test_below_zero_warning_names_the_date_and_the_bill() -> None:
    history = daily([Decimal("-10.00")] * 56)
    result = forecast_balance(
        history,
        [CHECKING],
        TODAY,
        10,
        scheduled=[RENT],
        recurring_ids=frozenset(),
        opening_balance=Decimal("400.00"),
        threshold=Decimal("385.00"),
    )
    zero, line = result.warnings
    assert (zero.kind, zero.date, zero.balance, zero.payments) == (
        "below_zero",
        date(2026, 7, 3),
        Decimal("-130.00"),
        (RENT,),
    )
    assert zero.message == (
        "Balance is projected below zero on 2026-07-03 (-$130.00), when Landlord -$500.00 is due."
    )
    assert (line.kind, line.date, line.balance, line.payments) == (
        "below_threshold",
        date(2026, 7, 2),
        Decimal("380.00"),
        (),
    )
    assert "day-to-day spending" in line.message
    assert (result.minimum_balance, result.minimum_date) == (Decimal("-200.00"), date(2026, 7, 10))


def test_a_risky_lower_bound_warns_without_an_expected_shortfall() -> None:
    result = forecast_balance(
        noisy(26 * 7),
        [CHECKING],
        TODAY,
        30,
        scheduled=[],
        recurring_ids=frozenset(),
        opening_balance=Decimal("600.00"),
    )
    assert all(d.expected_balance >= 0 for d in result.days)
    [risk] = result.warnings
    assert risk.kind == "may_go_below_zero" and risk.balance < 0 < risk.date.toordinal()


def test_no_history_projects_only_the_schedule_and_says_so() -> None:
    result = forecast_balance([], [CHECKING], TODAY, 5, scheduled=[RENT], recurring_ids=frozenset())
    assert result.method == "no_history" and result.history_days == 0
    assert [d.expected_balance for d in result.days] == [Decimal("1000.00")] * 2 + [
        Decimal("500.00")
    ] * 3
    assert "No transaction history" in result.notes[0]


def test_a_short_history_uses_a_flat_average_and_says_so() -> None:
    history = daily([Decimal("-30.00"), Decimal(0), Decimal("-15.00"), Decimal(0), Decimal(0)])
    result = forecast_balance(
        history, [CHECKING], TODAY, 20, scheduled=[], recurring_ids=frozenset()
    )
    assert result.method == "flat_mean" and result.history_days == 5
    assert {d.day_to_day for d in result.days} == {Decimal("-9.00")}
    assert "Only 5 days of history" in result.notes[0]
    assert result.days[-1].lower < result.days[-1].expected_balance < result.days[-1].upper


def test_zero_heavy_histories_do_not_break_the_forecast() -> None:
    sparse = [Decimal("-90.00") if k % 30 == 0 else Decimal(0) for k in range(120)]
    result = forecast_balance(
        daily(sparse), [CHECKING], TODAY, 60, scheduled=[], recurring_ids=frozenset()
    )
    assert any("sparse" in note for note in result.notes)
    assert result.days[-1].expected_balance < Decimal("1000.00")
    silent = forecast_balance(
        daily([Decimal(0)] * 30) + daily([Decimal("-5.00")], end=TODAY - timedelta(days=40)),
        [CHECKING],
        TODAY,
        10,
        scheduled=[RENT],
        recurring_ids=frozenset({"Checking-0"}),
    )
    assert any("No day-to-day cash flow" in note for note in silent.notes)
    assert silent.days[-1].expected_balance == Decimal("500.00")


def test_the_horizon_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least one day"):
        forecast_balance([], [CHECKING], TODAY, 0, scheduled=[], recurring_ids=frozenset())


# --- MASE and the backtest ----------------------------------------------------------------------


def test_seasonal_naive_repeats_the_last_week() -> None:
    history = np.arange(10.0)
    assert seasonal_naive(history, 9).tolist() == [3, 4, 5, 6, 7, 8, 9, 3, 4]


def test_mase_scale_guards_the_degenerate_cases() -> None:
    assert naive_scale(np.arange(28.0), 28) == 7.0  # every value is 7 above a week before
    assert naive_scale(np.arange(27.0), 28) is None  # too short to trust
    assert naive_scale(np.zeros(60), 28) is None  # all zero: every error would divide by 0
    weekly = np.tile([0, 0, 0, 0, 0, -70.0, 0], 8)
    assert naive_scale(weekly, 28) is None  # repeats exactly every week


def test_summary_counts_excluded_origins_and_compares_to_the_baseline() -> None:
    def origin(mase: float | None, naive: float | None) -> OriginResult:
        return OriginResult(1, TODAY, mase, naive, 10.0, 20.0, 5.0, 20.0, 0.8)

    summary = summarize([[origin(0.5, 1.0), origin(None, None)], [origin(0.9, 0.6)], []])
    assert (summary.households, summary.origins, summary.excluded) == (3, 3, 1)
    assert summary.relative_mase_median == pytest.approx((0.5 + 1.5) / 2)
    assert summary.relative_mase_pooled == pytest.approx(1.4 / 1.6)
    assert summary.households_beating_naive == 0.5
    assert (summary.balance_mae_ratio, summary.end_error_ratio) == (0.5, 0.25)


def test_beats_seasonal_naive_on_new_households() -> None:
    config = BacktestConfig(horizon=30, step_days=28)
    households = [backtest_household(seed, config) for seed in (5000, 5001, 5002)]
    summary = summarize(households)
    assert summary.origins >= 15 and summary.excluded == 0
    assert summary.relative_mase_pooled < 1  # daily cash flow
    assert summary.balance_mae_ratio < 1  # the balance path
    assert 0.6 < summary.coverage < 0.95  # the 80% interval, roughly


@pytest.mark.slow
def test_beats_seasonal_naive_with_the_detected_schedule() -> None:
    config = BacktestConfig(horizon=30, step_days=28, schedule="detected")
    results = [r for seed in (5003, 5004) for r in backtest_household(seed, config)]
    assert sum(r.mase or 0 for r in results) < sum(r.mase_naive or 0 for r in results)


def test_series_found_earlier_give_the_same_forecast() -> None:
    household = generate_household("young_renter", months=6, seed=130)
    history = from_household(household)
    past, today = history.transactions, household.end
    found = find_recurring(past, today)
    assert found
    alone = forecast_history(past, history.accounts, today, 30)
    assert forecast_history(past, history.accounts, today, 30, series=found) == alone
