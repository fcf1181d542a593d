"""Does a GGUF export behave like the PyTorch model? Greedy continuations compared token by token.

llama.cpp (through ``llama-cpp-python``) loads the GGUF; PyTorch loads the Hugging Face
checkpoint it came from. Both continue the same rendered chat prompts (conversations of the
assistant corpus's test split, each cut before an assistant turn, with the mentions line the
model was trained with) by plain argmax, one token at a time, until ``</tool_call>``,
``<|im_end|>`` or ``max_new_tokens``. A prompt agrees when the two continuations are
token-identical. The prompts' tokenization by llama.cpp is compared with ours too.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from budgetlm.lm.template import ENDOFTEXT, IM_END, TOOL_CALL_END, Message, encode_chat, render

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerFast

STOP_TOKENS = (TOOL_CALL_END, IM_END, ENDOFTEXT)
"""A continuation ends at (and includes) the first of these."""


@dataclass(frozen=True)
class ParityConfig:
    """How `check_gguf` runs."""

    max_new_tokens: int = 64
    """Longest continuation compared."""
    threads: int = 1
    """CPU threads for both engines (the same for a fair speed ratio)."""
    context: int = 1024
    """llama.cpp context window; prompts plus continuations must fit."""


@dataclass(frozen=True)
class Continuation:
    """One engine's greedy continuation of one prompt."""

    tokens: tuple[int, ...]
    """Generated ids, stop token included."""
    prefill_seconds: float
    """Time of the forward pass over the prompt."""
    decode_seconds: tuple[float, ...]
    """Time of each later one-token step."""


@dataclass(frozen=True)
class ParityReport:
    """Agreement of a GGUF with its PyTorch model over a set of prompts."""

    prompts: int
    """Prompts compared."""
    tokens: int
    """Tokens of PyTorch's continuations, all prompts together."""
    tokenizer_agreement: float
    """Share of prompts that llama.cpp tokenizes exactly as we do."""
    exact_agreement: float
    """Share of prompts whose greedy continuations are token-identical."""
    token_agreement: float
    """Share of PyTorch's continuation tokens reproduced before the first difference."""
    torch_decode_ms: float
    """Median PyTorch time per decoded token (KV cache, one sequence)."""
    gguf_decode_ms: float
    """Median llama.cpp time per decoded token."""
    torch_prefill_ms: float
    """Median PyTorch time for a prompt's forward pass."""
    gguf_prefill_ms: float
    """Median llama.cpp time for a prompt's forward pass."""
    mismatches: tuple[tuple[int, int], ...]
    """(prompt index, first differing position) of each disagreeing prompt."""


