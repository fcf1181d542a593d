"""End-to-end ``ask`` latency and memory, and the same decoding on a Qwen2.5-0.5B-sized model.

    python benchmarks/ask_bench.py [--model micro] [--questions 200] [--threads 1] [--no-qwen]
        [--versus micro+int8]

Ledger: ``tests/data/assistant/household.csv`` (14 months, 1,334 rows) imported the way
``budgetlm import`` does, with the question set's goals, debts and budgets; today 2026-10-31.
Questions: the first questions of generated held-out test conversations (unseen households and
phrasing families), so they are not the human set's and not the training set's.

Measured per question, after 5 warm-up questions: ``Assistant.ask`` wall time, which is the
whole path a user waits for: safety gate, tool-call decoding, tool execution, answer decoding,
the guard. Peak RSS is the process's high-water mark after all questions (model loaded).

With ``--versus SPEC`` a second model answers the same questions in the same process, each
question asked of both in turn (which one goes first alternates), and the ratios of their
percentiles are printed (``--model`` over ``--versus``: above 1 means ``--versus`` is faster),
with how many questions got the same tool calls. Peak RSS then covers both models.

Comparison in the same run: the first question's tool call is decoded again by the same
``Session.tool_call`` code, teacher-forced to the same call text, on (a) the shipped micro model
and (b) a model with the exact architecture and size of Qwen2.5-0.5B-Instruct built from its
config with random weights (timing does not depend on the weights; nothing is downloaded; see
``decode_bench.py`` for how its vocabulary is padded so both decode the same tokens). The
ratio is (b) / (a) for prefill plus tool call.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from decode_bench import padded  # noqa: E402

from budgetlm.assistant.assistant import Assistant  # noqa: E402
from budgetlm.assistant.backends import open_backend  # noqa: E402
from budgetlm.assistant.backends.local import LocalBackend  # noqa: E402
from budgetlm.assistant.corpus import CorpusConfig, build_corpus  # noqa: E402
from budgetlm.assistant.evaluate import load_question_set  # noqa: E402
from budgetlm.assistant.tools.schema import decoding_schema  # noqa: E402
from budgetlm.lm.config import QWEN25_05B_SHAPE  # noqa: E402
from budgetlm.lm.decoding import Decoder  # noqa: E402
from budgetlm.lm.model import build_model  # noqa: E402
from budgetlm.lm.template import encode_chat  # noqa: E402

QUESTION_SET = ROOT / "tests" / "data" / "assistant" / "human_questions.yaml"


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def turn_ms(decoder: Decoder, prompt: list[int], schema: dict[str, object], target: str) -> float:
    """Median of 3: prefill of ``prompt`` plus the teacher-forced tool call."""
    times = []
    for _ in range(4):
        session = decoder.session()
        started = time.perf_counter()
        session.feed(prompt)
        session.tool_call(schema, target=target)
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="micro")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-qwen", action="store_true")
    parser.add_argument("--versus", help="a second --model value, timed alternating with it")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    context, _ = load_question_set(QUESTION_SET)
    corpus = build_corpus(CorpusConfig(seed=1, size=args.questions, shares=(0.0, 0.0, 1.0)))
    questions = [c.turns[0].user for c in corpus.splits["test"]][: args.questions]
    specs = [args.model] if args.versus is None else [args.model, args.versus]
    backends = [open_backend(spec, context.today) for spec in specs]
    assistants = [Assistant(backend, context) for backend in backends]
    for question in questions[:5]:
        for assistant in assistants:
            assistant.ask(question)
    latencies: list[list[float]] = [[] for _ in assistants]
    calls: list[list[object]] = [[] for _ in assistants]
    for i, question in enumerate(questions):
        for k in range(len(assistants)) if i % 2 == 0 else reversed(range(len(assistants))):
            reply = assistants[k].ask(question)
            latencies[k].append(reply.latency_ms)
            calls[k].append(reply.tool_calls)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for backend, times in zip(backends, latencies, strict=True):
        print(f"model {backend.name}, threads {args.threads}, {len(questions)} questions")
        print(
            f"ask latency ms: p50 {percentile(times, 0.5):.1f}  p95 "
            f"{percentile(times, 0.95):.1f}  p99 {percentile(times, 0.99):.1f}  "
            f"max {max(times):.1f}   (targets p50 <= 50, p95 <= 150)"
        )
    if len(backends) == 2:
        ratios = "  ".join(
            f"{name} {percentile(latencies[0], q) / percentile(latencies[1], q):.2f}x"
            for name, q in (("p50", 0.5), ("p95", 0.95))
        )
        same = sum(a == b for a, b in zip(*calls, strict=True))
        print(f"{backends[0].name} / {backends[1].name}: {ratios}")
        print(f"same tool calls: {same}/{len(questions)}")
    print(f"peak RSS {rss_mb:.0f} MB   (target <= 600)")
    backend = backends[0]
    if args.no_qwen or not isinstance(backend, LocalBackend):
        return

    question = questions[0]
    messages = [{"role": "user", "content": question}]
    schema = decoding_schema(context.vocabulary)
    target = backend.choose_call(messages, context.vocabulary).call.to_json()
    prompt = encode_chat(messages, backend.tokenizer, add_generation_prompt=True)
    micro_ms = turn_ms(backend.decoder, prompt, schema, target)
    big_tokenizer = padded(backend.tokenizer, QWEN25_05B_SHAPE.vocab_size)
    assert big_tokenizer.encode(question) == backend.tokenizer.encode(question)
    big = Decoder(build_model(QWEN25_05B_SHAPE, seed=0), big_tokenizer)
    qwen_ms = turn_ms(big, prompt, schema, target)
    print(f"same decoding code, prompt {len(prompt)} tokens, call {target}")
    print(f"  micro ({backend.name}): {micro_ms:.1f} ms")
    print(f"  Qwen2.5-0.5B shape (random weights): {qwen_ms:.1f} ms")
    print(f"  ratio {qwen_ms / micro_ms:.1f}x   (goal >= 20x)")


if __name__ == "__main__":
    main()
