"""Decoding cost of one assistant turn: prompt prefill plus a constrained tool call.

    python benchmarks/decode_bench.py [--repeats 5] [--threads 2] [--models micro qwen]

The same code (``budgetlm.lm.decoding``) runs on two models with random weights (timing does not
depend on the weights; nothing is downloaded):

    micro   ``lm.config.MICRO``: Llama, width 256, 4 layers, the shipped model's size.
    qwen    ``lm.config.QWEN25_05B_SHAPE``: a ``Qwen2Config`` with Qwen2.5-0.5B-Instruct's exact
            architecture and size (width 896, 24 layers, 14 query / 2 key-value heads, FFN 4864,
            vocabulary 151,936, tied embeddings, rope theta 1e6; ~494 M parameters).

Tokenizer. Both use budgetlm's byte-level BPE trained here on synthetic chat texts. For ``qwen``
it is padded to 151,936 tokens with random-letter tokens that no merge produces: every text
tokenizes exactly as with the unpadded tokenizer (checked below), so both models decode the
same tokens, while llguidance's masks span Qwen's vocabulary size (its real tokenizer is not
downloaded).

Teacher forcing. Random weights would not write a sensible call, so both runs decode one fixed
target call with ``Session.tool_call(schema, target=...)``. That is the ordinary constrained
decoder: fast-forwarded tokens are fed in batches, and at every position where the grammar
allows more than one token it computes the mask, runs the model step and projects onto the
allowed tokens; it only takes the target's token instead of the argmax. Both models therefore
produce the same tool call, token for token, with the same model calls.

Schema: ``assistant.tools.call_schema`` over the default category taxonomy, 3 accounts, 40
payees and 2 goals (every tool of the contract).

Columns (medians over ``--repeats`` runs after one warm-up; fresh session each run)
    prefill ms   ``Session.feed(prompt)``: one forward pass over the ~60-token prompt
    step ms      one free-generation step: a one-token forward and the full vocabulary projection
    call ms      ``Session.tool_call``: the whole constrained call (prefill not included)
    calls        forward passes the call made; tokens: its output tokens (chosen ones in brackets)
    grammar ms   llguidance alone over the same call (mask, fast-forward, consume), no model
    turn ms      prefill + call
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerFast

from budgetlm.assistant.tools import Vocabulary, call_schema
from budgetlm.ledger.taxonomy import default_categories
from budgetlm.lm.config import MICRO, QWEN25_05B_SHAPE, ModelPreset
from budgetlm.lm.decoding import Decoder
from budgetlm.lm.model import build_model
from budgetlm.lm.template import SPECIAL_TOKENS
from budgetlm.lm.tokenizer import train_tokenizer

PAYEES = (
    "Whole Foods",
    "Trader Joe's",
    "Safeway",
    "Costco",
    "Target",
    "Walmart",
    "Amazon",
    "Shell",
    "Chevron",
    "Uber",
    "Lyft",
    "Netflix",
    "Spotify",
    "Hulu",
    "Starbucks",
    "Chipotle",
    "McDonald's",
    "Comcast",
    "Verizon",
    "AT&T",
    "PG&E",
    "City Water",
    "State Farm",
    "Geico",
    "CVS",
    "Walgreens",
    "Home Depot",
    "IKEA",
    "Apple",
    "Delta",
    "United",
    "Airbnb",
    "Marriott",
    "Planet Fitness",
    "Petco",
    "Chewy",
    "DoorDash",
    "Instacart",
    "Venmo",
    "Landlord LLC",
)
VOCABULARY = Vocabulary(
    categories=tuple(spec.name for spec in default_categories()),
    accounts=("Checking", "Savings", "Visa Card"),
    payees=PAYEES,
    goals=("Emergency fund", "Vacation"),
    debts=("Visa Card",),
)
SYSTEM = "You are budgetlm, a private budgeting assistant. Call a tool; never invent numbers."
PROMPT = (
    f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\nHow much did I spend on "
    "groceries at Whole Foods in March 2026? It felt high.<|im_end|>\n"
    "<|im_start|>assistant\n"
)
TARGET = json.dumps(
    {
        "name": "spending",
        "arguments": {"period": "month:2026-03", "category": "Groceries", "payee": "Whole Foods"},
    }
)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September")
QUESTIONS = (
    "How much did I spend on {c} last month?",
    "What did I pay {p} in {m}?",
    "How much did I spend on {c} at {p} in {month} {y}?",
    "Can I afford a {n} dollar {c} purchase this week?",
    "Show my top categories for the last 3 months.",
)


def training_texts(count: int = 400) -> list[str]:
    """Synthetic chat texts to learn merges from (questions, calls, answers)."""
    rng = random.Random(0)
    texts = []
    for _ in range(count):
        category, payee = rng.choice(VOCABULARY.categories), rng.choice(PAYEES)
        month = f"month:20{rng.randint(20, 29)}-{rng.randint(1, 12):02d}"
        question = rng.choice(QUESTIONS).format(
            c=category.lower(),
            p=payee,
            m=month,
            n=rng.randint(5, 900),
            month=rng.choice(MONTHS),
            y=rng.randint(2020, 2029),
        )
        call = json.dumps(
            {"name": "spending", "arguments": {"period": month, "category": category}}
        )
        texts.append(
            f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{question}<|im_end|>\n"
            "<|im_start|>assistant\n<tool_call>\n"
            f"{call}\n</tool_call><|im_end|>\n<|im_start|>assistant\nYou spent {{total}} on "
            "{category} {period}.<|im_end|>\n"
        )
    return texts


def padded(tokenizer: PreTrainedTokenizerFast, size: int) -> PreTrainedTokenizerFast:
    """The tokenizer with random-letter tokens appended up to ``size``; no merge yields them."""
    data = json.loads(tokenizer.backend_tokenizer.to_str())
    vocab: dict[str, int] = data["model"]["vocab"]
    rng = random.Random(1)
    next_id = len(tokenizer)
    letters = "abcdefghijklmnopqrstuvwxyz"
    while next_id < size:
        word = "".join(rng.choice(letters) for _ in range(rng.randint(3, 9)))
        word = ("Ġ" + word) if rng.random() < 0.5 else word  # "Ġ" is a space, byte-level
        if word not in vocab:
            vocab[word] = next_id
            next_id += 1
    from tokenizers import Tokenizer

    return PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(json.dumps(data)),
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=[
            t for t in SPECIAL_TOKENS if t not in ("<|im_end|>", "<|endoftext|>")
        ],
    )


def median_ms(run: Callable[[], None], repeats: int) -> float:
    """Median wall time of ``run`` in milliseconds, after one warm-up."""
    run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def grammar_only_ms(decoder: Decoder, schema: dict[str, Any], repeats: int) -> float:
    """llguidance's share: replay the target call through the grammar without the model."""
    target = decoder.encode(f"<tool_call>\n{TARGET}\n</tool_call>")
    grammar = decoder.tool_call_grammar(schema)

    def replay() -> None:
        constraint = decoder.constraint(grammar)
        done = 0
        while not constraint.finished:
            forced = constraint.forced()
            if forced and forced == target[done : done + len(forced)]:
                constraint.consume(forced)
                done += len(forced)
                continue
            constraint.allowed()
            constraint.consume([target[done]])
            done += 1

    return median_ms(replay, repeats)


