"""Building the whole corpus: households per split, their conversations, statistics, JSONL.

``build_corpus(CorpusConfig(...))`` is deterministic for its config: every household draws from
its own generator seeded by (corpus seed, split, household seed), and households are assembled
in a fixed order whether they are made in one process or several (``workers``).

Splits differ twice over: evaluation households are unseen (train seeds 100-199, validation
5000+, test 5100+), and half of the evaluation conversations (``heldout_share``) are asked with
phrasing families and templates held out of training (``families.py``).
"""

from __future__ import annotations

import json
import math
import random
import time
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from budgetlm.assistant.corpus.dialogues import (
    Conversation,
    DialogueConfig,
    Turn,
    household_conversations,
)
from budgetlm.assistant.corpus.families import SPLITS, Split, followup_groups, question_groups
from budgetlm.assistant.corpus.households import household_context
from budgetlm.assistant.safety_data import GenerationConfig, LabelledQuestion, safety_examples


@dataclass(frozen=True)
class CorpusConfig:
    """What corpus to build."""

    seed: int = 0
    """Seed of every draw (households' todays, questions, noise, answers)."""
    size: int = 20_000
    """Conversations over all splits."""
    shares: tuple[float, float, float] = (0.8, 0.1, 0.1)
    """Share of train, validation and test conversations."""
    train_households: tuple[int, int] = (100, 200)
    """Seeds of train households (range, end excluded)."""
    validation_households: tuple[int, int] = (5000, 5050)
    """Seeds of validation households."""
    test_households: tuple[int, int] = (5100, 5150)
    """Seeds of test households."""
    per_household: int = 160
    """Conversations per household (fewer households are used for small corpora)."""
    months: int = 12
    """Months of history per household."""
    safety_per_family: int = 100
    """Questions drawn per family of the safety grammar (``safety_data``), refusal turns'
    source."""
    workers: int = 1
    """Processes building households in parallel (the output does not depend on it)."""
    dialogue: DialogueConfig = field(default_factory=DialogueConfig)
    """How conversations are made."""

    def households(self, split: Split) -> range:
        """Household seeds available to ``split``."""
        low, high = {
            "train": self.train_households,
            "validation": self.validation_households,
            "test": self.test_households,
        }[split]
        return range(low, high)


@dataclass(frozen=True)
class HouseholdRecord:
    """A household as the corpus used it (for schemas and constrained decoding)."""

    key: str
    """``h<seed>@<today>``, referenced by each conversation's meta."""
    split: Split
    """Split it serves."""
    seed: int
    """Generator seed."""
    today: str
    """ISO date of its questions."""
    vocabulary: Mapping[str, list[str]]
    """Its ``Vocabulary`` fields (the tools' enums)."""
    renames: Mapping[str, Mapping[str, str]]
    """How it was personalized."""


@dataclass(frozen=True)
class Corpus:
    """The built corpus."""

    config: CorpusConfig
    """What was built."""
    splits: Mapping[Split, tuple[Conversation, ...]]
    """Conversations per split."""
    households: tuple[HouseholdRecord, ...]
    """Households used, in order."""
    seconds: float
    """Time taken to build."""

    def jsonl(self, split: Split) -> str:
        """One split as JSON lines (``{"messages": [...], "meta": {...}}``)."""
        return "".join(
            json.dumps(c.to_json(), ensure_ascii=False) + "\n" for c in self.splits[split]
        )

    def stats(self) -> dict[str, object]:
        """Counts per split: conversations, turns, unique questions, families, tokens (~4
        characters each), kinds, tools and result statuses; and the build time."""
        out: dict[str, object] = {"seconds": round(self.seconds, 1)}
        for split, conversations in self.splits.items():
            turns = [t for c in conversations for t in c.turns]
            chars = sum(len(json.dumps(c.messages(), ensure_ascii=False)) for c in conversations)
            out[split] = {
                "conversations": len(conversations),
                "turns": len(turns),
                "unique_questions": len({t.user for t in turns}),
                "unique_clean_questions": len({t.clean for t in turns}),
                "families_used": len({t.family for t in turns}),
                "heldout_conversations": sum(1 for c in conversations if c.meta()["heldout"]),
                "households": len({c.household for c in conversations}),
                "tokens_approx": chars // 4,
                "kinds": dict(Counter(c.kind for c in conversations).most_common()),
                "tools": dict(Counter(t.call.name for t in turns).most_common()),
                "statuses": dict(Counter(t.result.status for t in turns).most_common()),
            }
        out["families"] = _family_counts()
        return out

    def write(self, directory: Path) -> list[Path]:
        """Write ``<split>.jsonl``, ``households.jsonl``, ``stats.json`` and ``config.json``."""
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for split in SPLITS:
            path = directory / f"{split}.jsonl"
            path.write_text(self.jsonl(split), encoding="utf-8")
            written.append(path)
        households = directory / "households.jsonl"
        households.write_text(
            "".join(json.dumps(asdict(h), ensure_ascii=False) + "\n" for h in self.households),
            encoding="utf-8",
        )
        stats = directory / "stats.json"
        stats.write_text(json.dumps(self.stats(), indent=2) + "\n", encoding="utf-8")
        config = directory / "config.json"
        config.write_text(json.dumps(asdict(self.config), indent=2) + "\n", encoding="utf-8")
        return [*written, households, stats, config]


