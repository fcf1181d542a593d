"""Recurring bills, subscriptions, paychecks and scheduled transfers found in a history.

``find_recurring`` groups transactions by (payee, account, sign) and, inside each group, follows
chains of payments one period apart: from a seed payment it looks for the next payment in a
window around the expected date (one calendar month later for monthly series, so a bill on the
31st that clamps to February 28 stays on schedule), picks the candidate whose amount is nearest
the series' recent amount, and tolerates one missed period. The longest chain that passes the
checks below becomes a series and its payments leave the pool, so one payee can carry two
series (two subscriptions at one merchant, or a semi-monthly paycheck as two monthly series on
the 15th and the last day) beside one-off purchases.

A chain is accepted when it has enough payments for its cadence, its mean gap matches the
cadence (this keeps a semi-monthly paycheck, 15.2 days apart on average, from passing as
biweekly), and either its amounts are fixed (most payments at the current price within a few
percent) with few look-alike payments at the payee outside it, or its amounts vary (utilities,
card payments, interest) but it owns its payee: few other payments in its span and on-time
dates.

Price changes: two consecutive payments agreeing on a new amount set a new price (the first of
them is ``price_changed_on``); one odd charge (a bill shock, a proration) stays a member but
does not move the price.

Schedules (``analytics.schedule``): the anchor day or phase and the weekend rule that best
explain a series' dates are fitted once it is accepted, and reported as ``RecurringSeries.anchor``
and ``shift``; ``expected_payments`` projects with them. A series id is
``payee|account|cadence|rule``, readable and stable (``day 31 next``, ``phase 3/14 previous``),
and nothing parses it.

A series whose second expected payment after its last one is also past (two missed payments) has
ended: it is left out unless ``RecurringConfig.include_ended`` is set.

Rounding: typical and expected amounts are medians rounded to cents, half up.
"""

from __future__ import annotations

import itertools
import math
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from statistics import median

from budgetlm.analytics.records import CADENCE_DAYS, Cadence, ExpectedPayment, RecurringSeries, Txn
from budgetlm.analytics.schedule import Schedule, fit_schedule, periods_later, series_schedule
from budgetlm.categorize.normalize import payee_key
from budgetlm.money import cents

_CADENCES: tuple[Cadence, ...] = tuple(CADENCE_DAYS)  # shortest period first: ties go to it


@dataclass(frozen=True)
class RecurringConfig:
    """Tolerances of the recurring-series detector."""

    amount_tolerance: float = 0.05
    """Relative difference within which two payments are at the same price."""
    windows: tuple[tuple[int, int], ...] = ((2, 2), (3, 3), (4, 5), (5, 6), (6, 8), (7, 9), (8, 10))
    """Days before and after the expected date searched for the next payment, per cadence in
    the order weekly, biweekly, monthly, bimonthly, quarterly, semiannual, yearly (weekend
    shifts, clearing delays)."""
    min_occurrences: tuple[int, ...] = (5, 4, 3, 3, 3, 3, 2)
    """Fewest payments of a fixed-amount series, per cadence (same order as ``windows``)."""
    variable_min_occurrences: tuple[int, ...] = (6, 5, 4, 4, 5, 3, 3)
    """Fewest payments of a series whose amounts vary, per cadence."""
    max_missed: int = 1
    """Missed periods in a row that a series survives inside its history."""
    max_amount_ratio: float = 12.0
    """A payment more than this many times off the recent amount never joins a chain."""
    fixed_share: float = 0.75
    """Share of payments at the current price that makes a series fixed-amount."""
    max_lookalikes: float = 0.5
    """Most other same-price payments at the payee, per member, for a fixed-amount series."""
    max_crowding: float = 0.25
    """Most other payments at the payee during a series, per member, for the payee to count as
    the series' own; only such payees may have series whose amounts vary."""
    max_date_error: float = 0.5
    """Largest mean distance in days from the fitted schedule for a series at a payee that also
    has other payments (a shop that sells a subscription)."""
    max_missed_share: float = 0.25
    """Largest share of missed periods inside a series (every other month is not monthly)."""
    mean_gap_tolerance: float = 0.05
    """Largest relative difference between the mean gap and the cadence's period."""
    max_series_per_payee: int = 2
    """Most series a payee that is nothing but series may carry (two halves of a semi-monthly
    paycheck, a membership and its annual fee); more pieces mean a shop visited often."""
    excluded_categories: tuple[str, ...] = ("Fees & Charges",)
    """Categories never reported: bank fees and card interest follow from balances, not from a
    schedule the household set up."""
    min_confidence: float = 0.2
    """Series below this confidence are not reported."""
    include_ended: bool = False
    """Also report series that missed their last two expected payments (history analysis)."""


