"""Public finance instruction sets (the Finance-Instruct-500k layout) as training examples.

The input is a local copy of a data set with ``system`` (optional), ``user`` and ``assistant``
columns, as JSON Lines, JSON or Parquet files (or a directory of them), read with the
``datasets`` library. Nothing is downloaded: the loading runs with the Hugging Face offline
switches on and its cache in a temporary directory unless the caller names one.

:func:`load_public` turns the rows into :class:`~budgetlm.finetune.formats.Example` records:

1. **Deduplicate** on the case-folded, whitespace-collapsed user and assistant text, keeping
   the first copy (files in sorted order, rows in file order). Duplicates are counted before
   the length filter, so a row is counted under one reason only.
2. **Filter by length**: system + user + assistant tokens (the caller's tokenizer, by default
   budgetlm's own) must lie in ``min_tokens..max_tokens``, both inclusive.
3. **Task type**: a ``task`` or ``category`` column when the file has one, otherwise the first
   of :data:`TASK_RULES` whose keywords occur in the user or system text (``other`` if none).
4. **Split** by a hash of the normalized user text, so the same question lands in the same split
   whatever the file order, the seed or the other rows.
5. With ``size``, a **stratified sample** (:func:`stratified_sample`): every task type gets an
   equal share, types with fewer rows keep all of theirs and leave the rest to the others.

Each example is a system message (the row's own system prompt, or :data:`PUBLIC_SYSTEM_PROMPT`
when it has none), the user and assistant messages, no tools, and ``meta`` with ``task``,
``source`` (``public:<file name>``), ``split``, ``system`` (the row's system prompt, ``""`` if
none), ``tokens`` and ``row`` (record number in its file). The format writers keep a system
message an example brings and give budgetlm's ``SYSTEM_PROMPT`` only to those without one.

:func:`mix_splits` then mixes them into budgetlm's own splits at a ratio; see there.

Why their own system prompt: such sets answer investment and tax questions, which budgetlm's
``SYSTEM_PROMPT`` tells the assistant to decline. Taught under that prompt, the model would
learn to ignore it; taught under a prompt that allows them, it learns finance knowledge and
still learns to decline under budgetlm's own.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import re
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from budgetlm.errors import InputError
from budgetlm.finetune.formats import Example

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

    from budgetlm.assistant.corpus import Split  # the corpus package is slow to import

SPLITS: tuple[Split, ...] = ("train", "validation", "test")
"""The splits, as ``assistant.corpus.SPLITS`` (and so ``export.corpus_examples``) has them."""
SUFFIXES = {".jsonl": "json", ".json": "json", ".parquet": "parquet"}
"""Readable file suffixes and the ``datasets`` builder that reads each."""
TASK_COLUMNS = ("task", "category")
"""Columns that name a row's task type, used instead of the keyword rules when present."""
TASK_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (task, re.compile(pattern, re.DOTALL))
    for task, pattern in (
        ("sentiment", r"\bsentiment|\bbullish or bearish\b"
         r"|\b(positive|negative|neutral)\s*(,|/|or)\s*(positive|negative|neutral)\b"),
        ("entity_extraction", r"\bnamed entit|\bner\b|\bentit(y|ies)\b"
         r"|\bextract (the |all )?(names|organi[sz]ations|companies|people|persons|locations)\b"),
        ("classification", r"\bclassif|\bcategori[sz]|\bwhich (category|topic)\b"
         r"|\bwhat is the topic\b|\bchoose (one|an answer|from)\b|\b(yes or no|true or false)\b"),
        ("summarization", r"\bsummar|\btl;?dr\b|\bkey (points|takeaways)\b"),
        ("calculation", r"\bcalculat|\bcomput|\bpercent(age)? (change|increase|decrease)\b"
         r"|^(?=.*\d)(?=.*\b(how (much|many)|what (is|was|will be) the|find|determine)\b)"),
        ("explanation", r"\bexplain|\bwhy\b|\bdescribe\b|\bdifference between\b|\bshould i\b"
         r"|\badvi[cs]e\b|\brecommend|\btips?\b|\bhow (do|does|can|should|would)\b"),
        ("question_answering", r"\?\s*$|^\s*(what|who|when|where|which|how|is|are|does|do|can)\b"
         r"|\banswer the question\b|\bcontext\b"),
    )
)  # fmt: skip
"""The keyword classifier: ``(task type, pattern)`` over the normalized user and system texts;
the first that matches either wins. Calculation needs a calculation verb, or a figure with a
"how much" or "what is the" question."""
PUBLIC_SYSTEM_PROMPT = "You are a knowledgeable assistant for questions about finance."
"""System message of public examples whose row has none."""
OTHER = "other"
"""Task type of a row that no rule matches."""
_Row = tuple[int, str, str, str, str]
"""Record number, system, user, assistant, task (``""`` when the file names none)."""
_OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
_BATCH = 1_000


