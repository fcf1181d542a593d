"""Filling a template's slots for one household: the words said and the arguments they mean.

``fill_slots`` takes the slot names of one expanded phrasing and returns, for each, a ``Filled``
(the text and the tool arguments it stands for). Slots that go together are drawn together: a
``{period}`` with an ``{other_period}`` is a comparable pair, a ``{min_amount}`` with a
``{max_amount}`` an ordered range. For follow-ups, ``previous`` holds the arguments of the call
being changed: a new category, payee, goal or strategy then differs from the previous one, and
an ``{other_period}`` alone is compared with the previous period.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import date

from budgetlm.assistant.corpus.lexicon import Mentions
from budgetlm.assistant.corpus.period_pairs import sample_other, sample_pair, unit_of
from budgetlm.assistant.corpus.period_phrases import PeriodKind, PeriodSaid, sample_period
from budgetlm.assistant.corpus.quantities import (
    Said,
    sample_amount,
    sample_amount_range,
    sample_days,
    sample_limit,
)


@dataclass(frozen=True)
class Setting:
    """What questions are drawn from: one household as of one day."""

    mentions: Mentions
    """Its names and how they may be said."""
    today: date
    """The day of the questions."""
    earliest: date
    """First day of its history."""


@dataclass(frozen=True)
class Filled:
    """One filled slot."""

    text: str
    """Words in the question."""
    arguments: Mapping[str, object]
    """Tool arguments the words stand for (empty for text-only slots)."""


PERIOD_SLOTS: Mapping[str, tuple[str, PeriodKind | None, bool]] = {
    "period": ("period", None, False),
    "period_np": ("period", None, True),
    "month": ("period", "month", False),
    "month_np": ("period", "month", True),
    "avg_period": ("period", "average", False),
    "afford_period": ("period", "afford", False),
    "other_period": ("other_period", None, False),
    "other_period_np": ("other_period", None, True),
}
"""Period slot -> (argument, kind (None: the group's), noun form?)."""

_ENUM_SLOTS = ("category", "payee", "payer", "account", "goal")
"""Slots filled with one of the household's names (``payer``: a payee that pays it)."""


def _said(said: PeriodSaid, noun: bool) -> str:
    return said.noun if noun else said.adverb


def _fill_periods(
    names: Collection[str], setting: Setting, rng: random.Random, kind: PeriodKind,
    previous: Mapping[str, object],
) -> dict[str, Filled] | None:  # fmt: skip
    out: dict[str, Filled] = {}
    wanted = {n: PERIOD_SLOTS[n] for n in names if n in PERIOD_SLOTS}
    args = {arg for arg, _, _ in wanted.values()}
    first: PeriodSaid | None = None
    other: PeriodSaid | None = None
    if "other_period" in args and "period" in args:
        first, other = sample_pair(rng, setting.today, setting.earliest)
    elif "other_period" in args:
        base = previous.get("period")
        if not isinstance(base, str):
            return None
        other = sample_other(rng, setting.today, setting.earliest, base)
        if other is None:
            return None
    for name, (arg, slot_kind, noun) in wanted.items():
        if arg == "other_period":
            assert other is not None
            out[name] = Filled(_said(other, noun), {arg: other.spec})
            continue
        if first is None:
            first = _fresh_period(setting, rng, slot_kind or kind, previous.get("period"))
        out[name] = Filled(_said(first, noun), {arg: first.spec})
    return out


def _fresh_period(
    setting: Setting, rng: random.Random, kind: PeriodKind, avoid: object
) -> PeriodSaid:
    """A period of ``kind``, other than ``avoid`` when a few draws allow."""
    said = sample_period(rng, setting.today, setting.earliest, kind)
    for _ in range(10):
        if said.spec != avoid:
            break
        said = sample_period(rng, setting.today, setting.earliest, kind)
    return said


def _fill_enum(slot: str, setting: Setting, rng: random.Random, avoid: object) -> Filled | None:
    m = setting.mentions
    pickers: dict[str, Callable[[], str]] = {
        "category": lambda: m.pick_category(rng),
        "payee": lambda: m.pick_payee(rng),
        "payer": lambda: m.pick_payee(rng, paying=True),
        "account": lambda: rng.choice(tuple(m.account)),
        "goal": lambda: rng.choice(tuple(m.goal)),
    }
    for _ in range(12):
        value = pickers[slot]()
        if value != avoid:
            kind = "payee" if slot == "payer" else slot
            return Filled(m.say(rng, kind, value), {kind: value})
    return None


def _fill_strategy(setting: Setting, rng: random.Random, avoid: object) -> Filled:
    strategies = setting.mentions.lex.strategies
    key = rng.choice([k for k in strategies if k != avoid])
    return Filled(rng.choice(strategies[key]), {"strategy": key})


def _from_said(arg: str, said: Said) -> Filled:
    return Filled(said.text, {arg: said.value})


def fill_slots(
    names: Collection[str],
    setting: Setting,
    rng: random.Random,
    *,
    period_kind: PeriodKind = "any",
    previous: Mapping[str, object] | None = None,
) -> dict[str, Filled] | None:
    """Fill every slot of ``names``; None when this household cannot (e.g. no other goal).

    Args:
        names: Slot names of one expanded phrasing.
        setting: The household and day.
        rng: Random generator.
        period_kind: Which periods a plain ``{period}`` takes.
        previous: Arguments of the call a follow-up changes (values to differ from).
    """
    previous = previous or {}
    filled = _fill_periods(names, setting, rng, period_kind, previous)
    if filled is None:
        return None
    if "min_amount" in names and "max_amount" in names:
        low, high = sample_amount_range(rng)
        filled["min_amount"] = _from_said("min_amount", low)
        filled["max_amount"] = _from_said("max_amount", high)
    for name in names:
        if name in filled:
            continue
        if name in _ENUM_SLOTS:
            key = "payee" if name == "payer" else name
            slot = _fill_enum(name, setting, rng, previous.get(key))
            if slot is None:
                return None
            filled[name] = slot
        elif name == "debt":
            debt = rng.choice(tuple(setting.mentions.debt))
            filled[name] = Filled(setting.mentions.say(rng, "debt", debt), {})
        elif name == "thing":
            text, category = setting.mentions.thing(rng)
            filled[name] = Filled(text, {"category": category} if category else {})
        elif name in ("amount", "min_amount", "max_amount", "extra"):
            filled[name] = _from_said(name, sample_amount(rng, name))
        elif name == "limit":
            filled[name] = _from_said(name, _differing(rng, sample_limit, previous.get(name)))
        elif name == "days":
            filled[name] = _from_said(name, _differing(rng, sample_days, previous.get(name)))
        elif name == "strategy":
            filled[name] = _fill_strategy(setting, rng, previous.get("strategy"))
        elif name == "unit":
            unit = unit_of(str(previous.get("period", "")))
            if unit is None:
                return None
            filled[name] = Filled(unit, {})
        else:
            raise KeyError(f"unknown slot {{{name}}}")
    return filled


def _differing(rng: random.Random, sample: Callable[[random.Random], Said], avoid: object) -> Said:
    said = sample(rng)
    for _ in range(10):
        if said.value != avoid:
            break
        said = sample(rng)
    return said
