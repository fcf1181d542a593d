"""The GGUF round trip through llama.cpp: same tokens, same greedy tool calls as PyTorch.

Needs ``llama-cpp-python`` (``pip install 'budgetlm[llamacpp]'``, built from source); the full
measurement is ``benchmarks/gguf_roundtrip.py`` (figures in ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config

from budgetlm.assistant.backends.local import micro_directory
from budgetlm.finetune.gguf_export import GgufType, export_gguf
from budgetlm.finetune.gguf_parity import ParityConfig, check_gguf, parity_prompts

if os.environ.get("BUDGETLM_REQUIRE_LLAMACPP") == "1":  # CI installs it: never skip there
    import llama_cpp
else:
    llama_cpp = pytest.importorskip(
        "llama_cpp", reason="llama-cpp-python is not installed (extra: llamacpp)"
    )
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def prompts() -> list[list[dict[str, object]]]:
    return parity_prompts(12)


@pytest.mark.parametrize(
    ("kind", "least_exact"), [("f32", 1.0), ("f16", 0.9), ("q8_0", 0.9), ("q4_k_m", 0.8)]
)
def test_llama_cpp_continues_like_pytorch(
    kind: GgufType,
    least_exact: float,
    prompts: list[list[dict[str, object]]],
    tmp_path: Path,
) -> None:
    exported = export_gguf(micro_directory(), tmp_path / f"micro-{kind}.gguf", kind)
    report = check_gguf(micro_directory(), exported.path, prompts, ParityConfig(threads=1))
    assert report.tokenizer_agreement == 1.0
    assert report.exact_agreement >= least_exact, report.mismatches


def test_q4_k_m_is_written_by_llama_cpp(tmp_path: Path) -> None:
    from gguf import GGUFReader

    exported = export_gguf(micro_directory(), tmp_path / "micro-q4_k_m.gguf", "q4_k_m")
    types = {t.tensor_type.name for t in GGUFReader(str(exported.path)).tensors}
    assert "Q4_K" in types
    assert exported.bytes < 4_000_000


SHAPE = {
    "vocab_size": 4096, "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 256,
    "eos_token_id": 2, "pad_token_id": 0, "tie_word_embeddings": False,
}  # fmt: skip


@pytest.mark.parametrize(
    "config",
    [
        Qwen2Config(**SHAPE, rope_theta=1e6, use_sliding_window=False),
        LlamaConfig(**SHAPE, rope_theta=1e4, attention_bias=True),  # permuted biases too
    ],
    ids=["qwen2", "llama-with-biases"],
)
def test_llama_cpp_logits_equal_pytorch_logits(config: Any, tmp_path: Path) -> None:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(5)  # spread the logits, so a wrong layout cannot hide
    model.save_pretrained(str(tmp_path / "model"))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(micro_directory() / name, tmp_path / "model" / name)
    exported = export_gguf(tmp_path / "model", tmp_path / "model.gguf", "f32")
    ids = list(range(10, 60))
    with torch.inference_mode():
        expected = model(torch.tensor([ids])).logits[0, -1].numpy()
    f32 = 0  # GGML_TYPE_F32 for the KV cache (its default, f16, rounds keys and values)
    llm = llama_cpp.Llama(
        model_path=str(exported.path), n_ctx=128, n_threads=1, type_k=f32, type_v=f32,
        verbose=False,
    )  # fmt: skip
    try:
        llm.eval(ids)
        pointer = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
        logits = np.ctypeslib.as_array(pointer, shape=(llm.n_vocab(),)).copy()
    finally:
        llm.close()
    np.testing.assert_allclose(logits, expected, atol=1e-3 * np.abs(expected).max())
