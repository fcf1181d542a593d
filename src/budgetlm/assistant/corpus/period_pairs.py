"""Periods that go together: the one before a period, and pairs to compare.

``step_back`` gives the period before a spec (what "and the month before?" means),
``sample_other`` a period to compare a given one with, ``sample_pair`` two comparable periods
("this month vs last month", "March 2026 vs February 2026", "the last 30 days vs the 30 days
before"), and ``unit_of`` the word for a period's unit ("month", "30 days").
"""

from __future__ import annotations

import random
import re
from datetime import date

from budgetlm.assistant.corpus.period_phrases import (
    PeriodSaid,
    deictic,
    named_month,
    quarter_or_year,
    rolling,
    valid,
)
from budgetlm.assistant.periods import PERIOD_PATTERN

_PREVIOUS = {"this_week": "last_week", "this_month": "last_month", "this_quarter": "last_quarter",
             "this_year": "last_year", "ytd": "last_year", "today": "yesterday"}  # fmt: skip


def unit_of(spec: str) -> str | None:
    """What "the ... before" calls a period's unit: ``month``, ``30 days``, ``period``; None for
    ``all`` (nothing comes before the whole history)."""
    head, _, arg = spec.partition(":")
    if head in ("before", "weekends", "weekdays"):
        return unit_of(arg)
    units = {"today": "day", "yesterday": "day", "date": "day", "this_week": "week",
             "last_week": "week", "this_month": "month", "last_month": "month", "month": "month",
             "this_quarter": "quarter", "last_quarter": "quarter", "quarter": "quarter",
             "this_year": "year", "last_year": "year", "ytd": "year", "year": "year",
             "since": "period", "between": "period"}  # fmt: skip
    if head in units:
        return units[head]
    if head.startswith("last_n_"):
        word = head.removeprefix("last_n_").removesuffix("s")
        return word if arg == "1" else f"{arg} {word}s"
    return None


def step_back(spec: str, today: date, earliest: date) -> str | None:
    """The period before ``spec``: ``before:<spec>``, or the named period it equals when there
    is one (``this_month`` -> ``last_month``, ``weekends:this_week`` -> ``weekends:last_week``),
    so that "the previous month" has one spec whichever way it is reached. None when the
    grammar or ``today`` does not allow it.
    """
    head, _, base = (
        spec.partition(":") if spec.startswith(("weekends:", "weekdays:")) else ("", "", spec)
    )
    if base in _PREVIOUS:
        return f"{head}:{_PREVIOUS[base]}" if head else _PREVIOUS[base]
    stepped = f"before:{spec}"
    if unit_of(spec) is None or not re.fullmatch(PERIOD_PATTERN, stepped):
        return None
    return stepped if valid(stepped, today, earliest) else None


def _before_said(rng: random.Random, spec: str) -> PeriodSaid:
    unit = unit_of(spec) or "period"
    noun = rng.choice((f"the {unit} before", f"the previous {unit}", f"the {unit} before that"))
    return PeriodSaid(f"before:{spec}", noun, noun)


def sample_other(rng: random.Random, today: date, earliest: date, first: str) -> PeriodSaid | None:
    """A period to compare ``first`` with: the one before it, or another of its kind."""
    for _ in range(20):
        roll = rng.random()
        if first in _PREVIOUS and roll < 0.6:
            spec = _PREVIOUS[first]
            said = deictic(rng, (spec,))
        elif first.startswith("month:") and roll < 0.6:
            said = named_month(rng, today, earliest)
            if len(said.spec) != len(first):
                continue
        elif step_back(first, today, earliest):
            said = _before_said(rng, first)
        else:
            return None
        if said.spec != first and valid(said.spec, today, earliest):
            return said
    return None


_PAIR_FIRSTS = ("this_month", "this_month", "last_month", "this_week", "last_week", "this_year",
                "ytd", "this_quarter", "last_quarter")  # fmt: skip


def sample_pair(rng: random.Random, today: date, earliest: date) -> tuple[PeriodSaid, PeriodSaid]:
    """Two comparable periods (the first is the one asked about)."""
    for _ in range(50):
        roll = rng.random()
        if roll < 0.45:
            first = deictic(rng, _PAIR_FIRSTS)
        elif roll < 0.75:
            first = named_month(rng, today, earliest)
        elif roll < 0.88:
            first = quarter_or_year(rng, today, earliest)
        else:
            first = rolling(rng)
        other = sample_other(rng, today, earliest, first.spec)
        if other is not None and valid(first.spec, today, earliest):
            return first, other
    raise RuntimeError(f"no comparable periods found for today={today}")  # pragma: no cover
