"""The numbers a question says, as a tool call would carry them.

``said_numbers("any charges over two hundred bucks in the next 3 weeks")`` gives ``(200, 3,
21)``: amounts in every form the question grammar writes (``$1,058``, ``45.99``, ``$1.2k``,
``2 grand``, ``a grand``, ``twelve hundred dollars``, ``one thousand two hundred fifty``),
counts in digits or words, and for ``N weeks`` / ``N months`` also the day horizon they mean (7N,
30N; ``corpus.quantities`` documents the conventions). Dates, years and other digits are read
too: extra candidates are harmless, a missing one is not. Typed words are forgiven one slip
("hunderd" to a number word of five or more letters, "wekes" to weeks; ``_TYPO_CUTOFF``).

The micro model copies numbers poorly (``$90`` came out as ``9`` or ``900``), so its decoder
lets a numeric argument take only the values the conversation said (``linking.call_candidates``).

Number words are read by hand: the inverse of ``corpus.quantities.number_words`` (English
cardinals below a million) is a dozen lines, where a library would be a new dependency.
"""

from __future__ import annotations

import difflib
import re
from decimal import Decimal

JsonNumber = int | float
"""A number as a tool call carries it (an int when whole, else at most 2 decimals)."""

ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
        "eighteen", "nineteen")  # fmt: skip
"""Number words below twenty (``corpus.quantities`` writes them)."""
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
"""Words for the tens from twenty."""

_SMALL = {word: value for value, word in enumerate(ONES)}
_TENS = {word: 10 * value for value, word in enumerate(TENS) if word}
_NUMBER_WORD = "|".join(
    sorted([*_SMALL, *_TENS, "hundred", "thousand", "a"], key=len, reverse=True)
)
_WORDS = re.compile(
    rf"\b(?:{_NUMBER_WORD})(?:[\s-]+(?:and[\s-]+)?(?:{_NUMBER_WORD}))*\b", re.IGNORECASE
)
_DIGITS = re.compile(
    r"(?<![\w.])\$?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?\s*(k\b|grand\b)?", re.IGNORECASE
)
_GRAND = re.compile(r"\ba\s+grand\b", re.IGNORECASE)
_HORIZON = re.compile(r"^\s*(weeks?|months?)\b", re.IGNORECASE)
_DAYS_PER = {"week": 7, "month": 30}
_LONG_WORDS = tuple(w for w in [*_SMALL, *_TENS, "hundred", "thousand"] if len(w) >= 5)
_UNITS = ("week", "weeks", "month", "months")
_TYPO_CUTOFF = {"number": 0.82, "unit": 0.75}
"""``difflib`` similarity a typed word needs (0.8 would take "there" for "three")."""
_WORD = re.compile(r"[a-z]{4,}", re.IGNORECASE)


def _respelled(text: str) -> str:
    """``text`` with near-misses of long number words and of week(s)/month(s) corrected."""

    def fix(match: re.Match[str]) -> str:
        word = match.group().lower()
        if word in _LONG_WORDS or word in _UNITS:
            return word
        if word[0] in "wm":
            close = difflib.get_close_matches(word, _UNITS, n=1, cutoff=_TYPO_CUTOFF["unit"])
        else:
            pool = _LONG_WORDS if len(word) >= 5 else ()
            close = difflib.get_close_matches(word, pool, n=1, cutoff=_TYPO_CUTOFF["number"])
        return close[0] if close else match.group()

    return _WORD.sub(fix, text)


def words_value(text: str) -> int | None:
    """The value of English number words (``"one thousand two hundred fifty"`` -> 1250), or
    None when they are not a number (``"a"`` alone)."""
    total = current = 0
    seen = False
    for word in re.split(r"[\s-]+", text.lower()):
        if word in ("and", ""):
            continue
        if word == "a":
            current = max(current, 1)
        elif word in _SMALL:
            current += _SMALL[word]
            seen = True
        elif word in _TENS:
            current += _TENS[word]
            seen = True
        elif word == "hundred":
            current = max(current, 1) * 100
            seen = True
        elif word == "thousand":
            total += max(current, 1) * 1000
            current = 0
            seen = True
    return total + current if seen else None


def json_number(value: Decimal) -> JsonNumber:
    """A Decimal amount as a tool call carries it: int when whole, else a 2-decimal float."""
    return int(value) if value == value.to_integral_value() else float(round(value, 2))


def said_numbers(text: str) -> tuple[JsonNumber, ...]:
    """Every number ``text`` says, in order of appearance, without repeats (see the module
    docstring)."""
    text = _respelled(text)
    found: list[tuple[int, JsonNumber]] = []
    for match in _DIGITS.finditer(text):
        whole, fraction, scale = match.groups()
        value = Decimal(whole.replace(",", "") + (fraction or ""))
        if scale:
            value *= 1000
        found.append((match.start(), json_number(value)))
        found += _horizon(match.start(), text[match.end() :], value)
    for match in _GRAND.finditer(text):
        found.append((match.start(), 1000))
    for match in _WORDS.finditer(text):
        said = words_value(match.group())
        if said is None:
            continue
        if re.match(r"\s*(grand|k)\b", text[match.end() :], re.IGNORECASE):
            said *= 1000
        found.append((match.start(), said))
        found += _horizon(match.start(), text[match.end() :], Decimal(said))
    ordered = [value for _, value in sorted(found, key=lambda item: item[0])]
    return tuple(dict.fromkeys(ordered))


def _horizon(start: int, rest: str, value: Decimal) -> list[tuple[int, JsonNumber]]:
    """``N weeks`` / ``N months`` -> the day horizon they mean."""
    unit = _HORIZON.match(rest)
    if unit is None or value != value.to_integral_value():
        return []
    return [(start, int(value) * _DAYS_PER[unit.group(1).lower().rstrip("s")])]
