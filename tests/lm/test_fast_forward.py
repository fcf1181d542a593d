"""The lean forward (lm/fast_forward.py) against the Hugging Face forward it stands in for.

Each model runs the same plan of passes (a prefill, one- and multi-token passes, crops and
re-extensions, a conversation that outgrows the cache's first buffer) through ``Decoder.forward``
once with the lean forward and once with ``DecodingConfig(lean_forward=False)``; the hidden
states must agree. Models: the shipped micro model in float32 and int8, and tiny random Llama
(GQA, untied head, biases, a head size other than hidden/heads) and Qwen2 models. Models the
lean forward does not cover must fall back to Hugging Face.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
import torch
from transformers import (
    DynamicCache,
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedModel,
    PreTrainedTokenizerFast,
    Qwen2Config,
    Qwen2ForCausalLM,
)

from budgetlm.assistant.backends.local import micro_directory
from budgetlm.lm.decoding import Decoder, DecodingConfig
from budgetlm.lm.fast_forward import KVCache, LeanForward, unsupported_reason
from budgetlm.lm.model import load_model
from budgetlm.lm.quantize import quantize_model
from budgetlm.lm.template import encode_chat
from budgetlm.lm.tokenizer import load_tokenizer

Step = Sequence[int] | int
"""A pass over these token ids, or (an int <= 0) a crop of that many positions."""

QUESTIONS = (
    "how much did we spend on groceries last month?",
    "what did daycare cost us last quarter",
    "can I afford a 400 dollar bike?",
)


def _ids(count: int, seed: int) -> list[int]:
    return [int(t) for t in torch.randint(5, 4000, (count,), generator=torch.manual_seed(seed))]


PLAN: list[Step] = [
    _ids(150, 0),  # prefill
    [17],
    _ids(17, 1),
    [9],
    _ids(3, 2),
    -5,  # crop into the last pass
    _ids(6, 3),
    -1,
    [12],
    _ids(120, 4),  # past the first buffer (256 positions): the cache grows
    [33],
    -290,  # crop to 7 positions, then extend again
    _ids(20, 5),
    [8],
]


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    return load_tokenizer(micro_directory())


def _tiny(family: str, **overrides: object) -> PreTrainedModel:
    """A random two-layer model with the micro model's vocabulary (4096) and GQA."""
    sizes: dict[str, object] = {
        "vocab_size": 4096,
        "hidden_size": 64,
        "intermediate_size": 96,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 64,  # shorter than PLAN: the rotary tables grow too
        "initializer_range": 0.2,
        **overrides,
    }
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        if family == "qwen2":
            model: PreTrainedModel = Qwen2ForCausalLM(Qwen2Config(**sizes))
        else:
            model = LlamaForCausalLM(LlamaConfig(**sizes))
    return model.eval()  # type: ignore[no-untyped-call]


def _hidden_states(decoder: Decoder, plan: Sequence[Step]) -> list[torch.Tensor]:
    """The hidden state after each pass of ``plan``."""
    cache = decoder.new_cache()
    states = []
    for step in plan:
        if isinstance(step, int):
            cache.crop(step)
        else:
            states.append(decoder.forward(step, cache))
    return states


def _assert_parity(
    model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast, atol: float = 1e-4
) -> None:
    lean = Decoder(model, tokenizer)
    reference = Decoder(model, tokenizer, DecodingConfig(lean_forward=False))
    assert lean.uses_lean_forward and not reference.uses_lean_forward
    assert isinstance(lean.new_cache(), KVCache)
    assert isinstance(reference.new_cache(), DynamicCache)
    for got, expected in zip(
        _hidden_states(lean, PLAN), _hidden_states(reference, PLAN), strict=True
    ):
        assert got.shape == expected.shape == (model.config.hidden_size,)
        torch.testing.assert_close(got, expected, atol=atol, rtol=0)


