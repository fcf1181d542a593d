"""Raw speed of model shapes on this CPU: prefill and decode per token, and training tokens/s.

    python benchmarks/lm_speed_bench.py [--threads 2] [--repeats 7] [--skip-training]

Random weights (speed does not depend on them; nothing is downloaded). The figures behind the
choice of the ``micro`` preset and of bfloat16 training (``lm/config.py``, ``lm/recipe.py``):

Inference (``micro`` preset, plain Hugging Face forward with a KV cache, one sequence):
    prefill N     one forward pass over an N-token prompt, keeping only the last logits
    decode        one more token after that prompt (median of 20 steps per run)

Training (batch of ``--batch`` sequences of ``--length`` random tokens, AdamW, one step =
forward + backward + update): tokens per second, float32 and with bfloat16 autocast, for the
micro shape and two wider ones that were considered. Each line prints the bf16/fp32 ratio.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from transformers import DynamicCache, LlamaConfig, LlamaForCausalLM

from budgetlm.lm.config import MICRO
from budgetlm.lm.model import build_model

SHAPES = ((256, 4, 4, 2, 768), (320, 4, 5, 1, 896), (384, 4, 6, 2, 1024))
"""(width, layers, query heads, key-value heads, FFN width): micro first."""


def inference(repeats: int) -> None:
    """Prefill and decode timings of the micro preset for three prompt lengths."""
    model = build_model(MICRO, 0).eval()
    with torch.inference_mode():
        for length in (40, 150, 300):
            prefill, decode = [], []
            for _ in range(repeats):
                ids = torch.randint(10, MICRO.vocab_size - 10, (1, length))
                cache = DynamicCache(config=model.config)
                started = time.perf_counter()
                out = model(input_ids=ids, past_key_values=cache, use_cache=True, logits_to_keep=1)
                prefill.append(time.perf_counter() - started)
                token = out.logits[:, -1:].argmax(-1)
                for _ in range(20):
                    started = time.perf_counter()
                    out = model(
                        input_ids=token, past_key_values=cache, use_cache=True, logits_to_keep=1
                    )
                    decode.append(time.perf_counter() - started)
                    token = out.logits[:, -1:].argmax(-1)
            print(
                f"micro prefill {length:>3} tokens: {1000 * statistics.median(prefill):6.1f} ms"
                f" · decode after it: {1000 * statistics.median(decode):5.2f} ms/token"
            )


def training_rate(shape: tuple[int, int, int, int, int], batch: int, length: int,
                  bf16: bool, steps: int) -> float:  # fmt: skip
    """Median training tokens/s of one shape."""
    width, layers, heads, kv_heads, ffn = shape
    config = LlamaConfig(
        vocab_size=MICRO.vocab_size, hidden_size=width, intermediate_size=ffn,
        num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=kv_heads,
        max_position_embeddings=1024, tie_word_embeddings=True, attn_implementation="sdpa",
    )  # fmt: skip
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    ids = torch.randint(10, MICRO.vocab_size - 10, (batch, length))
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        times.append(time.perf_counter() - started)
    return batch * length / statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--length", type=int, default=150)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads")
    inference(args.repeats)
    if args.skip_training:
        return
    for shape in SHAPES:
        fp32 = training_rate(shape, args.batch, args.length, False, args.steps)
        bf16 = training_rate(shape, args.batch, args.length, True, args.steps)
        print(
            f"train width {shape[0]}, {shape[1]} layers: fp32 {fp32:7.0f} tok/s · "
            f"bf16 {bf16:7.0f} tok/s · bf16/fp32 {bf16 / fp32:.2f}x"
        )


if __name__ == "__main__":
    main()