@dataclass(frozen=True)
class PublicDataConfig:
    """How to load public instruction data and mix it with budgetlm's own."""

    min_tokens: int = 50
    """Fewest tokens (system + user + assistant) a row may have."""
    max_tokens: int = 1000
    """Most tokens a row may have."""
    ratio: float = 0.2
    """Fraction of each mixed split that is public data, at least 0 and below 1."""
    seed: int = 0
    """Seed of the stratified sampling and the shuffle (not of the splits, which are hashed)."""
    size: int | None = None
    """Keep at most this many public examples over all splits (stratified); None keeps all."""
    shares: tuple[float, float, float] = (0.8, 0.1, 0.1)
    """Train, validation and test shares of the hash split."""

    def __post_init__(self) -> None:
        if not 0 <= self.min_tokens <= self.max_tokens:
            raise InputError("need 0 <= min_tokens <= max_tokens", field="min_tokens")
        check_ratio(self.ratio)
        if self.size is not None and self.size < 0:
            raise InputError(f"must not be negative, got {self.size}", field="size")
        if len(self.shares) != 3 or min(self.shares) < 0 or not math.isclose(sum(self.shares), 1):
            raise InputError("three non-negative shares that add up to 1", field="shares")


@dataclass(frozen=True)
class PublicReport:
    """What :func:`load_public` read, dropped and kept."""

    config: PublicDataConfig
    """The settings it ran with."""
    files: tuple[str, ...]
    """The files read, in order."""
    rows: int
    """Rows read over all files."""
    duplicates: int
    """Rows dropped as a copy of an earlier one."""
    too_short: int
    """Rows dropped under ``min_tokens``."""
    too_long: int
    """Rows dropped over ``max_tokens``."""
    over_size: int
    """Rows dropped by the ``size`` cap."""
    tasks: Mapping[str, int]
    """Examples kept per task type."""
    splits: Mapping[str, int]
    """Examples kept per split."""

    @property
    def kept(self) -> int:
        """Examples kept over all splits."""
        return sum(self.splits.values())

    def lines(self) -> list[str]:
        """The report as lines for a terminal."""
        config = self.config
        tasks = ", ".join(f"{task} {count}" for task, count in self.tasks.items())
        return [
            f"public data: {self.rows} rows in {len(self.files)} file(s)",
            f"  dropped: {self.duplicates} duplicates, {self.too_short} under "
            f"{config.min_tokens} tokens, {self.too_long} over {config.max_tokens} tokens, "
            f"{self.over_size} over the size cap",
            f"  kept {self.kept}: " + ", ".join(f"{s} {n}" for s, n in self.splits.items()),
            f"  task types: {tasks or 'none'}",
        ]


@dataclass(frozen=True)
class PublicData:
    """The public examples per split and the report of how they were chosen."""

    splits: Mapping[Split, list[Example]]
    """Examples per split (``train``, ``validation``, ``test``), in file order."""
    report: PublicReport
    """Counts of what was read, dropped and kept."""


@dataclass(frozen=True)
class Mix:
    """budgetlm's own examples mixed with public ones."""

    splits: dict[Split, list[Example]]
    """Mixed examples per split, shuffled."""
    own: Mapping[Split, int]
    """budgetlm's examples per split."""
    public: Mapping[Split, int]
    """Public examples per split."""
    public_tasks: Mapping[Split, Mapping[str, int]]
    """Public examples per split and task type."""

    def lines(self) -> list[str]:
        """One line per split: counts and the public share."""
        lines = []
        for split, examples in self.splits.items():
            share = self.public[split] / len(examples) if examples else 0.0
            lines.append(f"{split}: {self.own[split]} budgetlm + {self.public[split]} public "
                         f"({share:.1%} public)")  # fmt: skip
        return lines


def check_ratio(ratio: float) -> None:
    """Raise :class:`InputError` unless ``0 <= ratio < 1``."""
    if not 0 <= ratio < 1:
        raise InputError(f"must be at least 0 and below 1, got {ratio}", field="ratio")


