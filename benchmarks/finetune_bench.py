"""LoRA fine-tuning throughput and peak memory, through ``budgetlm finetune``'s own code path.

    python benchmarks/finetune_bench.py [--shape tiny] [--steps 20] [--conversations 200]
    python benchmarks/finetune_bench.py --shape qwen2.5-1.5b --steps 20   # on a GPU

The data are real training conversations (``budgetlm dataset export --format chat``, seed 0,
train split), laid out by the model's chat template with budgetlm's tool format, exactly as a
user's run trains. Shapes:

- ``tiny``: a 4-layer, 256-wide Qwen2-architecture model (the micro model's size).
- ``qwen2.5-0.5b`` / ``qwen2.5-1.5b``: Qwen2.5's published shapes.

All have random weights (nothing is downloaded; speed and memory do not depend on the weights'
values) and budgetlm's own tokenizer, whose small vocabulary makes a conversation with its
tools about 4,100-4,700 tokens long.

Each configuration runs in its own process, so peak memory (the process' maximum resident set
on a CPU, ``torch.cuda.max_memory_allocated`` on a GPU) is its own. Printed beside the default
(LoRA on every projection, gradient checkpointing on) are, on the same data and steps, LoRA
without gradient checkpointing and LoRA on the attention's q/v projections only, as ratios.
Tokens/s counts the non-padding tokens of the training batches.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

SHAPES: dict[str, dict[str, Any]] = {
    "tiny": {"hidden_size": 256, "intermediate_size": 768, "num_hidden_layers": 4,
             "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 4096},
    "qwen2.5-0.5b": {"hidden_size": 896, "intermediate_size": 4864, "num_hidden_layers": 24,
                     "num_attention_heads": 14, "num_key_value_heads": 2, "vocab_size": 151_936},
    "qwen2.5-1.5b": {"hidden_size": 1536, "intermediate_size": 8960, "num_hidden_layers": 28,
                     "num_attention_heads": 12, "num_key_value_heads": 2, "vocab_size": 151_936},
}  # fmt: skip
"""Published Qwen2.5 shapes (tied embeddings, as the released models)."""
VARIANTS = {
    "LoRA, checkpointing (default)": {},
    "LoRA, no checkpointing": {"gradient_checkpointing": False},
    "LoRA on q/v only": {"target_modules": ("q_proj", "v_proj")},
}


def base_model(shape: str, folder: Path) -> Path:
    """A random-weight model of the shape, saved with budgetlm's tokenizer."""
    import torch
    from transformers import AutoModelForCausalLM, Qwen2Config

    from budgetlm.assistant.backends.local import micro_directory
    from budgetlm.lm.tokenizer import load_tokenizer

    tokenizer = load_tokenizer(micro_directory())
    ids = {"pad_token_id": tokenizer.pad_token_id, "eos_token_id": tokenizer.eos_token_id}
    config = Qwen2Config(
        **SHAPES[shape], **ids, tie_word_embeddings=True, max_position_embeddings=8192
    )
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.save_pretrained(str(folder / shape))
    tokenizer.save_pretrained(str(folder / shape))
    return folder / shape


def training_file(conversations: int, folder: Path) -> Path:
    """Train-split conversations of the seed-0 corpus, as ``dataset export --format chat``."""
    from budgetlm.finetune.export import ExportConfig, export_synthetic

    export_synthetic(ExportConfig(format="chat", seed=0, size=conversations), folder / "data")
    return folder / "data" / "train.jsonl"


def _run(arguments: tuple[dict[str, Any], str, dict[str, Any]]) -> dict[str, Any]:
    """One fine-tuning run in this (fresh) process; its report."""
    import warnings

    from budgetlm.finetune.config import config_from_values
    from budgetlm.finetune.lora import finetune

    warnings.filterwarnings("ignore")
    values, folder, variant = arguments
    config = config_from_values(values, source="finetune_bench", folder=Path(folder))
    lora = {k: v for k, v in variant.items() if k == "target_modules"}
    train = {k: v for k, v in variant.items() if k != "target_modules"}
    config = replace(
        config, lora=replace(config.lora, **lora), train=replace(config.train, **train)
    )
    return finetune(config, progress=False).report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="tiny", choices=list(SHAPES))
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=5120)
    parser.add_argument("--threads", type=int, default=2)
    arguments = parser.parse_args()

    import torch

    cpu = platform.processor() or platform.machine()
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else cpu
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        values = {
            "base_model": str(base_model(arguments.shape, folder)),
            "train_file": str(training_file(arguments.conversations, folder)),
            "output_dir": str(folder / "run"),
            "lora": {"rank": 16, "alpha": 32, "dropout": 0.05},
            "train": {"max_steps": arguments.steps, "batch_size": arguments.batch,
                      "grad_accumulation": 1, "max_length": arguments.max_length,
                      "save_steps": 10_000, "logging_steps": 5, "threads": arguments.threads},
        }  # fmt: skip
        context = multiprocessing.get_context("spawn")
        reports = {}
        for name, variant in VARIANTS.items():
            with context.Pool(1) as pool:
                reports[name] = pool.apply(_run, ((values, scratch, variant),))
    default = reports[next(iter(VARIANTS))]
    print(
        f"shape {arguments.shape} · {default['trainable_parameters']:,} trainable parameters · "
        f"{arguments.steps} steps of {arguments.batch} conversations (max {arguments.max_length} "
        f"tokens) · {default['examples']['train']} conversations · {default['device']} "
        f"({device}), {arguments.threads} threads"
    )
    print(f"{'configuration':32} {'tokens/s':>10} {'ratio':>7} {'peak MB':>9} {'ratio':>7} loss")
    for name, report in reports.items():
        speed, memory = report["tokens_per_second"], report["peak_memory_mb"]
        losses = report["train_losses"]
        print(
            f"{name:32} {speed:10,.0f} {speed / default['tokens_per_second']:6.2f}x "
            f"{memory:9,.0f} {memory / default['peak_memory_mb']:6.2f}x "
            f"{losses[0][1]:.3f} -> {losses[-1][1]:.3f}"
        )
    print(json.dumps({"shape": arguments.shape, "reports": {
        name: {k: r[k] for k in ("tokens", "seconds", "tokens_per_second", "peak_memory_mb")}
        for name, r in reports.items()}}))  # fmt: skip


if __name__ == "__main__":
    main()
