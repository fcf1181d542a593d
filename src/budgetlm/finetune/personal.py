"""``budgetlm dataset export --personal``: training conversations about the user's own ledger.

The conversations are made exactly as the synthetic corpus makes them (``assistant.corpus``):
questions from the phrasing families, the call each one means, the result the real tools compute,
the answer filled from it. Only the household differs: it is the user's, as of their today.

Nothing personal reaches the files because the household is anonymized *before* anything is
built from it (``anonymize_context``): every payee, description, account, category, goal and
debt name passes one ``Anonymizer``, so questions, tool arguments, tool results, answers and the
tools' enums all read the same pseudonyms ("Person 1", "[number]") and still add up. Merchants
stay. Two passes, because a bank line's personal data often survives in a derived name (the
payee of "Zelle to Maria Lopez" is "Maria Lopez", which alone matches no pattern):

1. anonymize every text, collecting what was removed;
2. remove, everywhere, whatever the first pass found anywhere: numbers, phones, e-mails,
   addresses, names of two words or more, and the last four digits of removed card numbers;
   a one-word name ("Venmo to Joe") only from its own transaction's payee, so that "Trader
   Joe's" keeps its name.

Then, as a last guard, the export refuses to write if any removed original still occurs in the
examples. What was removed comes back as a ``RemovalReport`` for the terminal; it holds the
originals, so it is never written to the export directory.

With a single household, splits cannot hold out households: train asks with train phrasings
only, validation and test only with their held-out families and templates (``heldout_share``
1.0), so every evaluation question is phrased in a way training never saw.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from budgetlm.analytics.history import History
from budgetlm.assistant.corpus import SPLITS, Conversation, DialogueConfig, Split
from budgetlm.assistant.tools import ToolContext, make_context, tool_schemas
from budgetlm.errors import InputError
from budgetlm.finetune.anonymize import Anonymizer, Removal
from budgetlm.finetune.export import check_directory, conversation_example, write_export
from budgetlm.finetune.formats import Format

HOUSEHOLD = "personal"
"""The household key of every personal conversation (no name, no seed)."""
PRIVACY_WARNING = (
    "These files hold your own financial history: amounts, dates, merchants, categories and "
    "balances. People's names, card and account numbers, phone numbers, e-mail addresses and "
    "street addresses were replaced, but what remains is still personal. Keep them on this "
    "computer; do not share or upload them unless you mean to."
)
"""Printed after every personal export (``budgetlm dataset export --personal``)."""
_SHARES: Mapping[Split, float] = {"train": 0.8, "validation": 0.1, "test": 0.1}


@dataclass(frozen=True)
class PersonalExportConfig:
    """What to export from the user's ledger."""

    format: Format = "chat"
    """Output format (``formats.FORMATS``)."""
    seed: int = 0
    """Seed of every draw (questions, noise, answers): the same ledger and seed give the same
    files."""
    size: int = 2_000
    """Conversations over all splits (80% train, 10% validation, 10% test)."""
    samples: int = 10
    """Descriptions shown in the removal report."""
    safety_per_family: int = 100
    """Out-of-scope questions drawn per safety family (the refusal turns' source)."""


@dataclass(frozen=True)
class RemovalReport:
    """What the anonymizer removed from the ledger (for the terminal only: it holds originals)."""

    kinds: Mapping[str, int] = field(default_factory=dict)
    """Removals per kind (``name``, ``number``, ``phone``, ``email``, ``address``) over the
    distinct texts."""
    texts: int = 0
    """Distinct texts anonymized (descriptions, payees, accounts, categories, goals, debts)."""
    changed: int = 0
    """Of those, the texts that changed."""
    samples: tuple[tuple[str, str], ...] = ()
    """Some changed descriptions: (original, anonymized)."""


@dataclass(frozen=True)
class AnonymizedLedger:
    """A household with personal data removed, and what was removed."""

    context: ToolContext
    """The anonymized context the conversations are built from."""
    report: RemovalReport
    """What went (originals included)."""
    originals: tuple[str, ...]
    """Removed texts that must not occur in anything exported (``assert_no_leaks``)."""


@dataclass(frozen=True)
class PersonalExport:
    """A written personal export."""

    manifest: Mapping[str, Any]
    """The manifest written beside the files (no personal text)."""
    report: RemovalReport
    """What the anonymizer removed, to show the user."""


# ---------------------------------------------------------------- anonymizing the household


def _phrase(text: str) -> str:
    """A regex matching ``text`` as a whole phrase, any case and spacing."""
    words = (re.escape(w) for w in text.split())
    return r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)"


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


