"""Public instruction data in the Finance-Instruct-500k layout: load, filter, stratify, mix.

Every test writes its own small files (JSON Lines, JSON, Parquet) and counts tokens with a
whitespace tokenizer (one token per word), so the length bounds are exact; one test uses
budgetlm's own tokenizer. Nothing touches the network or ``~/.cache``.
"""

from __future__ import annotations

import json
import os
import socket
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from transformers import PreTrainedTokenizerFast

from budgetlm.errors import InputError
from budgetlm.finetune.formats import WRITERS, Example
from budgetlm.finetune.public import (
    OTHER,
    PUBLIC_SYSTEM_PROMPT,
    SPLITS,
    PublicDataConfig,
    load_public,
    mix_splits,
    split_of,
    stratified_sample,
    task_type,
)

CONFIG = PublicDataConfig(min_tokens=8, max_tokens=40)


@pytest.fixture(scope="module")
def words() -> PreTrainedTokenizerFast:
    """A tokenizer with one token per whitespace-separated word."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    backend = Tokenizer(models.WordLevel({"[UNK]": 0}, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=backend)


def _row(user: str, assistant: str = "The answer is in the annual report.", **more: Any) -> dict:
    return {"system": "", "user": user, "assistant": assistant, **more}


ROWS = [  # 7 answer words each; the tokens below count system + user + assistant
    _row("What is the sentiment of this headline? Shares soar."),  # 16
    _row("Extract the named entities from: Apple hires in Texas."),  # 16
    _row("Classify this tweet as about earnings or mergers: deal done."),  # 17
    _row("Summarize the following note about quarterly cash flow."),  # 15
    _row("Calculate the interest on 1000 at 5% for 2 years."),  # 17
    _row("Explain what a bond ladder is.", system="You are a patient teacher."),  # 18
    _row("Who regulates banks in the United States?"),  # 14
    _row("Tell me about index funds, please, now."),  # 14: other
    _row("what is the  SENTIMENT of this headline?   Shares soar."),  # duplicate of the first
    _row("Who regulates banks in the United States?"),  # duplicate
    _row("Who?", "Nobody."),  # 2: too short
    _row("Why? " + "very " * 40, "Because."),  # 42: too long
    _row("one two three four five six", "seven eight"),  # 8: exactly min_tokens
    _row("Why " + "word " * 33, "the answer is in the report"),  # 34 + 6 = 40: exactly max
]


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _parquet(path: Path, rows: list[dict], schema: pa.Schema | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)
    return path


def _load(paths: Any, tokenizer: Any, tmp_path: Path, config: PublicDataConfig = CONFIG) -> Any:
    return load_public(paths, config, tokenizer=tokenizer, cache_dir=tmp_path / "cache")


def _all(data: Any) -> list[Example]:
    return [e for split in data.splits.values() for e in split]


def test_filters_by_length_and_drops_duplicates_keeping_the_first(
    tmp_path: Path, words: PreTrainedTokenizerFast
) -> None:
    data = _load(_jsonl(tmp_path / "fi.jsonl", ROWS), words, tmp_path)
    report = data.report
    assert (report.rows, report.duplicates, report.too_short, report.too_long) == (14, 2, 1, 1)
    assert report.kept == 10 and report.over_size == 0
    users = [e.messages[1]["content"] for e in _all(data)]
    assert "What is the sentiment of this headline? Shares soar." in users
    assert not any("SENTIMENT" in u for u in users)  # the later copy is the one dropped
    tokens = sorted(e.meta["tokens"] for e in _all(data))
    assert tokens[0] == 8 and tokens[-1] == 40  # both bounds inclusive
    lines = report.lines()
    assert "2 duplicates, 1 under 8 tokens, 1 over 40 tokens" in lines[1]


def test_examples_carry_their_source_task_split_and_system_prompt(
    tmp_path: Path, words: PreTrainedTokenizerFast
) -> None:
    data = _load(_jsonl(tmp_path / "fi.jsonl", ROWS), words, tmp_path)
    by_row = {e.meta["row"]: e for e in _all(data)}
    teacher = by_row[6]
    assert teacher.tools == ()
    assert teacher.meta["source"] == "public:fi.jsonl"
    assert teacher.meta["system"] == "You are a patient teacher."
    assert teacher.messages == (
        {"role": "system", "content": "You are a patient teacher."},
        {"role": "user", "content": "Explain what a bond ladder is."},
        {"role": "assistant", "content": "The answer is in the annual report."},
    )
    # Its own system prompt, not budgetlm's (which declines investment questions), in every format.
    assert WRITERS["chat"](teacher)[0]["messages"][0]["content"] == "You are a patient teacher."
    assert WRITERS["alpaca"](teacher) == [
        {"instruction": "Explain what a bond ladder is.", "input": "",
         "output": "The answer is in the annual report.", "system": "You are a patient teacher."}
    ]  # fmt: skip
    assert WRITERS["sharegpt"](teacher)[0]["system"] == "You are a patient teacher."
    untitled = next(e for e in _all(data) if not e.meta["system"])
    assert untitled.messages[0] == {"role": "system", "content": PUBLIC_SYSTEM_PROMPT}
    assert teacher.meta["split"] == split_of("Explain what a bond ladder is.")
    assert {e.meta["task"] for e in _all(data)} >= {"sentiment", "calculation", OTHER}
    for example in _all(data):
        assert example in data.splits[example.meta["split"]]
        for writer in WRITERS.values():  # every format writes a tool-less conversation
            assert writer(example)


def test_parquet_json_and_directories_load_alike_and_dedupe_across_files(
    tmp_path: Path, words: PreTrainedTokenizerFast
) -> None:
    jsonl = _load(_jsonl(tmp_path / "one" / "fi.jsonl", ROWS), words, tmp_path)
    no_system = [{k: v for k, v in r.items() if k != "system"} for r in ROWS[:8]]
    parquet = _parquet(tmp_path / "data" / "b" / "part.parquet", no_system)
    array = tmp_path / "data" / "a.json"
    array.write_text(json.dumps(ROWS[8:]), encoding="utf-8")
    _jsonl(tmp_path / "data" / ".cache" / "skipped.jsonl", ROWS)  # hidden: not data
    (tmp_path / "data" / "README.md").write_text("not data", encoding="utf-8")
    both = _load(tmp_path / "data", words, tmp_path)
    assert both.report.files == (str(array), str(parquet))
    assert both.report.rows == 14 and both.report.duplicates == 2
    assert both.report.tasks == jsonl.report.tasks and both.report.kept == 10
    sources = Counter(e.meta["source"] for e in _all(both))
    assert sources == {"public:part.parquet": 6, "public:a.json": 4}  # 2 duplicates in a.json


def test_a_task_or_category_column_replaces_the_keywords(
    tmp_path: Path, words: PreTrainedTokenizerFast
) -> None:
    rows = [{**r, "category": "Topic " + str(i % 2)} for i, r in enumerate(ROWS[:8])]
    rows[0]["category"] = None  # no category: the keywords decide
    data = _load(_parquet(tmp_path / "c.parquet", rows), words, tmp_path)
    assert data.report.tasks == {"Topic 0": 3, "Topic 1": 4, "sentiment": 1}


@pytest.mark.parametrize(
    ("system", "user", "task"),
    [
        ("", "What is the sentiment of this news? Answer: positive, negative or neutral.",
         "sentiment"),
        ("", "Please extract entities and their types from the input sentence.",
         "entity_extraction"),
        ("", "Does the headline talk about gold? Please choose an answer from {Yes/No}.",
         "classification"),
        ("", "Summarize this earnings call transcript.", "summarization"),
        ("", "A loan of $5,000 at 4% a year: how much interest after 3 years?", "calculation"),
        ("", "What is the percentage change from 40 to 50?", "calculation"),
        ("", "Explain the difference between a Roth IRA and a 401(k).", "explanation"),
        ("", "Who is the chair of the Federal Reserve?", "question_answering"),
        ("", "Write a haiku about money.", OTHER),
        ("You classify financial tweets by topic.", "Fed holds rates steady.", "classification"),
    ],
)  # fmt: skip
def test_the_keyword_classifier(system: str, user: str, task: str) -> None:
    assert task_type(system, user) == task


def _examples(tasks: dict[str, int], split: str = "train") -> list[Example]:
    return [
        Example(({"role": "user", "content": f"{task} {i}"},), (), {"task": task, "split": split})
        for task, count in tasks.items()
        for i in range(count)
    ]


def test_stratified_sample_caps_every_type_and_fills_from_the_larger_ones() -> None:
    examples = _examples({"big": 50, "bigger": 80, "small": 4, "tiny": 1})
    sample = stratified_sample(examples, 30, seed=0)
    counts = Counter(e.meta["task"] for e in sample)
    assert counts == {"small": 4, "tiny": 1, "big": 13, "bigger": 12}  # 25 shared: 13 + 12
    assert max(counts.values()) <= -(-30 // 2)  # at most ceil(30 / the types that can fill it)
    assert sample == sorted(sample, key=examples.index)  # input order kept
    assert stratified_sample(examples, 30, seed=0) == sample
    assert stratified_sample(examples, 30, seed=1) != sample
    assert stratified_sample(examples, 500, seed=0) == examples
    assert Counter(e.meta["task"] for e in stratified_sample(examples, 8, 0)) == dict.fromkeys(
        ["big", "bigger", "small", "tiny"], 2
    ) | {"tiny": 1, "big": 3}


def test_the_size_cap_is_stratified(tmp_path: Path, words: PreTrainedTokenizerFast) -> None:
    rows = [_row(f"Calculate the sum of {i} and {i + 1} for me now.") for i in range(30)]
    rows += [_row(f"Summarize report number {i} about cash flow in brief.") for i in range(3)]
    config = PublicDataConfig(min_tokens=8, max_tokens=40, size=10)
    data = _load(_jsonl(tmp_path / "s.jsonl", rows), words, tmp_path, config)
    assert data.report.tasks == {"calculation": 7, "summarization": 3}
    assert data.report.kept == 10 and data.report.over_size == 23


def test_splits_follow_the_question_whatever_the_order_or_seed(
    tmp_path: Path, words: PreTrainedTokenizerFast
) -> None:
    rows = [_row(f"Question {i}: what is a good way to track spending?") for i in range(200)]
    forward = _load(_jsonl(tmp_path / "f.jsonl", rows), words, tmp_path)
    backward = _load(
        _jsonl(tmp_path / "b.jsonl", rows[::-1]), words, tmp_path, PublicDataConfig(8, 40, seed=7)
    )

    def where(data: Any) -> dict[str, str]:
        return {e.messages[1]["content"]: s for s, es in data.splits.items() for e in es}

    assert where(forward) == where(backward)
    sizes = forward.report.splits
    assert sizes["train"] > 130 and sizes["validation"] > 8 and sizes["test"] > 8
    assert split_of("  QUESTION 3: what is a good way   to track spending? ") == split_of(
        "Question 3: what is a good way to track spending?"
    )


def test_mixing_reaches_the_ratio_in_every_split_and_is_deterministic() -> None:
    own = {"train": _examples({"tool": 80}), "validation": _examples({"tool": 12}, "validation"),
           "test": _examples({"tool": 8}, "test")}  # fmt: skip
    public = {
        "train": _examples({"qa": 40, "calculation": 40, "sentiment": 5}),
        "validation": _examples({"qa": 5}, "validation"),
        "test": _examples({"qa": 1}, "test"),
    }
    mix = mix_splits(own, public, ratio=0.2, seed=3)
    assert mix.public == {"train": 20, "validation": 3, "test": 1}  # test: all it has of 2
    assert {s: len(e) for s, e in mix.splits.items()} == {"train": 100, "validation": 15,
                                                          "test": 9}  # fmt: skip
    assert mix.public_tasks["train"] == {"calculation": 8, "qa": 7, "sentiment": 5}
    assert Counter(e.meta["task"] for e in mix.splits["train"])["tool"] == 80
    assert mix.splits["train"][:80] != own["train"]  # shuffled
    assert mix_splits(own, public, ratio=0.2, seed=3) == mix
    assert mix_splits(own, public, ratio=0.2, seed=4).splits["train"] != mix.splits["train"]
    assert mix.lines()[0] == "train: 80 budgetlm + 20 public (20.0% public)"
    unmixed = mix_splits(own, public, ratio=0.0)
    assert unmixed.splits == own and unmixed.public == {"train": 0, "validation": 0, "test": 0}
    with pytest.raises(InputError, match="below 1"):
        mix_splits(own, public, ratio=1.0)


def test_nothing_touches_the_network_and_the_cache_goes_where_asked(
    tmp_path: Path, words: PreTrainedTokenizerFast, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network access")

    import datasets
    import huggingface_hub.constants

    offline_during = []
    load_dataset = datasets.load_dataset

    def spy(*args: Any, **kwargs: Any) -> Any:
        offline_during.append(
            (datasets.config.HF_HUB_OFFLINE, huggingface_hub.constants.HF_HUB_OFFLINE,
             os.environ.get("HF_DATASETS_OFFLINE"))
        )  # fmt: skip
        return load_dataset(*args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(datasets, "load_dataset", spy)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    data = _load(_jsonl(tmp_path / "fi.jsonl", ROWS), words, tmp_path)
    assert data.report.kept == 10
    assert offline_during == [(True, True, "1")]
    assert any((tmp_path / "cache").iterdir())
    assert "HF_HUB_OFFLINE" not in os.environ and not datasets.config.HF_HUB_OFFLINE  # undone
    load_public(tmp_path / "fi.jsonl", CONFIG, tokenizer=words)  # temporary cache


def test_budgetlm_tokenizer_is_the_default(tmp_path: Path) -> None:
    from budgetlm.assistant.backends.local import micro_directory
    from budgetlm.lm.tokenizer import load_tokenizer

    data = load_public(_jsonl(tmp_path / "fi.jsonl", ROWS), PublicDataConfig(1, 1000),
                       cache_dir=tmp_path / "cache")  # fmt: skip
    micro = load_tokenizer(micro_directory())
    example = next(e for e in _all(data) if e.meta["row"] == 1)
    expected = sum(len(micro(text, add_special_tokens=False)["input_ids"]) for text in
                   ("", ROWS[0]["user"], ROWS[0]["assistant"]))  # fmt: skip
    assert example.meta["tokens"] == expected > 16


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("no_user.jsonl", [{"question": "q", "assistant": "a"}],
         r"no_user.jsonl, field 'user': no 'user' column \(found: question, assistant\)"),
        ("no_answer.parquet", [{"system": "s", "user": "q"}],
         r"no_answer.parquet, field 'assistant': no 'assistant' column"),
        ("number.jsonl", [_row("q"), _row(7)],
         r"number.jsonl, line 2, field 'user': expected text, found int"),
        ("null.parquet", [_row("q"), _row("r"), _row("s", None)],
         r"null.parquet, line 3, field 'assistant': expected text, found null"),
        ("list.jsonl", [_row("q", ["a", "b"])], r"line 1, field 'assistant': .* found list"),
        ("empty.jsonl", "", r"empty.jsonl: the file is empty"),
        ("blank.json", "\n \n", r"blank.json: the file is empty"),
        ("broken.jsonl", '{"user": "q", \n', r"broken.jsonl: cannot read it as JSON"),
        ("broken.parquet", "not parquet", r"broken.parquet: cannot read it as PARQUET"),
        ("none.parquet", [], r"none.parquet: the file has no rows"),
        ("data.csv", "user,assistant\n", r"data.csv: expected a .jsonl, .json or .parquet"),
    ],
)  # fmt: skip
def test_bad_files_are_named_in_the_error(
    tmp_path: Path, words: PreTrainedTokenizerFast, name: str, content: Any, message: str
) -> None:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    elif name.endswith(".parquet"):
        schema = (
            pa.schema([("user", pa.string()), ("assistant", pa.string())]) if not content else None
        )
        _parquet(path, content, schema)
    else:
        _jsonl(path, content)
    with pytest.raises(InputError, match=message):
        _load(path, words, tmp_path)


def test_missing_paths_empty_directories_and_bad_settings(
    tmp_path: Path, words: PreTrainedTokenizerFast
) -> None:
    with pytest.raises(InputError, match=r"missing\.jsonl: no such file"):
        _load(tmp_path / "missing.jsonl", words, tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"empty: no \.jsonl, \.json or \.parquet files"):
        _load(tmp_path / "empty", words, tmp_path)
    with pytest.raises(InputError, match="field 'ratio'"):
        PublicDataConfig(ratio=-0.1)
    with pytest.raises(InputError, match="min_tokens"):
        PublicDataConfig(min_tokens=10, max_tokens=5)
    with pytest.raises(InputError, match="shares"):
        PublicDataConfig(shares=(0.5, 0.1, 0.1))


def test_the_splits_are_the_corpus_splits() -> None:
    from budgetlm.assistant.corpus import SPLITS as CORPUS_SPLITS

    assert SPLITS == CORPUS_SPLITS