def measure(
    preset: ModelPreset, tokenizer: PreTrainedTokenizerFast, repeats: int
) -> dict[str, Any]:
    """Time prefill, a free step and the teacher-forced tool call on one model."""
    started = time.perf_counter()
    model: PreTrainedModel = build_model(preset, seed=0)
    built = time.perf_counter() - started
    decoder = Decoder(model, tokenizer)
    schema = call_schema(VOCABULARY)
    prompt_ids = decoder.encode(PROMPT)
    results: dict[str, Any] = {}

    def prefill() -> None:
        decoder.session().feed(prompt_ids)

    def turn() -> None:
        session = decoder.session()
        session.feed(prompt_ids)
        results["call"] = session.tool_call(schema, target=TARGET)

    stepping = decoder.session()
    stepping.feed(prompt_ids)

    def step() -> None:  # after the first: one-token forward + full projection + argmax
        stepping.generate(max_new_tokens=1)

    prefill_ms = median_ms(prefill, repeats)
    call_times = []
    turn()
    for _ in range(repeats):
        turn()
        call_times.append(results["call"].generation.seconds * 1000)
    call = results["call"]
    assert call.call_text == TARGET
    return {
        "model": preset.name,
        "params": sum(p.numel() for p in model.parameters()),
        "vocab": decoder.vocab_size,
        "build_s": built,
        "prompt_tokens": len(prompt_ids),
        "prefill_ms": prefill_ms,
        "step_ms": median_ms(step, repeats * 3),
        "call_ms": statistics.median(call_times),
        "calls": call.generation.model_calls,
        "tokens": len(call.generation.token_ids),
        "chosen": call.generation.chosen_tokens,
        "grammar_ms": grammar_only_ms(decoder, schema, repeats),
        "token_ids": call.generation.token_ids,
    }


def turn(row: dict[str, Any]) -> float:
    """Milliseconds of a whole turn: prefill and tool call."""
    return float(row["prefill_ms"] + row["call_ms"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models", nargs="+", default=["micro", "qwen"], choices=["micro", "qwen"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    tokenizer = train_tokenizer(training_texts(), MICRO.vocab_size)
    rows = []
    for name in args.models:
        if name == "micro":
            rows.append(measure(MICRO, tokenizer, args.repeats))
            continue
        big = padded(tokenizer, QWEN25_05B_SHAPE.vocab_size)
        text = PROMPT + TARGET
        assert big.encode(text) == tokenizer.encode(text), "padding changed tokenization"
        rows.append(measure(QWEN25_05B_SHAPE, big, args.repeats))

    print(f"threads {args.threads}, repeats {args.repeats}, tokenizer {len(tokenizer)} tokens")
    header = (
        f"{'model':<20}{'params':>8}{'vocab':>8}{'prefill ms':>12}{'step ms':>9}"
        f"{'call ms':>9}{'calls':>6}{'tokens':>11}{'grammar ms':>12}{'turn ms':>9}"
    )
    print(header)
    for row in rows:
        print(
            f"{row['model']:<20}{row['params'] / 1e6:>7.1f}M{row['vocab']:>8}"
            f"{row['prefill_ms']:>12.1f}{row['step_ms']:>9.2f}{row['call_ms']:>9.1f}"
            f"{row['calls']:>6}{row['tokens']:>6} ({row['chosen']:>2})"
            f"{row['grammar_ms']:>12.2f}{turn(row):>9.1f}"
        )
    if len(rows) == 2:
        small, large = rows
        assert small["token_ids"] == large["token_ids"], "the two calls differ"
        print(
            f"ratio {large['model']} / {small['model']}: prefill "
            f"{large['prefill_ms'] / small['prefill_ms']:.1f}x, step "
            f"{large['step_ms'] / small['step_ms']:.1f}x, call "
            f"{large['call_ms'] / small['call_ms']:.1f}x, turn {turn(large) / turn(small):.1f}x"
        )
    print(f"prompt {rows[0]['prompt_tokens']} tokens; call: {TARGET}")


if __name__ == "__main__":
    main()
