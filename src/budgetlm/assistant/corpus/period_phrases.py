"""How questions say periods, and the canonical period spec each phrase means.

Every sampler returns a ``PeriodSaid``: the spec (``assistant.periods`` grammar) and two ways of
saying it, an adverbial one that completes a sentence ("in October", "over the past 30 days")
and a noun phrase ("October", "the past 30 days") for templates such as "compare {period_np} to
{other_period_np}". Samples are drawn around a ``today`` and a history start so that named
months, dates, ``since`` and ``between`` fall inside the history, and each spec is checked with
``resolve_period`` (a spec that would be refused is never emitted).

Conventions the model learns from here:

- "in October" / "October" -> ``month:10`` (no year said: the latest October begun by today);
  "October 2025", "10/2025", "Oct '25" -> ``month:2025-10``; "Q3" -> ``quarter:Q3``.
- "so far this month", "month to date" -> ``this_month``; "this year so far", "YTD" -> ``ytd``;
  "this year" -> ``this_year``; "ever", "all time" -> ``all``.
- "the last 30 days" -> ``last_n_days:30``; "the past couple of weeks" -> ``last_n_weeks:2``;
  "the past few months" -> ``last_n_months:3``; "the past year" -> ``last_n_months:12``.
- "the month before last", "two months ago" -> ``before:last_month``.
- "on weekends last month" -> ``weekends:last_month``; "this weekend" -> ``weekends:this_week``.
- Dates, ``since`` and ``between`` are always said with a year ("since March 3, 2026").
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from budgetlm.assistant.corpus.quantities import count_text
from budgetlm.assistant.periods import PeriodError, resolve_period

PeriodKind = Literal["any", "month", "average", "afford", "long"]
"""Which periods a slot accepts: anything; a budget month; an averaging window; this week or
this month (affordability); a month or longer (savings rate)."""

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")  # fmt: skip
_ORDINAL_WORDS = ("first", "second", "third", "fourth")


@dataclass(frozen=True)
class PeriodSaid:
    """A period spec and how a question says it."""

    spec: str
    """Canonical spec, e.g. ``month:10``."""
    adverb: str
    """Completes a sentence: ``in October``."""
    noun: str
    """A noun phrase: ``October``."""


_DEICTIC: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "today": (("today", "so far today"), ("today",)),
    "yesterday": (("yesterday",), ("yesterday",)),
    "this_week": (("this week", "so far this week", "this week so far"), ("this week",)),
    "last_week": (("last week", "the previous week", "during the previous week"),
                  ("last week", "the previous week")),
    "this_month": (("this month", "so far this month", "this month so far", "month to date",
                    "MTD", "this mo"), ("this month", "month to date")),
    "last_month": (("last month", "the previous month", "in the previous month", "last mo",
                    "during last month", "the prior month"),
                   ("last month", "the previous month", "the prior month")),
    "this_quarter": (("this quarter", "so far this quarter", "quarter to date"),
                     ("this quarter",)),
    "last_quarter": (("last quarter", "the previous quarter", "in the previous quarter"),
                     ("last quarter", "the previous quarter")),
    "this_year": (("this year", "in the current year"), ("this year",)),
    "last_year": (("last year", "the previous year", "in the previous year"),
                  ("last year", "the previous year")),
    "ytd": (("year to date", "YTD", "so far this year", "this year so far"),
            ("year to date", "YTD", "this year so far")),
    "all": (("ever", "all time", "of all time", "since I started tracking"),
            ("all time", "everything since I started tracking")),
}  # fmt: skip

_BEFORE_LAST = {
    "last_week": ("the week before last",),
    "last_month": ("the month before last", "two months ago"),
    "last_quarter": ("the quarter before last",),
    "last_year": ("the year before last", "two years ago"),
}


def _say(
    rng: random.Random, spec: str, adverbs: tuple[str, ...], nouns: tuple[str, ...]
) -> PeriodSaid:
    return PeriodSaid(spec, rng.choice(adverbs), rng.choice(nouns))


def _month_name(rng: random.Random, month: int) -> str:
    name = MONTHS[month - 1]
    roll = rng.random()
    if month == 9 and roll > 0.9:
        return "Sept"
    return name if roll < 0.65 else name[:3]


def ordinal(n: int) -> str:
    """``1`` -> ``1st``, ``22`` -> ``22nd``, ``13`` -> ``13th``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def date_text(rng: random.Random, day: date, *, year: bool = True) -> str:
    """A date as people type it, always with its year unless ``year`` is False."""
    name = _month_name(rng, day.month)
    forms = [f"{name} {day.day}", f"{name} {ordinal(day.day)}", f"the {ordinal(day.day)} of {name}"]
    if not year:
        return rng.choice(forms)
    forms = [f"{f}, {day.year}" if rng.random() < 0.6 else f"{f} {day.year}" for f in forms]
    forms += [f"{day.month}/{day.day}/{day.year}", day.isoformat()]
    return rng.choice(forms)


