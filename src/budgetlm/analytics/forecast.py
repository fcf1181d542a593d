"""Cash-flow forecast: the daily balance of the cash accounts over the coming weeks.

The projection has two parts:

* **Scheduled payments** — the known recurring schedule (rent, paychecks, bills), passed in as
  ``ExpectedPayment`` records (``analytics.recurring.expected_payments`` makes them). They land on
  their dates with their expected amounts.
* **Day-to-day remainder** — everything else that moves the cash accounts (groceries, dining,
  cash withdrawals, refunds, irregular income), forecast statistically: a level (the mean daily
  net flow of recent weeks) plus a shrunken day-of-week profile. Extreme days are winsorized when
  estimating, so one large purchase does not set the whole forecast.

Which accounts are "the balance"
    By default the ``checking`` accounts: the cash that is available to spend and that bills are
    drawn from. Credit-card purchases do not move it until the card payment leaves checking, so
    counting card purchases as well would count them twice; they are left out. Transfers to
    savings leave checking and are counted as outflows (the money is no longer available to
    spend); set ``ForecastConfig.cash_account_types`` to ``("checking", "savings")`` to treat both
    as one pot, where transfers between them net out.

Prediction intervals
    Simulated paths (``analytics.forecast_paths``): whole weeks of past residuals of the
    remainder, added up, plus the errors of the scheduled payments when the series behind them
    are given — each payment moved by a day offset and scaled by an amount ratio drawn from its
    series' own past payments. The bounds are quantiles of the paths, so they widen with the
    horizon. The random generator is seeded (``ForecastConfig.seed``): the same input gives the
    same output. A schedule given without its series is taken as certain.

Rounding
    Each day's expected remainder is rounded to cents (ROUND_HALF_UP) before it is added up, so
    every expected balance is the exact Decimal sum of the opening balance, the scheduled
    payments and the rounded daily remainders before it. Bounds are rounded the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from budgetlm.analytics.forecast_paths import WEEK as WEEK
from budgetlm.analytics.forecast_paths import interval_offsets, series_spreads
from budgetlm.analytics.records import Account, ExpectedPayment, RecurringSeries, Txn
from budgetlm.money import cents, format_money

Method = Literal["weekday_profile", "flat_mean", "no_history"]
"""How the day-to-day remainder was forecast: the full model, a flat mean for short histories,
or nothing (no history at all)."""

WarningKind = Literal["below_zero", "below_threshold", "may_go_below_zero"]
"""Expected balance below zero, expected balance below the user's threshold, or only the lower
bound of the interval below zero."""


@dataclass(frozen=True)
class ForecastConfig:
    """Settings of the cash-flow forecast (defaults tuned on households with seeds 100-199)."""

    cash_account_types: tuple[str, ...] = ("checking",)
    """Account types whose total is "the balance" (see the module docstring)."""
    level_weeks: int = 52
    """Weeks of history behind the level (mean daily net flow of the remainder); a long window
    wins because day-to-day flows are noisy and their level changes slowly."""
    profile_weeks: int = 26
    """Weeks of history behind the day-of-week profile."""
    weekday_prior_weeks: float = 2.0
    """Shrinkage of the day-of-week profile: with ``w`` weeks of data, a weekday keeps
    ``w / (w + weekday_prior_weeks)`` of its deviation from the mean, so a profile from a few
    weeks stays close to flat."""
    winsor_quantile: float = 0.99
    """Daily flows beyond this quantile (and below its mirror) are clipped when estimating the
    level and profile, once there are enough days for each tail to hold one; 1 disables it."""
    residual_weeks: int = 26
    """Weeks of past residuals that the interval simulation draws from."""
    schedule_spread_payments: int = 12
    """Latest past payments of each scheduled series whose day offsets and amounts the
    interval simulation draws from."""
    min_history_days: int = 14
    """Fewer days of history than this: forecast a flat mean and say so."""
    interval: float = 0.8
    """Coverage of the prediction interval (0.8: the 10th to the 90th percentile)."""
    paths: int = 2000
    """Number of simulated paths behind the interval."""
    seed: int = 0
    """Seed of the path simulation."""


@dataclass(frozen=True)
class ForecastDay:
    """One projected day."""

    date: date
    """The day."""
    expected_balance: Decimal
    """Projected balance at the end of the day."""
    lower: Decimal
    """Lower bound of the prediction interval of the balance."""
    upper: Decimal
    """Upper bound of the prediction interval of the balance."""
    day_to_day: Decimal
    """Expected net flow of the unscheduled remainder that day."""
    scheduled: tuple[ExpectedPayment, ...] = ()
    """Scheduled payments due that day."""

    @property
    def scheduled_total(self) -> Decimal:
        """Sum of the scheduled payments that day."""
        return sum((p.amount for p in self.scheduled), Decimal(0))


@dataclass(frozen=True)
class BalanceWarning:
    """The balance is projected to fall below a line."""

    kind: WarningKind
    """Which line is crossed, and by the expected balance or only by the lower bound."""
    date: date
    """First day on which it is crossed."""
    balance: Decimal
    """The expected balance (or lower bound, for ``may_go_below_zero``) that day."""
    line: Decimal
    """The line crossed: zero or the threshold."""
    payments: tuple[ExpectedPayment, ...]
    """Scheduled outflows due that day (empty: day-to-day spending drifts it below)."""
    message: str
    """One sentence for people."""


@dataclass(frozen=True)
class Forecast:
    """A projection of the cash balance, day by day."""

    today: date
    """The day the projection starts after (its balance is the opening balance)."""
    opening_balance: Decimal
    """Balance of the cash accounts at the end of ``today``."""
    interval: float
    """Coverage of the ``lower``/``upper`` bounds."""
    days: tuple[ForecastDay, ...]
    """One entry per projected day, starting the day after ``today``."""
    minimum_balance: Decimal
    """Lowest expected balance over the horizon (the opening balance when nothing is lower)."""
    minimum_date: date
    """First day with that lowest balance (``today`` when it is the opening balance)."""
    warnings: tuple[BalanceWarning, ...]
    """Projected shortfalls, most serious first."""
    method: Method
    """How the day-to-day remainder was forecast."""
    history_days: int
    """Days of history the remainder model saw."""
    notes: tuple[str, ...] = field(default=())
    """Caveats for people (short or empty history)."""


def cash_account_names(accounts: Iterable[Account], config: ForecastConfig) -> frozenset[str]:
    """Names of the accounts whose total is "the balance"."""
    return frozenset(a.name for a in accounts if a.account_type in config.cash_account_types)


def balance_on(
    transactions: Iterable[Txn], accounts: Iterable[Account], today: date, config: ForecastConfig
) -> Decimal:
    """Balance of the cash accounts at the end of ``today``.

    ``Account.balance`` is the balance after the last transaction, so transactions dated after
    ``today`` (a ledger viewed as of an earlier day) are taken back out.
    """
    accounts = list(accounts)
    cash = cash_account_names(accounts, config)
    later = sum(
        (t.amount for t in transactions if t.account in cash and t.date > today), Decimal(0)
    )
    return sum((a.balance for a in accounts if a.name in cash), Decimal(0)) - later


def daily_remainder(
    transactions: Iterable[Txn],
    today: date,
    cash_accounts: frozenset[str],
    recurring_ids: frozenset[str],
    days: int,
) -> NDArray[np.float64]:
    """Daily net flow of the cash accounts outside the recurring schedule, oldest day first.

    Covers at most ``days`` days ending with ``today``, and never days before the first
    transaction of the history (any account), which were not observed.
    """
    txns = [t for t in transactions if t.date <= today]
    if not txns:
        return np.zeros(0)
    first = max(min(t.date for t in txns), today - timedelta(days=days - 1))
    flow = np.zeros((today - first).days + 1)
    for t in txns:
        if t.date >= first and t.account in cash_accounts and t.id not in recurring_ids:
            flow[(t.date - first).days] += float(t.amount)
    return flow


def _winsorize(values: NDArray[np.float64], quantile: float) -> NDArray[np.float64]:
    # Clip only when each tail holds at least one whole day; on a few days it would bite the
    # ordinary ones.
    if quantile >= 1 or values.size * (1 - quantile) < 1:
        return values
    low, high = np.quantile(values, [1 - quantile, quantile])
    return np.clip(values, low, high)


def remainder_profile(
    history: NDArray[np.float64], config: ForecastConfig
) -> tuple[NDArray[np.float64], Method]:
    """Expected remainder for the seven days after the history (index 0 = the next day).

    Args:
        history: Daily remainder flows, the last entry being today.
        config: Forecast settings.

    Returns:
        The weekly profile and the method used (flat mean for short histories).
    """
    if history.size == 0:
        return np.zeros(WEEK), "no_history"
    level_days = history[-config.level_weeks * WEEK :]
    level = float(_winsorize(level_days, config.winsor_quantile).mean())
    if history.size < max(config.min_history_days, 2 * WEEK):
        return np.full(WEEK, level), "flat_mean"
    weeks = min(config.profile_weeks, history.size // WEEK)
    recent = _winsorize(history[-weeks * WEEK :], config.winsor_quantile)
    # Row k of the reshaped window holds one week; column j has the weekday of today + 1 + j.
    by_weekday = recent.reshape(weeks, WEEK).mean(axis=0)
    weight = weeks / (weeks + config.weekday_prior_weeks)
    return level + weight * (by_weekday - by_weekday.mean()), "weekday_profile"


def forecast_balance(
    transactions: Sequence[Txn],
    accounts: Sequence[Account],
    today: date,
    days: int,
    *,
    scheduled: Sequence[ExpectedPayment],
    recurring_ids: frozenset[str],
    series: Sequence[RecurringSeries] = (),
    threshold: Decimal | None = None,
    opening_balance: Decimal | None = None,
    config: ForecastConfig | None = None,
) -> Forecast:
    """Project the cash balance for ``days`` days after ``today``.

    Args:
        transactions: The history (later transactions are ignored, except to work out the
            opening balance from the accounts' final balances).
        accounts: The household's accounts; ``config.cash_account_types`` picks "the balance".
        today: Last day of known history.
        days: Horizon in days (at least 1).
        scheduled: Expected recurring payments on the cash accounts (others are the caller's
            to leave out); those outside the horizon are ignored.
        recurring_ids: ``Txn.id`` of past payments of the scheduled series, which are therefore
            left out of the day-to-day remainder.
        series: The series behind ``scheduled``: how far their past payments strayed from
            their due dates and amounts widens the interval. Without them (or for payments of
            other series) the schedule is taken as certain.
        threshold: Warn when the expected balance falls below this amount (besides zero).
        opening_balance: Balance at the end of ``today``; by default worked out from
            ``accounts`` and ``transactions``.
        config: Settings; defaults to ``ForecastConfig()``.

    Returns:
        The day-by-day projection with its minimum and warnings.

    Raises:
        ValueError: ``days`` is below 1.
    """
    config = config or ForecastConfig()
    if days < 1:
        raise ValueError("the horizon must be at least one day")
    if opening_balance is None:
        opening_balance = balance_on(transactions, accounts, today, config)
    window = max(config.level_weeks, config.profile_weeks, config.residual_weeks) * WEEK
    cash = cash_account_names(accounts, config)
    history = daily_remainder(transactions, today, cash, recurring_ids, window)
    profile, method = remainder_profile(history, config)
    spreads = series_spreads(series, transactions, today, config.schedule_spread_payments)
    low, high = interval_offsets(
        history, profile, days, config, scheduled=scheduled, spreads=spreads, today=today
    )
    projected = _project(today, days, opening_balance, profile, low, high, scheduled)
    minimum = min(projected, key=lambda d: d.expected_balance)
    if minimum.expected_balance >= opening_balance:
        minimum_balance, minimum_date = opening_balance, today
    else:
        minimum_balance, minimum_date = minimum.expected_balance, minimum.date
    return Forecast(
        today=today,
        opening_balance=opening_balance,
        interval=config.interval,
        days=projected,
        minimum_balance=minimum_balance,
        minimum_date=minimum_date,
        warnings=shortfall_warnings(projected, threshold),
        method=method,
        history_days=int(history.size),
        notes=_notes(history, method),
    )


def _project(
    today: date,
    days: int,
    opening: Decimal,
    profile: NDArray[np.float64],
    low: NDArray[np.float64],
    high: NDArray[np.float64],
    scheduled: Sequence[ExpectedPayment],
) -> tuple[ForecastDay, ...]:
    due: dict[date, list[ExpectedPayment]] = {}
    for payment in sorted(scheduled, key=lambda p: (p.date, p.amount)):
        due.setdefault(payment.date, []).append(payment)
    balance = opening
    out = []
    for k in range(days):
        day = today + timedelta(days=k + 1)
        flow = cents(float(profile[k % WEEK]))
        payments = tuple(due.get(day, ()))
        balance += flow + sum((p.amount for p in payments), Decimal(0))
        lower = min(balance, cents(float(low[k])) + balance)
        upper = max(balance, cents(float(high[k])) + balance)
        out.append(ForecastDay(day, balance, lower, upper, flow, payments))
    return tuple(out)


def shortfall_warnings(
    days: Sequence[ForecastDay], threshold: Decimal | None
) -> tuple[BalanceWarning, ...]:
    """Warnings for the first day the balance falls below zero or the threshold."""
    found: list[BalanceWarning] = []
    zero = Decimal(0)
    if below := next((d for d in days if d.expected_balance < 0), None):
        found.append(_warning("below_zero", below, below.expected_balance, zero))
    elif risky := next((d for d in days if d.lower < 0), None):
        found.append(_warning("may_go_below_zero", risky, risky.lower, zero))
    line = threshold if threshold is not None and threshold > 0 else None
    if line is not None and (
        crossing := next((d for d in days if d.expected_balance < line), None)
    ):
        found.append(_warning("below_threshold", crossing, crossing.expected_balance, line))
    return tuple(found)


def _warning(
    kind: WarningKind, day: ForecastDay, balance: Decimal, line: Decimal
) -> BalanceWarning:
    payments = tuple(p for p in day.scheduled if p.amount < 0)
    what = {
        "below_zero": "is projected below zero",
        "below_threshold": f"is projected below {format_money(line)}",
        "may_go_below_zero": "may fall below zero (lower bound of the interval)",
    }[kind]
    if payments:
        due = ", ".join(f"{_label(p)} {format_money(p.amount)}" for p in payments)
        cause = f"when {due} {'is' if len(payments) == 1 else 'are'} due"
    else:
        cause = "as day-to-day spending adds up"
    message = f"Balance {what} on {day.date:%Y-%m-%d} ({format_money(balance)}), {cause}."
    return BalanceWarning(kind, day.date, balance, line, payments, message)


def _label(payment: ExpectedPayment) -> str:
    """The payee, shortened: ledgers without clean payees carry whole bank lines."""
    return payment.payee if len(payment.payee) <= 40 else payment.payee[:39] + "…"


def _notes(history: NDArray[np.float64], method: Method) -> tuple[str, ...]:
    if method == "no_history":
        return ("No transaction history: only scheduled payments are projected.",)
    notes = []
    if method == "flat_mean":
        notes.append(
            f"Only {history.size} days of history: day-to-day spending is projected as a flat "
            "daily average and the interval is rough."
        )
    if not history.any():
        notes.append("No day-to-day cash flow in the history: only scheduled payments move it.")
    elif np.count_nonzero(history) < history.size / 4:
        notes.append(
            "Day-to-day cash flow is sparse (most days have none): the daily path is an "
            "average and single days will differ."
        )
    return tuple(notes)


def recurring_schedule(
    transactions: Sequence[Txn],
    accounts: Iterable[Account],
    today: date,
    days: int,
    config: ForecastConfig | None = None,
    series: Sequence[RecurringSeries] | None = None,
) -> tuple[frozenset[str], tuple[ExpectedPayment, ...], tuple[RecurringSeries, ...]]:
    """The recurring schedule of the cash accounts, found by ``analytics.recurring``.

    Args:
        transactions: The history.
        accounts: Its accounts.
        today: Last day of history.
        days: Days projected.
        config: Which accounts hold the cash.
        series: What ``find_recurring`` found in the history, when the caller already ran it.

    Returns:
        The ids of the series' past payments, their expected payments over the ``days``
        days after ``today``, and the series (those on the cash accounts).
    """
    from budgetlm.analytics.recurring import expected_payments, find_recurring

    cash = cash_account_names(accounts, config or ForecastConfig())
    if series is None:
        series = find_recurring(transactions, today)
    on_cash = tuple(s for s in series if s.account in cash)
    ids = frozenset(i for s in on_cash for i in s.transaction_ids)
    start, end = today + timedelta(days=1), today + timedelta(days=days)
    return ids, tuple(expected_payments(on_cash, start, end)), on_cash


def forecast_history(
    transactions: Sequence[Txn],
    accounts: Sequence[Account],
    today: date,
    days: int,
    *,
    threshold: Decimal | None = None,
    config: ForecastConfig | None = None,
    series: Sequence[RecurringSeries] | None = None,
) -> Forecast:
    """``forecast_balance`` with the schedule that ``analytics.recurring`` finds in the history
    (or ``series``, when the caller already found them)."""
    ids, scheduled, found = recurring_schedule(transactions, accounts, today, days, config, series)
    return forecast_balance(
        transactions,
        accounts,
        today,
        days,
        scheduled=scheduled,
        recurring_ids=ids,
        series=found,
        threshold=threshold,
        config=config,
    )
