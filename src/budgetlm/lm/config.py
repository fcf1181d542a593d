"""Model and training configurations for budgetlm's language models.

A `ModelPreset` describes a decoder-only transformer in the few numbers that matter and turns
itself into a standard Hugging Face config (`LlamaConfig` or `Qwen2Config`), so the model we
train from scratch is an ordinary `transformers` model: LoRA, GGUF export and llama.cpp serving
work on it unchanged. `TrainConfig` holds the knobs of `budgetlm.lm.train.train`.

Why the ``micro`` preset is the size it is (measured on the 2-core AMD EPYC CPU that budgetlm
targets, torch 2.13 CPU, transformers 5.23, fp32, SDPA attention, 2 threads; decode = one token
with a ``DynamicCache`` and ``logits_to_keep=1`` after a ~120-token prompt; training = batches of
16 random 150-token sequences):

==========================  ======  ===========  ===========  ===========
width / layers / heads:kv   params  safetensors  decode/tok   train tok/s
==========================  ======  ===========  ===========  ===========
256 / 4 / 4:2, ffn 768      4.2 M   16.8 MB      3.6 ms       ~4,000
320 / 4 / 5:1, ffn 896      5.7 M   22.9 MB      4.2 ms       ~3,000
384 / 4 / 6:2, ffn 1024     7.9 M   31.5 MB      4.9 ms       ~2,700
320 / 6 / 5:1, ffn 896      8.0 M   31.8 MB      5.7 ms       n/a
==========================  ======  ===========  ===========  ===========

Per-token decode cost on this CPU is dominated by per-layer overhead, so depth costs more than
width; the assistant's whole answer budget (~50 ms, with two short prefills and 10-20 decoded
tokens) leaves room for about four layers. Width 256 with a 4,096-token vocabulary keeps the file
far under the 30 MB limit. On the real corpus (mean ~285 tokens per conversation, batches of 32)
the micro model decodes in ~2.6-3.1 ms per token, prefills 150/300 tokens in ~15/26 ms, and
trains at ~4,300 tokens/s in fp32 or ~6,800 with ``bf16_autocast`` (3 M tokens: ~12 or ~7.5
minutes). A Qwen2.5-0.5B-shaped model (`QWEN25_05B_SHAPE`) decodes at ~143 ms per token here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from transformers import PretrainedConfig

Family = Literal["llama", "qwen2"]


@dataclass(frozen=True)
class ModelPreset:
    """The architecture of a decoder-only transformer, in Hugging Face terms."""

    name: str
    """Short name used on the command line and in saved reports."""
    family: Family
    """Hugging Face architecture: ``llama`` (LlamaForCausalLM) or ``qwen2`` (Qwen2ForCausalLM,
    which adds biases to the query/key/value projections)."""
    vocab_size: int
    """Rows of the embedding matrix; the tokenizer must not have more tokens than this."""
    hidden_size: int
    """Width of the residual stream."""
    intermediate_size: int
    """Width of the SwiGLU feed-forward layer."""
    layers: int
    """Number of transformer blocks."""
    heads: int
    """Query heads per attention layer; ``hidden_size`` must be a multiple of it."""
    kv_heads: int
    """Key/value heads (grouped-query attention); ``heads`` must be a multiple of it."""
    max_positions: int
    """Longest sequence the rotary position embedding is configured for."""
    rope_theta: float
    """Base of the rotary position embedding."""
    tie_embeddings: bool
    """Share the input embedding with the output projection (halves the vocabulary cost)."""
    rms_norm_eps: float = 1e-6
    """Epsilon of the RMS normalisation layers."""

    def __post_init__(self) -> None:
        if self.hidden_size % self.heads:
            raise ValueError(
                f"{self.name}: hidden_size {self.hidden_size} is not a multiple of heads "
                f"{self.heads}"
            )
        if self.heads % self.kv_heads:
            raise ValueError(
                f"{self.name}: heads {self.heads} is not a multiple of kv_heads {self.kv_heads}"
            )
        if min(self.vocab_size, self.layers, self.intermediate_size, self.max_positions) < 1:
            raise ValueError(f"{self.name}: sizes must be positive")

    @property
    def head_dim(self) -> int:
        """Width of one attention head."""
        return self.hidden_size // self.heads

    def to_hf_config(
        self,
        *,
        bos_token_id: int | None = None,
        eos_token_id: int | None = None,
        pad_token_id: int | None = None,
    ) -> PretrainedConfig:
        """Return the equivalent `transformers` configuration.

        Args:
            bos_token_id: Id of the beginning-of-sequence token, or None when none is added.
            eos_token_id: Id that ends generation (for our chat format, ``<|im_end|>``).
            pad_token_id: Id used to pad batches.

        Returns:
            A `LlamaConfig` or `Qwen2Config` from which `AutoModelForCausalLM.from_config`
            builds the model.
        """
        from transformers import LlamaConfig, Qwen2Config

        common: dict[str, Any] = {
            "vocab_size": self.vocab_size,
            "hidden_size": self.hidden_size,
            "intermediate_size": self.intermediate_size,
            "num_hidden_layers": self.layers,
            "num_attention_heads": self.heads,
            "num_key_value_heads": self.kv_heads,
            "max_position_embeddings": self.max_positions,
            "rope_theta": self.rope_theta,
            "rms_norm_eps": self.rms_norm_eps,
            "tie_word_embeddings": self.tie_embeddings,
            "hidden_act": "silu",
            "attention_dropout": 0.0,
            "initializer_range": 0.02,
            "bos_token_id": bos_token_id,
            "eos_token_id": eos_token_id,
            "pad_token_id": pad_token_id,
        }
        if self.family == "llama":
            return LlamaConfig(**common, attention_bias=False, mlp_bias=False)
        return Qwen2Config(**common, use_sliding_window=False)


MICRO = ModelPreset(
    name="micro",
    family="llama",
    vocab_size=4096,
    hidden_size=256,
    intermediate_size=768,
    layers=4,
    heads=4,
    kv_heads=2,
    max_positions=2048,
    rope_theta=10_000.0,
    tie_embeddings=True,
)
"""The shipped model: ~4.2 M parameters, ~17 MB as fp32 safetensors (see module docstring)."""

TINY = ModelPreset(
    name="tiny",
    family="llama",
    vocab_size=512,
    hidden_size=64,
    intermediate_size=192,
    layers=2,
    heads=4,
    kv_heads=2,
    max_positions=512,
    rope_theta=10_000.0,
    tie_embeddings=True,
)
"""A model for tests: trains on a few hundred short conversations in seconds."""

QWEN25_05B_SHAPE = ModelPreset(
    name="qwen2.5-0.5b-shape",
    family="qwen2",
    vocab_size=151_936,
    hidden_size=896,
    intermediate_size=4864,
    layers=24,
    heads=14,
    kv_heads=2,
    max_positions=32_768,
    rope_theta=1_000_000.0,
    tie_embeddings=True,
)
"""The architecture and size of Qwen2.5-0.5B-Instruct (~494 M parameters), for timing
comparisons with random weights; nothing is downloaded."""

PRESETS: dict[str, ModelPreset] = {p.name: p for p in (MICRO, TINY, QWEN25_05B_SHAPE)}
"""Presets by name."""


def get_preset(name: str) -> ModelPreset:
    """Return the preset called ``name``.

    Raises:
        KeyError: With the known names, when ``name`` is not one of them.
    """
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown model preset {name!r}; known: {', '.join(PRESETS)}") from None


@dataclass(frozen=True)
class TrainConfig:
    """How `budgetlm.lm.train.train` trains a model."""

    seed: int = 0
    """Seeds the data order and every random number drawn during training."""
    epochs: float = 1.0
    """Passes over the training conversations (fractions allowed); ignored when ``steps`` is
    set."""
    steps: int | None = None
    """Exact number of optimizer steps; overrides ``epochs`` when given."""
    batch_size: int = 16
    """Conversations per optimizer step."""
    learning_rate: float = 2e-3
    """Peak learning rate, reached at the end of warm-up."""
    min_learning_rate_ratio: float = 0.1
    """The cosine decay ends at ``learning_rate * min_learning_rate_ratio``."""
    warmup_steps: int = 100
    """Steps of linear warm-up from zero (capped at a tenth of the run)."""
    weight_decay: float = 0.1
    """Decoupled (AdamW) weight decay, applied to matrices only, not to norms or biases."""
    adam_betas: tuple[float, float] = (0.9, 0.95)
    """AdamW's moment decay rates."""
    grad_clip: float = 1.0
    """Clip the global gradient norm to this value (0 disables clipping)."""
    max_length: int = 768
    """Conversations are cut to this many tokens (longer ones lose their end)."""
    threads: int | None = None
    """CPU threads for PyTorch during training; None keeps PyTorch's default. Bit-identical
    reproduction needs the same value."""
    bf16_autocast: bool = False
    """Run matrix products in bfloat16 on CPU (about 1.5x faster on CPUs with AVX512-BF16;
    weights and optimizer state stay fp32)."""
    eval_interval: int = 200
    """Compute the validation loss every this many steps (and always at the end); 0 means only
    at the end."""
    log_interval: int = 10
    """Report progress every this many steps."""

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.max_length < 2:
            raise ValueError("batch_size must be >= 1 and max_length >= 2")
        if self.steps is not None and self.steps < 1:
            raise ValueError("steps must be >= 1")
        if self.steps is None and self.epochs <= 0:
            raise ValueError("epochs must be > 0")
        if self.learning_rate <= 0 or not 0 <= self.min_learning_rate_ratio <= 1:
            raise ValueError("learning_rate must be > 0 and min_learning_rate_ratio in [0, 1]")
        if self.threads is not None and self.threads < 1:
            raise ValueError("threads must be >= 1")
        if self.log_interval < 1 or self.eval_interval < 0:
            raise ValueError("log_interval must be >= 1 and eval_interval >= 0")
