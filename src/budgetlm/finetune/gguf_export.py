"""Write a Hugging Face Llama or Qwen2 checkpoint as a GGUF file for llama.cpp and Ollama.

Our own converter, built on the ``gguf`` package's writer and name tables. It covers what
budgetlm exports: the shipped micro model (``llama``, with our byte-level BPE tokenizer whose
pre-tokenizer is Qwen2's rule) and merged fine-tunes of Qwen2.5 or Llama-3.x. What it takes
care of:

- **Rotary layout.** Hugging Face Llama checkpoints rotate the two *halves* of each head;
  llama.cpp's ``llama`` architecture rotates *adjacent pairs*, so the query and key rows are
  permuted (`rope_permute`). Qwen2 uses the half layout in llama.cpp too and is written as is.
- **Tied embeddings.** No ``output.weight`` is written; llama.cpp then reuses ``token_embd``.
- **Llama-3 rope scaling** (``rope_type: llama3``) becomes the ``rope_freqs`` tensor of
  per-frequency factors, as llama.cpp expects; other scalings are refused.
- **Tokenizer** (`gguf_tokenizer`): gpt2-style BPE tokens, merges and token types; the
  pre-tokenizer is named from the split regex in ``tokenizer.json`` (``qwen2`` or
  ``llama-bpe``; anything else is an error); bos/eos/pad ids and the chat template.
- **Types.** ``f32``; ``f16`` and ``q8_0`` for matrices (norms and biases stay f32, and a matrix
  whose rows do not split into 32-value blocks falls back to f16); ``q4_k_m`` by llama.cpp's own
  quantizer (`llama-cpp-python`), from an f32 file.
"""

from __future__ import annotations

