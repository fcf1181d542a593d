"""Savings goals: the chance of reaching a goal by its date, and what it takes.

Monthly net saving
    A month's net saving is the sum of every transaction in it, on every account: income less
    spending, loan payments, fees. Transfers between the household's own accounts cancel out, so
    this is the month's change in the ledger's combined balance (cash less card debt) and needs
    no categories. Money moved to an account outside the ledger counts as gone, so the figure
    errs low unless savings accounts are imported too. Only whole months count: the first month
    unless the history starts in its first ``start_slack_days`` days, and the current month,
    which is not over.

Simulation
    Future months are drawn by a Bayesian bootstrap of the past months: each simulated path
    draws Dirichlet(1, ..., 1) weights over the history, then its months from the history with
    those weights (optionally in circular blocks of ``block_months`` consecutive months).
    Resampling real months keeps their skew (annual bills, holiday spending, bonus months) that a
    fitted normal would smooth away; the per-path weights add the uncertainty of the average
    itself, which a plain bootstrap of 12 months leaves out (its 80% ranges held only 68% of
    realized outcomes on the tuning households, against 81% with the weights; see
    ``benchmarks/goal_calibration_bench.py``).
    The goal's balance starts at ``current`` and moves by ``share`` of each month's net saving
    plus any extra monthly saving; it cannot fall below zero. Contributions land at month ends;
    the month already under way counts for the share of its days still to come. The draws come
    from ``numpy.random.Generator(seed)`` once per check and are reused for every extra amount
    tried (common random numbers), so the probability only grows with the extra saving and
    bisection on it is exact on those paths.

Outputs
    The probability of holding the target on the target date with a Wilson 95% interval, the
    extra monthly saving (cents, rounded up) that reaches a chosen probability, and milestone
    dates: when half of the simulated paths have reached 25/50/75/100% of the target.
"""

from __future__ import annotations

import calendar
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

import numpy as np

from budgetlm.analytics.records import Txn
from budgetlm.analytics.saving_paths import (
    Floats,
    balances,
    bootstrap_paths,
    extra_needed,
    final_balances,
)
from budgetlm.analytics.schedule import add_months
from budgetlm.money import cents, format_money

if TYPE_CHECKING:
    from budgetlm.ledger.repository import Ledger

Z_95 = 1.959963984540054
"""Standard normal quantile for a two-sided 95% interval."""
MILESTONES = (0.25, 0.5, 0.75, 1.0)
"""Shares of the target whose dates are reported."""

GoalStatus = Literal["on_track", "at_risk", "reached", "past_due", "no_history"]
"""``on_track``: the chance reaches the chosen probability; ``at_risk``: it does not."""


@dataclass(frozen=True)
class GoalConfig:
    """Knobs of a goal check."""

    probability: float = 0.9
    """Chance of success the suggested monthly saving aims for."""
    simulations: int = 10_000
    """Simulated futures."""
    seed: int = 0
    """Seed of the random draws; the same seed gives the same answer."""
    block_months: int = 1
    """Length of the bootstrap blocks of consecutive past months. 1 (single months) was best
    calibrated on the tuning households; longer blocks gave too narrow ranges there."""
    bayesian: bool = True
    """Let each path draw its own weights over the past months (see ``bootstrap_paths``)."""
    min_history_months: int = 3
    """Fewer whole months of history than this and no simulation is attempted."""
    horizon_months: int = 120
    """Simulate at least this far ahead, so milestones after the target date get dates too."""
    share: float = 1.0
    """Share of the household's net saving that goes to this goal."""
    extra_monthly: float = 0.0
    """Saving added every month on top of the household's past pattern (a what-if)."""
    start_slack_days: int = 3
    """The first month counts if the history starts within this many days of its start."""

    def __post_init__(self) -> None:
        if not 0 < self.probability < 1:
            raise ValueError("the probability sought must be between 0 and 1")
        if self.simulations < 1 or self.block_months < 1:
            raise ValueError("simulations and block length must be positive")


@dataclass(frozen=True)
class SavingsGoal:
    """A goal as the engine reads it (the ledger's ``Goal`` or a ``SynthGoal``)."""

    name: str
    """What the money is for."""
    target: Decimal
    """Amount to reach."""
    target_date: date
    """When it is needed."""
    current: Decimal
    """Saved so far."""


@dataclass(frozen=True)
class MonthlySaving:
    """Net saving of one whole month."""

    month: date
    """First day of the month."""
    amount: Decimal
    """Sum of the month's transactions (see the module docstring)."""


@dataclass(frozen=True)
class Interval:
    """A probability with its 95% confidence interval."""

    estimate: float
    """Share of simulated paths that succeed."""
    low: float
    """Lower bound (Wilson score interval)."""
    high: float
    """Upper bound."""


