"""Training: reproducible, learns a small tool-calling task, batches by length."""

from __future__ import annotations

import random
from dataclasses import dataclass

import pytest
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerFast

from budgetlm.lm.config import TINY, TrainConfig
from budgetlm.lm.model import build_model
from budgetlm.lm.template import IM_END, Message, encode_chat, render
from budgetlm.lm.tokenizer import train_tokenizer
from budgetlm.lm.train import (
    TrainProgress,
    TrainReport,
    length_bucketed_batches,
    train,
)

CATEGORIES = ("Groceries", "Dining Out", "Rent", "Utilities", "Travel", "Fuel")
PERIODS = {
    "last month": "last_month",
    "this month": "this_month",
    "this year": "this_year",
    "last week": "last_week",
    "in 2025": "year:2025",
}


def conversation(category: str, period: str) -> list[Message]:
    """A question and the spending tool call that answers it."""
    arguments = {"category": category, "period": PERIODS[period]}
    return [
        {"role": "system", "content": "Call a tool."},
        {"role": "user", "content": f"How much did I spend on {category} {period}?"},
        {
            "role": "assistant",
            "tool_calls": [
                {"type": "function", "function": {"name": "spending", "arguments": arguments}}
            ],
        },
    ]


def conversations(count: int, seed: int = 0) -> list[list[Message]]:
    rng = random.Random(seed)
    return [conversation(rng.choice(CATEGORIES), rng.choice(list(PERIODS))) for _ in range(count)]


def greedy_reply(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast, messages: list[Message]
) -> str:
    """Decode greedily with the KV cache until ``<|im_end|>``."""
    prompt = torch.tensor([encode_chat(messages, tokenizer, add_generation_prompt=True)])
    end = tokenizer.convert_tokens_to_ids(IM_END)
    reply: list[int] = []
    with torch.no_grad():
        output = model(input_ids=prompt, use_cache=True)
        while len(reply) < 60 and (not reply or reply[-1] != end):
            reply.append(int(output.logits[0, -1].argmax()))
            step = torch.tensor([reply[-1:]])
            output = model(input_ids=step, past_key_values=output.past_key_values, use_cache=True)
    return tokenizer.decode(reply)


@dataclass
class Trained:
    tokenizer: PreTrainedTokenizerFast
    model: PreTrainedModel
    report: TrainReport
    progress: list[TrainProgress]
    data: list[list[Message]]


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    return train_tokenizer([render(m) for m in conversations(200)], TINY.vocab_size)


@pytest.fixture(scope="module")
def trained(tokenizer: PreTrainedTokenizerFast) -> Trained:
    data = conversations(200)
    model = build_model(TINY, 0, tokenizer=tokenizer)
    config = TrainConfig(
        seed=0,
        steps=300,
        batch_size=16,
        learning_rate=1e-2,
        warmup_steps=10,
        threads=1,
        log_interval=25,
        eval_interval=100,
    )
    progress: list[TrainProgress] = []
    report = train(model, tokenizer, data[:180], data[180:], config, progress.append)
    return Trained(tokenizer, model, report, progress, data)


@pytest.mark.timeout(300)
def test_loss_falls_clearly(trained: Trained) -> None:
    report = trained.report
    first_loss = report.train_losses[0][1]
    assert first_loss > 2.0
    assert report.final_train_loss < first_loss / 20
    val_loss = report.final_val_loss
    assert val_loss is not None and val_loss < 0.1
    assert [step for step, _ in report.val_losses] == [100, 200, 300]
    assert report.steps == 300 and report.examples == 180 and report.skipped == 0
    assert report.tokens_per_second > 0 and report.target_tokens < report.tokens


@pytest.mark.timeout(300)
def test_trained_model_reproduces_training_tool_calls(trained: Trained) -> None:
    for messages in trained.data[:3]:
        expected = render(messages).split("<|im_start|>assistant\n")[-1].removesuffix("\n")
        assert greedy_reply(trained.model, trained.tokenizer, messages[:-1]) == expected


@pytest.mark.timeout(300)
def test_progress_is_reported_in_order(trained: Trained) -> None:
    steps = [p.step for p in trained.progress]
    assert steps == list(range(25, 301, 25))
    assert all(p.total_steps == 300 for p in trained.progress)
    assert [p.val_loss is not None for p in trained.progress].count(True) == 3
    assert trained.progress[-1].learning_rate == pytest.approx(1e-3)  # min_lr_ratio 0.1
    tokens_seen = [p.tokens_seen for p in trained.progress]
    assert tokens_seen == sorted(tokens_seen) and tokens_seen[-1] == trained.report.tokens


def _short_run(tokenizer: PreTrainedTokenizerFast, seed: int) -> dict[str, torch.Tensor]:
    model = build_model(TINY, 0, tokenizer=tokenizer)
    config = TrainConfig(seed=seed, steps=4, batch_size=8, warmup_steps=0, threads=2)
    train(model, tokenizer, conversations(64), [], config)
    return model.state_dict()


def test_same_seed_and_data_give_identical_weights(tokenizer: PreTrainedTokenizerFast) -> None:
    threads, rng_state = torch.get_num_threads(), torch.random.get_rng_state()
    first, again, other = (_short_run(tokenizer, seed) for seed in (1, 1, 2))
    assert all(torch.equal(first[name], again[name]) for name in first)
    assert not all(torch.equal(first[name], other[name]) for name in first)
    # The caller's thread count and random state are left alone.
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.random.get_rng_state(), rng_state)


def test_batches_cover_every_example_once_and_group_similar_lengths() -> None:
    rng = random.Random(0)
    lengths = [rng.randint(10, 500) for _ in range(1000)]
    batches = length_bucketed_batches(lengths, 8, random.Random(1))
    assert sorted(index for batch in batches for index in batch) == list(range(1000))
    assert batches == length_bucketed_batches(lengths, 8, random.Random(1))
    assert batches != length_bucketed_batches(lengths, 8, random.Random(2))
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches)
    assert spread / len(batches) < 20  # random batches of 8 would spread ~380 tokens


def test_conversations_without_assistant_turns_are_skipped_or_refused(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    model = build_model(TINY, 0, tokenizer=tokenizer)
    question_only = [conversation("Rent", "last month")[:2]]
    config = TrainConfig(steps=1, batch_size=2)
    with pytest.raises(ValueError, match="no training conversation"):
        train(model, tokenizer, question_only, [], config)
    report = train(model, tokenizer, question_only + conversations(3), [], config)
    assert (report.examples, report.skipped, report.val_losses) == (3, 1, ())
