"""The held-out items of ``budgetlm eval model``, built once and shown to every model alike.

Every item is drawn from data no training run of budgetlm sees:

- **Budget questions**: the test split of the assistant corpus (``build_corpus`` with all of
  ``conversations`` in ``test``): test households (seeds 5100-5149, never in the train split's
  100-199), half of them asked with phrasing families held out of training.
- **Categorization** and **entity extraction**: transactions of the same test-household seeds,
  generated with ``merchants="heldout"`` and kept only where the merchant is one of the ~20%
  that ``ledger.synth.merchant_split`` holds out. The categorizer's training households never
  contain those merchants; the corpus's training households may name them as payees, but never
  label one of their rows. No fine-tuning data asks for entity extraction, so its phrasings
  are unseen too.
- **Finance QA**: the ``test`` split of ``finetune.public.load_public`` over the ``--qa`` file,
  which hashes the question text, so no row of it is in the split ``budgetlm finetune`` trains
  on (same shares as the fine-tune's default).

Draws depend only on :class:`EvalConfig` (its ``seed`` above all), so two runs with the same
config score the same items; :func:`digest` fingerprints a list of items for the report.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, is_dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from budgetlm.assistant.corpus import Conversation
    from budgetlm.assistant.tools import Vocabulary
    from budgetlm.ledger.synth import SynthTransaction

TEST_HOUSEHOLDS = range(5100, 5150)
"""Seeds of the corpus's test households (``CorpusConfig.test_households``)."""


@dataclass(frozen=True)
class EvalConfig:
    """What ``budgetlm eval model`` scores, and how much of it."""

    seed: int = 0
    """Seed of every draw: the corpus, the households' rows, the phrasings, the QA sample."""
    conversations: int = 40
    """Held-out corpus conversations for the budget questions."""
    categorize_items: int = 60
    """Transactions to categorize."""
    entity_items: int = 40
    """Sentences to extract entities from."""
    qa_items: int = 40
    """Finance QA questions (at most; the test split may hold fewer)."""
    households: int = 6
    """Test households the transactions come from."""
    months: int = 3
    """Months of history generated per household."""
    qa_max_new_tokens: int = 128
    """Cap on a finance QA answer's tokens (long references cap recall, equally for all)."""
    entity_max_new_tokens: int = 160
    """Cap on the extraction JSON's tokens; an unfinished document counts as no entities."""


@dataclass(frozen=True)
class CategorizeItem:
    """A bank transaction and the category it truly has."""

    id: str
    """``h<seed>:<row>``."""
    description: str
    """As the bank printed it."""
    amount: Decimal
    """Signed amount (outflows negative)."""
    categories: tuple[str, ...]
    """The household's category list: the options."""
    category: str
    """Ground truth."""


@dataclass(frozen=True)
class EntityItem:
    """A sentence about one transaction and the entities in it."""

    id: str
    """``h<seed>:<row>``."""
    text: str
    """The sentence."""
    expected: Mapping[str, tuple[str, ...]]
    """``amounts`` (plain decimals), ``dates`` (ISO) and ``merchants`` (clean names)."""


@dataclass(frozen=True)
class QAItem:
    """A finance question and its reference answer."""

    id: str
    """``<source>#<row>``."""
    question: str
    """The user message (the row's system prompt opens it, as in fine-tuning)."""
    answer: str
    """Reference answer."""


def digest(items: Sequence[object]) -> str:
    """A short SHA-256 of items (dataclasses or corpus conversations), in order."""
    hasher = hashlib.sha256()
    for item in items:
        if callable(to_json := getattr(item, "to_json", None)):
            record = to_json()
        elif is_dataclass(item) and not isinstance(item, type):
            record = asdict(item)
        else:
            raise TypeError(f"cannot fingerprint {item!r}")
        hasher.update(json.dumps(record, sort_keys=True, default=str).encode())
    return hasher.hexdigest()[:16]


def budget_conversations(
    config: EvalConfig,
) -> tuple[tuple[Conversation, ...], dict[str, Vocabulary]]:
    """The corpus's test conversations and each household's vocabulary."""
    from budgetlm.assistant.corpus import CorpusConfig, build_corpus
    from budgetlm.assistant.tools import Vocabulary

    corpus = build_corpus(
        CorpusConfig(seed=config.seed, size=config.conversations, shares=(0.0, 0.0, 1.0))
    )
    vocabularies = {
        h.key: Vocabulary(**{k: tuple(v) for k, v in h.vocabulary.items()})
        for h in corpus.households
    }
    return corpus.splits["test"], vocabularies