class _Scrubber:
    """Removes a set of known originals from texts, each by its replacement."""

    def __init__(self, removals: Iterable[Removal]) -> None:
        self.replacement = {_key(r.original): r for r in removals}
        phrases = sorted(self.replacement, key=len, reverse=True)
        self.pattern = (
            re.compile("|".join(map(_phrase, phrases)), re.IGNORECASE) if phrases else None
        )

    def __call__(self, text: str, removed: list[Removal]) -> str:
        if self.pattern is None:
            return text

        def swap(match: re.Match[str]) -> str:
            known = self.replacement[_key(match.group())]
            removed.append(Removal(known.kind, match.group(), known.replacement))
            return known.replacement

        return self.pattern.sub(swap, text)


def _everywhere(removals: Iterable[Removal]) -> list[Removal]:
    """What the second pass removes from every text (see the module docstring)."""
    out = []
    for removal in removals:
        if removal.kind != "name" or len(removal.original.split()) > 1:
            out.append(removal)
        if removal.kind == "number":
            digits = re.findall(r"\d{4,}", removal.original)
            out += [Removal("number", digits[-1][-4:], removal.replacement)] if digits else []
    return out


def _texts(context: ToolContext) -> Iterator[str]:
    history = context.history
    for t in history.transactions:
        yield from (t.description, t.payee, t.account, t.category or "")
    yield from (a.name for a in history.accounts)
    yield from (b.category for b in context.budgets)
    yield from context.vocabulary.categories
    yield from (g.name for g in context.goals)
    yield from (d.name for d in context.debts)


