"""GGUF export of tiny random Llama and Qwen2 checkpoints, read back with ``gguf.GGUFReader``."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from gguf import GGMLQuantizationType, GGUFReader
from gguf.quants import dequantize
from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config
from typer.testing import CliRunner

from budgetlm.assistant.backends.local import micro_directory
from budgetlm.cli import app
from budgetlm.errors import InputError
from budgetlm.finetune.gguf_export import export_gguf, gguf_chat_template, rope_permute
from budgetlm.finetune.gguf_tokenizer import PRE_TOKENIZERS, GgufExportError
from budgetlm.lm.template import CHAT_TEMPLATE

VOCAB = 4096  # the shipped tokenizer's size
LLAMA3_SPLIT = next(p for p, name in PRE_TOKENIZERS.items() if name == "llama-bpe")


def _checkpoint(directory: Path, config: Any) -> dict[str, np.ndarray]:
    """Save a random model of ``config`` with budgetlm's tokenizer; return its weights."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.save_pretrained(str(directory))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(micro_directory() / name, directory / name)
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def _common(**extra: Any) -> dict[str, Any]:
    return {
        "vocab_size": VOCAB,
        "hidden_size": 64,
        "intermediate_size": 96,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 256,
        "rms_norm_eps": 1e-6,
        "eos_token_id": 2,
        "pad_token_id": 0,
        **extra,
    }


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, np.ndarray]]:
    directory = tmp_path_factory.mktemp("llama")
    config = LlamaConfig(**_common(tie_word_embeddings=True, rope_theta=10_000.0))
    return directory, _checkpoint(directory, config)


@pytest.fixture(scope="module")
def qwen2(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, np.ndarray]]:
    directory = tmp_path_factory.mktemp("qwen2")
    config = Qwen2Config(
        **_common(tie_word_embeddings=False, rope_theta=1_000_000.0, use_sliding_window=False)
    )
    return directory, _checkpoint(directory, config)


def _fields(reader: GGUFReader) -> dict[str, Any]:
    return {name: field.contents() for name, field in reader.fields.items()}


def _tensor(reader: GGUFReader, name: str) -> np.ndarray:
    """A tensor dequantized to float32, in (rows, columns) order like PyTorch's."""
    tensor = next(t for t in reader.tensors if t.name == name)
    data = np.asarray(tensor.data)
    if tensor.tensor_type == GGMLQuantizationType.Q8_0:
        data = dequantize(data, GGMLQuantizationType.Q8_0)
    return data.astype(np.float32).reshape(tuple(reversed([int(n) for n in tensor.shape])))