def _heldout_rows(
    config: EvalConfig, task: Literal["categorize", "entities"]
) -> Iterator[tuple[str, SynthTransaction]]:
    """(id, row) of held-out-merchant transactions, an equal share from each test household,
    in a seeded order."""
    from budgetlm.ledger.synth import generate_household, random_persona
    from budgetlm.ledger.synth.merchants import merchant_split

    wanted = config.categorize_items if task == "categorize" else config.entity_items
    per_household = math.ceil(wanted / config.households)
    for seed in TEST_HOUSEHOLDS[: config.households]:
        household = generate_household(
            random_persona(seed), months=config.months, seed=seed, merchants="heldout"
        )
        rows = [
            (f"h{seed}:{n}", t)
            for n, t in enumerate(household.transactions)
            if merchant_split(t.merchant_id) == "heldout"
            and (t.amount < 0 or (task == "entities" and t.is_refund))
        ]
        rng = random.Random(f"{config.seed}|{task}|{seed}")
        yield from rng.sample(rows, k=min(per_household, len(rows)))


def categorize_items(config: EvalConfig) -> list[CategorizeItem]:
    """Held-out transactions to categorize (see the module docstring)."""
    from budgetlm.ledger.taxonomy import default_categories

    defaults = tuple(c.name for c in default_categories())
    items = [
        CategorizeItem(key, t.description, t.amount, defaults, t.category)
        for key, t in _heldout_rows(config, "categorize")
    ]
    missing = {i.category for i in items} - set(defaults)
    if missing:  # the household would have these categories too (context_from_household)
        extended = defaults + tuple(sorted(missing))
        items = [CategorizeItem(i.id, i.description, i.amount, extended, i.category) for i in items]
    return items[: config.categorize_items]


PHRASINGS = (
    "Paid {amount} at {merchant} on {date}.",
    "{merchant} charged me {amount} on {date}.",
    "On {date} I spent {amount} at {merchant}.",
    "{date}: {amount} to {merchant}",
    "Got a receipt from {merchant} for {amount}, dated {date}.",
    "Can you log {amount} at {merchant} from {date}?",
)
"""Sentences about a purchase."""
REFUND_PHRASINGS = (
    "{merchant} refunded {amount} on {date}.",
    "Got {amount} back from {merchant} on {date}.",
)
"""Sentences about a refund."""


def _amount_text(rng: random.Random, value: Decimal) -> str:
    return rng.choice((f"${value:,.2f}", f"{value:,.2f} dollars", f"USD {value:.2f}"))


def _date_text(rng: random.Random, day: date) -> str:
    return rng.choice((
        f"{day:%B} {day.day}, {day.year}", f"{day:%b} {day.day}, {day.year}",
        f"{day.month}/{day.day}/{day.year}", day.isoformat(), f"{day.day} {day:%B} {day.year}",
    ))  # fmt: skip


def entity_items(config: EvalConfig) -> list[EntityItem]:
    """Sentences built from held-out transactions (see the module docstring); the amount is
    written as the user would say it, without a sign."""
    items = []
    for key, t in _heldout_rows(config, "entities"):
        rng = random.Random(f"{config.seed}|phrasing|{key}")
        value = abs(t.amount)
        template = rng.choice(REFUND_PHRASINGS if t.amount > 0 else PHRASINGS)
        text = template.format(
            amount=_amount_text(rng, value), merchant=t.merchant, date=_date_text(rng, t.date)
        )
        expected = {"amounts": (str(value),), "dates": (t.date.isoformat(),),
                    "merchants": (t.merchant,)}  # fmt: skip
        items.append(EntityItem(key, text, expected))
    return items[: config.entity_items]


def qa_items(path: Path, config: EvalConfig) -> list[QAItem]:
    """A seeded sample of the ``test`` split of a Finance-Instruct-layout file (file order)."""
    from budgetlm.finetune.public import PublicDataConfig, load_public

    test = load_public(path, PublicDataConfig(min_tokens=0)).splits["test"]
    keep = sorted(random.Random(f"{config.seed}|qa").sample(
        range(len(test)), k=min(config.qa_items, len(test))
    ))  # fmt: skip
    items = []
    for index in keep:
        example = test[index]
        question, answer = (str(m["content"]) for m in example.messages[:2])
        items.append(QAItem(f"{example.meta['source']}#{example.meta['row']}", question, answer))
    return items
