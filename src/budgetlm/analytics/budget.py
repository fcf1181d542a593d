"""Budget recommendations from history, and how a month is going against its budgets.

Recommendation (``recommend_budget``)
    1. Window: the last ``months`` full calendar months before today's month that the history
       covers (a month counts once the history has started by its first day's month).
    2. Per spending category (groups ``need`` and ``want``; uncategorized outflows form one
       ``Uncategorized`` want line) the net outflow of each month, refunds netted.
    3. One-offs: a single outflow above ``one_off_ratio`` x the category's usual month (the median
       of its months with spending) and at least ``one_off_minimum`` is left out; a month that
       had nothing but one-offs is left out of the level too, instead of counting as zero.
    4. Level: the mean of the monthly totals without the ``trim_months`` highest and lowest
       months (a trimmed mean); with fewer than ``2 * trim_months + 3`` months, the plain mean.
       An occasional category (spending in fewer than half the months: car repairs, gifts) takes
       the plain mean of all months, spreading its spending as a sinking fund would.
    5. Income: the monthly income (group ``income``, net) of the window, averaged by the same
       trimmed mean, so that one bonus month does not count as the norm while the two months a
       year with a third biweekly paycheck still count in part.
    6. Budget amounts round half up to a step: whole units below 20, 5 below 100, 10 from 100
       on. Levels, income and savings are in cents, rounded half up (``cents``).
    7. Goals: each needs ``(target - current) / months left`` a month (months left: calendar
       months from today's month to the target date's, at least 1; goals already reached or
       past their date are left out, with a note). When income minus the budget leaves less
       than that (or less than zero without goals), every ``want`` line is cut by the same
       share, at most ``1 - want_floor`` of it; cut amounts round down to their step so the
       goals stay funded. Needs are never cut. If the floor is reached first, the notes say so
       with the shortfall.
    8. The totals are compared with the 50/30/20 frame (needs, wants, savings as shares of
       income) and every line explains its number.

How a month goes against its budgets is ``analytics.budget_status``. Pure functions throughout;
``today`` is an argument.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from statistics import median
from typing import Literal

from budgetlm.analytics.history import History
from budgetlm.analytics.months import (
    SPENDING_GROUPS,
    UNCATEGORIZED,
    GoalLike,
    income_by_month,
    is_spending_category,
    window_months,
)
from budgetlm.analytics.records import CategoryGroup, Txn
from budgetlm.money import cents, format_money

FRAME = {"need": Decimal("0.5"), "want": Decimal("0.3"), "savings": Decimal("0.2")}
"""The 50/30/20 frame: share of income for needs, wants and savings."""


# --- Configuration ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetConfig:
    """How budgets are recommended from history."""

    months: int = 6
    """Full months of history the levels are taken from."""
    trim_months: int = 1
    """Highest and lowest months left out of each category's mean."""
    one_off_ratio: Decimal = Decimal(3)
    """A single outflow above this multiple of the category's usual month is a one-off."""
    one_off_minimum: Decimal = Decimal(50)
    """Outflows smaller than this are never one-offs."""
    want_floor: Decimal = Decimal("0.5")
    """Wants are never cut below this share of their level to fund goals."""
    smallest_line: Decimal = Decimal(5)
    """Categories whose level is below this are too small to budget (named in the notes)."""


# --- Recommendation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OneOff:
    """A transaction left out of its category's level."""

    date: date
    amount: Decimal
    """Outflow as a positive amount."""
    payee: str


@dataclass(frozen=True)
class BudgetLine:
    """The recommended monthly budget of one category."""

    category: str
    group: CategoryGroup
    recommended: Decimal
    """Monthly budget, rounded to its step (and cut, for wants, when goals need it)."""
    level: Decimal
    """The category's usual month from history (cents), before rounding and cuts."""
    low: Decimal
    """Smallest month used for the level."""
    high: Decimal
    """Largest month used for the level."""
    months_used: int
    """Months the level was taken from."""
    one_offs: tuple[OneOff, ...]
    """Transactions left out as one-offs."""
    cut: Decimal
    """Share cut to fund goals (0 when none)."""
    explanation: str
    """Where the number comes from, in words with the figures."""


