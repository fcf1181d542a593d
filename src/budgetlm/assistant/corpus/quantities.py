"""How questions say numbers: amounts of money, list lengths and day horizons.

Each sampler returns a ``Said``: the words a person types and the JSON value the tool call
carries. Conventions (the model learns them from here):

- Amounts: ``$200``, ``200 bucks``, ``two hundred dollars``, ``$1.2k``, ``2 grand``, ``twelve
  hundred dollars``, ``$45.99``, ``200.50``; the call carries a JSON number (an int when whole,
  else a float with at most 2 decimals).
- Limits: ``3`` or ``three``.
- Day horizons: ``N days`` (digits or words), ``N weeks`` = 7N days, ``N months`` = 30N days
  (N >= 2, so a template can say "in the next {days}" or "in {days}" alike); never more than 365.

Number words are hand-written: a dozen lines, where a library (num2words) would be a new
dependency for English cardinals up to the thousands.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from budgetlm.assistant.numbers import ONES as _ONES
from budgetlm.assistant.numbers import TENS as _TENS
from budgetlm.assistant.numbers import JsonNumber, json_number


@dataclass(frozen=True)
class Said:
    """A value and how the question says it."""

    text: str
    """The words in the question, e.g. ``two hundred bucks``."""
    value: JsonNumber | str
    """What the tool call carries, e.g. ``200`` (a string for strategies)."""


def number_words(n: int) -> str:
    """English words for ``0 <= n < 1_000_000``: ``1250`` -> ``one thousand two hundred fifty``."""
    if not 0 <= n < 1_000_000:
        raise ValueError(f"number_words: {n} out of range")
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {number_words(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    return f"{number_words(thousands)} thousand" + (f" {number_words(rest)}" if rest else "")


def count_text(rng: random.Random, n: int, *, words: float = 0.35) -> str:
    """``n`` as digits, or as words with probability ``words`` (small numbers only)."""
    return number_words(n) if n <= 100 and rng.random() < words else str(n)


def _nice_amount(rng: random.Random, low: float, high: float) -> Decimal:
    """A log-uniform amount in ``[low, high]``, rounded the way people round prices."""
    raw = low * (high / low) ** rng.random()
    if rng.random() < 0.15:
        return Decimal(f"{raw:.2f}") if rng.random() < 0.5 else Decimal(int(raw)) + Decimal("0.99")
    step = 1 if raw < 20 else 5 if raw < 200 else 50 if raw < 2000 else 100
    return Decimal(max(step, round(raw / step) * step))


def _amount_text(rng: random.Random, value: Decimal) -> str:
    """One way to write ``value`` dollars."""
    whole = value == value.to_integral_value()
    n = int(value)
    if not whole:
        return rng.choice(
            (f"${value:,.2f}", f"{value:.2f}", f"${value:.2f}", f"{value:.2f} dollars")
        )
    forms = [f"${n}", f"${n}", f"{n} dollars", f"{n} bucks", f"${n:,}"]
    if n <= 9999 and (n < 100 or n % 5 == 0):
        forms += [f"{number_words(n)} dollars", f"{number_words(n)} bucks"]
    if n >= 1000 and n % 100 == 0:
        k = f"{n / 1000:g}"
        forms += [f"${k}k", f"{k}k", f"{k} grand" if n != 1000 else "a grand", f"${n:,}.00"]
        if n % 1000 and n < 10000:
            forms.append(f"{number_words(n // 100)} hundred dollars")
    return rng.choice(forms)


AMOUNT_RANGES: dict[str, tuple[float, float]] = {
    "amount": (5, 3000),
    "min_amount": (10, 800),
    "max_amount": (5, 200),
    "extra": (25, 1000),
}
"""Range of each kind of amount slot (dollars): purchases, search thresholds, extra payments."""


def sample_amount(rng: random.Random, slot: str = "amount") -> Said:
    """An amount of money for ``slot`` (a key of ``AMOUNT_RANGES``) and how it is said."""
    value = _nice_amount(rng, *AMOUNT_RANGES[slot])
    return Said(_amount_text(rng, value), json_number(value))


def sample_amount_range(rng: random.Random) -> tuple[Said, Said]:
    """A ``min_amount`` below a ``max_amount`` for "between $X and $Y"."""
    low = _nice_amount(rng, 5, 500)
    high = low + _nice_amount(rng, 10, 1500)
    return Said(_amount_text(rng, low), json_number(low)), Said(
        _amount_text(rng, high), json_number(high)
    )


def sample_limit(rng: random.Random) -> Said:
    """How many items a top list or search should show (1..20)."""
    n = rng.choice((3, 3, 5, 5, 5, 10, 10, 2, 4, 6, 7, 8, 12, 15, 20))
    return Said(count_text(rng, n), n)


_DAY_COUNTS = (7, 10, 14, 15, 20, 30, 30, 30, 45, 60, 60, 90, 90, 120, 180, 365)


def sample_days(rng: random.Random) -> Said:
    """A horizon in days (1..365) and how it is said: ``30 days``, ``two weeks``, ``3 months``."""
    roll = rng.random()
    if roll < 0.5:
        n = rng.choice(_DAY_COUNTS)
        return Said(f"{count_text(rng, n)} days", n)
    if roll < 0.75:
        weeks = rng.randint(2, 8)
        return Said(f"{count_text(rng, weeks, words=0.6)} weeks", 7 * weeks)
    months = rng.randint(2, 12)
    return Said(f"{count_text(rng, months, words=0.6)} months", 30 * months)