def _payee_key(payee: str) -> str:
    # The normalizer's key folds the spellings of one payee ("Smoky Podcasts+", "Smokypodcasts");
    # digits go so that paper checks ("Check 1838", "Check 1839") group by account.
    key = payee_key(payee) or payee.casefold()
    return re.sub(r"[0-9]+", "", key) or key


def _payee_groups(payees: set[str]) -> dict[str, str]:
    """Each payee mapped to a representative of the spellings that name one payee.

    Spellings join when the normalizer's keys agree, when one name starts with another
    ("Bluff Wirele", "Bluff Wireless Recurring": banks cut names and add words) or when they have
    the same words in another order ("Student Ln Dept Education").
    """
    parent = {p: p for p in payees}

    def find(p: str) -> str:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    def join(keys: dict[str, str]) -> None:
        first: dict[str, str] = {}
        for payee, key in keys.items():
            other = first.setdefault(key, payee)
            parent[find(payee)] = find(other)

    words = {p: re.findall(r"[a-z]+", p.casefold()) for p in payees}
    join({p: _payee_key(p) for p in payees})
    join({p: " ".join(sorted(w)) or p for p, w in words.items()})
    flat = sorted((("".join(w) or p), p) for p, w in words.items())
    for (shorter, a), (longer, b) in itertools.pairwise(flat):
        if len(shorter) >= 5 and longer.startswith(shorter):
            parent[find(b)] = find(a)  # sorted order puts a prefix right before its extensions
    return {p: find(p) for p in payees}


def _close(a: Decimal, b: Decimal, tolerance: float) -> bool:
    return abs(a - b) <= Decimal(str(tolerance)) * max(abs(a), abs(b))