@dataclass(frozen=True)
class FrameCheck:
    """One part of the 50/30/20 frame beside the recommendation."""

    group: Literal["need", "want", "savings"]
    amount: Decimal
    """Recommended monthly amount (savings: income minus the budget)."""
    share: Decimal | None
    """``amount`` as a share of income, 4 places; None without income."""
    target_share: Decimal
    """The frame's share (0.5, 0.3, 0.2)."""
    target_amount: Decimal
    """The frame's share of income, in cents."""


@dataclass(frozen=True)
class BudgetRecommendation:
    """Recommended monthly budgets with the figures behind them."""

    month: date
    """First day of the month the budget is for (today's month)."""
    window: tuple[date, ...]
    """First days of the history months used."""
    lines: tuple[BudgetLine, ...]
    """One per category with a level of at least ``smallest_line``, needs first, then by
    amount."""
    totals: dict[str, Decimal]
    """Recommended total per group (``need``, ``want``)."""
    income: Decimal
    """Monthly income of the window (trimmed mean, as the levels)."""
    savings: Decimal
    """Income minus the recommended budget (negative when spending exceeds income)."""
    goal_need: Decimal
    """Monthly saving the goals need."""
    shortfall: Decimal
    """How much ``savings`` falls short of ``goal_need`` (0 when the goals are funded)."""
    frame: tuple[FrameCheck, ...]
    """Needs, wants and savings against 50/30/20."""
    notes: tuple[str, ...]
    """Plain remarks: income, frame, goals, cuts, categories left out."""


def budget_step(amount: Decimal) -> Decimal:
    """Budgets round to whole units below 20, to 5 below 100 and to 10 from 100 on."""
    return Decimal(1) if amount < 20 else Decimal(5) if amount < 100 else Decimal(10)