def _unique(names: Iterable[str], clean: Callable[[str], str]) -> dict[str, str]:
    """Each name's clean form, numbered where two would become one ("Visa [number] 2")."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name in dict.fromkeys(names):
        candidate, n = clean(name), 1
        while candidate.casefold() in taken:
            n += 1
            candidate = f"{clean(name)} {n}"
        taken.add(candidate.casefold())
        out[name] = candidate
    return out


def anonymize_context(
    context: ToolContext, *, samples: int = 10, seed: int = 0
) -> AnonymizedLedger:
    """``context`` with personal data removed from every name the tools can show.

    Args:
        context: The user's household (``tools.load_context``).
        samples: Changed descriptions kept for the report.
        seed: Picks the sample.
    """
    anonymizer = Anonymizer()
    first = {text: anonymizer.anonymize(text) for text in _texts(context) if text}
    found = [r for _, removed in first.values() for r in removed]
    scrub = _Scrubber(_everywhere(found))
    final: dict[str, tuple[str, list[Removal]]] = {}
    for text, (once, removed) in first.items():
        both = list(removed)
        final[text] = (scrub(once, both), both)

    def clean(text: str) -> str:
        return final[text][0] if text else text

    history = context.history
    accounts = _unique([a.name for a in history.accounts], clean)
    names = [*context.vocabulary.categories, *(t.category or "" for t in history.transactions),
             *(b.category for b in context.budgets)]  # fmt: skip
    categories = _unique([c for c in names if c], clean)
    transactions = tuple(
        replace(
            t,
            description=clean(t.description),
            payee=_payee(t.payee, final[t.description][1] if t.description else [], clean),
            account=accounts[t.account],
            category=None if t.category is None else categories[t.category],
        )
        for t in history.transactions
    )
    goals = _unique([g.name for g in context.goals], clean)
    debts = _unique([d.name for d in context.debts], clean)
    anonymized = make_context(
        History(transactions, tuple(replace(a, name=accounts[a.name]) for a in history.accounts)),
        context.today,
        budgets=[replace(b, category=categories[b.category]) for b in context.budgets],
        goals=[replace(g, name=goals[g.name]) for g in context.goals],
        debts=[replace(d, name=debts[d.name]) for d in context.debts],
        categories=[categories[c] for c in context.vocabulary.categories],
    )
    every = [r for _, removed in final.values() for r in removed]
    # a card's last four digits alone may equal an amount or a year: the guard skips them
    originals = {r.original for r in _everywhere(every) if not _last_four(r.original)}
    return AnonymizedLedger(
        anonymized, _report(context, final, samples, seed), tuple(sorted(originals))
    )


def _last_four(text: str) -> bool:
    return text.isdigit() and len(text) == 4


def _payee(payee: str, local: Sequence[Removal], clean: Callable[[str], str]) -> str:
    """The payee anonymized, and rid of the one-word names found in its own description."""
    text = clean(payee)
    names = [r for r in local if r.kind == "name" and len(r.original.split()) == 1]
    return _Scrubber(names)(text, []) if names else text


def _report(
    context: ToolContext,
    final: Mapping[str, tuple[str, list[Removal]]],
    samples: int,
    seed: int,
) -> RemovalReport:
    kinds = Counter(r.kind for _, removed in final.values() for r in removed)
    descriptions = dict.fromkeys(t.description for t in context.history.transactions)
    changed = [d for d in descriptions if d and final[d][1]]
    picked = sorted(random.Random(seed).sample(range(len(changed)), min(samples, len(changed))))
    return RemovalReport(
        kinds=dict(kinds.most_common()),
        texts=len(final),
        changed=sum(1 for _, removed in final.values() if removed),
        samples=tuple((changed[i], final[changed[i]][0]) for i in picked),
    )


def assert_no_leaks(values: Iterable[object], originals: Sequence[str]) -> None:
    """Raise if any removed original occurs in ``values`` (a guard: anonymizing the household
    first should make this impossible).

    Args:
        values: What will be written: texts, or lists and mappings holding them (each
            example's messages, the tools list).
        originals: Removed texts (``AnonymizedLedger.originals``).

    Raises:
        InputError: Without repeating the original.
    """
    if not originals:
        return
    pattern = re.compile("|".join(map(_phrase, originals)), re.IGNORECASE)
    for value in values:
        if pattern.search("\n".join(_strings(value))):
            raise InputError(
                "personal data survived anonymization; nothing was written (please report this)"
            )


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


# ---------------------------------------------------------------- conversations and files


def personal_conversations(
    context: ToolContext, config: PersonalExportConfig
) -> dict[Split, list[Conversation]]:
    """Conversations about ``context`` (already anonymized) per split, deterministic for
    ``config.seed``; evaluation splits use held-out phrasings only."""
    from budgetlm.assistant.corpus.dialogues import household_conversations
    from budgetlm.assistant.corpus.households import HouseholdSample, Renames
    from budgetlm.assistant.safety_data import GenerationConfig, safety_examples

    sample = HouseholdSample(seed=0, today=context.today, context=context, renames=Renames())
    dialogue = DialogueConfig(heldout_share=1.0)
    out: dict[Split, list[Conversation]] = {}
    for split in SPLITS:
        rng = random.Random(f"{config.seed}|{HOUSEHOLD}|{split}")
        safety = [
            e
            for e in safety_examples(
                split, config.seed, GenerationConfig(per_family=config.safety_per_family)
            )
            if e.kind != "in_scope"
        ]
        made = household_conversations(
            sample, split, round(config.size * _SHARES[split]), rng, dialogue, safety
        )
        out[split] = [
            Conversation(f"{split}-{n:06d}", split, kind, HOUSEHOLD, 0, context.today, tuple(turns))
            for n, (kind, turns) in enumerate(made)
        ]
    return out


def export_personal(
    context: ToolContext, config: PersonalExportConfig, directory: Path
) -> PersonalExport:
    """Anonymize the user's household, build its conversations and write them to
    ``directory`` (which must be new, empty or an earlier personal export).

    Args:
        context: The user's household as of their today (``tools.load_context``).
        config: What to export.
        directory: Where to write; files there are readable by their owner only.

    Raises:
        InputError: The ledger has no transactions up to today, the directory holds other
            files or a synthetic export, or anything personal survived.
    """
    if not context.past:
        raise InputError(
            f"the ledger has no transactions up to {context.today.isoformat()} to build "
            "conversations from; import a bank statement first (budgetlm import FILE)"
        )
    check_directory(directory, "personal")  # before the work, not only before the writing
    anonymized = anonymize_context(context, samples=config.samples, seed=config.seed)
    tools = tool_schemas(anonymized.context.vocabulary)
    splits = {
        split: [conversation_example(c, tools, "personal") for c in conversations]
        for split, conversations in personal_conversations(anonymized.context, config).items()
    }
    messages = (e.messages for examples in splits.values() for e in examples)
    assert_no_leaks([tools, *messages], anonymized.originals)
    manifest = {
        "config": asdict(config),
        "source": "personal",
        "today": context.today.isoformat(),
        "anonymized": {"removed": dict(anonymized.report.kinds),
                       "texts_changed": anonymized.report.changed},
        "held_out_by": "phrasing family and template (one household: the ledger's)",
    }  # fmt: skip
    written = write_export(directory, splits, config.format, manifest)
    return PersonalExport(written, anonymized.report)