import importlib
import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from budgetlm.finetune.gguf_tokenizer import (
    GgufExportError,
    load_json,
    write_tokenizer,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

GgufType = Literal["f32", "f16", "q8_0", "q4_k_m"]
"""Weight types the exporter writes."""
GGUF_TYPES: tuple[GgufType, ...] = ("f32", "f16", "q8_0", "q4_k_m")
"""Every type, smallest loss first."""

ARCHITECTURES: Mapping[str, str] = {"llama": "llama", "qwen2": "qwen2"}
"""GGUF architecture for each supported Hugging Face ``model_type``."""

_IGNORED_TENSORS = ("rotary_emb.inv_freq",)
"""Buffers some older checkpoints save, which GGUF does not store."""
_Q8_BLOCK = 32


@dataclass(frozen=True)
class GgufResult:
    """What `export_gguf` wrote."""

    path: Path
    """The GGUF file."""
    type: GgufType
    """Weight type."""
    architecture: str
    """GGUF architecture (``llama`` or ``qwen2``)."""
    pre_tokenizer: str
    """llama.cpp pre-tokenizer name declared in the file."""
    tensors: int
    """Number of tensors."""
    bytes: int
    """File size."""


# ----------------------------------------------------------------------------- config & tensors


def _rope_theta(config: Mapping[str, Any]) -> float:
    params = config.get("rope_parameters") or {}
    theta = params.get("rope_theta", config.get("rope_theta", 10_000.0))
    return float(theta)


def _rope_scaling(config: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The rope scaling block (transformers 4.x ``rope_scaling`` or 5.x ``rope_parameters``)."""
    scaling = config.get("rope_scaling") or config.get("rope_parameters") or None
    if not scaling:
        return None
    kind = scaling.get("rope_type", scaling.get("type", "default"))
    return None if kind == "default" else cast(Mapping[str, Any], scaling)


def llama3_rope_factors(config: Mapping[str, Any], head_dim: int) -> npt.NDArray[np.float32]:
    """Per-frequency divisors of Llama-3.1's rope scaling (llama.cpp's ``rope_freqs``).

    Wavelengths shorter than ``original / high_freq_factor`` keep their frequency, longer than
    ``original / low_freq_factor`` are slowed by ``factor``, and those between are blended.
    """
    import numpy as np

    scaling = cast(Mapping[str, Any], _rope_scaling(config))
    factor = float(scaling["factor"])
    low, high = float(scaling["low_freq_factor"]), float(scaling["high_freq_factor"])
    original = float(scaling["original_max_position_embeddings"])
    theta = _rope_theta(config)
    freqs = 1.0 / theta ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)
    factors = []
    for freq in freqs:
        wavelength = 2 * math.pi / freq
        if wavelength < original / high:
            factors.append(1.0)
        elif wavelength > original / low:
            factors.append(factor)
        else:
            smooth = (original / wavelength - low) / (high - low)
            factors.append(1.0 / ((1 - smooth) / factor + smooth))
    return np.asarray(factors, dtype=np.float32)


def rope_permute(weight: npt.NDArray[Any], heads: int) -> npt.NDArray[Any]:
    """Reorder query/key rows from Hugging Face's half-split rotary layout to llama.cpp's
    interleaved pairs: within each head, row ``i`` of the first half and row ``i`` of the
    second half become rows ``2i`` and ``2i + 1``."""
    rows = weight.shape[0]
    # (heads, 2, head_dim/2, ...) -> (heads, head_dim/2, 2, ...)
    return (
        weight.reshape(heads, 2, rows // heads // 2, *weight.shape[1:])
        .swapaxes(1, 2)
        .reshape(weight.shape)
    )


def _checkpoint_tensors(directory: Path) -> Iterator[tuple[str, npt.NDArray[np.float32]]]:
    """Every tensor of the checkpoint's safetensors files, as float32 numpy arrays."""
    from safetensors import safe_open

    files = sorted(directory.glob("*.safetensors"))
    if not files:
        raise FileNotFoundError(f"{directory}: no *.safetensors weights")
    for file in files:
        with safe_open(str(file), framework="pt") as handle:
            for name in handle.keys():  # noqa: SIM118 (safe_open is not a mapping)
                yield name, handle.get_tensor(name).float().numpy()


# ----------------------------------------------------------------------------- writer


def _tensor_type(name: str, data: npt.NDArray[Any], kind: GgufType) -> str:
    """``f32``, ``f16`` or ``q8_0`` for one tensor under the requested file type."""
    if kind == "f32" or data.ndim < 2 or name == "rope_freqs.weight":
        return "f32"
    if kind == "q8_0" and data.shape[-1] % _Q8_BLOCK == 0:
        return "q8_0"
    return "f16"


def _add_tensor(writer: Any, name: str, data: npt.NDArray[Any], kind: GgufType) -> None:
    import numpy as np
    from gguf import GGMLQuantizationType
    from gguf.quants import quantize

    target = _tensor_type(name, data, kind)
    if target == "q8_0":
        quantized = quantize(data.astype(np.float32), GGMLQuantizationType.Q8_0)
        writer.add_tensor(name, quantized, raw_dtype=GGMLQuantizationType.Q8_0)
    else:
        dtype = np.float32 if target == "f32" else np.float16
        writer.add_tensor(name, np.ascontiguousarray(data.astype(dtype)))


def _file_type(kind: GgufType) -> int:
    from gguf import LlamaFileType

    return int(
        {"f32": LlamaFileType.ALL_F32, "f16": LlamaFileType.MOSTLY_F16}.get(
            kind, LlamaFileType.MOSTLY_Q8_0
        )
    )


def _write_hparams(writer: Any, config: Mapping[str, Any], name: str, kind: GgufType) -> int:
    """Model metadata; returns the head width."""
    heads = int(config["num_attention_heads"])
    head_dim = int(config.get("head_dim") or config["hidden_size"] // heads)
    writer.add_name(name)
    writer.add_context_length(int(config["max_position_embeddings"]))
    writer.add_embedding_length(int(config["hidden_size"]))
    writer.add_block_count(int(config["num_hidden_layers"]))
    writer.add_feed_forward_length(int(config["intermediate_size"]))
    writer.add_head_count(heads)
    writer.add_head_count_kv(int(config.get("num_key_value_heads") or heads))
    writer.add_rope_freq_base(_rope_theta(config))
    writer.add_layer_norm_rms_eps(float(config["rms_norm_eps"]))
    writer.add_rope_dimension_count(head_dim)
    if head_dim != int(config["hidden_size"]) // heads:
        writer.add_key_length(head_dim)
        writer.add_value_length(head_dim)
    writer.add_vocab_size(int(config["vocab_size"]))
    writer.add_file_type(_file_type(kind))
    return head_dim


def _write_tensors(
    writer: Any, directory: Path, config: Mapping[str, Any], arch: str, kind: GgufType
) -> int:
    """Add every weight under its GGUF name; returns the tensor count."""
    from gguf import MODEL_ARCH_NAMES, get_tensor_name_map

    arch_id = next(a for a, n in MODEL_ARCH_NAMES.items() if n == arch)
    names = get_tensor_name_map(arch_id, int(config["num_hidden_layers"]))
    heads = int(config["num_attention_heads"])
    kv_heads = int(config.get("num_key_value_heads") or heads)
    tied = bool(config.get("tie_word_embeddings", False))
    count = 0
    for hf_name, data in _checkpoint_tensors(directory):
        if hf_name.endswith(_IGNORED_TENSORS) or (tied and hf_name == "lm_head.weight"):
            continue
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if name is None:
            raise GgufExportError(f"{directory}: no GGUF name for tensor {hf_name}")
        if arch == "llama" and name.endswith(("attn_q.weight", "attn_q.bias")):
            data = rope_permute(data, heads)
        elif arch == "llama" and name.endswith(("attn_k.weight", "attn_k.bias")):
            data = rope_permute(data, kv_heads)
        _add_tensor(writer, name, data, kind)
        count += 1
    return count


def _write_file(model_dir: Path, out: Path, kind: GgufType) -> tuple[str, str, int]:
    """Write an f32/f16/q8_0 GGUF; returns (architecture, pre-tokenizer, tensor count)."""
    from gguf import GGUFWriter

    config = load_json(model_dir / "config.json")
    arch = ARCHITECTURES.get(str(config.get("model_type")))
    if arch is None:
        raise GgufExportError(
            f"{model_dir}: model_type {config.get('model_type')!r} is not supported; "
            f"supported: {', '.join(ARCHITECTURES)}"
        )
    scaling = _rope_scaling(config)
    if scaling is not None and scaling.get("rope_type", scaling.get("type")) != "llama3":
        raise GgufExportError(f"{model_dir}: rope scaling {dict(scaling)} is not supported")
    writer = GGUFWriter(str(out), arch)
    head_dim = _write_hparams(writer, config, model_dir.name, kind)
    pre = write_tokenizer(writer, model_dir, int(config["vocab_size"]))
    count = _write_tensors(writer, model_dir, config, arch, kind)
    if scaling is not None:
        _add_tensor(writer, "rope_freqs.weight", llama3_rope_factors(config, head_dim), kind)
        count += 1
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return arch, pre, count


def quantize_q4_k_m(source: Path, out: Path, threads: int = 0) -> None:
    """Quantize a GGUF to Q4_K_M with llama.cpp's quantizer (from ``llama-cpp-python``).

    Raises:
        GgufExportError: When llama-cpp-python is not installed or quantization fails.
    """
    try:
        llama_cpp: Any = importlib.import_module("llama_cpp")  # optional, untyped
    except ImportError:
        raise GgufExportError(
            "q4_k_m needs llama.cpp's quantizer: pip install 'budgetlm[llamacpp]' "
            "(builds llama-cpp-python from source), or export q8_0/f16"
        ) from None
    import ctypes
    import logging

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_M
    params.nthread = threads
    # llama-cpp-python prints llama.cpp's log lines at or above this logger's level; the
    # quantizer logs every tensor, so keep only errors.
    log = logging.getLogger("llama-cpp-python")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        status = llama_cpp.llama_model_quantize(
            str(source).encode(), str(out).encode(), ctypes.byref(params)
        )
    finally:
        log.setLevel(level)
    if status != 0 or not out.is_file():
        raise GgufExportError(f"llama.cpp failed to quantize {source} to q4_k_m ({status})")


def export_gguf(model_dir: Path | str, out: Path | str, kind: GgufType = "f16") -> GgufResult:
    """Convert a Hugging Face Llama/Qwen2 checkpoint directory to one GGUF file.

    The file is written next to ``out`` under a temporary name and renamed into place, so an
    interrupted export never leaves a truncated GGUF behind.

    Args:
        model_dir: Checkpoint with ``config.json``, ``*.safetensors``, ``tokenizer.json`` and
            ``tokenizer_config.json`` (what `budgetlm.lm.model.save_model` and
            `budgetlm.finetune.merge.merge_adapter` write).
        out: Target ``.gguf`` path.
        kind: Weight type.

    Returns:
        What was written.

    Raises:
        GgufExportError: For an unsupported architecture, tokenizer or rope scaling, or when
            ``q4_k_m`` is asked without llama-cpp-python.
        FileNotFoundError: When the directory lacks a required file.
    """
    model_dir, out = Path(model_dir), Path(out)
    if kind not in GGUF_TYPES:
        raise GgufExportError(f"unknown GGUF type {kind!r}; choose one of {', '.join(GGUF_TYPES)}")
    for required in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        if not (model_dir / required).is_file():
            raise FileNotFoundError(f"{model_dir}: no {required}")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    staging = out.with_name(f".{out.name}.f32.partial")
    try:
        if kind == "q4_k_m":
            arch, pre, count = _write_file(model_dir, staging, "f32")
            quantize_q4_k_m(staging, partial)
        else:
            arch, pre, count = _write_file(model_dir, partial, kind)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
        staging.unlink(missing_ok=True)
    return GgufResult(out, kind, arch, pre, count, out.stat().st_size)


def gguf_chat_template(path: Path | str) -> str | None:
    """The ``tokenizer.chat_template`` stored in a GGUF file, or None."""
    from gguf import GGUFReader

    field = GGUFReader(str(path)).get_field("tokenizer.chat_template")
    return None if field is None else str(field.contents())