def round_budget(amount: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    """``amount`` rounded to its budget step (half up unless told otherwise)."""
    step = budget_step(amount)
    return (amount / step).quantize(Decimal(1), rounding=rounding) * step


def one_offs(txns: Sequence[Txn], monthly: dict[date, Decimal], config: BudgetConfig) -> list[Txn]:
    """Outflows far above the category's usual month (see the module docstring, step 3)."""
    spent = [v for v in monthly.values() if v > 0]
    if len(spent) < 2:
        return []
    usual = median(spent)
    limit = max(config.one_off_ratio * usual, config.one_off_minimum)
    return [t for t in txns if -t.amount > limit]


def mean_words(count: int, trim: int) -> str:
    """How ``trimmed_mean`` averaged ``count`` months, in words."""
    if trim and count >= 2 * trim + 3:
        highest = "highest and lowest" if trim == 1 else f"{trim} highest and lowest"
        return f"mean of the last {count} months without the {highest}"
    return f"mean of {count} month{'s' * (count != 1)}"


def trimmed_mean(values: Sequence[Decimal], trim: int) -> Decimal:
    """Mean without the ``trim`` highest and lowest values when at least 3 would remain."""
    ordered = sorted(values)
    if len(ordered) >= 2 * trim + 3 and trim > 0:
        ordered = ordered[trim:-trim]
    return sum(ordered, Decimal(0)) / len(ordered) if ordered else Decimal(0)


def usual_months(
    txns: Sequence[Txn], months: Sequence[date], config: BudgetConfig
) -> tuple[list[Decimal], list[Txn]]:
    """A category's monthly totals without one-offs, and the one-offs left out.

    A month whose only spending was one-offs is dropped rather than counted as zero.
    """
    raw = dict.fromkeys(months, Decimal(0))
    for t in txns:
        raw[t.date.replace(day=1)] -= t.amount
    left_out = one_offs(txns, raw, config)
    left_ids = {t.id for t in left_out}
    for t in left_out:
        raw[t.date.replace(day=1)] += t.amount
    kept_months = {t.date.replace(day=1) for t in txns if t.id not in left_ids}
    dropped = {t.date.replace(day=1) for t in left_out} - kept_months
    return [max(v, Decimal(0)) for m, v in raw.items() if m not in dropped], left_out


def _level_line(
    category: str, group: CategoryGroup, txns: Sequence[Txn], months: Sequence[date],
    config: BudgetConfig,
) -> BudgetLine:  # fmt: skip
    values, left_out = usual_months(txns, months, config)
    occasional = 2 * sum(1 for v in values if v > 0) < len(values)
    trim = 0 if occasional else config.trim_months
    level = cents(trimmed_mean(values, trim))
    low, high = min(values, default=Decimal(0)), max(values, default=Decimal(0))
    n = len(values)
    how = mean_words(n, trim)
    if occasional:
        how = f"occasional, spread over every month: {how}"
    text = f"{how} {format_money(level)} (range {format_money(low)}–{format_money(high)})"
    for t in left_out:
        text += f"; left out one-off {format_money(-t.amount)} at {t.payee} on {t.date}"
    if len(months) < config.months:
        text += f"; only {len(months)} months of history"
    recommended = round_budget(level)
    if recommended != level:
        text += f"; rounded to {format_money(recommended)}"
    offs = tuple(OneOff(t.date, -t.amount, t.payee) for t in left_out)
    return BudgetLine(category, group, recommended, level, low, high, n, offs, Decimal(0), text)


def months_left(today: date, target: date) -> int:
    """Calendar months from today's month to the target's, at least 1."""
    return max(1, (target.year - today.year) * 12 + target.month - today.month)


def goal_need(goals: Iterable[GoalLike], today: date) -> tuple[Decimal, list[str]]:
    """Monthly saving the goals need, and a note per goal."""
    need, notes = Decimal(0), []
    for g in goals:
        missing = g.target - g.current
        if missing <= 0:
            notes.append(f"Goal {g.name} is reached ({format_money(g.current)}).")
        elif g.target_date < today:
            notes.append(
                f"Goal {g.name} passed its date {g.target_date} with {format_money(missing)} "
                "to go; set a new date to include it."
            )
        else:
            left = months_left(today, g.target_date)
            monthly = cents(missing / left)
            need += monthly
            notes.append(
                f"Goal {g.name} needs {format_money(monthly)} a month "
                f"({format_money(missing)} over {left} months)."
            )
    return need, notes


def _cut_wants(
    lines: list[BudgetLine], gap: Decimal, why: str, config: BudgetConfig
) -> tuple[list[BudgetLine], Decimal]:
    """Cut every want by the same share to free ``gap``; returns the lines and the share."""
    wants = sum((b.recommended for b in lines if b.group == "want"), Decimal(0))
    if wants <= 0:
        return lines, Decimal(0)
    share = min(gap / wants, 1 - config.want_floor)
    shown = (share * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    out = []
    for b in lines:
        if b.group != "want":
            out.append(b)
            continue
        amount = round_budget(b.recommended * (1 - share), ROUND_FLOOR)
        text = f"{b.explanation}; cut {shown}% {why} ({format_money(b.recommended)} → "
        text += f"{format_money(amount)})"
        out.append(replace(b, recommended=amount, cut=share, explanation=text))
    return out, share


def _frame(
    income: Decimal, need: Decimal, want: Decimal, savings: Decimal
) -> tuple[FrameCheck, ...]:
    amounts = {"need": need, "want": want, "savings": savings}
    return tuple(
        FrameCheck(
            group,  # type: ignore[arg-type]
            amounts[group],
            (amounts[group] / income).quantize(Decimal("0.0001"), ROUND_HALF_UP)
            if income > 0
            else None,
            share,
            cents(income * share),
        )
        for group, share in FRAME.items()
    )


def recommend_budget(
    history: History,
    today: date,
    goals: Iterable[GoalLike] = (),
    config: BudgetConfig = BudgetConfig(),
) -> BudgetRecommendation:
    """Recommend monthly budgets from a household's history and goals.

    Args:
        history: The household's transactions and accounts.
        today: The budget is for this date's month; history up to the month before is used.
        goals: Savings goals the budget must leave room for.
        config: Window, trimming, one-off and cut settings.

    Returns:
        Lines per category with explanations, totals, income, savings, the goals' monthly need,
        the 50/30/20 comparison and notes.
    """
    months = window_months(history, today, config.months)
    lines, notes = _category_lines(history, months, config)
    income = cents(trimmed_mean(income_by_month(history.transactions, months), config.trim_months))
    notes.append(
        f"Income: {format_money(income)} a month, {mean_words(len(months), config.trim_months)}."
    )
    need, goal_notes = goal_need(goals, today)
    lines, cut_notes = _fund_goals(lines, income, need, config)
    savings = income - sum((b.recommended for b in lines), Decimal(0))
    totals = {
        str(g): sum((b.recommended for b in lines if b.group == g), Decimal(0))
        for g in SPENDING_GROUPS
    }
    frame = _frame(income, totals["need"], totals["want"], savings)
    return BudgetRecommendation(
        month=today.replace(day=1),
        window=months,
        lines=tuple(lines),
        totals=totals,
        income=income,
        savings=savings,
        goal_need=need,
        shortfall=max(Decimal(0), need - savings),
        frame=frame,
        notes=tuple(notes + goal_notes + cut_notes + _frame_notes(frame)),
    )


def _category_lines(
    history: History, months: tuple[date, ...], config: BudgetConfig
) -> tuple[list[BudgetLine], list[str]]:
    """A line per spending category at its history level, needs first; notes on what is not."""
    by_category: dict[str, list[Txn]] = defaultdict(list)
    groups: dict[str, CategoryGroup] = {}
    for t in history.transactions:
        if t.date.replace(day=1) in months and is_spending_category(t):
            name = t.category or UNCATEGORIZED
            by_category[name].append(t)
            groups[name] = t.group or "want"
    lines = [_level_line(c, groups[c], by_category[c], months, config) for c in by_category]
    notes = []
    if not months:
        notes.append("No full month of history before this month; nothing to recommend yet.")
    small = sorted(b.category for b in lines if b.level < config.smallest_line)
    if small:
        notes.append(
            f"Under {format_money(config.smallest_line)} a month, so not budgeted: "
            f"{', '.join(small)}."
        )
    kept = sorted(
        (b for b in lines if b.level >= config.smallest_line),
        key=lambda b: (b.group != "need", -b.recommended),
    )
    return kept, notes


def _fund_goals(
    lines: list[BudgetLine], income: Decimal, need: Decimal, config: BudgetConfig
) -> tuple[list[BudgetLine], list[str]]:
    """Cut wants until income minus the budget covers ``need``; notes on the cut and shortfall."""
    savings = income - sum((b.recommended for b in lines), Decimal(0))
    if savings >= need:
        return lines, []
    why = "to fund goals" if need > 0 else "to keep spending within income"
    lines, share = _cut_wants(lines, need - savings, why, config)
    savings = income - sum((b.recommended for b in lines), Decimal(0))
    notes = []
    if share:
        notes.append(f"Wants cut {(share * 100).quantize(Decimal(1), ROUND_HALF_UP)}% {why}.")
    if savings < need:
        notes.append(
            f"Even with wants cut to {config.want_floor:.0%} of their usual level, savings of "
            f"{format_money(savings)} fall {format_money(need - savings)} short of the "
            f"{format_money(need)} a month {'the goals need' if need > 0 else 'to break even'}."
        )
    return lines, notes


def _frame_notes(frame: Sequence[FrameCheck]) -> list[str]:
    if frame[0].share is None:
        return ["No income in the window, so the 50/30/20 frame cannot be checked."]
    words = {"need": "Needs", "want": "Wants", "savings": "Savings"}
    return [
        f"{words[f.group]} {format_money(f.amount)} are {f.share:.0%} of income "
        f"(frame {f.target_share:.0%}: {format_money(f.target_amount)})."
        for f in frame
        if f.share is not None
    ]
