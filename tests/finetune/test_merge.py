"""Merging a LoRA adapter: the merged checkpoint computes what base + adapter computed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import AutoModelForCausalLM, LlamaConfig
from typer.testing import CliRunner

from budgetlm.assistant.backends.local import micro_directory
from budgetlm.cli import app
from budgetlm.finetune.merge import merge_adapter

# peft 0.21 reads transformers 5's deprecated `is_gradient_checkpointing` (as in test_lora.py).
pytestmark = pytest.mark.filterwarnings("ignore:.*is_gradient_checkpointing.*:FutureWarning")


@pytest.fixture(scope="module")
def base_and_adapter(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny random Llama with budgetlm's tokenizer, and a random LoRA adapter (B != 0)."""
    root = tmp_path_factory.mktemp("lora")
    config = LlamaConfig(
        vocab_size=4096, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
        tie_word_embeddings=True, eos_token_id=2, pad_token_id=0,
    )  # fmt: skip
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        base = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        base.save_pretrained(str(root / "base"))
        lora = LoraConfig(
            r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"],
            init_lora_weights=False,  # random A and B, so the adapter changes the output
        )  # fmt: skip
        get_peft_model(base, lora).save_pretrained(str(root / "adapter"))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(micro_directory() / name, root / "base" / name)
    return root / "base", root / "adapter"


def _logits(model: torch.nn.Module, ids: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return model(input_ids=ids).logits  # type: ignore[no-any-return]


def test_merged_logits_equal_base_with_adapter(
    base_and_adapter: tuple[Path, Path], tmp_path: Path
) -> None:
    base, adapter = base_and_adapter
    result = merge_adapter(base, adapter, tmp_path / "merged")
    assert result.dtype == "float32" and result.parameters > 0
    ids = torch.randint(7, 4096, (2, 12), generator=torch.Generator().manual_seed(1))
    plain = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32).eval()
    with_adapter = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32), str(adapter)
    ).eval()
    merged = AutoModelForCausalLM.from_pretrained(str(result.directory), dtype=torch.float32)
    expected = _logits(with_adapter, ids)
    assert not torch.allclose(_logits(plain, ids), expected, atol=1e-4)  # the adapter matters
    torch.testing.assert_close(_logits(merged.eval(), ids), expected, atol=1e-5, rtol=1e-5)
    files = {p.name for p in result.directory.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= files
    assert not any("lora" in key for key in _safetensors_keys(result.directory))
    chat = json.loads((result.directory / "tokenizer_config.json").read_text())["chat_template"]
    assert chat.startswith("{%- if not messages")


def _safetensors_keys(directory: Path) -> list[str]:
    from safetensors import safe_open

    with safe_open(str(directory / "model.safetensors"), framework="pt") as handle:
        return list(handle.keys())


def test_merge_refuses_to_overwrite_and_leaves_nothing_partial(
    base_and_adapter: tuple[Path, Path], tmp_path: Path
) -> None:
    base, adapter = base_and_adapter
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        merge_adapter(base, adapter, tmp_path / "taken")
    with pytest.raises(FileNotFoundError, match=r"adapter_config\.json"):
        merge_adapter(base, base, tmp_path / "merged")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_cli_merge_in_half_precision(base_and_adapter: tuple[Path, Path], tmp_path: Path) -> None:
    base, adapter = base_and_adapter
    out = tmp_path / "merged16"
    args = ["export", "merge", "--base", str(base), "--adapter", str(adapter), "--out", str(out)]
    done = CliRunner().invoke(app, [*args, "--dtype", "bfloat16"])
    assert done.exit_code == 0, done.output
    assert "(bfloat16)" in done.output
    assert json.loads((out / "config.json").read_text())["dtype"] == "bfloat16"