def normalize(text: str) -> str:
    """Case-folded, with runs of whitespace as one space: the text compared for duplicates."""
    return " ".join(text.casefold().split())


def task_type(system: str, user: str) -> str:
    """The task type of a row: the first of :data:`TASK_RULES` that matches the normalized user
    or system text (``other`` when none does)."""
    texts = (normalize(user), normalize(system))
    for task, pattern in TASK_RULES:
        if any(pattern.search(text) for text in texts):
            return task
    return OTHER


def split_of(user: str, shares: Sequence[float] = (0.8, 0.1, 0.1)) -> Split:
    """The split of a question, by a hash of its normalized text."""
    digest = hashlib.sha256(normalize(user).encode("utf-8")).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64
    bound = 0.0
    for split, share in zip(SPLITS, shares, strict=True):
        bound += share
        if point < bound:
            return split
    return SPLITS[-1]


def public_files(paths: Path | str | Sequence[Path | str]) -> list[Path]:
    """The data files named by ``paths``: files as given, directories searched for data files.

    Raises:
        InputError: For a missing path, an unreadable suffix or a directory with no data files.
    """
    found: list[Path] = []
    for path in [Path(p) for p in ([paths] if isinstance(paths, str | Path) else paths)]:
        if path.is_dir():
            inside = sorted(
                p for p in path.rglob("*")
                if p.suffix.lower() in SUFFIXES and p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )  # fmt: skip
            if not inside:
                raise InputError("no .jsonl, .json or .parquet files in it", source=str(path))
            found.extend(inside)
        elif not path.exists():
            raise InputError("no such file or directory", source=str(path))
        elif path.suffix.lower() not in SUFFIXES:
            raise InputError("expected a .jsonl, .json or .parquet file", source=str(path))
        else:
            found.append(path)
    return found


@contextmanager
def _offline(cache_dir: Path | None) -> Iterator[Path]:
    """Hugging Face offline mode and a cache directory (temporary unless given), undone after."""
    import datasets.config  # type: ignore[import-untyped]
    import huggingface_hub.constants

    # The libraries read the variables once, at import: set their flags as well, and only
    # after importing them, so that the process is not left offline for good.
    modules: tuple[Any, ...] = (datasets.config, huggingface_hub.constants)
    flags = [module.HF_HUB_OFFLINE for module in modules]
    saved = {name: os.environ.get(name) for name in _OFFLINE_VARIABLES}
    os.environ.update(dict.fromkeys(_OFFLINE_VARIABLES, "1"))
    for module in modules:
        module.HF_HUB_OFFLINE = True
    try:
        if cache_dir is not None:
            yield cache_dir
        else:
            with tempfile.TemporaryDirectory(prefix="budgetlm-public-") as temporary:
                yield Path(temporary)
    finally:
        for module, flag in zip(modules, flags, strict=True):
            module.HF_HUB_OFFLINE = flag
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _dataset(path: Path, cache: Path) -> Any:
    """The file as a ``datasets.Dataset`` of its text columns, or :class:`InputError`."""
    import datasets

    kind = SUFFIXES[path.suffix.lower()]
    if _blank(path):
        raise InputError("the file is empty", source=str(path))
    if kind == "parquet" and _parquet_rows(path) == 0:  # datasets fails on it obscurely
        raise InputError("the file has no rows", source=str(path))
    try:
        dataset = datasets.load_dataset(
            kind, data_files=str(path), split="train", cache_dir=str(cache)
        )
    except Exception as exc:  # datasets and pyarrow raise many kinds; all mean "unreadable"
        raise InputError(f"cannot read it as {kind.upper()}: {exc}", source=str(path)) from exc
    for column in ("user", "assistant"):
        if column not in dataset.column_names:
            found = ", ".join(dataset.column_names)
            raise InputError(f"no '{column}' column (found: {found})", source=str(path),
                             field=column)  # fmt: skip
    if len(dataset) == 0:
        raise InputError("the file has no rows", source=str(path))
    wanted = ["system", "user", "assistant", *TASK_COLUMNS]
    return dataset.select_columns([c for c in wanted if c in dataset.column_names])


def _blank(path: Path) -> bool:
    """Whether the file holds nothing but whitespace (read until the first other byte)."""
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            if chunk.strip():
                return False
    return True