@dataclass(frozen=True)
class Milestone:
    """When a share of the target is reached."""

    share: float
    """0.25, 0.5, 0.75 or 1.0."""
    amount: Decimal
    """That share of the target."""
    date: date | None
    """Month end by which half the paths have reached it (today if already there); None when
    fewer than half reach it within the simulated horizon."""


@dataclass(frozen=True)
class GoalCheck:
    """Where a goal stands."""

    goal: SavingsGoal
    """The goal checked."""
    status: GoalStatus
    """Summary of the outcome."""
    message: str
    """One plain sentence for people."""
    months_left: int
    """Month ends between today and the target date."""
    history_months: int
    """Whole months of history the simulation drew from."""
    mean_monthly_saving: Decimal | None
    """Average net saving per month of the history (None without history)."""
    probability: Interval | None
    """Chance of holding the target on the target date; None when nothing was simulated."""
    extra_monthly_needed: Decimal | None
    """Extra saving per month that lifts the chance to ``config.probability`` (0 if already)."""
    median_at_target: Decimal | None
    """Median simulated balance on the target date."""
    milestones: tuple[Milestone, ...]
    """Dates of the 25/50/75/100% milestones."""
    notes: tuple[str, ...] = ()
    """Warnings, e.g. a household that spends more than it earns."""


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> Interval:
    """Wilson score interval for a binomial proportion (90 of 100 -> 0.826 to 0.945)."""
    if trials <= 0:
        raise ValueError("the number of trials must be positive")
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return Interval(p, low, high)


