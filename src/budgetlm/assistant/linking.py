"""Which of the user's own names a question mentions: categories, payees, accounts, goals.

The micro model is small; copying "Kroger" from "kroger spending" into a payee enum, or knowing
that "memberships" is the household's Subscriptions category, is where it was weakest (a first
model trained without this chose the right enum value with probability ~0.05). So code finds the
mentions and the micro model's prompt carries them after the question::

    kroger spending in the previous month
    [mentions: payee=Kroger]

The model still decides everything (which tool, whether a mention is a filter, the period); it
only no longer has to spell the user's names. Training (``lm.recipe``) and serving
(``backends.local``) add the line with this same function, so the two always agree.

Even with the line, the micro model often wrote the wrong payee (another of the household's
500) or miscopied a number. ``call_candidates`` therefore gives its decoder the payees and
numbers the conversation has said, in the user's questions or in earlier calls (follow-ups
keep them: "same for the month before"), and the decoder allows only those values.

Mentions come from ``corpus.lexicon.Mentions`` (names as written and lower-cased, the everyday
words for the default categories, first words of payees, account kinds), matched on whole words
after case folding, longest first, without overlaps; single words of five or more letters also
match with one typo (``difflib`` similarity >= 0.85) against category and account words.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from budgetlm.assistant.numbers import JsonNumber, said_numbers
from budgetlm.assistant.tools import Vocabulary

MENTIONS_PREFIX = "[mentions: "
_WORD = re.compile(r"[\w$&']+")
_KINDS = ("category", "payee", "account", "goal")
_FUZZY_CUTOFF = 0.85
_FUZZY_MIN_LETTERS = 5


def _normal(text: str) -> str:
    """Case-folded words joined by single spaces ("&" kept as a word)."""
    return " ".join(_WORD.findall(text.casefold().replace("&", " & ")))


@lru_cache(maxsize=64)
def _forms(
    vocabulary: Vocabulary,
) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]], int]:
    """Normalized mention -> (kind, value), the single-word ones open to fuzzy matching, and
    the most words in one mention."""
    from budgetlm.assistant.corpus.lexicon import Mentions

    mentions = Mentions(vocabulary)
    tables = {
        "category": mentions.category,
        "payee": mentions.payee,
        "account": mentions.account,
        "goal": mentions.goal,
    }
    exact: dict[str, tuple[str, str]] = {}
    for kind in _KINDS:
        for value, forms in tables[kind].items():
            for form in forms:
                key = _normal(form)
                if key:
                    exact.setdefault(key, (kind, value))
    fuzzy = {
        key: owner
        for key, owner in exact.items()
        if " " not in key and len(key) >= _FUZZY_MIN_LETTERS and owner[0] in ("category", "account")
    }
    longest = max((key.count(" ") + 1 for key in exact), default=0)
    return exact, fuzzy, longest


def find_mentions(question: str, vocabulary: Vocabulary) -> list[tuple[str, str]]:
    """``(kind, value)`` of each name the question mentions, in the order they appear."""
    return list(_mentions(question, vocabulary))


@lru_cache(maxsize=256)
def _mentions(question: str, vocabulary: Vocabulary) -> tuple[tuple[str, str], ...]:
    """``find_mentions``, kept: one question is linked three times per answer (its prompt's
    mentions line, the call's candidate payees, the answer's prompt), and fuzzy matching costs
    milliseconds."""
    exact, _, longest = _forms(vocabulary)
    words = _normal(question).split()
    found: list[tuple[str, str]] = []
    i = 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            owner = exact.get(" ".join(words[i : i + size]))
            if owner is not None:
                break
        else:
            size, owner = 1, _fuzzy(words[i], vocabulary)
        if owner is not None and owner not in found:
            found.append(owner)
        i += size
    return tuple(found)


@lru_cache(maxsize=8192)
def _fuzzy(word: str, vocabulary: Vocabulary) -> tuple[str, str] | None:
    """The name one word misspells, if any; kept per word (questions share most of their
    words, and each costs a pass over the vocabulary)."""
    if len(word) < _FUZZY_MIN_LETTERS or not word.isalpha():
        return None
    fuzzy = _forms(vocabulary)[1]
    close = difflib.get_close_matches(word, fuzzy, n=1, cutoff=_FUZZY_CUTOFF)
    return fuzzy[close[0]] if close else None


def mentions_line(question: str, vocabulary: Vocabulary) -> str:
    """The line added after a question (empty when it mentions none of the user's names)."""
    found = find_mentions(question, vocabulary)
    if not found:
        return ""
    return MENTIONS_PREFIX + ", ".join(f"{kind}={value}" for kind, value in found) + "]"


def with_mentions(
    messages: Sequence[dict[str, object]], vocabulary: Vocabulary
) -> list[dict[str, object]]:
    """``messages`` with each user question followed by its mentions line."""
    out: list[dict[str, object]] = []
    for message in messages:
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, str):
            line = mentions_line(content, vocabulary)
            if line:
                message = {**message, "content": f"{content}\n{line}"}
        out.append(dict(message))
    return out


@dataclass(frozen=True)
class Candidates:
    """The values a call for the conversation's last question may take."""

    payees: tuple[str, ...]
    """Payees its questions mention or its earlier calls used."""
    numbers: tuple[JsonNumber, ...]
    """Numbers its questions say (``numbers.said_numbers``) or its earlier calls used."""


def call_candidates(messages: Sequence[Mapping[str, object]], vocabulary: Vocabulary) -> Candidates:
    """The payees and numbers said so far in ``messages`` (OpenAI form)."""
    payees: list[str] = []
    numbers: list[JsonNumber] = []
    for message in messages:
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, str):
            found = find_mentions(content, vocabulary)
            payees += [value for kind, value in found if kind == "payee"]
            numbers += said_numbers(content)
        for arguments in _call_arguments(message):
            payee = arguments.get("payee")
            if isinstance(payee, str) and payee in vocabulary.payees:
                payees.append(payee)
            numbers += [
                v
                for v in arguments.values()
                if isinstance(v, int | float) and not isinstance(v, bool)
            ]
    return Candidates(tuple(dict.fromkeys(payees)), tuple(dict.fromkeys(numbers)))


def _call_arguments(message: Mapping[str, object]) -> list[Mapping[str, object]]:
    """The arguments of the tool calls an assistant message made (dicts or JSON text)."""
    calls = message.get("tool_calls")
    if message.get("role") != "assistant" or not isinstance(calls, list):
        return []
    out: list[Mapping[str, object]] = []
    for call in calls:
        arguments = call.get("function", {}).get("arguments") if isinstance(call, dict) else None
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments)
            except json.JSONDecodeError:
                continue
        if isinstance(arguments, dict):
            out.append(arguments)
    return out
