"""Distillation with small models on both sides: a stand-in OpenAI server that answers most
training questions with the corpus' calls and some with broken ones, a tiny random ``hf:``
teacher, and a ``tiny`` student that learns from what was kept."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tiny_models import tiny_model
from typer.testing import CliRunner

from budgetlm.assistant.answer import result_phrasings
from budgetlm.assistant.backends import CallChoice, Message, open_backend
from budgetlm.assistant.corpus import Conversation, Corpus
from budgetlm.assistant.tools import ToolCall, ToolContext, ToolResult, Vocabulary, execute
from budgetlm.cli import app
from budgetlm.finetune.distill import (
    DistillConfig,
    distill,
    question_corpus,
    teach_turn,
    train_contexts,
)
from budgetlm.lm.config import TrainConfig
from openai_fake import openai_server

HISTORY = 2
"""Earlier exchanges the teacher sees (``AssistantConfig.history_exchanges``)."""
TRAIN = TrainConfig(
    steps=20, batch_size=8, learning_rate=3e-3, warmup_steps=2, max_length=384, threads=1
)
CONFIG = DistillConfig(
    teacher="", questions=24, preset="tiny", validation_conversations=8, per_household=16,
    train=TRAIN,
)  # fmt: skip
FAULTS = {
    1: ("spending", "{oops"),  # malformed arguments
    2: ("teleport", "{}"),  # unknown tool
    3: ("spending", '{"period": "last_month", "category": "No Such Category"}'),
    4: ("spending", '{"period": "month:2099-01"}'),  # after today: the tool fails
    5: ("", ""),  # HTTP 500
}
"""Broken replies for the first question of the train conversations with these indices."""
EXPECTED_DROPS = {
    "invalid:name": 2,
    "invalid:category": 1,
    "execution_error": 1,
    "teacher_error": 1,
}


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return question_corpus(CONFIG)


def _key(users: Sequence[str]) -> tuple[str, ...]:
    return tuple(users[-(HISTORY + 1) :])


def _replies(corpus: Corpus) -> dict[tuple[str, ...], tuple[str, str]]:
    """What the fake teacher answers to each run of user messages: the corpus' call, or a
    fault for the first questions of some conversations."""
    replies: dict[tuple[str, ...], tuple[str, str]] = {}
    for index, conversation in enumerate(corpus.splits["train"]):
        users = [t.user for t in conversation.turns]
        for turn_index, turn in enumerate(conversation.turns):
            call = json.loads(turn.call.to_json())
            reply = (turn.call.name, json.dumps(call["arguments"]))
            if turn_index == 0 and index in FAULTS:
                reply = FAULTS[index]
            replies.setdefault(_key(users[: turn_index + 1]), reply)
    return replies


class FakeTeacher:
    """An OpenAI-compatible teacher that answers from a table of replies."""

    def __init__(self, replies: dict[tuple[str, ...], tuple[str, str]]) -> None:
        self.days: set[str] = set()
        self.replies = replies
        self.spec = ""

    def respond(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        messages = body["messages"]
        self.days.add(messages[0]["content"].rsplit("Today is ", 1)[1].rstrip("."))
        users = [m["content"] for m in messages if m["role"] == "user"]
        name, arguments = self.replies.get(_key(users), ("clarify", '{"missing": "topic"}'))
        if not name:
            return 500, {"error": "overloaded"}
        function = {"name": name, "arguments": arguments}
        call = {"id": "c0", "type": "function", "function": function}
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        return 200, {"choices": [{"index": 0, "message": message}]}


@pytest.fixture
def teacher(corpus: Corpus) -> Iterator[FakeTeacher]:
    fake = FakeTeacher(_replies(corpus))
    with openai_server(fake.respond) as url:
        fake.spec = f"openai:{url}#fake-teacher"
        yield fake


def _calls(directory: Path) -> list[tuple[str, ToolCall]]:
    """The household and call of every tool call in ``distilled.jsonl``."""
    lines = (directory / "distilled.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    return [
        (record["meta"]["household"], ToolCall(c["function"]["name"], json.loads(arguments)))
        for record in records
        for message in record["messages"]
        for c in message.get("tool_calls") or []
        if isinstance(arguments := c["function"]["arguments"], str)
    ]


def test_broken_teacher_calls_are_dropped_and_the_student_learns_the_rest(
    teacher: FakeTeacher, corpus: Corpus, tmp_path: Path
) -> None:
    report = distill(replace(CONFIG, teacher=teacher.spec), tmp_path / "student")
    asked = report.teacher
    faulty = [corpus.splits["train"][i] for i in FAULTS]
    assert asked.asked == CONFIG.questions and asked.teacher == "openai:fake-teacher"
    assert asked.dropped == EXPECTED_DROPS
    assert asked.kept == asked.asked - sum(EXPECTED_DROPS.values())
    assert asked.not_asked == sum(len(c.turns) - 1 for c in faulty)
    assert asked.agreement == pytest.approx(asked.kept / asked.asked)
    assert asked.tool_agreement == pytest.approx((asked.kept + 1) / asked.asked)  # the 2099 one
    # Every question was asked with its own household's day.
    asked_days = {c.today.isoformat() for c in corpus.splits["train"][: len(faulty) + 8]}
    assert asked_days <= teacher.days

    directory = report.directory
    assert len(_calls(directory)) == asked.kept
    summary = json.loads((directory / "distill.json").read_text())
    assert summary["teacher"]["dropped"] == EXPECTED_DROPS
    examples = summary["teacher"]["dropped_examples"]
    assert "after today" in examples["execution_error"][0]["detail"]
    assert "HTTP 500" in examples["teacher_error"][0]["detail"]
    assert examples["invalid:category"][0]["question"] == faulty[2].turns[0].user
    student = summary["student"]
    assert student["validation_loss"] < student["validation_loss_untrained"] - 0.5
    served = open_backend(f"micro:{directory}", date(2026, 1, 1))
    assert served.name == "micro-distill-tiny-s0"
    question = corpus.splits["train"][0].turns[0]
    vocabulary = Vocabulary(**{k: tuple(v) for k, v in corpus.households[0].vocabulary.items()})
    assert served.choose_call([{"role": "user", "content": question.user}], vocabulary).call


def test_a_tiny_random_hf_teacher_keeps_only_calls_that_run(tmp_path: Path) -> None:
    model = tiny_model(tmp_path / "teacher", "qwen2")
    config = replace(
        CONFIG, teacher=f"hf:{model}", questions=3, validation_conversations=0,
        train=replace(TRAIN, steps=2),
    )  # fmt: skip
    report = distill(config, tmp_path / "student").teacher
    assert report.asked == 3 and report.teacher == f"hf:{model}"
    assert report.kept + sum(report.dropped.values()) == 3 and report.kept >= 1
    assert set(report.dropped) <= {"execution_error", "no_answer"}  # decoding keeps the schema
    contexts = train_contexts(question_corpus(config))
    kept = _calls(tmp_path / "student")
    assert len(kept) == report.kept
    assert all(execute(call, contexts[household]).status != "error" for household, call in kept)


class StubTeacher:
    """A backend that answers with fixed choices and a fixed answer text."""

    def __init__(self, choice: CallChoice, text: str = "") -> None:
        self.choice, self.text = choice, text

    @property
    def name(self) -> str:
        return "stub"

    def choose_call(self, messages: Sequence[Message], vocabulary: Vocabulary) -> CallChoice:
        return self.choice

    def phrase(self, messages: Sequence[Message], result: ToolResult) -> str:
        return self.text


def _first(corpus: Corpus) -> tuple[Conversation, ToolContext]:
    conversation = corpus.splits["train"][0]
    return conversation, train_contexts(corpus)[conversation.household]


def test_a_call_outside_the_households_names_is_dropped_naming_the_argument(
    corpus: Corpus,
) -> None:
    import random

    conversation, context = _first(corpus)
    turn = conversation.turns[0]
    prompt = conversation.messages()[:1]
    bad = CallChoice(ToolCall("top_payees", {"period": "last_month", "limit": 99}), 0.9)
    outcome = teach_turn(StubTeacher(bad), prompt, turn, context, random.Random(0))
    assert outcome.reason == "invalid:limit" and outcome.kept is None
    assert outcome.same_tool is (turn.call.name == "top_payees")


def test_the_teachers_answer_is_kept_only_when_it_is_a_fitting_template(corpus: Corpus) -> None:
    import random

    conversation, context = _first(corpus)
    turn = conversation.turns[0]
    prompt = conversation.messages()[:1]
    templates = result_phrasings(execute(turn.call, context))
    good = StubTeacher(CallChoice(turn.call, 0.9), templates[-1])
    kept = teach_turn(good, prompt, turn, context, random.Random(0), teacher_phrases=True)
    assert kept.kept is not None and kept.kept.answer == templates[-1] and kept.teacher_answer
    assert kept.agrees and kept.kept.result.to_prompt() == turn.result.to_prompt()
    free = StubTeacher(CallChoice(turn.call, 0.9), "You spent $12.00.")
    drawn = teach_turn(free, prompt, turn, context, random.Random(0), teacher_phrases=True)
    assert drawn.kept is not None and drawn.kept.answer in templates and not drawn.teacher_answer


def test_lm_distill_writes_a_student_and_its_report(teacher: FakeTeacher, tmp_path: Path) -> None:
    out = tmp_path / "cli-student"
    args = [
        "lm", "distill", "--teacher", teacher.spec, "--out", str(out), "--questions", "8",
        "--preset", "tiny", "--epochs", "1", "--validation", "0", "--threads", "1",
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "distill.json").read_text())
    assert summary["teacher"]["asked"] == 8 and summary["config"]["preset"] == "tiny"
    assert (out / "model.safetensors").is_file() and (out / "training.json").is_file()
    assert "kept" in result.output
