"""Building, saving and loading the model as a standard Hugging Face checkpoint.

(Named ``test_lm_model.py`` because ``tests/categorize/test_model.py`` already owns the module
name ``test_model`` in pytest's rootdir-based import mode.)
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedTokenizerFast

from budgetlm.lm.config import MICRO, TINY
from budgetlm.lm.model import (
    build_model,
    load_model,
    load_pretrained,
    parameter_count,
    safetensors_bytes,
    save_model,
)
from budgetlm.lm.template import render
from budgetlm.lm.tokenizer import train_tokenizer

MEGABYTE = 1_000_000


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    texts = [render([{"role": "user", "content": f"Spent {n} on rent?"}]) for n in range(50)]
    return train_tokenizer(texts, 300)


def test_same_seed_same_weights_other_seed_other_weights(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    state = torch.random.get_rng_state()
    first = build_model(TINY, 3, tokenizer=tokenizer).state_dict()
    again = build_model(TINY, 3, tokenizer=tokenizer).state_dict()
    other = build_model(TINY, 4, tokenizer=tokenizer).state_dict()
    assert all(torch.equal(first[name], again[name]) for name in first)
    assert not torch.equal(
        first["model.layers.0.mlp.up_proj.weight"], other["model.layers.0.mlp.up_proj.weight"]
    )
    assert torch.equal(state, torch.random.get_rng_state())


def test_model_knows_the_chat_format_token_ids(tokenizer: PreTrainedTokenizerFast) -> None:
    model = build_model(TINY, 0, tokenizer=tokenizer)
    assert model.config.eos_token_id == tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert model.config.pad_token_id == tokenizer.convert_tokens_to_ids("<|endoftext|>")
    assert model.generation_config.eos_token_id == model.config.eos_token_id


def test_save_and_load_give_identical_logits(
    tokenizer: PreTrainedTokenizerFast, tmp_path: Path
) -> None:
    model = build_model(TINY, 0, tokenizer=tokenizer).eval()
    save_model(model, tokenizer, tmp_path)
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= {
        path.name for path in tmp_path.iterdir()
    }
    ids = torch.tensor([tokenizer.encode("Spent 12 on rent?", add_special_tokens=False)])
    with torch.no_grad():
        expected = model(ids).logits
        loaded, loaded_tokenizer = load_pretrained(tmp_path)
        assert torch.equal(loaded(ids).logits, expected)
        # Plain transformers loads the same checkpoint.
        plain = AutoModelForCausalLM.from_pretrained(str(tmp_path)).eval()
        assert torch.equal(plain(ids).logits, expected)
    assert not loaded.training
    assert loaded_tokenizer.get_vocab() == AutoTokenizer.from_pretrained(str(tmp_path)).get_vocab()


def test_tied_embeddings_are_stored_once(
    tokenizer: PreTrainedTokenizerFast, tmp_path: Path
) -> None:
    model = build_model(TINY, 0, tokenizer=tokenizer)
    save_model(model, tokenizer, tmp_path)
    assert parameter_count(model) == sum(p.numel() for p in model.parameters())
    fp32_bytes = 4 * parameter_count(model)
    assert fp32_bytes <= safetensors_bytes(tmp_path) < fp32_bytes + 100_000


def test_micro_model_fits_in_30_megabytes(tmp_path: Path) -> None:
    model = build_model(MICRO, 0)
    save_model(model, train_tokenizer(["a b c"], 300), tmp_path)
    assert safetensors_bytes(tmp_path) <= 30 * MEGABYTE
    assert 3_000_000 < parameter_count(model) < 7_500_000
    config = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    assert config["model_type"] == "llama"
    assert config["architectures"] == ["LlamaForCausalLM"]


def test_tokenizer_larger_than_the_vocabulary_is_refused() -> None:
    rng = random.Random(0)
    words = ["".join(rng.choices(string.ascii_lowercase, k=6)) for _ in range(3000)]
    big = train_tokenizer([" ".join(words)] * 2, 900)
    assert len(big) > TINY.vocab_size
    with pytest.raises(ValueError, match="holds 512"):
        build_model(TINY, 0, tokenizer=big)


def test_loading_a_directory_without_a_model_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a saved model"):
        load_model(tmp_path)