def test_llama_metadata_tokenizer_and_tied_embeddings(
    llama: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    directory, _ = llama
    result = export_gguf(directory, tmp_path / "tiny.gguf", "f32")
    fields = _fields(GGUFReader(str(result.path)))
    assert (result.architecture, result.pre_tokenizer) == ("llama", "qwen2")
    assert fields["general.architecture"] == "llama"
    assert fields["llama.block_count"] == 2
    assert fields["llama.embedding_length"] == 64
    assert fields["llama.feed_forward_length"] == 96
    assert fields["llama.attention.head_count"] == 4
    assert fields["llama.attention.head_count_kv"] == 2
    assert fields["llama.rope.dimension_count"] == 16
    assert fields["llama.rope.freq_base"] == pytest.approx(10_000.0)
    assert fields["llama.attention.layer_norm_rms_epsilon"] == pytest.approx(1e-6)
    assert fields["llama.context_length"] == 256
    assert fields["tokenizer.ggml.model"] == "gpt2"
    assert fields["tokenizer.ggml.pre"] == "qwen2"
    tokens = fields["tokenizer.ggml.tokens"]
    assert len(tokens) == VOCAB and tokens[:3] == ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    assert fields["tokenizer.ggml.token_type"][:8] == [3] * 7 + [1]  # control, then normal
    vocabulary = json.loads((directory / "tokenizer.json").read_text())["model"]
    assert len(fields["tokenizer.ggml.merges"]) == len(vocabulary["merges"])
    assert fields["tokenizer.ggml.eos_token_id"] == 2
    assert fields["tokenizer.ggml.padding_token_id"] == 0
    assert "tokenizer.ggml.bos_token_id" not in fields
    assert fields["tokenizer.ggml.add_bos_token"] is False
    assert fields["tokenizer.chat_template"] == CHAT_TEMPLATE
    assert gguf_chat_template(result.path) == CHAT_TEMPLATE
    names = {t.name for t in GGUFReader(str(result.path)).tensors}
    assert "output.weight" not in names  # tied: llama.cpp reuses token_embd
    assert len(names) == result.tensors == 2 + 2 * 9


def test_llama_f32_weights_with_query_and_key_rows_permuted(
    llama: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    directory, weights = llama
    reader = GGUFReader(str(export_gguf(directory, tmp_path / "f32.gguf", "f32").path))
    np.testing.assert_array_equal(
        _tensor(reader, "token_embd.weight"), weights["model.embed_tokens.weight"]
    )
    layer = "model.layers.1."
    for gguf_name, hf_name, heads in (
        ("blk.1.attn_q.weight", "self_attn.q_proj.weight", 4),
        ("blk.1.attn_k.weight", "self_attn.k_proj.weight", 2),
    ):
        original = weights[layer + hf_name]
        assert not np.array_equal(_tensor(reader, gguf_name), original)
        np.testing.assert_array_equal(_tensor(reader, gguf_name), rope_permute(original, heads))
    for gguf_name, hf_name in (
        ("blk.1.attn_v.weight", "self_attn.v_proj.weight"),
        ("blk.1.attn_output.weight", "self_attn.o_proj.weight"),
        ("blk.1.ffn_gate.weight", "mlp.gate_proj.weight"),
        ("blk.1.ffn_down.weight", "mlp.down_proj.weight"),
        ("blk.1.attn_norm.weight", "input_layernorm.weight"),
        ("blk.1.ffn_norm.weight", "post_attention_layernorm.weight"),
    ):
        np.testing.assert_array_equal(_tensor(reader, gguf_name), weights[layer + hf_name])


def _rotate_halves(x: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """Hugging Face's rotary embedding: element i pairs with element i + d/2."""
    half = x.shape[-1] // 2
    cos, sin = np.cos(angles), np.sin(angles)
    a, b = x[..., :half], x[..., half:]
    return np.concatenate([a * cos - b * sin, b * cos + a * sin], axis=-1)


def _rotate_pairs(x: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """llama.cpp's ``llama`` rotary embedding: elements 2i and 2i + 1 form a pair."""
    cos, sin = np.cos(angles), np.sin(angles)
    a, b = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2], out[..., 1::2] = a * cos - b * sin, b * cos + a * sin
    return out


def test_permuted_rows_rotate_in_pairs_as_the_originals_rotate_in_halves() -> None:
    rng = np.random.default_rng(0)
    heads, head_dim, width = 3, 8, 12
    weight = rng.standard_normal((heads * head_dim, width))
    x = rng.standard_normal(width)
    angles = 7 * 10_000.0 ** (-np.arange(head_dim // 2) / (head_dim // 2))  # position 7
    hf = _rotate_halves((weight @ x).reshape(heads, head_dim), angles)
    ours = _rotate_pairs((rope_permute(weight, heads) @ x).reshape(heads, head_dim), angles)
    # Same vector up to the same row order, so every query-key dot product is unchanged.
    np.testing.assert_allclose(ours.reshape(-1), rope_permute(hf.reshape(-1), heads))


def test_f16_and_q8_0_values_and_types(
    llama: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    directory, weights = llama
    original = weights["model.layers.0.mlp.up_proj.weight"]
    sizes = {}
    for kind, matrix_type in (("f16", "F16"), ("q8_0", "Q8_0")):
        result = export_gguf(directory, tmp_path / f"{kind}.gguf", kind)
        sizes[kind] = result.bytes
        reader = GGUFReader(str(result.path))
        types = {t.name: t.tensor_type.name for t in reader.tensors}
        assert types["blk.0.ffn_up.weight"] == matrix_type
        assert types["blk.0.attn_norm.weight"] == "F32"  # norms stay f32
        restored = _tensor(reader, "blk.0.ffn_up.weight")
        assert restored.shape == original.shape == (96, 64)
        # f16 rounds to 11 significant bits; q8_0 to 1/127 of each 32-value block's maximum.
        tolerance = 1e-3 if kind == "f16" else np.abs(original).max() / 127
        np.testing.assert_allclose(restored, original, atol=tolerance)
        assert _fields(reader)["general.file_type"] == (1 if kind == "f16" else 7)
    assert sizes["q8_0"] < sizes["f16"]


def test_qwen2_keeps_biases_unpermuted_and_writes_the_output_matrix(
    qwen2: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    directory, weights = qwen2
    result = export_gguf(directory, tmp_path / "qwen2.gguf", "f32")
    reader = GGUFReader(str(result.path))
    fields = _fields(reader)
    assert result.architecture == fields["general.architecture"] == "qwen2"
    assert fields["qwen2.rope.freq_base"] == pytest.approx(1e6)
    assert fields["tokenizer.ggml.pre"] == "qwen2"
    for gguf_name, hf_name in (
        ("blk.0.attn_q.weight", "model.layers.0.self_attn.q_proj.weight"),
        ("blk.0.attn_q.bias", "model.layers.0.self_attn.q_proj.bias"),
        ("blk.0.attn_k.bias", "model.layers.0.self_attn.k_proj.bias"),
        ("blk.0.attn_v.bias", "model.layers.0.self_attn.v_proj.bias"),
        ("output.weight", "lm_head.weight"),
    ):
        np.testing.assert_array_equal(_tensor(reader, gguf_name), weights[hf_name])


def _with_split(directory: Path, target: Path, pattern: str) -> Path:
    shutil.copytree(directory, target)
    tokenizer = json.loads((target / "tokenizer.json").read_text())
    split = next(
        step for step in tokenizer["pre_tokenizer"]["pretokenizers"] if step["type"] == "Split"
    )
    split["pattern"]["Regex"] = pattern
    (target / "tokenizer.json").write_text(json.dumps(tokenizer))
    return target


def test_pre_tokenizer_comes_from_the_split_regex(
    llama: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    directory, _ = llama
    llama3 = _with_split(directory, tmp_path / "llama3", LLAMA3_SPLIT)
    assert export_gguf(llama3, tmp_path / "l3.gguf", "f16").pre_tokenizer == "llama-bpe"
    unknown = _with_split(directory, tmp_path / "unknown", r"\w+|\s+")
    with pytest.raises(GgufExportError, match="unknown tokenizer split regex"):
        export_gguf(unknown, tmp_path / "unknown.gguf", "f16")
    assert not (tmp_path / "unknown.gguf").exists()
    assert not list(tmp_path.glob(".*partial"))


def test_llama3_rope_scaling_becomes_rope_freqs(tmp_path: Path) -> None:
    scaling = {
        "rope_type": "llama3",
        "factor": 8.0,
        "low_freq_factor": 1.0,
        "high_freq_factor": 4.0,
        "original_max_position_embeddings": 64,
    }
    config = LlamaConfig(**_common(rope_theta=500_000.0, rope_scaling=scaling))
    _checkpoint(tmp_path / "model", config)
    result = export_gguf(tmp_path / "model", tmp_path / "scaled.gguf", "q8_0")
    factors = _tensor(GGUFReader(str(result.path)), "rope_freqs.weight")
    assert factors.shape == (8,)
    assert factors[0] == 1.0 and factors[-1] == pytest.approx(8.0)  # short waves kept
    assert np.all(np.diff(factors) >= 0)


def test_unsupported_architecture_and_missing_quantizer_are_clear_errors(
    llama: tuple[Path, dict[str, np.ndarray]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory, _ = llama
    other = tmp_path / "other"
    shutil.copytree(directory, other)
    config = json.loads((other / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**config, "model_type": "gpt2"}))
    with pytest.raises(GgufExportError, match="model_type 'gpt2' is not supported"):
        export_gguf(other, tmp_path / "x.gguf", "f16")
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    with pytest.raises(GgufExportError, match=r"q4_k_m needs llama\.cpp"):
        export_gguf(directory, tmp_path / "x.gguf", "q4_k_m")
    assert not list(tmp_path.glob("*.gguf")) and not list(tmp_path.glob(".*partial"))


def test_cli_writes_gguf_and_modelfile(
    llama: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    directory, _ = llama
    runner = CliRunner()
    gguf_path = tmp_path / "models" / "tiny-q8_0.gguf"
    done = runner.invoke(
        app, ["export", "gguf", "--model", str(directory), "--out", str(gguf_path)]
    )
    assert done.exit_code == 0, done.output
    assert "llama (q8_0, pre-tokenizer qwen2" in done.output and gguf_path.is_file()
    done = runner.invoke(
        app, ["export", "ollama", "--gguf", str(gguf_path), "--out", str(tmp_path / "ollama")]
    )
    assert done.exit_code == 0, done.output
    modelfile = (tmp_path / "ollama" / "Modelfile").read_text()
    assert modelfile.startswith("FROM ../models/tiny-q8_0.gguf\nTEMPLATE ")
    assert "budgetlm's chat format" in done.output
    assert f"ollama create budgetlm -f {tmp_path / 'ollama' / 'Modelfile'}" in done.output
    bad = runner.invoke(app, ["export", "gguf", "--out", str(gguf_path), "--type", "q5"])
    assert isinstance(bad.exception, InputError) and "unknown type 'q5'" in str(bad.exception)
