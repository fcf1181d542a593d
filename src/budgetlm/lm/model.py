"""Build, save and load budgetlm's language model as a standard Hugging Face checkpoint.

A saved model directory is the usual Hugging Face layout (``config.json``,
``generation_config.json``, ``model.safetensors``, ``tokenizer.json``,
``tokenizer_config.json``), so ``AutoModelForCausalLM.from_pretrained`` and
``AutoTokenizer.from_pretrained`` load it, and LoRA, GGUF conversion and llama.cpp work on it as
on any Llama or Qwen2 checkpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from budgetlm.lm.config import ModelPreset
from budgetlm.lm.template import ENDOFTEXT, IM_END
from budgetlm.lm.tokenizer import load_tokenizer, save_tokenizer

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerFast

SAFETENSORS_SUFFIX = ".safetensors"


@contextmanager
def _quiet_progress() -> Iterator[None]:
    """Hide transformers' per-file progress bars (they would clutter the CLI's output)."""
    from transformers.utils import logging

    was_enabled = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        if was_enabled:
            logging.enable_progress_bar()  # type: ignore[no-untyped-call]


def _token_ids(tokenizer: PreTrainedTokenizerFast) -> dict[str, int]:
    """End-of-turn and padding ids of our chat format in ``tokenizer``."""
    ids = {}
    for key, token in (("eos_token_id", IM_END), ("pad_token_id", ENDOFTEXT)):
        token_id = tokenizer.convert_tokens_to_ids(token)
        if not isinstance(token_id, int) or token_id == tokenizer.unk_token_id:
            raise ValueError(f"tokenizer lacks the control token {token}")
        ids[key] = token_id
    return ids


def build_model(
    preset: ModelPreset, seed: int, *, tokenizer: PreTrainedTokenizerFast | None = None
) -> PreTrainedModel:
    """Create a randomly initialised model of the preset's architecture.

    The same preset and seed always give the same weights; the global PyTorch random state is
    left as it was.

    Args:
        preset: The architecture.
        seed: Seed of the weight initialisation.
        tokenizer: When given, its ``<|im_end|>``/``<|endoftext|>`` ids become the model's
            end-of-sequence/padding ids, and its size is checked against the vocabulary.

    Returns:
        The model in training mode, fp32, on the CPU.

    Raises:
        ValueError: When the tokenizer has more tokens than the preset's vocabulary.
    """
    import torch
    from transformers import AutoModelForCausalLM

    token_ids: dict[str, int] = {}
    if tokenizer is not None:
        if len(tokenizer) > preset.vocab_size:
            raise ValueError(
                f"tokenizer has {len(tokenizer)} tokens; preset {preset.name} holds "
                f"{preset.vocab_size}"
            )
        token_ids = _token_ids(tokenizer)
    config = preset.to_hf_config(**token_ids)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model: PreTrainedModel = AutoModelForCausalLM.from_config(  # type: ignore[no-untyped-call]
            config, dtype=torch.float32
        )
    if tokenizer is not None:
        model.generation_config.eos_token_id = token_ids["eos_token_id"]
        model.generation_config.pad_token_id = token_ids["pad_token_id"]
    model.train()
    return model


def save_model(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast, directory: Path | str
) -> Path:
    """Save model and tokenizer together as a Hugging Face checkpoint directory.

    Args:
        model: The model (its weights are written as safetensors).
        tokenizer: Its tokenizer (written with the chat template).
        directory: Target directory (created when missing).

    Returns:
        The directory.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with _quiet_progress():
        model.save_pretrained(str(directory))
    save_tokenizer(tokenizer, directory)
    return directory


def load_model(directory: Path | str) -> PreTrainedModel:
    """Load a model saved by `save_model`, in evaluation mode, fp32 on the CPU.

    Raises:
        FileNotFoundError: When the directory holds no ``config.json``.
    """
    import torch
    from transformers import AutoModelForCausalLM

    directory = Path(directory)
    if not (directory / "config.json").is_file():
        raise FileNotFoundError(f"{directory}: no config.json; not a saved model")
    with _quiet_progress():
        model = AutoModelForCausalLM.from_pretrained(str(directory), dtype=torch.float32)
    model.eval()  # type: ignore[no-untyped-call]
    return model


def load_pretrained(directory: Path | str) -> tuple[PreTrainedModel, PreTrainedTokenizerFast]:
    """Load the model and tokenizer saved together by `save_model`."""
    return load_model(directory), load_tokenizer(directory)


def parameter_count(model: PreTrainedModel) -> int:
    """Number of distinct parameters (tied embeddings counted once)."""
    return sum(parameter.numel() for parameter in model.parameters())


def safetensors_bytes(directory: Path | str) -> int:
    """Size on disk of a saved model's weights (all ``*.safetensors`` files), in bytes."""
    return sum(path.stat().st_size for path in Path(directory).glob("*" + SAFETENSORS_SUFFIX))
