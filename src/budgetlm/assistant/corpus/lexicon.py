"""How questions name a household's things: categories, payees, accounts, goals and debts.

The words live in ``lexicon.yaml``; ``Mentions`` turns one household's ``Vocabulary`` into the
mentions each enum value may be called by, keeping only unambiguous ones:

- a category by its own name (as written, lower case, "&" said as "and") and, when it is the
  household's only category of a default-taxonomy category, by that category's everyday words
  ("eating out" for Dining Out, "subs" for Subscriptions);
- a payee by its name as the ledger shows it, in lower case, and by its first word when no other
  payee shares that word and it is not a generic word ("the", "golden"...);
- an account by its name and, when it is the only one of its kind, by the kind ("my checking",
  "the card", "my visa");
- a goal or a debt by its name.

A mention that could mean two values is dropped, so the expected call is always recoverable from
the question.
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from budgetlm.assistant.tools import Vocabulary
from budgetlm.ledger.taxonomy import CategoryGroup, default_categories, match_default_category


@dataclass(frozen=True)
class Lexicon:
    """The word lists of ``lexicon.yaml``."""

    categories: Mapping[str, tuple[str, ...]]
    """Default-taxonomy category -> everyday words for it."""
    account_kinds: Mapping[str, tuple[str, ...]]
    """Account kind -> words in an account name that reveal it (checked in order)."""
    accounts: Mapping[str, tuple[str, ...]]
    """Account kind -> mentions used when the household has one account of that kind."""
    account_words: Mapping[str, tuple[str, ...]]
    """Word in an account name -> extra mentions."""
    payee_stopwords: frozenset[str]
    """First words never used alone for a payee."""
    things: Mapping[str, str]
    """Purchase -> default category it belongs to."""
    plain_things: tuple[str, ...]
    """Purchases with no category implied."""
    strategies: Mapping[str, tuple[str, ...]]
    """Debt strategy -> how people name it."""
    goal_names: tuple[str, ...]
    """Goal names some households get."""
    category_renames: Mapping[str, tuple[str, ...]]
    """Default category -> names users give it."""
    account_renames: Mapping[str, tuple[str, ...]]
    """Generator account name -> names users give it."""
    hostile_payees: tuple[str, ...]
    """Payee names carrying prompt-injection text."""


def _tuples(data: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    return {str(k): tuple(str(x) for x in v) for k, v in data.items()}


@cache
def lexicon() -> Lexicon:
    """The lexicon shipped with the package (loaded once)."""
    text = resources.files(__package__).joinpath("lexicon.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    known = {c.name for c in default_categories()}
    unknown = (set(data["categories"]) | set(data["things"].values())) - known
    if unknown:
        raise ValueError(f"lexicon.yaml: not default categories: {sorted(unknown)}")
    return Lexicon(
        categories=_tuples(data["categories"]),
        account_kinds=_tuples(data["account_kinds"]),
        accounts=_tuples(data["accounts"]),
        account_words=_tuples(data["account_words"]),
        payee_stopwords=frozenset(data["payee_stopwords"]),
        things={str(k): str(v) for k, v in data["things"].items()},
        plain_things=tuple(data["plain_things"]),
        strategies=_tuples(data["strategies"]),
        goal_names=tuple(data["goal_names"]),
        category_renames=_tuples(data["category_renames"]),
        account_renames=_tuples(data["account_renames"]),
        hostile_payees=tuple(data["hostile_payees"]),
    )


_SPENDING_GROUPS: frozenset[CategoryGroup] = frozenset({"need", "want"})


def base_category(name: str) -> str | None:
    """The default-taxonomy category a user's category name stands for, if any."""
    spec = match_default_category(name)
    return spec.name if spec else None


def _verbatim(name: str) -> list[str]:
    forms = [name, name.lower()]
    if "&" in name:
        forms.append(name.replace("&", "and").lower())
    return forms


def _account_kind(name: str, lex: Lexicon) -> str | None:
    lowered = name.lower()
    for kind, words in lex.account_kinds.items():
        if any(re.search(rf"\b{re.escape(w)}\b", lowered) for w in words):
            return kind
    return None


def _askable_payee(name: str) -> bool:
    """Whether a person would plausibly type this payee (not a 2-letter truncation)."""
    words = re.findall(r"[A-Za-z']+", name)
    return len(name) >= 4 and any(len(w) >= 4 for w in words)


@dataclass(frozen=True)
class Usage:
    """What a household actually uses, so questions favour it (others still come up now and
    then, for honest "nothing spent" answers)."""

    categories: frozenset[str] = frozenset()
    """Categories with spending."""
    spend_payees: frozenset[str] = frozenset()
    """Payees paid for day-to-day spending and bills."""
    income_payees: frozenset[str] = frozenset()
    """Payees that paid the household (employers, benefits)."""


