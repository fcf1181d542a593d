"""The local backends (``micro:DIR`` and ``hf:PATH[+ADAPTER]``) on a tiny model trained here."""

from __future__ import annotations

import random
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from budgetlm.analytics.history import History
from budgetlm.analytics.records import Account, Txn
from budgetlm.assistant.answer import result_phrasings
from budgetlm.assistant.assistant import Assistant
from budgetlm.assistant.backends import BackendError, open_backend
from budgetlm.assistant.backends.base import call_message, tool_message
from budgetlm.assistant.backends.local import LocalBackend
from budgetlm.assistant.linking import with_mentions
from budgetlm.assistant.tools import ToolCall, ToolContext, execute, make_context
from budgetlm.lm.batching import Interleaver
from budgetlm.lm.config import TINY, TrainConfig
from budgetlm.lm.model import build_model, save_model
from budgetlm.lm.template import Message, render
from budgetlm.lm.tokenizer import train_tokenizer
from budgetlm.lm.train import train

TODAY = date(2026, 11, 21)
CATEGORIES = ("Groceries", "Dining Out")
PERIODS = {"last month": "last_month", "this month": "this_month", "this year": "this_year"}
ANSWER = "You spent {total} on {category} {period}."


def _context() -> ToolContext:
    rows = [
        ("2026-10-03", "-85.40", "Fresh Market", "Groceries"),
        ("2026-10-15", "-45.25", "Taco Stand", "Dining Out"),
        ("2026-11-02", "-20.00", "Fresh Market", "Groceries"),
    ]
    txns = tuple(
        Txn(str(i), date.fromisoformat(d), Decimal(a), p, "Checking", c, "need")
        for i, (d, a, p, c) in enumerate(rows)
    )
    return make_context(History(txns, (Account("Checking", "checking", Decimal(900)),)), TODAY)


def _conversation(context: ToolContext, category: str, period: str) -> list[Message]:
    call = ToolCall("spending", {"period": PERIODS[period], "category": category})
    result = execute(call, context)
    function = {"name": "spending", "arguments": dict(call.arguments)}
    return [
        {"role": "user", "content": f"How much did I spend on {category} {period}?"},
        {"role": "assistant", "tool_calls": [{"function": function}]},
        {"role": "tool", "content": result.to_prompt()},
        {"role": "assistant", "content": ANSWER},
    ]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model that learned six questions, saved as a micro model directory."""
    context, rng = _context(), random.Random(0)
    data = [  # as the recipe trains: each question followed by its mentions line
        with_mentions(
            _conversation(context, rng.choice(CATEGORIES), rng.choice(list(PERIODS))),
            context.vocabulary,
        )
        for _ in range(240)
    ]
    tokenizer = train_tokenizer([render(m) for m in data], TINY.vocab_size)
    model = build_model(TINY, seed=0, tokenizer=tokenizer)
    config = TrainConfig(steps=300, batch_size=16, learning_rate=5e-3, warmup_steps=10, threads=1)
    train(model, tokenizer, data, [], config)
    return save_model(model, tokenizer, tmp_path_factory.mktemp("tiny-micro"))


def test_the_micro_backend_calls_the_tool_and_answers_with_the_tools_figures(
    trained: Path,
) -> None:
    backend = open_backend(f"micro:{trained}", TODAY)
    reply = Assistant(backend, _context()).ask("How much did I spend on Groceries last month?")
    assert reply.tool_calls == (
        ToolCall("spending", {"period": "last_month", "category": "Groceries"}),
    )
    assert reply.answer == "You spent $85.40 on Groceries from Oct 1 to Oct 31, 2026."
    assert not reply.fallback and 0 < reply.confidence <= 1


def test_the_micro_model_answers_with_a_template_that_fits_the_result(trained: Path) -> None:
    backend = LocalBackend.micro(trained)
    context = _context()
    backend.choose_call([{"role": "user", "content": "x"}], context.vocabulary)
    for call in (
        ToolCall("spending", {"period": "this_month", "category": "Dining Out"}),
        ToolCall("top_payees", {"period": "last_month"}),  # never seen in its training
    ):
        result = execute(call, context)
        messages = [*_conversation(context, "Dining Out", "this month")[:1],
                    call_message(call), tool_message(result)]  # fmt: skip
        text = backend.phrase(messages, result)
        assert text in result_phrasings(result)
        assert not re.search(r"\d", text)  # figures come from code, through placeholders


def test_a_question_costs_one_pass_per_choice_and_none_for_a_fixed_answer(
    trained: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The prompt is run with the first choice that needs the model, never on its own."""
    backend = LocalBackend.micro(trained)
    context, session = _context(), backend._session
    decoded = []
    real_tool_call = session.tool_call
    monkeypatch.setattr(
        session, "tool_call", lambda schema: decoded.append(real_tool_call(schema)) or decoded[-1]
    )
    question: list[Message] = [{"role": "user", "content": "How much did I spend last month?"}]
    before = session.model_calls
    call = backend.choose_call(question, context.vocabulary).call
    asked = [c for c in decoded[0].generation.choices if not c.forced]
    assert session.model_calls - before == len(asked) > 0

    result = execute(call, context)
    only = result_phrasings(result)[0]
    monkeypatch.setattr("budgetlm.assistant.backends.local.result_phrasings", lambda _: (only,))
    before = session.model_calls
    assert backend.phrase([*question, call_message(call), tool_message(result)], result) == only
    assert session.model_calls == before  # one fitting answer: the result is never run


