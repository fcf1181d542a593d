"""Merge a PEFT LoRA adapter into its base model and save the result as a plain checkpoint.

The merged directory is an ordinary Hugging Face checkpoint (``config.json``,
``*.safetensors``, the tokenizer files with the chat template), so `gguf_export.export_gguf`,
``AutoModelForCausalLM.from_pretrained`` and the ``hf:`` backend load it without PEFT.
"""

from __future__ import annotations

import os
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Precision = Literal["auto", "float32", "float16", "bfloat16"]
"""Weight type of the merged checkpoint; ``auto`` keeps the base model's."""

TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "chat_template.jinja",
    "vocab.json",
    "merges.txt",
    "generation_config.json",
)
"""Files copied verbatim beside the merged weights (from the adapter when it saved its own, as
trainers do after adding tokens, otherwise from the base)."""


@dataclass(frozen=True)
class MergeResult:
    """What `merge_adapter` wrote."""

    directory: Path
    """The merged checkpoint."""
    parameters: int
    """Parameters of the merged model."""
    dtype: str
    """Weight type it was saved in."""


def _copy_tokenizer(base: Path, adapter: Path, target: Path) -> None:
    """Copy the tokenizer files, preferring the adapter's set when it has a tokenizer."""
    source = adapter if (adapter / "tokenizer.json").is_file() else base
    if not (source / "tokenizer.json").is_file():
        raise FileNotFoundError(f"{base}: no tokenizer.json (nor in {adapter})")
    for name in TOKENIZER_FILES:
        if name == "generation_config.json":
            continue  # save_pretrained writes the model's own
        if (source / name).is_file():
            shutil.copy2(source / name, target / name)


def merge_adapter(
    base: Path | str, adapter: Path | str, out: Path | str, *, dtype: Precision = "auto"
) -> MergeResult:
    """Fold a LoRA adapter into its base weights and save the merged model with its tokenizer.

    The merge is done in float32 and the result cast to ``dtype``. The checkpoint is written to
    a temporary directory beside ``out`` and renamed into place, so ``out`` is either complete or
    absent.

    Args:
        base: The base model directory (Hugging Face checkpoint).
        adapter: The PEFT adapter directory (``adapter_config.json`` + weights).
        out: Target directory; must not exist yet (or be empty).
        dtype: Weight type of the saved model.

    Returns:
        What was written.

    Raises:
        FileExistsError: When ``out`` exists and is not empty.
        FileNotFoundError: When the base or adapter directory lacks its files.
    """
    import torch
    from peft import PeftModel
    from transformers import AutoConfig, AutoModelForCausalLM

    base, adapter, out = Path(base), Path(adapter), Path(out)
    if not (base / "config.json").is_file():
        raise FileNotFoundError(f"{base}: no config.json; not a model directory")
    if not (adapter / "adapter_config.json").is_file():
        raise FileNotFoundError(f"{adapter}: no adapter_config.json; not a PEFT adapter")
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} exists and is not empty")
    saved = str(getattr(AutoConfig.from_pretrained(str(base)), "dtype", None) or "float32")
    target = saved.removeprefix("torch.") if dtype == "auto" else dtype

    model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)
    with warnings.catch_warnings():
        # peft 0.21 reads transformers' deprecated `is_gradient_checkpointing` property.
        warnings.filterwarnings(
            "ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning
        )
        merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    merged = merged.to(getattr(torch, target))

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(f".{out.name}.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        merged.save_pretrained(str(staging), safe_serialization=True)
        _copy_tokenizer(base, adapter, staging)
        if out.exists():
            out.rmdir()  # empty, checked above
        os.replace(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    parameters = sum(p.numel() for p in merged.parameters())
    return MergeResult(out, parameters, target)