def _parquet_rows(path: Path) -> int | None:
    """Rows in a Parquet file by its footer; None if it has no readable footer."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    try:
        return int(pq.read_metadata(path).num_rows)
    except Exception:  # not Parquet: datasets says so next
        return None


def _text(value: object, path: Path, row: int, column: str) -> str:
    if isinstance(value, str):
        return value
    if value is None and column in ("system", *TASK_COLUMNS):
        return ""
    found = "null" if value is None else type(value).__name__
    raise InputError(f"expected text, found {found}", source=str(path), line=row, field=column)


def _rows(path: Path, cache: Path) -> Iterator[_Row]:
    """The file's rows, in order.

    Raises:
        InputError: Naming the file, the record and the column of a value that is not text.
    """
    dataset = _dataset(path, cache)
    task_column = next((c for c in TASK_COLUMNS if c in dataset.column_names), None)
    row = 0
    for batch in dataset.iter(batch_size=_BATCH):
        size = len(batch["user"])
        columns = {c: batch.get(c) or [None] * size for c in ("system", "user", "assistant")}
        tasks = batch[task_column] if task_column else [None] * size
        for index in range(size):
            row += 1
            texts = [_text(columns[c][index], path, row, c) for c in columns]
            task = "" if task_column is None else _text(tasks[index], path, row, task_column)
            yield row, texts[0], texts[1], texts[2], task.strip()


def default_tokenizer() -> PreTrainedTokenizerBase:
    """budgetlm's own tokenizer, shipped with the micro model."""
    from budgetlm.assistant.backends.local import micro_directory
    from budgetlm.lm.tokenizer import load_tokenizer

    return load_tokenizer(micro_directory())


def _token_counts(tokenizer: PreTrainedTokenizerBase, texts: Sequence[str]) -> list[int]:
    ids = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
    return [len(i) for i in ids]


def _example(path: Path, row: _Row, tokens: int,
             config: PublicDataConfig) -> Example:  # fmt: skip
    number, system, user, assistant, task = row
    meta = {"task": task or task_type(system, user), "source": f"public:{path.name}",
            "split": split_of(user, config.shares), "system": system, "tokens": tokens,
            "row": number}  # fmt: skip
    messages = (
        {"role": "system", "content": system.strip() or PUBLIC_SYSTEM_PROMPT},
        {"role": "user", "content": user},
        {"role": "assistant", "content": assistant},
    )
    return Example(messages, (), meta)


def load_public(
    paths: Path | str | Sequence[Path | str],
    config: PublicDataConfig = PublicDataConfig(),
    *,
    tokenizer: PreTrainedTokenizerBase | None = None,
    cache_dir: Path | None = None,
) -> PublicData:
    """Read local public instruction files as deduplicated, length-filtered examples per split.

    Args:
        paths: ``.jsonl``/``.json``/``.parquet`` files, or directories searched for them.
        config: Token bounds, size cap, seed and split shares.
        tokenizer: Counts the tokens (any Hugging Face tokenizer); budgetlm's own by default.
        cache_dir: Where ``datasets`` keeps its Arrow cache (a reload of the same file reuses
            it); a temporary directory, removed afterwards, by default.

    Raises:
        InputError: Naming the file that cannot be used, and for a value that is not text the
            record (``line``: the line of a JSON Lines file without blank lines) and column.
    """
    files = public_files(paths)
    tokenizer = tokenizer if tokenizer is not None else default_tokenizer()
    counts: Counter[str] = Counter()
    seen: set[bytes] = set()
    pool: list[Example] = []
    with _offline(cache_dir) as cache:
        for path in files:
            fresh: list[_Row] = []
            for row in _rows(path, cache):
                counts["rows"] += 1
                key = f"{normalize(row[2])}\0{normalize(row[3])}".encode()
                digest = hashlib.blake2b(key, digest_size=16).digest()
                if digest in seen:
                    counts["duplicates"] += 1
                    continue
                seen.add(digest)
                fresh.append(row)
                if len(fresh) == _BATCH:
                    pool.extend(_keep(path, fresh, tokenizer, config, counts))
                    fresh = []
            pool.extend(_keep(path, fresh, tokenizer, config, counts))
    kept = pool if config.size is None else stratified_sample(pool, config.size, config.seed)
    tasks = Counter(str(e.meta["task"]) for e in kept)
    splits = {s: [e for e in kept if e.meta["split"] == s] for s in SPLITS}
    report = PublicReport(
        config=config, files=tuple(str(f) for f in files), rows=counts["rows"],
        duplicates=counts["duplicates"], too_short=counts["too_short"],
        too_long=counts["too_long"], over_size=len(pool) - len(kept),
        tasks=dict(sorted(tasks.items())), splits={s: len(v) for s, v in splits.items()},
    )  # fmt: skip
    return PublicData(splits, report)