def _months_in(today: date, earliest: date) -> list[date]:
    first = date(max(earliest, today - timedelta(days=730)).year, 1, 1)
    first = max(first, earliest.replace(day=1))
    out, month = [], first
    while month <= today:
        out.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return out


def named_month(rng: random.Random, today: date, earliest: date) -> PeriodSaid:
    """A month of the history, said with or without its year."""
    month = rng.choice(_months_in(today, earliest))
    name = _month_name(rng, month.month)
    if rng.random() < 0.5:
        prep = rng.choice(("in", "in", "during", "for"))
        return PeriodSaid(f"month:{month.month:02d}", f"{prep} {name}", name)
    noun = rng.choice(
        (f"{name} {month.year}", f"{name} {month.year}", f"{name} of {month.year}",
         f"{month.month}/{month.year}", f"{month.year}-{month.month:02d}",
         f"{name} '{month.year % 100:02d}")
    )  # fmt: skip
    return PeriodSaid(
        f"month:{month.year}-{month.month:02d}", f"{rng.choice(('in', 'during'))} {noun}", noun
    )


def quarter_or_year(rng: random.Random, today: date, earliest: date) -> PeriodSaid:
    """A quarter (with or without its year) or a calendar year of the history."""
    months = _months_in(today, earliest)
    if rng.random() < 0.3:
        year = rng.choice(sorted({m.year for m in months}))
        return PeriodSaid(
            f"year:{year}", f"{rng.choice(('in', 'during', 'for'))} {year}", str(year)
        )
    month = rng.choice(months)
    q = (month.month - 1) // 3 + 1
    nouns = [f"Q{q}", f"the {_ORDINAL_WORDS[q - 1]} quarter", f"the {ordinal(q)} quarter"]
    if rng.random() < 0.5:
        noun = rng.choice(nouns)
        return PeriodSaid(f"quarter:Q{q}", f"{rng.choice(('in', 'during'))} {noun}", noun)
    noun = rng.choice((f"{nouns[0]} {month.year}", f"{rng.choice(nouns)} of {month.year}"))
    return PeriodSaid(f"quarter:{month.year}-Q{q}", f"in {noun}", noun)


def rolling(rng: random.Random) -> PeriodSaid:
    """A rolling window: ``the last 30 days``, ``the past couple of weeks``, ``last 6 months``."""
    roll = rng.random()
    if roll < 0.4:
        head, unit, n = (
            "days",
            "days",
            rng.choice((3, 5, 7, 10, 14, 20, 30, 30, 45, 60, 90, 90, 180, 365)),
        )
    elif roll < 0.6:
        head, unit, n = "weeks", "weeks", rng.randint(2, 12)
    else:
        head, unit, n = "months", "months", rng.choice((2, 3, 3, 4, 6, 6, 9, 12, 18, 24))
    spec = f"last_n_{head}:{n}"
    special = {("weeks", 2): "couple of weeks", ("weeks", 3): "few weeks",
               ("months", 2): "couple of months", ("months", 3): "few months",
               ("months", 12): "year"}  # fmt: skip
    span = f"{count_text(rng, n)} {unit}"
    if (head, n) in special and rng.random() < 0.35:
        span = special[(head, n)]
    lead = rng.choice(("the last", "the past", "last", "past"))
    noun = f"{lead} {span}"
    adverb = noun
    if lead.startswith("the") and rng.random() < 0.7:
        adverb = f"{rng.choice(('in', 'in', 'over', 'during'))} {noun}"
    return PeriodSaid(spec, adverb, noun)


def _day_in(rng: random.Random, today: date, earliest: date) -> date:
    return earliest + timedelta(days=rng.randint(0, max(0, (today - earliest).days)))


def _since_between_date(rng: random.Random, today: date, earliest: date) -> PeriodSaid:
    roll = rng.random()
    start = _day_in(rng, today, earliest)
    if roll < 0.25:
        text = date_text(rng, start)
        return PeriodSaid(f"date:{start.isoformat()}", f"on {text}", text)
    if roll < 0.6:
        if rng.random() < 0.25:
            start = start.replace(day=1)
            text = f"since the start of {_month_name(rng, start.month)} {start.year}"
        else:
            text = f"since {date_text(rng, start)}"
        return PeriodSaid(f"since:{start.isoformat()}", text, text)
    end = start + timedelta(days=rng.randint(1, 75))
    end = min(end, today)
    if end <= start:
        start, end = end - timedelta(days=rng.randint(3, 30)), end
    if start.year == end.year and rng.random() < 0.4:
        text = f"{date_text(rng, start, year=False)} and {date_text(rng, end)}"
        noun = f"between {text}"
    else:
        noun = rng.choice(("between {} and {}", "from {} to {}", "from {} through {}")).format(
            date_text(rng, start), date_text(rng, end)
        )
    return PeriodSaid(f"between:{start.isoformat()}..{end.isoformat()}", noun, noun)


def _before_last(rng: random.Random) -> PeriodSaid:
    base = rng.choice(sorted(_BEFORE_LAST))
    text = rng.choice(_BEFORE_LAST[base])
    adverb = f"in {text}" if text.endswith("last") and rng.random() < 0.5 else text
    return PeriodSaid(f"before:{base}", adverb, text)


