"""Rolling-origin backtest of the cash-flow forecast against a weekly seasonal-naive baseline.

For each synthetic household and each origin ``T`` (every ``step_days`` over the last
``window_days`` of its history), the forecast sees only transactions up to ``T`` and projects
``horizon`` days. It is scored against what the household's cash accounts really did.

Schedules
    ``oracle``: the ground truth: past payments of the household's recurring series are the
    recurring ids and their real future payments (dates and amounts) the schedule. Irregular
    series (gig payouts) count as day-to-day flow, since nobody can schedule them.
    ``detected``: what ``analytics.recurring`` finds in the history up to ``T`` and the payments
    it expects; this is what a user gets. The series go to the forecast too, so the spread of
    their past dates and amounts widens the interval (the oracle's payments are certain).

Errors
    The target is the daily net flow of the cash accounts. Forecast and baseline share the
    schedule and differ in the day-to-day remainder: ours is ``forecast_balance``; the baseline
    repeats the remainder of the last seven days (seasonal naive, m = 7). The MASE of a forecast
    is its mean absolute daily error divided by the in-sample seasonal-naive MAE of the remainder
    history (the last ``ForecastConfig.level_weeks`` weeks). The *relative MASE* of a household
    is the sum of our MASE over its origins divided by the baseline's: below 1 means we beat it.

Degenerate cases
    MASE is meaningless when the scale is zero (a remainder that repeats exactly every week, e.g.
    all zero) or rests on too little data (under ``min_scale_days`` of history). Such origins are
    excluded from MASE and counted (``OriginResult.mase`` is None); their balance errors are still
    reported.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from budgetlm.analytics.forecast import (
    WEEK,
    ForecastConfig,
    cash_account_names,
    daily_remainder,
    forecast_balance,
    recurring_schedule,
)
from budgetlm.analytics.history import History, from_household
from budgetlm.analytics.records import ExpectedPayment, RecurringSeries

if TYPE_CHECKING:
    from budgetlm.ledger.synth import Household

ScheduleSource = Literal["oracle", "detected"]
Schedule = tuple[frozenset[str], tuple[ExpectedPayment, ...], tuple[RecurringSeries, ...]]
"""Recurring ids of the history, the expected payments over the horizon and the series behind
them (none for the oracle: its payments are certain)."""


@dataclass(frozen=True)
class BacktestConfig:
    """Which origins and horizons to score."""

    horizon: int = 30
    """Days projected from each origin."""
    step_days: int = 14
    """Days between origins."""
    window_days: int = 183
    """Origins lie in the last this many days of each history (horizon included)."""
    months: int = 18
    """Months of history of each generated household."""
    preset_every: int = 4
    """Every this-many seeds a preset persona (in sorted name order), otherwise a random one."""
    min_scale_days: int = 28
    """Histories shorter than this are excluded from MASE (the scale would rest on 3 weeks)."""
    schedule: ScheduleSource = "oracle"
    """Where the recurring schedule comes from."""


@dataclass(frozen=True)
class OriginResult:
    """Scores of one forecast origin."""

    seed: int
    """Household seed."""
    origin: date
    """Last day the forecast saw."""
    mase: float | None
    """Our MASE on the daily cash flow, None when excluded (degenerate scale)."""
    mase_naive: float | None
    """The seasonal-naive baseline's MASE on the same days."""
    balance_mae: float
    """Our mean absolute error of the daily balance over the horizon."""
    balance_mae_naive: float
    """The baseline's."""
    end_error: float
    """Our absolute error of the balance on the last day."""
    end_error_naive: float
    """The baseline's."""
    covered_days: float
    """Share of days whose real balance lay inside our interval."""