def _keep(path: Path, rows: Sequence[_Row],
          tokenizer: PreTrainedTokenizerBase, config: PublicDataConfig,
          counts: Counter[str]) -> list[Example]:  # fmt: skip
    """The rows within the token bounds as examples; counts the others."""
    if not rows:
        return []
    texts = [text for row in rows for text in row[1:4]]
    lengths = _token_counts(tokenizer, texts)
    kept = []
    for index, row in enumerate(rows):
        tokens = sum(lengths[3 * index : 3 * index + 3])
        if tokens < config.min_tokens:
            counts["too_short"] += 1
        elif tokens > config.max_tokens:
            counts["too_long"] += 1
        else:
            kept.append(_example(path, row, tokens, config))
    return kept


def _stratified(examples: Sequence[Example], size: int, rng: random.Random) -> list[Example]:
    by_task: dict[str, list[int]] = {}
    for index, example in enumerate(examples):
        by_task.setdefault(str(example.meta["task"]), []).append(index)
    if size >= len(examples):
        return list(examples)
    quotas: dict[str, int] = {}
    left, sharing = size, sorted(by_task)
    while True:  # types under the fair share keep all; the others share what is left
        fair = left // len(sharing)
        under = [t for t in sharing if len(by_task[t]) <= fair]
        if not under:
            break
        for task in under:
            quotas[task] = len(by_task[task])
            left -= quotas[task]
        sharing = [t for t in sharing if t not in under]
    fair, extra = divmod(left, len(sharing))
    quotas |= {task: fair + (rank < extra) for rank, task in enumerate(sharing)}
    chosen = []
    for task in sorted(by_task):
        indices = by_task[task]
        rng.shuffle(indices)
        chosen.extend(indices[: quotas[task]])
    return [examples[i] for i in sorted(chosen)]


def stratified_sample(examples: Sequence[Example], size: int, seed: int = 0) -> list[Example]:
    """At most ``size`` examples, task types (``meta["task"]``) as even as they can be.

    Each type gets ``size // types`` (one more for the first types by name when it does not
    divide); a type with fewer keeps all of its examples and its unused share goes to the
    others, evenly. Which examples of a type are kept depends on ``seed`` only; they come back
    in their input order.
    """
    return _stratified(examples, size, random.Random(f"stratify:{seed}"))


def mix_splits(
    own: Mapping[Split, Sequence[Example]],
    public: Mapping[Split, Sequence[Example]],
    *,
    ratio: float,
    seed: int = 0,
) -> Mix:
    """budgetlm's own examples with public ones, so that ``ratio`` of each split is public.

    Every split of ``own`` (train, validation and test alike) gets ``round(ratio * n / (1 -
    ratio))`` public examples of the same split, ``n`` its own examples: the validation loss
    then measures the mix that is trained, and ``meta["source"]`` tells the two apart for
    separate scores. The public examples are a stratified sample (:func:`stratified_sample`);
    where a split has fewer, all of them are used and :class:`Mix` shows the lower share. A
    split with public examples is shuffled; one without keeps its order, so ``ratio=0`` gives
    back ``own`` unchanged.

    Args:
        own: budgetlm's examples per split, as ``export.corpus_examples`` returns them.
        public: Public examples per split (``PublicData.splits``); other splits are ignored.
        ratio: Fraction of each mixed split that is public, ``0 <= ratio < 1``.
        seed: Seed of the sample and the shuffle.

    Raises:
        InputError: When ``ratio`` is out of range.
    """
    check_ratio(ratio)
    splits: dict[Split, list[Example]] = {}
    counts: dict[Split, int] = {}
    tasks: dict[Split, dict[str, int]] = {}
    for split, examples in own.items():
        rng = random.Random(f"mix:{seed}:{split}")
        wanted = round(ratio * len(examples) / (1 - ratio))
        chosen = _stratified(public.get(split, ()), wanted, rng)
        mixed = [*examples, *chosen]
        if chosen:
            rng.shuffle(mixed)
        splits[split], counts[split] = mixed, len(chosen)
        tasks[split] = dict(sorted(Counter(str(e.meta["task"]) for e in chosen).items()))
    return Mix(splits, {s: len(e) for s, e in own.items()}, counts, tasks)