def month_end(day: date) -> date:
    """Last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def monthly_net_saving(
    transactions: Iterable[Txn], today: date, start_slack_days: int = 3
) -> tuple[MonthlySaving, ...]:
    """Net saving of every whole month of the history up to ``today``, oldest first.

    Months after the latest transaction are left out: a ledger not updated lately has no data
    for them.
    """
    totals: dict[date, Decimal] = defaultdict(Decimal)
    days = [t.date for t in transactions if t.date <= today]
    for t in transactions:
        if t.date <= today:
            totals[t.date.replace(day=1)] += t.amount
    if not days:
        return ()
    earliest = min(days)
    first = earliest.replace(day=1)
    if earliest.day > 1 + start_slack_days:
        first = add_months(first, 1)
    last = today.replace(day=1) if today != month_end(today) else add_months(today, 1)
    # A ledger not updated lately has no data for its last months, not months of zero saving.
    last = min(last, add_months(max(days), 1))
    months = []
    while first < last:
        months.append(MonthlySaving(first, totals.get(first, Decimal(0))))
        first = add_months(first, 1)
    return tuple(months)


def _months_until(today: date, until: date) -> list[date]:
    """Month ends after ``today`` up to and including ``until``."""
    ends = []
    day = month_end(today) if today != month_end(today) else month_end(today + timedelta(days=1))
    while day <= until:
        ends.append(day)
        day = month_end(day + timedelta(days=1))
    return ends


def _milestones(
    goal: SavingsGoal, balances: Floats, ends: list[date], today: date
) -> tuple[Milestone, ...]:
    out = []
    for share in MILESTONES:
        amount = cents(goal.target * Decimal(repr(share)))
        if goal.current >= amount:
            out.append(Milestone(share, amount, today))
            continue
        reached = balances >= float(amount) - 0.005
        first = np.where(reached.any(axis=1), reached.argmax(axis=1), len(ends))
        median = int(np.sort(first)[(len(first) - 1) // 2])
        out.append(Milestone(share, amount, ends[median] if median < len(ends) else None))
    return tuple(out)


def _notes(history: Sequence[MonthlySaving], mean: Decimal) -> tuple[str, ...]:
    notes = []
    if mean < 0:
        notes.append(
            f"The household spent more than it earned: {format_money(mean)} a month on average, "
            "so the goal only grows with extra saving."
        )
    values = np.array([float(m.amount) for m in history])
    if len(values) >= 6:
        slope = float(np.polyfit(np.arange(len(values)), values, 1)[0])
        if slope < 0 and -slope * len(values) > max(float(values.std()), 1.0):
            notes.append(
                f"Monthly saving has been falling by about {format_money(cents(-slope))} a month; "
                "the simulation replays past months, so it may be optimistic."
            )
    return tuple(notes)


def check_goal(
    goal: SavingsGoal,
    transactions: Sequence[Txn],
    today: date,
    config: GoalConfig | None = None,
) -> GoalCheck:
    """Simulate the household's saving to judge one goal.

    Args:
        goal: The goal.
        transactions: The household's history (every account).
        today: The check's date; months after it are simulated.
        config: Probability sought, simulations, seed and bootstrap settings.
    """
    return check_goals([goal], transactions, today, config)[0]


def check_goals(
    goals: Sequence[SavingsGoal],
    transactions: Sequence[Txn],
    today: date,
    config: GoalConfig | None = None,
) -> list[GoalCheck]:
    """``check_goal`` for several goals on one simulation of the household's future.

    Paths are drawn month by month, so a goal gets the same answer alone or with others, and
    the simulation (most of the cost) runs once.
    """
    config = config or GoalConfig()
    history = monthly_net_saving(transactions, today, config.start_slack_days)
    flows: Floats | None = None
    if goals and len(history) >= max(1, config.min_history_months):
        longest = max(max(len(_horizon(today, g, config)) for g in goals), 1)
        flows = _future_flows(history, longest, today, config)
    return [_check(goal, history, flows, today, config) for goal in goals]


def _horizon(today: date, goal: SavingsGoal, config: GoalConfig) -> list[date]:
    """Month ends simulated for ``goal``: to its date, and at least ``horizon_months``."""
    months_left = len(_months_until(today, goal.target_date))
    return _months_until(today, add_months_end(today, max(months_left, config.horizon_months)))


def _check(
    goal: SavingsGoal,
    history: Sequence[MonthlySaving],
    paths: Floats | None,
    today: date,
    config: GoalConfig,
) -> GoalCheck:
    """One goal against the simulated monthly flows ``paths`` (None: too little history)."""
    months_left = len(_months_until(today, goal.target_date))
    mean = _mean(history)
    if goal.current >= goal.target:
        return _without_simulation(goal, "reached", "The goal is already reached.", history, today)
    if paths is None or mean is None:
        message = (
            f"Not enough history to simulate: {len(history)} whole month(s) of transactions, "
            f"at least {config.min_history_months} needed."
        )
        return _without_simulation(goal, "no_history", message, history, today)
    horizon = _horizon(today, goal, config)
    flows = paths[:, : len(horizon)]
    current, target = float(goal.current), float(goal.target)
    milestones = _milestones(goal, balances(current, flows), horizon, today)
    notes = _notes(history, mean)
    if months_left == 0:
        message = f"The target date {goal.target_date} has passed and the goal was not reached."
        return GoalCheck(
            goal, "past_due", message, 0, len(history), mean, None, None, None, milestones, notes
        )
    window = flows[:, :months_left]
    final = final_balances(current, np.cumsum(window, axis=1))
    chance = wilson_interval(int((final >= target - 0.005).sum()), config.simulations)
    extra = extra_needed(current, window, target, config.probability)
    median = cents(float(np.median(final)))
    on_track = chance.estimate >= config.probability
    shown = format_money(goal.target)
    message = f"{chance.estimate:.0%} chance of reaching {shown} by {goal.target_date}"
    if not on_track:
        message += (
            f"; saving {format_money(extra)} more a month lifts it to {config.probability:.0%}"
        )
    status: GoalStatus = "on_track" if on_track else "at_risk"
    return GoalCheck(
        goal, status, message + ".", months_left, len(history), mean, chance, extra, median,
        milestones, notes,
    )  # fmt: skip


def _future_flows(
    history: Sequence[MonthlySaving], months: int, today: date, config: GoalConfig
) -> Floats:
    """What each simulated month adds to the goal, shape ``(simulations, months)``."""
    rng = np.random.default_rng(config.seed)
    flows = bootstrap_paths([float(m.amount) for m in history], months, config, rng)
    flows *= config.share
    flows[:, 0] *= _first_month_weight(today)
    flows += config.extra_monthly
    return flows


def _mean(history: Sequence[MonthlySaving]) -> Decimal | None:
    if not history:
        return None
    return cents(sum((m.amount for m in history), Decimal(0)) / len(history))


def add_months_end(day: date, months: int) -> date:
    """Month end ``months`` months after ``day``'s month."""
    return month_end(add_months(day, months))


def _first_month_weight(today: date) -> float:
    """Share of the first simulated month still to come (1 when today is a month end)."""
    end = month_end(today)
    if today == end:
        return 1.0
    return (end - today).days / end.day


def _without_simulation(
    goal: SavingsGoal,
    status: GoalStatus,
    message: str,
    history: Sequence[MonthlySaving],
    today: date,
) -> GoalCheck:
    reached = status == "reached"
    milestones = tuple(
        Milestone(s, amount, today if goal.current >= amount else None)
        for s in MILESTONES
        for amount in [cents(goal.target * Decimal(repr(s)))]
    )
    return GoalCheck(
        goal, status, message, len(_months_until(today, goal.target_date)), len(history),
        _mean(history), Interval(1.0, 1.0, 1.0) if reached else None,
        Decimal(0) if reached else None, goal.current if reached else None, milestones,
    )  # fmt: skip


def ledger_goals(ledger: Ledger) -> list[SavingsGoal]:
    """The savings goals a ledger workspace holds."""
    return [SavingsGoal(g.name, g.target, g.target_date, g.current) for g in ledger.goals()]
