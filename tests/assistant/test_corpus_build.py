"""The built corpus: deterministic, split honestly, valid calls, answers from real results."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from budgetlm.assistant.answer import fill
from budgetlm.assistant.corpus import Corpus, CorpusConfig, build_corpus
from budgetlm.assistant.corpus.__main__ import main
from budgetlm.assistant.corpus.families import followup_groups, question_groups
from budgetlm.assistant.tools import Vocabulary, call_schema

SMALL = CorpusConfig(seed=3, size=100, per_household=50, months=6, safety_per_family=10)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return build_corpus(SMALL)


def test_same_seed_same_jsonl(corpus: Corpus) -> None:
    again = build_corpus(SMALL)
    for split in ("train", "validation", "test"):
        assert corpus.jsonl(split) == again.jsonl(split)


def test_sizes_and_households_per_split(corpus: Corpus) -> None:
    sizes = {s: len(c) for s, c in corpus.splits.items()}
    assert sizes == {"train": 80, "validation": 10, "test": 10}
    seeds = {r.split: set() for r in corpus.households}
    for record in corpus.households:
        seeds[record.split].add(record.seed)
    assert all(100 <= s < 200 for s in seeds["train"])
    assert all(s >= 5000 for s in seeds["validation"] | seeds["test"])


def test_held_out_phrasings_never_reach_train(corpus: Corpus) -> None:
    families = {
        f.id: f.split for groups in (question_groups(), followup_groups())
        for g in groups.values() for f in g.families
    }  # fmt: skip
    for split, conversations in corpus.splits.items():
        for conversation in conversations:
            for turn in conversation.turns:
                allowed = {"train"} if split == "train" else {"train", split}
                assert turn.phrasing_split in allowed
                if turn.group != "safety":
                    assert families[turn.family] in allowed, turn.family
    heldout = [c for c in corpus.splits["validation"] if c.meta()["heldout"]]
    assert heldout, "validation asks with held-out phrasings"


def test_every_call_validates_against_its_households_schema(corpus: Corpus) -> None:
    households = {r.key: r for r in corpus.households}
    validators = {}
    for key, record in households.items():
        vocab = Vocabulary(**{k: tuple(v) for k, v in record.vocabulary.items()})
        validators[key] = Draft202012Validator(call_schema(vocab))
    for conversations in corpus.splits.values():
        for conversation in conversations:
            for turn in conversation.turns:
                data = json.loads(turn.call.to_json())
                assert validators[conversation.household].is_valid(data), data


def test_messages_are_openai_form_with_real_results_and_templated_answers(corpus: Corpus) -> None:
    for conversation in corpus.splits["train"]:
        messages = conversation.messages()
        assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant"] * len(
            conversation.turns
        )
        for index, turn in enumerate(conversation.turns):
            user, call, tool, answer = messages[4 * index : 4 * index + 4]
            function = call["tool_calls"][0]["function"]  # type: ignore[index]
            assert function["name"] == turn.call.name
            assert json.loads(function["arguments"]) == dict(turn.call.arguments)
            # Copied verbatim by the chat template, the call reads as the canonical text.
            text = (
                f'{{"name": {json.dumps(function["name"])}, "arguments": {function["arguments"]}}}'
            )
            assert text == turn.call.to_json()
            assert tool["content"] == turn.result.to_prompt()
            assert tool["tool_call_id"] == call["tool_calls"][0]["id"]  # type: ignore[index]
            # The answer is a template: no number of its own, and code can fill it.
            assert not re.search(r"\d", str(answer["content"])), answer
            assert "{" in str(answer["content"]) or turn.call.name in ("help", "out_of_scope")
            fill(str(answer["content"]), turn.result)
            assert user["content"] == turn.user


def test_conversation_kinds_and_metadata(corpus: Corpus) -> None:
    train = corpus.splits["train"]
    kinds = {c.kind for c in train}
    assert {"single", "chain", "safety"} <= kinds
    chains = [c for c in train if c.kind == "chain"]
    assert any(len(c.turns) > 1 for c in chains)
    meta = train[0].meta()
    assert {"id", "split", "tool", "family", "template", "household_seed", "today", "turns"} <= set(
        meta
    )
    refusals = [t for c in train for t in c.turns if t.group == "safety"]
    assert refusals and all(t.call.name in ("out_of_scope", "help") for t in refusals)
    stats = corpus.stats()
    assert stats["train"]["conversations"] == 80  # type: ignore[index]


def test_command_line_writes_the_splits_and_shows_samples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--out", str(tmp_path), "--size", "20", "--seed", "1", "--months", "4"]) == 0
    lines = (tmp_path / "train.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == 16
    record = json.loads(lines[0])
    assert set(record) == {"messages", "meta"}
    assert (tmp_path / "households.jsonl").exists() and (tmp_path / "stats.json").exists()
    capsys.readouterr()
    assert main(["--show", "--family", "spending.how_much", "--samples", "1"]) == 0
    shown = capsys.readouterr().out
    assert "## spending.how_much" in shown and '"name": "spending"' in shown


@pytest.mark.slow
def test_workers_do_not_change_the_output() -> None:
    config = CorpusConfig(seed=5, size=120, per_household=30, safety_per_family=10)
    parallel = CorpusConfig(seed=5, size=120, per_household=30, safety_per_family=10, workers=2)
    one, two = build_corpus(config), build_corpus(parallel)
    assert all(one.jsonl(s) == two.jsonl(s) for s in ("train", "validation", "test"))