def household_for_seed(seed: int, config: BacktestConfig) -> Household:
    """The evaluation household of a seed (persona chosen as ``household_rows`` does)."""
    from budgetlm.ledger.synth import PERSONAS, generate_household, random_persona

    presets = sorted(PERSONAS)
    every = config.preset_every
    persona = (
        PERSONAS[presets[(seed // every) % len(presets)]]
        if every and seed % every == 0
        else random_persona(seed)
    )
    return generate_household(persona, months=config.months, seed=seed)


def seasonal_naive(history: NDArray[np.float64], horizon: int) -> NDArray[np.float64]:
    """Repeat the last seven days (the history must hold at least seven)."""
    return np.resize(history[-WEEK:], horizon)


def naive_scale(history: NDArray[np.float64], min_days: int) -> float | None:
    """In-sample MAE of the seasonal-naive forecast (m = 7), None when degenerate.

    Degenerate: fewer than ``min_days`` (and fewer than two weeks) of history, or a zero MAE.
    """
    if history.size < max(min_days, 2 * WEEK):
        return None
    scale = float(np.mean(np.abs(history[WEEK:] - history[:-WEEK])))
    return scale if scale > 0 else None


def oracle_schedule(household: Household, history: History) -> Callable[[date, int], Schedule]:
    """Ground-truth schedule of a household: ``(origin, horizon) -> (ids, payments)``."""
    irregular = {s.id for s in household.series if s.cadence == "irregular"}
    truth = [
        (txn, household.transactions[int(txn.id)].recurring_series) for txn in history.transactions
    ]
    recurring = [(t, s) for t, s in truth if s is not None and s not in irregular]
    cash = cash_account_names(history.accounts, ForecastConfig())

    def schedule(origin: date, horizon: int) -> Schedule:
        end = origin + timedelta(days=horizon)
        ids = frozenset(t.id for t, _ in recurring if t.date <= origin)
        payments = tuple(
            ExpectedPayment(t.date, t.amount, s, t.payee, t.category)
            for t, s in recurring
            if origin < t.date <= end and t.account in cash
        )
        return ids, payments, ()

    return schedule


def detected_schedule(history: History) -> Callable[[date, int], Schedule]:
    """Schedule from ``analytics.recurring`` run on the history up to each origin."""

    def schedule(origin: date, horizon: int) -> Schedule:
        return recurring_schedule(history.transactions, history.accounts, origin, horizon)

    return schedule


def backtest_household(
    seed: int, config: BacktestConfig, forecast_config: ForecastConfig | None = None
) -> list[OriginResult]:
    """Score every origin of one household."""
    forecast_config = forecast_config or ForecastConfig()
    household = household_for_seed(seed, config)
    history = from_household(household)
    schedule = (
        oracle_schedule(household, history)
        if config.schedule == "oracle"
        else detected_schedule(history)
    )
    cash = cash_account_names(history.accounts, forecast_config)
    first = household.end - timedelta(days=config.window_days - 1)
    last = household.end - timedelta(days=config.horizon)
    origins = [
        first + timedelta(days=d) for d in range(0, (last - first).days + 1, config.step_days)
    ]
    actual = daily_remainder(history.transactions, household.end, cash, frozenset(), 100_000)
    results = []
    for origin in origins:
        ids, payments, series = schedule(origin, config.horizon)
        offset = actual.size - (household.end - origin).days
        truth = actual[offset : offset + config.horizon]
        results.append(
            _score_origin(
                seed, origin, history, (ids, payments, series), truth, config, forecast_config
            )
        )
    return results


def _score_origin(
    seed: int,
    origin: date,
    history: History,
    schedule: Schedule,
    truth: NDArray[np.float64],
    config: BacktestConfig,
    forecast_config: ForecastConfig,
) -> OriginResult:
    txns = history.transactions
    ids, payments, series = schedule
    forecast = forecast_balance(
        txns,
        history.accounts,
        origin,
        config.horizon,
        scheduled=payments,
        recurring_ids=ids,
        series=series,
        config=forecast_config,
    )
    cash = cash_account_names(history.accounts, forecast_config)
    past = daily_remainder(txns, origin, cash, ids, forecast_config.level_weeks * WEEK)
    sched = np.array([float(d.scheduled_total) for d in forecast.days])
    ours = sched + np.array([float(d.day_to_day) for d in forecast.days])
    naive = sched + (seasonal_naive(past, config.horizon) if past.size >= WEEK else ours - sched)
    scale = naive_scale(past, config.min_scale_days)
    real_path, our_path, naive_path = np.cumsum(truth), np.cumsum(ours), np.cumsum(naive)
    lower = np.array([float(d.lower - forecast.opening_balance) for d in forecast.days])
    upper = np.array([float(d.upper - forecast.opening_balance) for d in forecast.days])
    return OriginResult(
        seed=seed,
        origin=origin,
        mase=None if scale is None else float(np.mean(np.abs(ours - truth))) / scale,
        mase_naive=None if scale is None else float(np.mean(np.abs(naive - truth))) / scale,
        balance_mae=float(np.mean(np.abs(our_path - real_path))),
        balance_mae_naive=float(np.mean(np.abs(naive_path - real_path))),
        end_error=abs(float(our_path[-1] - real_path[-1])),
        end_error_naive=abs(float(naive_path[-1] - real_path[-1])),
        covered_days=float(np.mean((lower <= real_path) & (real_path <= upper))),
    )


@dataclass(frozen=True)
class BacktestSummary:
    """Scores over many households."""

    households: int
    """Households scored."""
    origins: int
    """Origins scored."""
    excluded: int
    """Origins excluded from MASE (degenerate scale)."""
    relative_mase_median: float
    """Median over households of their relative MASE (ours / seasonal naive)."""
    relative_mase_pooled: float
    """Sum of our MASE over all origins divided by the baseline's."""
    households_beating_naive: float
    """Share of households whose relative MASE is below 1."""
    balance_mae_ratio: float
    """Median over households of our balance MAE divided by the baseline's."""
    end_error_ratio: float
    """Median over households of our end-of-horizon error divided by the baseline's."""
    median_end_error: float
    """Median absolute end-of-horizon balance error of ours, in currency units."""
    coverage: float
    """Share of origin-days whose real balance lay inside our interval."""


def _ratio(ours: Sequence[float], theirs: Sequence[float]) -> float:
    return sum(ours) / sum(theirs) if sum(theirs) > 0 else float("nan")


def summarize(results_by_household: Sequence[Sequence[OriginResult]]) -> BacktestSummary:
    """Aggregate origin scores; households without any valid MASE origin are left out of it."""
    flat = [r for rs in results_by_household for r in rs]
    valid = [r for r in flat if r.mase is not None and r.mase_naive is not None]
    per_household = []
    for rs in results_by_household:
        ok = [r for r in rs if r.mase is not None and r.mase_naive is not None]
        if ok:
            per_household.append(_ratio([r.mase for r in ok], [r.mase_naive for r in ok]))  # type: ignore[misc]
    balance = [
        _ratio([r.balance_mae for r in rs], [r.balance_mae_naive for r in rs])
        for rs in results_by_household
        if rs
    ]
    ends = [
        _ratio([r.end_error for r in rs], [r.end_error_naive for r in rs])
        for rs in results_by_household
        if rs
    ]
    return BacktestSummary(
        households=len(results_by_household),
        origins=len(flat),
        excluded=len(flat) - len(valid),
        relative_mase_median=statistics.median(per_household) if per_household else float("nan"),
        relative_mase_pooled=_ratio(
            [r.mase or 0.0 for r in valid], [r.mase_naive or 0.0 for r in valid]
        ),
        households_beating_naive=float(np.mean([x < 1 for x in per_household]))
        if per_household
        else float("nan"),
        balance_mae_ratio=statistics.median(balance) if balance else float("nan"),
        end_error_ratio=statistics.median(ends) if ends else float("nan"),
        median_end_error=statistics.median(r.end_error for r in flat) if flat else float("nan"),
        coverage=float(np.mean([r.covered_days for r in flat])) if flat else float("nan"),
    )


def run_backtest(
    seeds: Sequence[int], config: BacktestConfig, forecast_config: ForecastConfig | None = None
) -> BacktestSummary:
    """Backtest every seed's household and aggregate."""
    return summarize([backtest_household(s, config, forecast_config) for s in seeds])
