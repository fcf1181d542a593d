"""Simulated balance paths behind the cash-flow forecast's prediction interval.

Each path is the forecast's expected path plus two kinds of error, drawn independently:

* **Day-to-day remainder** — whole weeks of past residuals of the remainder (history minus the
  weekday profile, day-of-week aligned, so weekday-specific spread and within-week correlation
  are kept), drawn with replacement and added up.
* **Scheduled payments** — a found schedule is not certain: a bill posts a few days late, a
  utility bill varies, a paycheck arrives early. Each expected payment of a series whose past
  payments are known posts on its expected date moved by a day offset drawn from that series'
  own past offsets (its payments' distance from their due-date postings), at its expected
  amount scaled by a ratio drawn from its own past amounts (each one over their median, since
  the latest price change). A series that always paid on time and the same amount adds nothing,
  so a schedule given with certainty (no series) keeps the remainder-only interval.

The bounds are quantiles of the simulated paths, so they widen with the horizon and jump around
uncertain bills. The generator is seeded (``ForecastConfig.seed``): the same input gives the
same output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from budgetlm.analytics.records import ExpectedPayment, RecurringSeries, Txn
from budgetlm.analytics.schedule import series_schedule

if TYPE_CHECKING:
    from budgetlm.analytics.forecast import ForecastConfig

WEEK = 7


@dataclass(frozen=True)
class PaymentSpread:
    """How far a series' past payments strayed from their schedule."""

    day_offsets: NDArray[np.int64]
    """Days between each past payment and the posting day of its due date (late positive)."""
    amount_ratios: NDArray[np.float64]
    """Each past amount (since the latest price change) over their median."""

    @property
    def certain(self) -> bool:
        """Every past payment was on time and at the same amount."""
        return not self.day_offsets.any() and bool(np.all(self.amount_ratios == 1.0))


def payment_spread(series: RecurringSeries, members: Sequence[Txn], last: int) -> PaymentSpread:
    """The spread of a series' latest ``last`` payments (``members``, oldest first)."""
    schedule = series_schedule(series)
    recent = members[-last:]
    offsets = [(t.date - schedule.posted(schedule.nominal_near(t.date))).days for t in recent]
    priced = [
        float(t.amount)
        for t in recent
        if series.price_changed_on is None or t.date >= series.price_changed_on
    ]
    median = float(np.median(priced)) if priced else 0.0
    ratios = np.array(priced) / median if median else np.ones(1)
    return PaymentSpread(np.array(offsets, dtype=np.int64), ratios)


def series_spreads(
    series: Sequence[RecurringSeries], transactions: Sequence[Txn], today: date, last: int
) -> dict[str, PaymentSpread]:
    """``payment_spread`` of each series with past payments up to ``today``, by series id."""
    wanted = {i for s in series for i in s.transaction_ids}
    by_id = {t.id: t for t in transactions if t.id in wanted and t.date <= today}
    spreads = {}
    for item in series:
        members = [by_id[i] for i in item.transaction_ids if i in by_id]
        if members:
            spreads[item.id] = payment_spread(item, members, last)
    return spreads


def remainder_paths(
    history: NDArray[np.float64],
    profile: NDArray[np.float64],
    horizon: int,
    config: ForecastConfig,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Cumulative remainder errors, shape (paths, horizon).

    Whole weeks of residuals are drawn (blocks of two or four weeks were tried and covered
    less); histories shorter than a week draw single days.
    """
    if history.size == 0:
        return np.zeros((config.paths, horizon))
    weeks = min(config.residual_weeks, history.size // WEEK)
    if weeks >= 1:
        residuals = (history[-weeks * WEEK :].reshape(weeks, WEEK) - profile).reshape(-1)
        blocks = -(-horizon // WEEK)
        starts = rng.integers(0, weeks, size=(config.paths, blocks)) * WEEK
        index = (starts[:, :, None] + np.arange(WEEK)).reshape(config.paths, -1)[:, :horizon]
    else:
        residuals = history - profile[0]
        index = rng.integers(0, history.size, size=(config.paths, horizon))
    return np.cumsum(residuals[index], axis=1)


def schedule_paths(
    scheduled: Sequence[ExpectedPayment],
    spreads: Mapping[str, PaymentSpread],
    today: date,
    horizon: int,
    config: ForecastConfig,
    rng: np.random.Generator,
) -> NDArray[np.float64] | None:
    """Cumulative errors of the scheduled payments, shape (paths, horizon); None when every
    payment is certain.

    A payment drawn to post before tomorrow posts tomorrow (it has not happened by today); one
    drawn past the horizon leaves the expected amount missing to the end.
    """
    rows, days, amounts = [], [], []
    nominal = np.zeros(horizon)
    path = np.arange(config.paths)
    for payment in scheduled:
        spread = spreads.get(payment.series_id)
        day = (payment.date - today).days - 1
        if spread is None or spread.certain or not 0 <= day < horizon:
            continue
        nominal[day] += float(payment.amount)
        moved = day + rng.choice(spread.day_offsets, config.paths)
        inside = moved < horizon
        rows.append(path[inside])
        days.append(np.maximum(moved[inside], 0))
        amounts.append(
            float(payment.amount) * rng.choice(spread.amount_ratios, config.paths)[inside]
        )
    if not rows:
        return None
    flat = np.concatenate(rows) * horizon + np.concatenate(days)
    drawn = np.bincount(flat, np.concatenate(amounts), minlength=config.paths * horizon)
    return np.cumsum(drawn.reshape(config.paths, horizon) - nominal, axis=1)


def interval_offsets(
    history: NDArray[np.float64],
    profile: NDArray[np.float64],
    horizon: int,
    config: ForecastConfig,
    *,
    scheduled: Sequence[ExpectedPayment] = (),
    spreads: Mapping[str, PaymentSpread] | None = None,
    today: date | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Lower and upper offsets of the balance from its expected path, per day.

    Args:
        history: Daily remainder flows, the last entry being today.
        profile: The expected remainder of the seven days after today.
        horizon: Days projected.
        config: Forecast settings (paths, interval, seed, residual window).
        scheduled: Expected payments over the horizon.
        spreads: Past spread of the series behind them (``series_spreads``); payments of other
            series are taken as certain.
        today: The day before the first projected day (needed with ``spreads``).

    Returns:
        The lower and upper quantiles of the simulated offsets, each of length ``horizon``.
    """
    if horizon == 0:
        return np.zeros(0), np.zeros(0)
    rng = np.random.default_rng(config.seed)
    paths = remainder_paths(history, profile, horizon, config, rng)
    if spreads and today is not None:
        errors = schedule_paths(scheduled, spreads, today, horizon, config, rng)
        if errors is not None:
            paths = paths + errors
    tail = (1 - config.interval) / 2
    low, high = np.quantile(paths, [tail, 1 - tail], axis=0)
    return low, high