def _day_filtered(rng: random.Random, today: date, earliest: date) -> PeriodSaid:
    if rng.random() < 0.2:
        if today.weekday() >= 5 and rng.random() < 0.5:
            return PeriodSaid("weekends:this_week", "this weekend", "this weekend")
        return PeriodSaid("weekends:last_week", "last weekend", "last weekend")
    base = _any(rng, today, earliest, filtered=False)
    if rng.random() < 0.6:
        adverb = rng.choice(
            ("on weekends {}", "{} on weekends", "over the weekends {}", "{}, weekends only")
        )
        return PeriodSaid(
            f"weekends:{base.spec}", adverb.format(base.adverb), f"weekends {base.noun}"
        )
    adverb = rng.choice(("on weekdays {}", "{} on weekdays", "{}, weekdays only"))
    return PeriodSaid(f"weekdays:{base.spec}", adverb.format(base.adverb), f"weekdays {base.noun}")


def deictic(rng: random.Random, specs: tuple[str, ...]) -> PeriodSaid:
    """One of the named periods ``specs`` (``last_month``...), said one of its ways."""
    spec = rng.choice(specs)
    return _say(rng, spec, *_DEICTIC[spec])


_COMMON = ("this_month", "this_month", "last_month", "last_month", "last_month", "this_week",
           "last_week", "this_year", "last_year", "ytd", "this_quarter", "last_quarter",
           "yesterday", "today", "all")  # fmt: skip
_FILTER_BASES = ("this_month", "last_month", "last_week", "this_year", "ytd", "last_quarter")


def _any(rng: random.Random, today: date, earliest: date, *, filtered: bool = True) -> PeriodSaid:
    roll = rng.random()
    if not filtered:
        if roll < 0.6:
            return deictic(rng, _FILTER_BASES)
        return named_month(rng, today, earliest) if roll < 0.85 else rolling(rng)
    makers: list[tuple[float, Callable[[], PeriodSaid]]] = [
        (0.42, lambda: deictic(rng, _COMMON)),
        (0.58, lambda: named_month(rng, today, earliest)),
        (0.72, lambda: rolling(rng)),
        (0.79, lambda: quarter_or_year(rng, today, earliest)),
        (0.89, lambda: _since_between_date(rng, today, earliest)),
        (0.92, lambda: _before_last(rng)),
        (1.01, lambda: _day_filtered(rng, today, earliest)),
    ]
    return next(make for limit, make in makers if roll < limit)()


def _budget_month(rng: random.Random, today: date, earliest: date) -> PeriodSaid:
    roll = rng.random()
    if roll < 0.65:
        return deictic(rng, ("this_month", "this_month", "last_month"))
    return named_month(rng, today, earliest)


def _average_window(rng: random.Random, today: date, earliest: date) -> PeriodSaid:
    roll = rng.random()
    if roll < 0.6:
        n = rng.choice((2, 3, 3, 4, 6, 6, 6, 9, 12, 12))
        span = f"{count_text(rng, n)} months"
        noun = f"{rng.choice(('the last', 'the past'))} {span}"
        return PeriodSaid(
            f"last_n_months:{n}", rng.choice((f"over {noun}", f"in {noun}", noun)), noun
        )
    if roll < 0.8:
        return deictic(rng, ("this_year", "ytd", "last_year"))
    return quarter_or_year(rng, today, earliest)


def _affordable(rng: random.Random) -> PeriodSaid:
    if rng.random() < 0.5:
        return PeriodSaid(
            "this_week", rng.choice(("this week", "for the rest of the week")), "this week"
        )
    return PeriodSaid(
        "this_month", rng.choice(("this month", "for the rest of the month")), "this month"
    )


def _long(rng: random.Random, today: date, earliest: date) -> PeriodSaid:
    roll = rng.random()
    if roll < 0.45:
        return deictic(
            rng, ("this_month", "last_month", "this_year", "last_year", "ytd", "last_quarter")
        )
    if roll < 0.7:
        return named_month(rng, today, earliest)
    return _average_window(rng, today, earliest)


def valid(spec: str, today: date, earliest: date) -> bool:
    """Whether ``resolve_period`` accepts the spec on ``today``."""
    try:
        resolve_period(spec, today, earliest=earliest)
    except PeriodError:
        return False
    return True


def sample_period(
    rng: random.Random, today: date, earliest: date, kind: PeriodKind = "any"
) -> PeriodSaid:
    """A period a question of ``kind`` may mention, valid on ``today``."""
    for _ in range(50):
        if kind == "month":
            said = _budget_month(rng, today, earliest)
        elif kind == "average":
            said = _average_window(rng, today, earliest)
        elif kind == "afford":
            said = _affordable(rng)
        elif kind == "long":
            said = _long(rng, today, earliest)
        else:
            said = _any(rng, today, earliest)
        if valid(said.spec, today, earliest):
            return said
    raise RuntimeError(f"no valid {kind} period found for today={today}")  # pragma: no cover
