"""The lean forward (``lm.fast_forward``) against the Hugging Face forward, in one process.

    python benchmarks/forward_bench.py [--repeats 30] [--questions 200] [--threads 1]

Passes: the shipped micro model, float32 and int8 (``micro+int8``), after a 150-token prefill,
one pass of 1, 17 and 120 tokens (and the prefill itself), each timed through
``Decoder.forward`` with the lean forward and with ``DecodingConfig(lean_forward=False)`` in
turn; medians of ``--repeats``. Both thread CPU time (what the pass costs, barely moved by other
jobs on a shared machine) and wall time are printed, with HF / lean ratios.

Ask: the same held-out questions as ``ask_bench.py`` asked of two assistants on the same
``micro+int8`` model, one decoding with the lean forward and one with the Hugging Face forward,
alternating which goes first; ``Assistant.ask`` latency percentiles and how many questions got
the same tool calls. ``--questions 0`` skips it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from ask_bench import QUESTION_SET, percentile  # noqa: E402

from budgetlm.assistant.assistant import Assistant  # noqa: E402
from budgetlm.assistant.backends.local import LocalBackend, micro_directory  # noqa: E402
from budgetlm.assistant.corpus import CorpusConfig, build_corpus  # noqa: E402
from budgetlm.assistant.evaluate import load_question_set  # noqa: E402
from budgetlm.lm.decoding import Decoder, DecodingConfig  # noqa: E402
from budgetlm.lm.model import load_pretrained  # noqa: E402
from budgetlm.lm.quantize import quantize_model  # noqa: E402

PREFIX = 150
PASSES = (1, 17, 120)


def _ids(count: int, offset: int) -> list[int]:
    return [10 + (offset + 37 * i) % 4000 for i in range(count)]


def passes(repeats: int) -> None:
    """Per-pass medians, HF against lean, float32 and int8."""
    for quantized in (False, True):
        model, tokenizer = load_pretrained(micro_directory())
        if quantized:
            quantize_model(model)
        decoders = {
            "hf": Decoder(model, tokenizer, DecodingConfig(lean_forward=False)),
            "lean": Decoder(model, tokenizer),
        }
        prefix = _ids(PREFIX, 0)
        for tokens in (*PASSES, PREFIX):
            cpu: dict[str, list[float]] = {name: [] for name in decoders}
            wall: dict[str, list[float]] = {name: [] for name in decoders}
            for _ in range(repeats):
                for name, decoder in decoders.items():
                    cache = decoder.new_cache()
                    if tokens != PREFIX:  # else the prefill itself is timed
                        decoder.forward(prefix, cache)
                    ids = prefix if tokens == PREFIX else _ids(tokens, 1)
                    started_cpu, started = time.thread_time(), time.perf_counter()
                    decoder.forward(ids, cache)
                    cpu[name].append(time.thread_time() - started_cpu)
                    wall[name].append(time.perf_counter() - started)
            label = "prefill 150" if tokens == PREFIX else f"{tokens} over {PREFIX}"
            line = [f"{'int8' if quantized else 'fp32'} {label:>12}:"]
            for kind, times in (("cpu", cpu), ("wall", wall)):
                hf, lean = (1000 * statistics.median(times[name]) for name in ("hf", "lean"))
                line.append(f"{kind} ms hf {hf:6.2f} lean {lean:6.2f} ({hf / lean:.2f}x)")
            print("  ".join(line))


def asks(count: int) -> None:
    """``Assistant.ask`` latency, lean against HF forward, on one int8 model."""
    context, _ = load_question_set(QUESTION_SET)
    corpus = build_corpus(CorpusConfig(seed=1, size=count, shares=(0.0, 0.0, 1.0)))
    questions = [c.turns[0].user for c in corpus.splits["test"]][:count]
    lean = LocalBackend.micro(quantize="int8")
    hf = LocalBackend(
        lean.decoder.model,
        lean.tokenizer,
        name=f"{lean.name} (HF forward)",
        own_format=True,
        decoding=DecodingConfig(lean_forward=False),
    )
    assistants = {"lean": Assistant(lean, context), "hf": Assistant(hf, context)}
    for question in questions[:5]:
        for assistant in assistants.values():
            assistant.ask(question)
    latencies: dict[str, list[float]] = {name: [] for name in assistants}
    calls: dict[str, list[object]] = {name: [] for name in assistants}
    for i, question in enumerate(questions):
        order = list(assistants) if i % 2 == 0 else list(reversed(assistants))
        for name in order:
            reply = assistants[name].ask(question)
            latencies[name].append(reply.latency_ms)
            calls[name].append(reply.tool_calls)
    for name, times in latencies.items():
        print(
            f"ask {name:>4} ({lean.name}), {len(questions)} questions: p50 "
            f"{percentile(times, 0.5):.1f}  p95 {percentile(times, 0.95):.1f}  "
            f"p99 {percentile(times, 0.99):.1f} ms"
        )
    ratios = "  ".join(
        f"{label} {percentile(latencies['hf'], q) / percentile(latencies['lean'], q):.2f}x"
        for label, q in (("p50", 0.5), ("p95", 0.95))
    )
    same = sum(a == b for a, b in zip(calls["hf"], calls["lean"], strict=True))
    print(f"hf / lean: {ratios}; same tool calls {same}/{len(questions)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    passes(args.repeats)
    if args.questions:
        asks(args.questions)


if __name__ == "__main__":
    main()
