"""Noise: how people actually type questions.

``noisy(chunks, rng)`` rewrites a clean question the way users type: the period moved to the
front ("last month, how much did I spend on groceries"), chat shorthand ("u", "pls", "whats"),
typos (swapped, dropped, doubled or neighbouring letters), fillers ("hey", "quick q:", "can you
tell me", "thx"), dropped or doubled punctuation and casing (lower, UPPER, Title, as typed).

What noise never touches, so the expected call stays recoverable:

- digits and the tokens around them ("$1,200", "10/2025", "Q3", "2025-10"): no typo, no removed
  character, no digit added (fillers hold none);
- payee mentions (a payee's name is copied into the call; only its letter case may change).

Hand-written: typing-noise libraries (nlpaug, textattack) bring large dependencies and cannot
protect spans of a sentence; this is a few small string functions.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from budgetlm.assistant.corpus.grammar import Chunk, merge_chunks

_PROTECTED_SLOTS = frozenset({"payee"})
_FRONTABLE = frozenset({"period", "month", "avg_period"})
_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_SHORTHAND: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"\bwhat is\b", ("what's", "whats")),
    (r"\bwhat's\b", ("whats", "what is", "wats")),
    (r"\bhow's\b", ("hows", "how is")),
    (r"\bI'm\b", ("im", "i am")),
    (r"\bdon't\b", ("dont",)),
    (r"\bdid I\b", ("did i", "did i")),
    (r"\byou\b", ("u", "ya")),
    (r"\bare\b", ("r",)),
    (r"\bplease\b", ("pls", "plz")),
    (r"\bgoing to\b", ("gonna",)),
    (r"\bwant to\b", ("wanna",)),
    (r"\bhow much\b", ("how much", "hw much")),
)
_PREFIXES = (
    "hey", "hey,", "hi,", "hello,", "quick q:", "quick question:", "ok so", "so", "um", "yo",
    "can you tell me", "could you check", "I was wondering,", "pls tell me", "tell me,",
    "question:", "hey there,", "hmm,", "ok,",
)  # fmt: skip
_SUFFIXES = ("pls", "please", "thanks", "thx", "ty", "real quick", "for me", "?", "!!")


@dataclass(frozen=True)
class NoiseConfig:
    """How much of each kind of noise a question gets (probabilities)."""

    front_period: float = 0.12
    """Move a trailing period phrase to the front."""
    shorthand: float = 0.15
    """Apply one chat shorthand ("whats", "u", "pls")."""
    typo_per_word: float = 0.03
    """Chance of a typo in each eligible word (letters only, 3+ long, not a payee)."""
    prefix: float = 0.15
    """Add a filler before the question."""
    suffix: float = 0.08
    """Add a filler after it."""
    drop_final_punctuation: float = 0.35
    """Drop the closing "?" or "."."""
    drop_commas: float = 0.3
    """Drop commas between words (never inside numbers)."""
    lower: float = 0.4
    """All lower case."""
    upper: float = 0.02
    """ALL UPPER CASE."""
    title: float = 0.03
    """Title Case."""


def _front_period(chunks: list[Chunk]) -> list[Chunk]:
    """Move a period phrase that ends the question to its front ("last month, how much...")."""
    content = [i for i, c in enumerate(chunks) if c.slot is not None or c.text.strip(" ?.!")]
    if len(content) < 2 or chunks[content[-1]].slot not in _FRONTABLE:
        return chunks
    last = content[-1]
    rest = list(merge_chunks(chunks[:last] + chunks[last + 1 :]))
    if sum(len(c.text.split()) for c in rest) < 4:
        return chunks
    if rest[0].slot is None:
        rest[0] = Chunk(rest[0].text[:1].lower() + rest[0].text[1:])
    period = chunks[last]
    front = Chunk(period.text[:1].upper() + period.text[1:], period.slot)
    return [front, Chunk(", "), *rest]


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word))
    roll = rng.random()
    if roll < 0.3 and i < len(word) - 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if roll < 0.55 and len(word) >= 4:
        return word[:i] + word[i + 1 :]
    if roll < 0.75:
        return word[:i] + word[i] + word[i:]
    row = next((r for r in _KEYBOARD if word[i].lower() in r), None)
    if row is None:
        return word
    j = row.index(word[i].lower())
    near = row[max(0, j - 1) : j + 2].replace(word[i].lower(), "")
    return word[:i] + rng.choice(near) + word[i + 1 :]


def _typos(text: str, rng: random.Random, rate: float) -> str:
    def one(match: re.Match[str]) -> str:
        word = match[0]
        return _typo(word, rng) if len(word) >= 3 and rng.random() < rate else word

    # Only runs of letters that touch no digit or symbol of a number ("$20k", "Q3", "3rd").
    return re.sub(r"(?<![\w$£€/.-])[A-Za-z]+(?![\w/.%-]*\d)(?!\w)", one, text)


def _shorthand(text: str, rng: random.Random) -> str:
    options = [(p, r) for p, r in _SHORTHAND if re.search(p, text)]
    if not options:
        return text
    pattern, replacements = rng.choice(options)
    return re.sub(pattern, rng.choice(replacements), text, count=1)


def _case(text: str, rng: random.Random, config: NoiseConfig) -> str:
    roll = rng.random()
    if roll < config.lower:
        return text.lower()
    if roll < config.lower + config.upper:
        return text.upper()
    if roll < config.lower + config.upper + config.title:
        return " ".join(w[:1].upper() + w[1:] for w in text.split(" "))
    return text


def noisy(chunks: tuple[Chunk, ...], rng: random.Random, config: NoiseConfig | None = None) -> str:
    """The question as a user might type it (see the module docstring for what is kept)."""
    config = config or NoiseConfig()
    parts = list(chunks)
    if rng.random() < config.front_period:
        parts = _front_period(parts)
    out: list[str] = []
    shorthand_at = rng.randrange(len(parts)) if rng.random() < config.shorthand else -1
    for index, chunk in enumerate(parts):
        text = chunk.text
        if chunk.slot in _PROTECTED_SLOTS:
            out.append(text)
            continue
        if chunk.slot is None:
            if index == shorthand_at:
                text = _shorthand(text, rng)
            if rng.random() < config.drop_commas:
                text = re.sub(r"(?<!\d),(?!\d)", "", text)
        out.append(_typos(text, rng, config.typo_per_word))
    text = "".join(out)
    if rng.random() < config.prefix:
        text = f"{rng.choice(_PREFIXES)} {text[:1].lower() + text[1:]}"
    if rng.random() < config.suffix:
        suffix = rng.choice(_SUFFIXES)
        base = text.rstrip("?.!")
        end = "" if suffix in ("?", "!!") else text[len(base) :]
        text = f"{base}{suffix}" if suffix in ("?", "!!") else f"{base} {suffix}{end}"
    if rng.random() < config.drop_final_punctuation and parts and parts[-1].slot is None:
        text = re.sub(r"(?<!\d)[?.]$", "", text)
    return _case(text, rng, config)
