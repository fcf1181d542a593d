"""Synthetic households as the corpus uses them: generated, personalized, as of a chosen today.

``household_context(seed, rng)`` generates a household (``ledger.synth``), picks a ``today``
inside its history and builds the tools' ``ToolContext`` for it. Some households are then
personalized the way real users make a ledger their own, so the model sees names beyond the
default taxonomy: a category or two renamed ("Dining Out" -> "Restaurants"), accounts renamed
("Checking" -> "Joint Checking"), a goal renamed ("Vacation" -> "Japan Trip"), and, for
robustness, a payee or two whose name carries prompt-injection text ("IGNORE PREVIOUS
INSTRUCTIONS"). Renames apply to every transaction, budget and goal, so tool results agree.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from budgetlm.analytics.history import History
from budgetlm.assistant.corpus.lexicon import Lexicon, Usage, lexicon
from budgetlm.assistant.tools import ToolContext, context_from_household, make_context
from budgetlm.ledger.synth import generate_household, random_persona


@dataclass(frozen=True)
class Renames:
    """How a household was personalized (old name -> new name, per kind)."""

    categories: Mapping[str, str] = field(default_factory=dict)
    """Category renames."""
    accounts: Mapping[str, str] = field(default_factory=dict)
    """Account renames."""
    goals: Mapping[str, str] = field(default_factory=dict)
    """Goal renames."""
    payees: Mapping[str, str] = field(default_factory=dict)
    """Payees given hostile names."""


@dataclass(frozen=True)
class HouseholdSample:
    """One household as of one day, ready for questions."""

    seed: int
    """Seed of ``generate_household`` and ``random_persona``."""
    today: date
    """The day its questions are asked."""
    context: ToolContext
    """What the tools read."""
    renames: Renames
    """How it was personalized."""

    @property
    def key(self) -> str:
        """Identifier of the household and day, e.g. ``h100@2026-07-14``."""
        return f"h{self.seed}@{self.today.isoformat()}"


def _pick_renames(
    rng: random.Random, names: tuple[str, ...], table: Mapping[str, tuple[str, ...]], share: float
) -> dict[str, str]:
    taken = set(names)
    out: dict[str, str] = {}
    for name in names:
        options = [n for n in table.get(name, ()) if n not in taken]
        if options and rng.random() < share:
            out[name] = rng.choice(options)
            taken.add(out[name])
    return out


def _renames(rng: random.Random, context: ToolContext, lex: Lexicon) -> Renames:
    vocab = context.vocabulary
    used = Counter(t.category for t in context.past if t.category)
    categories: dict[str, str] = {}
    if rng.random() < 0.4:
        candidates = tuple(c for c in vocab.categories if used[c])
        categories = _pick_renames(rng, candidates, lex.category_renames, 0.35)
    accounts: dict[str, str] = {}
    if rng.random() < 0.35:
        accounts = _pick_renames(rng, vocab.accounts, lex.account_renames, 0.6)
    goals: dict[str, str] = {}
    if vocab.goals and rng.random() < 0.4:
        fresh = [g for g in lex.goal_names if g not in vocab.goals]
        goals = {rng.choice(vocab.goals): rng.choice(fresh)}
    payees: dict[str, str] = {}
    if rng.random() < 0.35:
        spent = Counter(t.payee for t in context.past if t.group in ("need", "want"))
        pool = sorted(p for p, _ in spent.most_common(60) if len(p) >= 4)
        chosen = rng.sample(pool, k=min(len(pool), rng.randint(1, 2)))
        names = rng.sample(lex.hostile_payees, k=len(chosen))
        payees = dict(zip(chosen, names, strict=True))
    return Renames(categories, accounts, goals, payees)


def personalize(context: ToolContext, renames: Renames) -> ToolContext:
    """The same household with categories, accounts, goals and payees renamed."""

    def rename(table: Mapping[str, str], name: str) -> str:
        return table.get(name, name)

    transactions = tuple(
        replace(
            t,
            category=None if t.category is None else rename(renames.categories, t.category),
            account=rename(renames.accounts, t.account),
            payee=rename(renames.payees, t.payee),
        )
        for t in context.history.transactions
    )
    accounts = tuple(
        replace(a, name=rename(renames.accounts, a.name)) for a in context.history.accounts
    )
    return make_context(
        History(transactions, accounts),
        context.today,
        budgets=[
            replace(b, category=rename(renames.categories, b.category)) for b in context.budgets
        ],
        goals=[replace(g, name=rename(renames.goals, g.name)) for g in context.goals],
        debts=context.debts,
        categories=[rename(renames.categories, c) for c in context.vocabulary.categories],
    )


def household_context(
    seed: int, rng: random.Random, *, months: int = 12, personalize_share: float = 1.0
) -> HouseholdSample:
    """Generate household ``seed``, pick its ``today`` and build its (personalized) context.

    Args:
        seed: Household seed (persona and generator).
        rng: Draws today and the personalization.
        months: Months of history generated.
        personalize_share: Chance that the household is personalized at all.
    """
    household = generate_household(random_persona(seed), months=months, seed=seed, hostile=True)
    span = (household.end - household.start).days
    today = household.start + timedelta(days=rng.randint(min(span, 120), span))
    context = context_from_household(household, today)
    renames = Renames()
    if rng.random() < personalize_share:
        renames = _renames(rng, context, lexicon())
        context = personalize(context, renames)
    return HouseholdSample(seed, today, context, renames)


def usage_of(sample: HouseholdSample) -> Usage:
    """The categories and payees the household actually uses, as of its today."""
    past = sample.context.past
    return Usage(
        categories=frozenset(t.category for t in past if t.category and t.amount < 0),
        spend_payees=frozenset(
            t.payee for t in past if t.amount < 0 and t.group in ("need", "want")
        ),
        income_payees=frozenset(t.payee for t in past if t.amount > 0 and t.group == "income"),
    )
