"""Model presets become the standard Hugging Face configs, with the sizes we promise."""

from __future__ import annotations

import dataclasses

import pytest
from transformers import LlamaConfig, Qwen2Config

from budgetlm.lm.config import (
    MICRO,
    PRESETS,
    QWEN25_05B_SHAPE,
    TINY,
    ModelPreset,
    TrainConfig,
    get_preset,
)


def test_micro_is_a_llama_with_grouped_query_attention() -> None:
    config = MICRO.to_hf_config(eos_token_id=2, pad_token_id=0)
    assert isinstance(config, LlamaConfig)
    assert config.num_key_value_heads < config.num_attention_heads
    assert config.tie_word_embeddings
    assert (config.hidden_size, config.num_hidden_layers, config.vocab_size) == (256, 4, 4096)
    assert (config.eos_token_id, config.pad_token_id, config.bos_token_id) == (2, 0, None)


def test_qwen_shape_matches_qwen25_05b_instruct() -> None:
    config = QWEN25_05B_SHAPE.to_hf_config()
    assert isinstance(config, Qwen2Config)
    expected = {
        "hidden_size": 896,
        "intermediate_size": 4864,
        "num_hidden_layers": 24,
        "num_attention_heads": 14,
        "num_key_value_heads": 2,
        "vocab_size": 151936,
        "max_position_embeddings": 32768,
        "rms_norm_eps": 1e-6,
        "tie_word_embeddings": True,
        "hidden_act": "silu",
        "use_sliding_window": False,
    }
    assert {key: getattr(config, key) for key in expected} == expected
    assert config.rope_parameters["rope_theta"] == 1_000_000.0
    assert QWEN25_05B_SHAPE.head_dim == 64


def test_presets_are_found_by_name_and_unknown_names_are_listed() -> None:
    assert get_preset("micro") is MICRO
    assert set(PRESETS) == {"micro", "tiny", "qwen2.5-0.5b-shape"}
    with pytest.raises(KeyError, match="known: micro, tiny"):
        get_preset("huge")


def test_impossible_head_layouts_are_refused() -> None:
    with pytest.raises(ValueError, match="multiple of heads"):
        dataclasses.replace(TINY, hidden_size=65)
    with pytest.raises(ValueError, match="multiple of kv_heads"):
        dataclasses.replace(TINY, kv_heads=3)


def test_presets_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        MICRO.layers = 8  # type: ignore[misc]
    assert isinstance(MICRO, ModelPreset)


def test_train_config_rejects_nonsense() -> None:
    assert TrainConfig().batch_size > 0
    for bad in ({"steps": 0}, {"batch_size": 0}, {"epochs": 0.0}, {"threads": 0}):
        with pytest.raises(ValueError):
            TrainConfig(**bad)  # type: ignore[arg-type]