def test_a_hugging_face_directory_runs_with_its_own_chat_template(trained: Path) -> None:
    backend = open_backend(f"hf:{trained}", TODAY)
    assert backend.name == f"hf:{trained}"
    choice = backend.choose_call(
        [{"role": "user", "content": "How much did I spend on Dining Out this year?"}],
        _context().vocabulary,
    )
    assert choice.call.name == "spending"  # schema-valid by construction, learned tool


@pytest.mark.filterwarnings("ignore:.*is_gradient_checkpointing.*:FutureWarning")
def test_a_lora_adapter_is_merged_on_load(trained: Path, tmp_path: Path) -> None:
    from peft import LoraConfig, get_peft_model

    from budgetlm.lm.model import load_model

    peft_model = get_peft_model(
        load_model(trained), LoraConfig(r=2, target_modules=["q_proj", "v_proj"])
    )
    peft_model.save_pretrained(str(tmp_path / "adapter"))
    question = [{"role": "user", "content": "How much did I spend on Groceries last month?"}]
    vocabulary = _context().vocabulary
    tuned = open_backend(f"hf:{trained}+{tmp_path / 'adapter'}", TODAY)
    base = open_backend(f"hf:{trained}", TODAY)
    # A fresh LoRA adds zero (its B matrix starts at zero): merged, it leaves the call as it was.
    assert tuned.name.endswith("+" + str(tmp_path / "adapter"))
    assert tuned.choose_call(question, vocabulary) == base.choose_call(question, vocabulary)


def test_missing_models_are_named_clearly(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="no trained micro model"):
        open_backend(f"micro:{tmp_path}", TODAY)
    with pytest.raises(BackendError, match="is not a directory"):
        open_backend(f"hf:{tmp_path / 'nowhere'}", TODAY)
    with pytest.raises(BackendError, match="unknown model"):
        open_backend("gpt:4", TODAY)


def test_forked_backends_decode_interleaved_and_choose_as_they_do_alone(trained: Path) -> None:
    backend = open_backend(f"hf:{trained}", TODAY)
    assert isinstance(backend, LocalBackend)
    vocabulary = _context().vocabulary
    questions = [f"How much did I spend on {c} {p}?" for c in CATEGORIES for p in PERIODS]
    alone = [backend.choose_call([{"role": "user", "content": q}], vocabulary) for q in questions]
    jobs = Interleaver()
    forks = [backend.fork() for _ in questions]
    together = [
        jobs.start(lambda q=q, fork=fork: fork.choose_call([{"role": "user", "content": q}],
                                                           vocabulary))
        for q, fork in zip(questions, forks, strict=True)
    ]  # fmt: skip
    while jobs.running:
        jobs.step()
    assert [c.result().call for c in together] == [c.call for c in alone]
    for mine, single in zip(together, alone, strict=True):  # float32: within rounding
        assert mine.result().confidence == pytest.approx(single.confidence, abs=1e-5)
    assert jobs.passes >= 2 * jobs.batches  # passes were shared