def test_micro_model_hidden_states_match_hugging_face(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    _assert_parity(load_model(micro_directory()), tokenizer)


def test_int8_micro_model_hidden_states_match_hugging_face(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    # Same ops on the same inputs, so the same numbers: a float difference would show here
    # amplified to a whole input quantization step.
    _assert_parity(quantize_model(load_model(micro_directory())), tokenizer)


@pytest.mark.parametrize(
    ("family", "overrides"),
    [
        ("llama", {"tie_word_embeddings": False}),
        ("llama", {"attention_bias": True, "mlp_bias": True, "head_dim": 24}),
        ("llama", {"num_key_value_heads": 4, "rope_parameters": {"rope_theta": 500.0}}),
        ("qwen2", {}),
    ],
    ids=["llama-gqa-untied", "llama-biases-head24", "llama-mha-theta500", "qwen2"],
)
def test_tiny_model_hidden_states_match_hugging_face(
    family: str, overrides: dict[str, object], tokenizer: PreTrainedTokenizerFast
) -> None:
    _assert_parity(_tiny(family, **overrides), tokenizer)


def test_tiny_int8_model_hidden_states_match_hugging_face(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    _assert_parity(quantize_model(_tiny("qwen2")), tokenizer)


@pytest.mark.parametrize("quantized", [False, True], ids=["float32", "int8"])
def test_greedy_decoding_is_unchanged(quantized: bool, tokenizer: PreTrainedTokenizerFast) -> None:
    model = load_model(micro_directory())
    if quantized:
        quantize_model(model)
    decoders = [
        Decoder(model, tokenizer, DecodingConfig(lean_forward=lean)) for lean in (True, False)
    ]
    for question in QUESTIONS:
        prompt = encode_chat(
            [{"role": "user", "content": question}], tokenizer, add_generation_prompt=True
        )
        lean, reference = (d.session() for d in decoders)
        generations = []
        for session in (lean, reference):
            session.feed(prompt)
            generations.append(session.generate(max_new_tokens=40))
            session.set_context(prompt[:-3])  # crop, then decode again from a shorter prefix
            session.feed(prompt[-3:])
            generations.append(session.generate(max_new_tokens=10))
        assert lean.tokens == reference.tokens
        for got, expected in zip(generations[:2], generations[2:], strict=True):
            assert got.token_ids == expected.token_ids
            assert got.confidence == pytest.approx(expected.confidence, abs=1e-5)


@pytest.mark.parametrize(
    ("family", "overrides", "reason"),
    [
        ("llama", {"rope_parameters": {"rope_type": "linear", "factor": 2.0}}, "rope"),
        (
            "qwen2",
            {"use_sliding_window": True, "sliding_window": 16, "max_window_layers": 0},
            "sliding",
        ),
        ("llama", {"hidden_act": "gelu"}, "activation"),
    ],
    ids=["rope-scaling", "sliding-window", "gelu"],
)
def test_unsupported_models_fall_back_to_hugging_face(
    family: str, overrides: dict[str, object], reason: str, tokenizer: PreTrainedTokenizerFast
) -> None:
    model = _tiny(family, **overrides)
    assert reason in (unsupported_reason(model) or "")
    with pytest.raises(ValueError, match=reason):
        LeanForward(model)
    decoder = Decoder(model, tokenizer)
    assert not decoder.uses_lean_forward
    cache = decoder.new_cache()
    assert isinstance(cache, DynamicCache)
    assert decoder.forward([5, 6, 7], cache).shape == (model.config.hidden_size,)


def test_bfloat16_and_hooked_models_fall_back(tokenizer: PreTrainedTokenizerFast) -> None:
    assert "float32" in (unsupported_reason(_tiny("llama").to(torch.bfloat16)) or "")
    hooked = _tiny("llama")
    hooked.get_decoder().layers[0].mlp.register_forward_hook(lambda *_: None)
    assert "hooks" in (unsupported_reason(hooked) or "")
    assert not Decoder(hooked, tokenizer).uses_lean_forward


def test_kv_cache_crops_and_grows_in_place() -> None:
    cache = KVCache(layers=2, kv_heads=2, head_dim=4, device=torch.device("cpu"), capacity=8)
    keys, _ = cache.layer(1)
    keys[0, :, :6] = torch.arange(6.0)[None, :, None]
    cache.length = 6
    cache.crop(-2)
    assert cache.get_seq_length() == 4
    cache.reserve(20)
    assert cache.capacity == 20 and cache.length == 4
    keys, _ = cache.layer(1)
    assert torch.equal(keys[0, 1, :4, 0], torch.arange(4.0))
    cache.crop(-10)
    assert cache.length == 0
    with pytest.raises(ValueError, match="crop"):
        cache.crop(3)
