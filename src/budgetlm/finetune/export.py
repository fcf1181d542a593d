"""``budgetlm dataset export``: the assistant's synthetic conversations as training files.

The conversations are the micro model's corpus (``assistant.corpus``): the same seed gives the
same files, and train / validation / test are held out by phrasing family and template (and by
household), as the corpus splits them. Each turn's answer is the template filled from its tool
result, and each conversation carries the tools over its household's own names.

Files are written whole to a temporary name and renamed, so an interrupted export never leaves
a half-written split: ``<split>.jsonl`` (``.json`` for Alpaca, one JSON array, as Alpaca
trainers expect) and ``manifest.json`` (config, source, counts per split). ``write_export`` is
the file-writing part shared with the personal export (``finetune.personal``): it refuses a
directory that holds an export of the other source, so synthetic and personal files never mix,
and writes private exports readable by their owner only.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from budgetlm.assistant.corpus import SPLITS, Conversation, Corpus, Split
from budgetlm.errors import InputError
from budgetlm.finetune.formats import WRITERS, Example, Format, prompt_tools

Source = Literal["synthetic", "personal"]
"""Where an export's conversations come from: generated households or the user's own ledger."""
MANIFEST = "manifest.json"
"""Name of the manifest every export writes beside its split files."""


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
    public: tuple[str, ...] = ()
    """Local public instruction files (``finetune.public``) to mix in; none by default."""
    public_ratio: float = 0.2
    """Fraction of each split that is public data, when ``public`` names files."""


def conversation_example(
    conversation: Conversation, tools: list[dict[str, Any]], source: Source = "synthetic"
) -> Example:
    """A corpus conversation as a training example, answers filled in."""
    meta = {"task": "tool_call_and_answer", "source": source, **conversation.meta()}
    return Example(tuple(conversation.messages(filled=True)), tuple(prompt_tools(tools)), meta)


def corpus_examples(corpus: Corpus) -> dict[Split, list[Example]]:
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


def _write_atomically(path: Path, text: str, *, private: bool = False) -> None:
    temporary = path.with_name(f".{path.name}.partial")
    if private:  # created owner-only, so the text is never readable by others, even briefly
        temporary.unlink(missing_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def write_examples(
    examples: Iterable[Example], format: Format, path: Path, *, private: bool = False
) -> int:
    """Write ``examples`` in ``format`` to ``path`` (atomically); return the records written.

    Args:
        examples: What to write.
        format: Output format.
        path: File to write.
        private: Create the file readable and writable by its owner only.
    """
    records = [record for example in examples for record in WRITERS[format](example)]
    if format == "alpaca":
        text = json.dumps(records, ensure_ascii=False, indent=1) + "\n"
    else:
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    _write_atomically(path, text, private=private)
    return len(records)


def export_source(directory: Path) -> str | None:
    """The ``source`` of the export in ``directory`` (None when it holds no manifest)."""
    path = directory / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "unknown"
    source = manifest.get("source", "unknown") if isinstance(manifest, dict) else "unknown"
    return str(source)


def check_directory(directory: Path, source: Source) -> None:
    """Refuse to write a ``source`` export into ``directory`` when that would mix files.

    A directory holding another source's export is refused; a personal export also refuses a
    non-empty directory that holds no personal export, so a user's financial history never
    lands among unrelated files (a repository, a shared folder).

    Raises:
        InputError: Naming the directory and why.
    """
    if directory.exists() and not directory.is_dir():
        raise InputError("is not a directory", source=str(directory))
    found = export_source(directory)
    if found is not None and found != source:
        raise InputError(
            f"holds a {found} export; {source} and {found} training files never share a "
            "directory, choose another --out",
            source=str(directory),
        )
    if source == "personal" and found is None and directory.is_dir() and any(directory.iterdir()):
        raise InputError(
            "is not empty; a personal export goes to a new or empty directory (or over an "
            "earlier personal export), choose another --out",
            source=str(directory),
        )


def write_export(
    directory: Path,
    splits: Mapping[Split, Sequence[Example]],
    format: Format,
    manifest: Mapping[str, Any],
) -> dict[str, Any]:
    """Write each split's examples in ``format`` and the manifest to ``directory``.

    Args:
        directory: Where to write (created if needed; checked with ``check_directory``).
        splits: Examples per split, in split order.
        format: Output format.
        manifest: What the manifest says beside the counts: ``source`` (required), ``config``
            and the like. A personal export's files and directory are owner-only.

    Returns:
        The manifest written, with ``splits``: conversations, records and file per split.
    """
    source: Source = manifest["source"]
    private = source == "personal"
    check_directory(directory, source)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o777)
    if private:
        directory.chmod(0o700)
    suffix = "json" if format == "alpaca" else "jsonl"
    counts = {}
    for split, examples in splits.items():
        path = directory / f"{split}.{suffix}"
        counts[split] = {
            "conversations": len(examples),
            "records": write_examples(examples, format, path, private=private),
            "file": path.name,
        }
    written = {**manifest, "splits": counts}
    text = json.dumps(written, indent=2) + "\n"
    _write_atomically(directory / MANIFEST, text, private=private)
    return written


def export_synthetic(config: ExportConfig, directory: Path) -> dict[str, Any]:
    """Build the corpus and write its splits in ``config.format`` to ``directory``.

    Returns:
        The manifest (also written as ``manifest.json``).
    """
    from budgetlm.assistant.corpus import CorpusConfig, build_corpus

    check_directory(directory, "synthetic")  # before the minutes of building
    corpus = build_corpus(CorpusConfig(seed=config.seed, size=config.size, workers=config.workers))
    manifest: dict[str, Any] = {"config": asdict(config), "source": "synthetic",
                "held_out_by": "phrasing family and template, and household"}  # fmt: skip
    splits = corpus_examples(corpus)
    if config.public:
        from budgetlm.finetune.public import PublicDataConfig, load_public, mix_splits

        settings = PublicDataConfig(ratio=config.public_ratio, seed=config.seed)
        public = load_public([Path(p) for p in config.public], settings)
        mix = mix_splits(splits, public.splits, ratio=config.public_ratio, seed=config.seed)
        splits = mix.splits
        manifest["public"] = {"report": public.report.lines(), "mixed": mix.lines(),
                              "held_out_by": "a hash of the question"}  # fmt: skip
    return write_export(directory, splits, config.format, manifest)