def parity_prompts(count: int, seed: int = 0) -> list[list[dict[str, object]]]:
    """Chat prompts from the assistant corpus's test split, each ending before an assistant
    turn (a tool call or an answer), with the mentions line added to each question.

    Args:
        count: Number of prompts (taken in corpus order, alternating calls and answers).
        seed: Corpus seed.
    """
    from budgetlm.assistant.corpus import CorpusConfig, build_corpus
    from budgetlm.assistant.linking import with_mentions
    from budgetlm.assistant.tools import Vocabulary

    size = max(60, count * 6)  # the test split is a tenth; each conversation gives 2+ prompts
    corpus = build_corpus(
        CorpusConfig(seed=seed, size=size, per_household=max(10, size // 10), safety_per_family=5)
    )
    vocabularies = {
        h.key: Vocabulary(**{k: tuple(v) for k, v in h.vocabulary.items()})
        for h in corpus.households
    }
    prompts: list[list[dict[str, object]]] = []
    for conversation in corpus.splits["test"]:
        messages = with_mentions(conversation.messages(), vocabularies[conversation.household])
        for index, message in enumerate(messages):
            if message["role"] == "assistant" and len(prompts) < count:
                prompts.append(messages[:index])
    if len(prompts) < count:
        raise ValueError(f"the corpus gave {len(prompts)} prompts, fewer than {count}")
    return prompts


def _stop_ids(tokenizer: PreTrainedTokenizerFast) -> set[int]:
    ids = tokenizer.convert_tokens_to_ids(list(STOP_TOKENS))
    return set(ids) if isinstance(ids, list) else {ids}


def torch_greedy(
    model: PreTrainedModel, prompt: Sequence[int], stops: set[int], max_new_tokens: int
) -> Continuation:
    """Argmax continuation with a KV cache (the reference)."""
    import torch
    from transformers import DynamicCache

    tokens: list[int] = []
    steps: list[float] = []
    cache = DynamicCache(config=model.config)
    ids = torch.tensor([list(prompt)])
    with torch.inference_mode():
        prefill = 0.0
        while len(tokens) < max_new_tokens:
            started = time.perf_counter()
            logits = model(input_ids=ids, past_key_values=cache, use_cache=True).logits
            token = int(logits[0, -1].argmax())
            elapsed = time.perf_counter() - started
            if tokens:
                steps.append(elapsed)
            else:
                prefill = elapsed
            tokens.append(token)
            if token in stops:
                break
            ids = torch.tensor([[token]])
    return Continuation(tuple(tokens), prefill, tuple(steps))


def gguf_greedy(
    llm: Any, prompt: Sequence[int], stops: set[int], max_new_tokens: int
) -> Continuation:
    """Argmax continuation by llama.cpp over the logits it returns (no sampler involved)."""
    import importlib

    import numpy as np

    llama_cpp: Any = importlib.import_module("llama_cpp")
    vocabulary = llm.n_vocab()
    llm.reset()
    tokens: list[int] = []
    steps: list[float] = []
    started = time.perf_counter()
    llm.eval(list(prompt))
    prefill = time.perf_counter() - started
    while True:
        # The last evaluated position's logits (llama-cpp-python keeps them only with
        # logits_all, which would also compute every prompt position's).
        logits = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
        token = int(np.argmax(np.ctypeslib.as_array(logits, shape=(vocabulary,))))
        tokens.append(token)
        if token in stops or len(tokens) >= max_new_tokens:
            break
        started = time.perf_counter()
        llm.eval([token])
        steps.append(time.perf_counter() - started)
    return Continuation(tuple(tokens), prefill, tuple(steps))


def _agreed_prefix(reference: Sequence[int], other: Sequence[int]) -> int:
    for position, (a, b) in enumerate(zip(reference, other, strict=False)):
        if a != b:
            return position
    return min(len(reference), len(other))


def _median_ms(values: Sequence[float]) -> float:
    return round(statistics.median(values) * 1000, 3) if values else float("nan")


def check_gguf(
    model_dir: Path | str,
    gguf_path: Path | str,
    prompts: Sequence[Sequence[Message]],
    config: ParityConfig | None = None,
) -> ParityReport:
    """Compare a GGUF with the checkpoint it was exported from on greedy continuations.

    Args:
        model_dir: The Hugging Face checkpoint (model and our tokenizer).
        gguf_path: Its GGUF export.
        prompts: Conversations to continue (see `parity_prompts`).
        config: Generation length, threads and context.

    Returns:
        Agreement rates and per-token timings of both engines.
    """
    import importlib

    import torch

    from budgetlm.lm.model import load_pretrained

    llama_cpp: Any = importlib.import_module("llama_cpp")  # optional, untyped

    config = config or ParityConfig()
    model, tokenizer = load_pretrained(model_dir)
    stops = _stop_ids(tokenizer)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(config.threads)
    llm = llama_cpp.Llama(
        model_path=str(gguf_path),
        n_ctx=config.context,
        n_threads=config.threads,
        n_threads_batch=config.threads,
        verbose=False,
    )
    same_tokens, exact, agreed, total = 0, 0, 0, 0
    mismatches: list[tuple[int, int]] = []
    torch_runs: list[Continuation] = []
    gguf_runs: list[Continuation] = []
    try:
        for index, messages in enumerate(prompts):
            ids = encode_chat(messages, tokenizer, add_generation_prompt=True)
            text = render(messages, add_generation_prompt=True).encode("utf-8")
            same_tokens += llm.tokenize(text, add_bos=False, special=True) == ids
            reference = torch_greedy(model, ids, stops, config.max_new_tokens)
            exported = gguf_greedy(llm, ids, stops, config.max_new_tokens)
            torch_runs.append(reference)
            gguf_runs.append(exported)
            prefix = _agreed_prefix(reference.tokens, exported.tokens)
            agreed += prefix
            total += len(reference.tokens)
            if reference.tokens == exported.tokens:
                exact += 1
            else:
                mismatches.append((index, prefix))
    finally:
        torch.set_num_threads(previous_threads)
        llm.close()
    count = max(len(prompts), 1)
    return ParityReport(
        prompts=len(prompts),
        tokens=total,
        tokenizer_agreement=same_tokens / count,
        exact_agreement=exact / count,
        token_agreement=agreed / max(total, 1),
        torch_decode_ms=_median_ms([s for r in torch_runs for s in r.decode_seconds]),
        gguf_decode_ms=_median_ms([s for r in gguf_runs for s in r.decode_seconds]),
        torch_prefill_ms=_median_ms([r.prefill_seconds for r in torch_runs]),
        gguf_prefill_ms=_median_ms([r.prefill_seconds for r in gguf_runs]),
        mismatches=tuple(mismatches),
    )