def _family_counts() -> dict[str, dict[Split, int]]:
    """Families per split, for first questions and for follow-ups."""
    out: dict[str, dict[Split, int]] = {}
    for name, groups in (("questions", question_groups()), ("follow_ups", followup_groups())):
        out[name] = dict(Counter(f.split for g in groups.values() for f in g.families))
    return out


@cache
def _safety_pool(split: Split, seed: int, per_family: int) -> tuple[LabelledQuestion, ...]:
    """Out-of-scope and educational questions of ``split`` (in-scope ones carry no call)."""
    examples = safety_examples(split, seed, GenerationConfig(per_family=per_family))
    return tuple(e for e in examples if e.kind != "in_scope")


_Job = tuple[CorpusConfig, Split, int, int]


def household_rng(corpus_seed: int, split: str, household_seed: int) -> random.Random:
    """The generator that draws a corpus household's today, renames and conversations (so
    another module can make the same household again)."""
    return random.Random(f"{corpus_seed}|{split}|{household_seed}")


def _household_job(job: _Job) -> tuple[HouseholdRecord, list[tuple[str, list[Turn]]]]:
    config, split, seed, count = job
    rng = household_rng(config.seed, split, seed)
    sample = household_context(seed, rng, months=config.months)
    safety = _safety_pool(split, config.seed, config.safety_per_family)
    made = household_conversations(sample, split, count, rng, config.dialogue, safety)
    vocab = sample.context.vocabulary
    record = HouseholdRecord(
        key=sample.key,
        split=split,
        seed=seed,
        today=sample.today.isoformat(),
        vocabulary={k: list(v) for k, v in asdict(vocab).items()},
        renames={k: dict(v) for k, v in asdict(sample.renames).items()},
    )
    return record, made


def _jobs(config: CorpusConfig) -> list[_Job]:
    jobs: list[_Job] = []
    for split, share in zip(SPLITS, config.shares, strict=True):
        wanted = round(config.size * share)
        seeds = config.households(split)
        count = min(len(seeds), max(1, math.ceil(wanted / config.per_household)))
        base, extra = divmod(wanted, count)
        jobs += [(config, split, seeds[i], base + (i < extra)) for i in range(count)]
    return [j for j in jobs if j[3] > 0]


def build_corpus(config: CorpusConfig) -> Corpus:
    """Build the corpus ``config`` describes (deterministic for it)."""
    started = time.perf_counter()
    jobs = _jobs(config)
    if config.workers > 1:
        with ProcessPoolExecutor(config.workers) as pool:
            results = list(pool.map(_household_job, jobs, chunksize=1))
    else:
        results = [_household_job(job) for job in jobs]
    made: dict[Split, list[tuple[HouseholdRecord, str, list[Turn]]]] = {s: [] for s in SPLITS}
    for (_, split, _, _), (record, conversations) in zip(jobs, results, strict=True):
        made[split] += [(record, kind, turns) for kind, turns in conversations]
    splits: dict[Split, tuple[Conversation, ...]] = {}
    for split, items in made.items():
        random.Random(f"{config.seed}|{split}|order").shuffle(items)
        splits[split] = tuple(
            Conversation(f"{split}-{n:06d}", split, kind, record.key, record.seed,
                         date.fromisoformat(record.today), tuple(turns))
            for n, (record, kind, turns) in enumerate(items)
        )  # fmt: skip
    return Corpus(
        config=config,
        splits=splits,
        households=tuple(record for record, _ in results),
        seconds=time.perf_counter() - started,
    )