@dataclass(frozen=True)
class _Group:
    """The payments of one payee on one account in one direction, oldest first."""

    txns: list[Txn]
    ordinals: list[int] = field(init=False)
    """Each payment's ``date.toordinal()``: the chain search bisects them."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "ordinals", [t.date.toordinal() for t in self.txns])


def _pick(
    group: _Group,
    cursor: int,
    free: Sequence[bool],
    expected: int,
    reference: Decimal,
    window: tuple[int, int],
    cfg: RecurringConfig,
) -> int | None:
    """The free payment in the window whose amount is nearest ``reference`` (then the date);
    ``cursor`` is the first payment not before the window, ``expected`` an ordinal."""
    high = expected + window[1]
    best: tuple[float, int] | None = None
    for i in range(cursor, len(group.txns)):
        if group.ordinals[i] > high:
            break
        if not free[i]:
            continue
        ratio = float(group.txns[i].amount / reference)
        if not 1 / cfg.max_amount_ratio <= ratio <= cfg.max_amount_ratio:
            continue
        cost = abs(math.log(ratio)) + 0.02 * abs(group.ordinals[i] - expected)
        if best is None or cost < best[0]:
            best = (cost, i)
    return None if best is None else best[1]


def _chain(
    group: _Group, seed: int, free: Sequence[bool], cadence: Cadence, cfg: RecurringConfig
) -> tuple[list[int], int]:
    """Payments one period apart from ``group.txns[seed]`` on; returns (indexes, periods spanned).

    The k-th payment is expected on the seed's date k periods later, moved by the median lateness
    of the payments so far (a seed that posted late does not drag every window late).
    """
    window = cfg.windows[_CADENCES.index(cadence)]
    start = group.txns[seed].date
    members, offsets, periods, missed = [seed], [0], 0, 0
    lateness, reference = 0, group.txns[seed].amount
    cursor = seed + 1
    while cursor < len(group.txns):
        periods += 1
        nominal = periods_later(start, cadence, periods)
        expected = nominal + lateness
        cursor = bisect_left(group.ordinals, expected - window[0], cursor)
        found = _pick(group, cursor, free, expected, reference, window, cfg)
        if found is None:
            missed += 1
            if missed > cfg.max_missed:
                break
            continue
        members.append(found)
        offsets.append(group.ordinals[found] - nominal)
        lateness = round(median(offsets))
        reference = median(group.txns[i].amount for i in members[-3:])
        missed, cursor = 0, found + 1
    return members, periods - missed


@dataclass(frozen=True)
class _Prices:
    """The price history of a chain."""

    current: Decimal
    previous: Decimal | None
    changed_at: int | None
    fixed_share: float


def _prices(amounts: Sequence[Decimal], tolerance: float) -> _Prices:
    """Prices under the rule: two consecutive payments agreeing on a new amount set a price."""
    price, previous, changed_at, at_price = amounts[0], None, None, 1
    for i in range(1, len(amounts)):
        amount = amounts[i]
        if _close(amount, price, tolerance):
            at_price += 1
        elif i + 1 < len(amounts) and _close(amounts[i + 1], amount, tolerance):
            previous, price, changed_at = price, amount, i
            at_price += 1
        elif i == 1 and len(amounts) > 2 and _close(amounts[2], amount, tolerance):
            price = amount
    return _Prices(price, previous, changed_at, at_price / len(amounts))


@dataclass(frozen=True)
class _Candidate:
    cadence: Cadence
    members: list[int]
    dates: list[date]
    prices: _Prices
    crowding: float
    fixed: bool

    @cached_property
    def fit(self) -> tuple[Schedule, float]:
        """The schedule and mean date error, fitted only for the chains that need them."""
        return fit_schedule(self.cadence, self.dates, self.prices.current > 0)

    @property
    def confidence(self) -> float:
        count = 1 - math.exp(-(len(self.members) - 1) / 3)
        regular = math.exp(-self.fit[1] / 3)
        amounts = self.prices.fixed_share if self.fixed else 0.7
        return round(count * regular * amounts / (1 + self.crowding), 3)


def _regular_gaps(
    dates: Sequence[date], periods: int, cadence: Cadence, cfg: RecurringConfig
) -> bool:
    """Whether the mean gap matches the cadence (first and last payment may each be shifted)."""
    if periods - (len(dates) - 1) > cfg.max_missed_share * periods:
        return False
    nominal = CADENCE_DAYS[cadence]
    mean_gap = (dates[-1] - dates[0]).days / max(periods, 1)
    return abs(mean_gap - nominal) <= max(cfg.mean_gap_tolerance * nominal, 4 / max(periods, 1))


def _assess(
    group: _Group,
    members: list[int],
    periods: int,
    free: Sequence[bool],
    cadence: Cadence,
    cfg: RecurringConfig,
    strict: bool,
) -> _Candidate | None:
    """The chain as a series, or None when it fails the checks in the module docstring.

    ``strict`` is for payees with other payments too: only fixed amounts on a tight schedule
    with few look-alike payments outside it pass, and never a two-payment yearly series.
    """
    position = _CADENCES.index(cadence)
    dates = [group.txns[i].date for i in members]
    if len(members) < cfg.min_occurrences[position] or not _regular_gaps(
        dates, periods, cadence, cfg
    ):
        return None
    prices = _prices([group.txns[i].amount for i in members], cfg.amount_tolerance)
    fixed = prices.fixed_share >= cfg.fixed_share
    if not fixed and len(members) < cfg.variable_min_occurrences[position]:
        return None
    candidate = _Candidate(cadence, members, dates, prices, 0.0, fixed)
    if not strict:
        return candidate
    if not fixed or cadence == "yearly" or candidate.fit[1] > cfg.max_date_error:
        return None
    inside = set(members)
    others = [t for i, t in enumerate(group.txns) if free[i] and i not in inside]
    lookalikes = sum(_close(t.amount, prices.current, cfg.amount_tolerance) for t in others)
    if lookalikes > cfg.max_lookalikes * len(members):
        return None
    return replace(candidate, crowding=len(others) / len(members))


def _partition(group: _Group, cfg: RecurringConfig, strict: bool) -> list[_Candidate]:
    """Series taken greedily from the oldest free payment on, the longest chain first."""
    free = [True] * len(group.txns)
    found = []
    for seed in range(len(group.txns)):
        if not free[seed]:
            continue
        best: _Candidate | None = None
        for position, cadence in enumerate(_CADENCES):
            if len(group.txns) - seed < cfg.min_occurrences[position]:
                continue  # too few payments left for any chain of this cadence to pass
            members, periods = _chain(group, seed, free, cadence, cfg)
            candidate = _assess(group, members, periods, free, cadence, cfg, strict)
            if candidate and (best is None or len(candidate.members) > len(best.members)):
                best = candidate
        if best is not None:
            for i in best.members:
                free[i] = False
            found.append(best)
    return found


def _series_in(group: _Group, cfg: RecurringConfig) -> list[_Candidate]:
    """The series of one payee: all of it when its payments split into series with few left
    over (a biller, an employer: amounts may vary), else only the strict ones (a shop)."""
    found = sorted(_partition(group, cfg, strict=False), key=lambda c: -len(c.members))
    found = sorted(found[: cfg.max_series_per_payee], key=lambda c: c.members[0])
    covered = sum(len(c.members) for c in found)
    leftover = len(group.txns) - covered
    if found and leftover <= cfg.max_crowding * covered:
        return [replace(c, crowding=leftover / covered) for c in found]
    return _partition(group, cfg, strict=True)


def _to_series(
    group: _Group, candidate: _Candidate, today: date, cfg: RecurringConfig
) -> RecurringSeries | None:
    txns = [group.txns[i] for i in candidate.members]
    schedule, prices = candidate.fit[0], candidate.prices
    last = txns[-1]
    following = schedule.following(schedule.nominal_near(last.date))
    next_date = schedule.posted(following)
    after_next = schedule.posted(schedule.following(following))
    late = cfg.windows[_CADENCES.index(candidate.cadence)][1]
    if not cfg.include_ended and today > after_next + timedelta(days=late):
        return None
    if candidate.fixed:
        start = prices.changed_at or 0
        typical = median(
            t.amount for t in txns[start:] if _close(t.amount, prices.current, cfg.amount_tolerance)
        )
    else:
        typical = median(t.amount for t in txns[-3:])
    typical = cents(Decimal(typical))
    changed = prices.changed_at is not None and candidate.fixed
    payee = Counter(t.payee for t in txns).most_common(1)[0][0]
    categories = Counter(t.category for t in txns if t.category)
    return RecurringSeries(
        id=f"{payee}|{last.account}|{candidate.cadence}|{schedule.describe()}",
        payee=payee,
        category=categories.most_common(1)[0][0] if categories else None,
        account=last.account,
        cadence=candidate.cadence,
        typical_amount=typical,
        last_date=last.date,
        last_amount=last.amount,
        next_date=next_date,
        next_amount=typical,
        confidence=candidate.confidence,
        transaction_ids=tuple(t.id for t in txns),
        previous_amount=cents(prices.previous) if changed and prices.previous else None,
        price_changed_on=txns[prices.changed_at].date if changed and prices.changed_at else None,
        anchor=schedule.anchor,
        shift=schedule.shift,
    )


def find_recurring(
    transactions: Sequence[Txn], today: date, config: RecurringConfig | None = None
) -> list[RecurringSeries]:
    """Recurring series among the transactions dated on or before ``today``.

    Every transaction is considered, transfers and income included (a paycheck is a series with
    positive amounts; each leg of a scheduled transfer is a series on its own account).

    Args:
        transactions: The history, in any order.
        today: Transactions after this date are ignored; series ended by then are dropped.
        config: Tolerances; defaults to ``RecurringConfig()``.

    Returns:
        Series sorted by next expected date, then payee.
    """
    cfg = config or RecurringConfig()
    groups: dict[tuple[str, str, bool], list[Txn]] = {}
    excluded = set(cfg.excluded_categories)
    considered = [
        t for t in transactions if t.date <= today and t.amount != 0 and t.category not in excluded
    ]
    payees = _payee_groups({t.payee for t in considered})
    for txn in considered:
        groups.setdefault((payees[txn.payee], txn.account, txn.amount > 0), []).append(txn)
    found: list[RecurringSeries] = []
    for txns in groups.values():
        group = _Group(sorted(txns, key=lambda t: (t.date, t.id)))
        for candidate in _series_in(group, cfg):
            series = _to_series(group, candidate, today, cfg)
            if series is not None and series.confidence >= cfg.min_confidence:
                found.append(series)
    found.sort(key=lambda s: (s.next_date, s.payee, s.id))
    seen: Counter[str] = Counter()
    for k, series in enumerate(found):
        seen[series.id] += 1
        if seen[series.id] > 1:  # two series alike but for their members: keep ids unique
            found[k] = replace(series, id=f"{series.id}#{seen[series.id]}")
    return found


def expected_payments(
    series: Sequence[RecurringSeries], start: date, end: date
) -> list[ExpectedPayment]:
    """Every expected payment of every series dated in [start, end], sorted by date.

    Projects each series from its ``next_date`` with its cadence, ``anchor`` (clamped to short
    months) and weekend ``shift`` at ``next_amount``; a series without an anchor (built by hand)
    gets the rule its last and next dates show. Pass active series (the default output of
    ``find_recurring``); an ended one would be projected too.
    """
    out: list[ExpectedPayment] = []
    for item in series:
        schedule = series_schedule(item)
        nominal = schedule.nominal_near(item.next_date)
        posted = item.next_date
        while posted <= end:
            if posted >= start:
                out.append(
                    ExpectedPayment(posted, item.next_amount, item.id, item.payee, item.category)
                )
            nominal = schedule.following(nominal)
            posted = schedule.posted(nominal)
    out.sort(key=lambda p: (p.date, p.payee, p.series_id))
    return out