class Mentions:
    """The unambiguous mentions of one household's enum values.

    Args:
        vocabulary: The household's names.
        usage: What the household uses (None: every name alike).
        lex: Word lists (the shipped lexicon by default).
    """

    def __init__(
        self, vocabulary: Vocabulary, usage: Usage | None = None, lex: Lexicon | None = None
    ) -> None:
        self.vocabulary = vocabulary
        self.usage = usage
        self.lex = lex or lexicon()
        self.category = self._dedupe(self._category_forms())
        self.payee = self._dedupe(self._payee_forms())
        self.account = self._dedupe(self._account_forms())
        self.goal = {g: tuple(dict.fromkeys(_verbatim(g))) for g in vocabulary.goals}
        self.debt = {d: tuple(dict.fromkeys(_verbatim(d))) for d in vocabulary.debts}
        groups = {c.name: c.group for c in default_categories()}
        self.spend_categories = tuple(
            c
            for c in vocabulary.categories
            if c in self.category and groups.get(base_category(c) or "", "want") in _SPENDING_GROUPS
        )
        self.used_categories = tuple(
            c for c in self.spend_categories if usage is None or c in usage.categories
        )
        bases = Counter(base_category(c) for c in vocabulary.categories)
        self.by_base = {
            b: c for c in self.spend_categories if (b := base_category(c)) and bases[b] == 1
        }
        ranked = [p for p in vocabulary.payees if p in self.payee and _askable_payee(p)]
        self.payees = tuple(ranked)
        self.hostile = tuple(p for p in self.payees if p in self.lex.hostile_payees)
        self.spend_payees = tuple(
            p for p in self.payees if usage is None or p in usage.spend_payees
        )
        self.income_payees = tuple(
            p for p in self.payees if usage is None or p in usage.income_payees
        )

    @staticmethod
    def _dedupe(forms: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
        owners: dict[str, set[str]] = defaultdict(set)
        for value, mentions in forms.items():
            for mention in mentions:
                owners[mention.lower()].add(value)
        out = {}
        for value, mentions in forms.items():
            kept = [m for m in dict.fromkeys(mentions) if owners[m.lower()] == {value}]
            if kept:
                out[value] = tuple(kept)
        return out

    def _category_forms(self) -> dict[str, list[str]]:
        bases = {c: base_category(c) for c in self.vocabulary.categories}
        counts = Counter(b for b in bases.values() if b)
        forms = {}
        for name, base in bases.items():
            extra = self.lex.categories.get(base, ()) if base and counts[base] == 1 else ()
            forms[name] = _verbatim(name) + list(extra)
        return forms

    def _payee_forms(self) -> dict[str, list[str]]:
        first_words = Counter(
            w.lower() for p in self.vocabulary.payees for w in set(re.findall(r"[\w']+", p))
        )
        forms = {}
        for payee in self.vocabulary.payees:
            mentions = [payee, payee, payee.lower()]
            words = payee.split()
            head = words[0].lower() if words else ""
            if (
                payee not in self.lex.hostile_payees
                and len(words) > 1
                and re.fullmatch(r"[a-z][a-z']{3,}", head)
                and head not in self.lex.payee_stopwords
                and first_words[head] == 1
            ):
                mentions.append(words[0])
            forms[payee] = mentions
        return forms

    def _account_forms(self) -> dict[str, list[str]]:
        kinds = {a: _account_kind(a, self.lex) for a in self.vocabulary.accounts}
        counts = Counter(k for k in kinds.values() if k)
        forms = {}
        for name, kind in kinds.items():
            lowered = name.lower()
            mentions = [f"my {lowered}", f"the {lowered}", lowered, name]
            if kind and counts[kind] == 1:
                mentions += self.lex.accounts.get(kind, ())
            for word, extra in self.lex.account_words.items():
                if word in lowered:
                    mentions += extra
            forms[name] = mentions
        return forms

    def pick_category(self, rng: random.Random, *, spending: bool = True) -> str:
        """A category to ask about (a spending one by default)."""
        if not spending or not self.spend_categories:
            return rng.choice(tuple(self.category))
        common = self.used_categories if rng.random() < 0.85 else ()
        return rng.choice(common or self.spend_categories)

    def pick_payee(self, rng: random.Random, *, paying: bool = False) -> str:
        """A payee to ask about: one the household spends at (or, with ``paying``, one that
        pays it), frequent ones more often, hostile ones now and then."""
        if self.hostile and rng.random() < 0.15:
            return rng.choice(self.hostile)
        pool = (self.income_payees if paying else self.spend_payees) or self.payees
        if rng.random() < 0.1:
            pool = self.payees
        top = pool[: max(1, len(pool) // 3)]
        return rng.choice(top if rng.random() < 0.6 else pool)

    def say(self, rng: random.Random, slot: str, value: str) -> str:
        """One mention of ``value`` for a category/payee/account/goal/debt slot."""
        table: Mapping[str, tuple[str, ...]] = getattr(self, slot)
        return rng.choice(table[value])

    def thing(self, rng: random.Random) -> tuple[str, str | None]:
        """A purchase to ask about affording, and the household's category for it (if any)."""
        things = [(t, self.by_base[b]) for t, b in self.lex.things.items() if b in self.by_base]
        if things and rng.random() < 0.7:
            return rng.choice(things)
        return rng.choice(self.lex.plain_things), None

    def available(self) -> frozenset[str]:
        """Slot names this household can fill (every non-enum slot always can)."""
        have = {
            "category": bool(self.spend_categories),
            "payee": bool(self.payees),
            "payer": bool(self.payees),
            "account": bool(self.account),
            "goal": bool(self.goal),
            "debt": bool(self.debt),
        }
        return frozenset(k for k, ok in have.items() if ok)
