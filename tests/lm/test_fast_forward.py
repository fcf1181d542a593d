"""The lean forward (lm/fast_forward.py) against the Hugging Face forward it stands in for.

Each model runs the same plan of passes (a prefill, one- and multi-token passes, crops and
re-extensions, a conversation that outgrows the cache's first buffer) through ``Decoder.forward``
once with the lean forward and once with ``DecodingConfig(lean_forward=False)``; the hidden
states must agree. Models: the shipped micro model in float32 and int8, and tiny random Llama
(GQA, untied head, biases, a head size other than hidden/heads) and Qwen2 models. Models the
lean forward does not cover must fall back to Hugging Face. Ragged batches (``run_batch``) must
give each item what it gets alone: bit for bit with int8 projections, closely in float32.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

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


# Ragged batches: items with caches of different lengths (empty, one that must grow past its
# first buffer of 256 positions, ...) and new tokens of different counts (prefill chunks mixed
# with single decoding steps).
BATCH_CACHES = (150, 0, 7, 250, 40, 3)
BATCH_TOKENS = (1, 17, 1, 10, 5, 30)


def _prepared_caches(lean: LeanForward) -> list[KVCache]:
    caches = []
    for seed, length in enumerate(BATCH_CACHES):
        cache = lean.new_cache()
        if length:
            lean(_ids(length, 10 + seed), cache)
        caches.append(cache)
    return caches


def _batch_against_alone(
    model: PreTrainedModel,
) -> tuple[list[torch.Tensor], list[torch.Tensor], list[KVCache], list[KVCache]]:
    """Each item run alone and all in one ``run_batch``: hidden states and caches of both."""
    lean = LeanForward(model)
    tokens = [_ids(count, 20 + seed) for seed, count in enumerate(BATCH_TOKENS)]
    with torch.inference_mode():
        alone_caches, batch_caches = _prepared_caches(lean), _prepared_caches(lean)
        alone = [lean(ids, cache) for ids, cache in zip(tokens, alone_caches, strict=True)]
        batched = lean.run_batch(list(zip(tokens, batch_caches, strict=True)))
    return alone, batched, alone_caches, batch_caches


def _held(cache: KVCache) -> torch.Tensor:
    return cache._buffer[..., : cache.length, :]


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(lambda: quantize_model(load_model(micro_directory())), id="micro-int8"),
        pytest.param(
            lambda: quantize_model(_tiny("llama", attention_bias=True, mlp_bias=True)),
            id="llama-biases-int8",
        ),
    ],
)
def test_an_int8_batch_gives_each_item_the_bits_it_gets_alone(
    model: Callable[[], PreTrainedModel],
) -> None:
    # Every op but attention runs over all items' tokens at once; with inputs quantized per
    # token and integer matmuls, nothing in a token's numbers depends on the other tokens.
    alone, batched, alone_caches, batch_caches = _batch_against_alone(model())
    assert len(batched) == len(alone)
    for got, expected in zip(batched, alone, strict=True):
        assert got.shape == expected.shape
        assert torch.equal(got, expected)
    for got_cache, expected_cache in zip(batch_caches, alone_caches, strict=True):
        assert got_cache.length == expected_cache.length
        assert torch.equal(_held(got_cache), _held(expected_cache))
    assert batch_caches[3].capacity > 256  # grew during the batch


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(lambda: load_model(micro_directory()), id="micro"),
        pytest.param(lambda: _tiny("qwen2"), id="qwen2"),
    ],
)
def test_a_float_batch_matches_each_item_alone_closely(
    model: Callable[[], PreTrainedModel],
) -> None:
    # Float32 matmuls may sum in another order for another number of rows: here the items of
    # several tokens come out bit for bit, the single-token ones (a matrix-vector product alone,
    # part of a matrix product in the batch) up to ~4e-6 apart. So closeness is checked.
    alone, batched, alone_caches, batch_caches = _batch_against_alone(model())
    for got, expected in zip(batched, alone, strict=True):
        torch.testing.assert_close(got, expected, atol=2e-5, rtol=1e-5)
    for got_cache, expected_cache in zip(batch_caches, alone_caches, strict=True):
        assert got_cache.length == expected_cache.length
        torch.testing.assert_close(_held(got_cache), _held(expected_cache), atol=2e-5, rtol=1e-5)


def test_a_batch_needs_distinct_caches_and_tokens_for_each_item() -> None:
    lean = LeanForward(_tiny("llama"))
    first, second = lean.new_cache(), lean.new_cache()
    lean([5, 6], first)
    with pytest.raises(ValueError, match="cache of its own"):
        lean.run_batch([([7], first), ([8], second), ([9], first)])
    with pytest.raises(ValueError, match="at least one token"):
        lean.run_batch([([7], first), ([], second)])
    with pytest.raises(ValueError, match="at least one token"):
        lean([], first)
    assert (first.length, second.length) == (2, 0)  # nothing was run
    assert lean.run_batch([]) == []
