"""``budgetlm dataset export``: the assistant's synthetic conversations as training files.

The conversations are the micro model's corpus (``assistant.corpus``): the same seed gives the
same files, and train / validation / test are held out by phrasing family and template (and by
household), as the corpus splits them. Each turn's answer is the template filled from its tool
result, and each conversation carries the tools over its household's own names.

Files are written whole to a temporary name and renamed, so an interrupted export never leaves
a half-written split: ``<split>.jsonl`` (``.json`` for Alpaca, one JSON array, as Alpaca
trainers expect) and ``manifest.json`` (config, counts per split, format).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from budgetlm.assistant.corpus import SPLITS, Conversation, Corpus
from budgetlm.finetune.formats import WRITERS, Example, Format


@dataclass(frozen=True)
class ExportConfig:
    """What to export."""

    format: Format = "chat"
    """Output format (``formats.FORMATS``)."""
    seed: int = 0
    """Seed of the corpus."""
    size: int = 2_000
    """Conversations over all splits (80% train, 10% validation, 10% test)."""
    workers: int = 1
    """Processes building the corpus (the output does not depend on it)."""


def conversation_example(conversation: Conversation, tools: list[dict[str, Any]]) -> Example:
    """A corpus conversation as a training example, answers filled in."""
    meta = {"task": "tool_call_and_answer", "source": "synthetic", **conversation.meta()}
    return Example(tuple(conversation.messages(filled=True)), tuple(tools), meta)


def corpus_examples(corpus: Corpus) -> dict[str, list[Example]]:
    """Every conversation of every split as an example."""
    from budgetlm.assistant.tools import Vocabulary, tool_schemas

    tools = {
        h.key: tool_schemas(Vocabulary(**{k: tuple(v) for k, v in h.vocabulary.items()}))
        for h in corpus.households
    }
    return {
        split: [conversation_example(c, tools[c.household]) for c in corpus.splits[split]]
        for split in SPLITS
    }


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.partial")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def write_examples(examples: Iterable[Example], format: Format, path: Path) -> int:
    """Write ``examples`` in ``format`` to ``path`` (atomically); return the records written."""
    records = [record for example in examples for record in WRITERS[format](example)]
    if format == "alpaca":
        text = json.dumps(records, ensure_ascii=False, indent=1) + "\n"
    else:
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    _write_atomically(path, text)
    return len(records)


def export_synthetic(config: ExportConfig, directory: Path) -> dict[str, Any]:
    """Build the corpus and write its splits in ``config.format`` to ``directory``.

    Returns:
        The manifest (also written as ``manifest.json``).
    """
    from budgetlm.assistant.corpus import CorpusConfig, build_corpus

    corpus = build_corpus(CorpusConfig(seed=config.seed, size=config.size, workers=config.workers))
    directory.mkdir(parents=True, exist_ok=True)
    suffix = "json" if config.format == "alpaca" else "jsonl"
    counts = {}
    for split, examples in corpus_examples(corpus).items():
        path = directory / f"{split}.{suffix}"
        counts[split] = {
            "conversations": len(examples),
            "records": write_examples(examples, config.format, path),
            "file": path.name,
        }
    manifest = {"config": asdict(config), "source": "synthetic", "splits": counts,
                "held_out_by": "phrasing family and template, and household"}  # fmt: skip
    _write_atomically(directory / "manifest.json", json.dumps(manifest, indent=2) + "\n")
    return manifest
