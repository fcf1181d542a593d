"""Decoding with a KV cache, grammar-constrained tool calls and confidence (lm/decoding.py).

Models here are tiny and random: what is tested is the decoding machinery (cache parity, schema
validity whatever the weights, fast-forward, prefix reuse, confidence), not what a trained model
says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema
import pytest
import torch
from llguidance import LLMatcher
from transformers import (
    LlamaConfig,
    LlamaForCausalLM,
    PreTrainedModel,
    PreTrainedTokenizerFast,
    Qwen2Config,
    Qwen2ForCausalLM,
)

from budgetlm.lm.decoding import Decoder, DecodingConfig, DecodingError, Session
from budgetlm.lm.tokenizer import train_tokenizer

PERIOD = r"^(today|last_month|this_month|ytd|month:\d{4}-\d{2}|last_n_days:[1-9]\d{0,2})$"
CATEGORIES = ["Groceries", "Dining Out", "Rent", "Utilities", "Gas & Fuel", 'Café "Le Nord"']
PAYEES = ["Whole Foods", "Shell", "Netflix", "Trader Joe's"]
AMOUNT = {"type": "number", "minimum": 0, "maximum": 10_000_000, "multipleOf": 0.01}

PROMPT = (
    "<|im_start|>system\nYou are budgetlm.<|im_end|>\n"
    "<|im_start|>user\nHow much did I spend on groceries last month?<|im_end|>\n"
    "<|im_start|>assistant\n"
)
TOOL_RESPONSE = (
    "<|im_end|>\n<|im_start|>user\n<tool_response>\n"
    '{"total": "412.37", "count": 9}\n</tool_response><|im_end|>\n<|im_start|>assistant\n'
)


def _tool(name: str, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    arguments = {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"name": {"const": name}, "arguments": arguments},
        "required": ["name", "arguments"],
        "additionalProperties": False,
    }


CALL_SCHEMA: dict[str, Any] = {
    "anyOf": [
        _tool(
            "spending",
            {
                "period": {"type": "string", "pattern": PERIOD},
                "category": {"enum": CATEGORIES},
                "payee": {"enum": PAYEES},
            },
            ["period"],
        ),
        _tool(
            "top_categories",
            {
                "period": {"type": "string", "pattern": PERIOD},
                "limit": {"type": "integer", "minimum": 1, "maximum": 20},
            },
            ["period"],
        ),
        _tool(
            "affordability",
            {"amount": AMOUNT, "category": {"enum": CATEGORIES}},
            ["amount"],
        ),
        _tool("clarify", {"missing": {"enum": ["amount", "category", "period"]}}, ["missing"]),
        _tool("help", {}, []),
    ]
}

ENUM_SCHEMA: dict[str, Any] = _tool(
    "spending",
    {
        "category": {"enum": CATEGORIES},
        "payee": {"enum": PAYEES},
        "period": {"enum": ["last_month", "last_week", "last_year", "this_month"]},
    },
    ["category", "period"],
)


def _without_multiple_of(schema: Any) -> Any:
    """The schema minus ``multipleOf``, which jsonschema checks unreliably on floats (0.07)."""
    if isinstance(schema, dict):
        return {k: _without_multiple_of(v) for k, v in schema.items() if k != "multipleOf"}
    if isinstance(schema, list):
        return [_without_multiple_of(v) for v in schema]
    return schema


def _numbers(value: Any) -> Iterator[float]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, float):
        yield value


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Iterator[None]:
    """Tiny models gain nothing from threads, and on a busy runner OpenMP's barrier stalls
    make each step of a two-thread forward pass many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    calls = [
        '{"name": "spending", "arguments": {"period": "last_month", "category": "Groceries"}}',
        '{"name": "top_categories", "arguments": {"period": "month:2026-03", "limit": 5}}',
        '{"name": "affordability", "arguments": {"amount": 250.5, "category": "Dining Out"}}',
        '{"name": "clarify", "arguments": {"missing": "period"}}',
    ]
    texts = [
        f"{PROMPT}<tool_call>\n{call}\n</tool_call>{TOOL_RESPONSE}You spent {{total}} "
        "on {category} {period}.<|im_end|>\n"
        for call in calls
    ]
    return train_tokenizer(texts * 5, 420)


def _model(family: str, seed: int, *, tie: bool = True, scale: float = 0.2) -> PreTrainedModel:
    """A random two-layer model whose vocabulary (512) is padded beyond the tokenizer's."""
    sizes = {
        "vocab_size": 512,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 512,
        "tie_word_embeddings": tie,
        "initializer_range": scale,
    }
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if family == "qwen2":
            return Qwen2ForCausalLM(Qwen2Config(**sizes))
        return LlamaForCausalLM(LlamaConfig(**sizes))


def _reference_logits(model: PreTrainedModel, ids: list[int]) -> torch.Tensor:
    """Last-position logits from one full forward pass without any cache."""
    with torch.no_grad():
        return model(input_ids=torch.tensor([ids])).logits[0, -1].float()


@pytest.mark.parametrize("family", ["llama", "qwen2"])
def test_cached_decoding_matches_full_forward(
    family: str, tokenizer: PreTrainedTokenizerFast
) -> None:
    model = _model(family, seed=3)
    decoder = Decoder(model, tokenizer)
    session = decoder.session()
    session.feed(PROMPT)
    generation = session.generate(max_new_tokens=12)

    banned = decoder.banned_answer_ids(forbid_digits=False)
    ids = list(decoder.encode(PROMPT))
    for choice in generation.choices:
        logits = _reference_logits(model, ids)
        logits[banned] = float("-inf")
        probs = torch.softmax(logits, dim=-1)
        assert choice.token_id == int(torch.argmax(probs))
        assert choice.probability == pytest.approx(float(probs.max()), abs=1e-5)
        ids.append(choice.token_id)
    assert session.tokens[: len(ids)] == tuple(ids)
    # the prompt was prefilled by feed(); each token then costs one step, and the last chosen
    # token waits (pending) for whatever comes next
    assert generation.model_calls == len(generation.choices) - 1


def test_session_logits_match_full_forward_after_several_feeds(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    model = _model("qwen2", seed=5)
    decoder = Decoder(model, tokenizer)
    session = decoder.session()
    for piece in (PROMPT[:40], PROMPT[40:], "<tool_call>\n"):
        session.feed(piece)
        hidden = session._hidden_state()
        torch.testing.assert_close(
            decoder.logits(hidden)[: len(tokenizer)],
            _reference_logits(model, list(session.tokens))[: len(tokenizer)],
            atol=1e-5,
            rtol=1e-5,
        )


def _assert_valid_call(text: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    call = json.loads(text)
    jsonschema.validate(call, _without_multiple_of(schema))
    for number in _numbers(call):
        assert round(number, 2) == number
    # canonical layout: json.dumps separators and escapes (numbers may keep a trailing zero)
    number = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
    assert number.sub("0", json.dumps(call, ensure_ascii=False)) == number.sub("0", text)
    return dict(call)


@pytest.mark.parametrize("schema", [CALL_SCHEMA, ENUM_SCHEMA], ids=["tools", "enums"])
@pytest.mark.parametrize("family", ["llama", "qwen2"])
def test_tool_calls_always_validate_even_with_random_weights(
    schema: dict[str, Any], family: str, tokenizer: PreTrainedTokenizerFast
) -> None:
    names = set()
    for seed in range(20):
        decoder = Decoder(_model(family, seed, scale=1.0), tokenizer)
        session = decoder.session()
        session.feed(PROMPT)
        result = session.tool_call(schema)
        call = _assert_valid_call(result.call_text, schema)
        names.add(call["name"])
        assert result.generation.text == f"<tool_call>\n{result.call_text}\n</tool_call>"
        assert result.generation.stop_reason == "accepted"
        properties = next(
            t["properties"]["arguments"]["properties"]
            for t in schema.get("anyOf", [schema])
            if t["properties"]["name"]["const"] == call["name"]
        )
        assert list(call["arguments"]) == [k for k in properties if k in call["arguments"]]
    if schema is CALL_SCHEMA:
        assert len(names) > 1  # random weights explore the grammar, not one fixed path


def test_fast_forward_needs_fewer_model_calls_than_tokens(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    session = Decoder(_model("llama", seed=1), tokenizer).session()
    session.feed(PROMPT)
    calls_before = session.model_calls
    result = session.tool_call(ENUM_SCHEMA)
    generation = result.generation
    forced = [c for c in generation.choices if c.forced]
    assert len(forced) > len(generation.choices) / 2  # keys, punctuation, rest of enum values
    assert generation.model_calls == session.model_calls - calls_before
    assert generation.model_calls <= generation.chosen_tokens < len(generation.token_ids)


def test_choose_text_writes_one_option_and_asks_the_model_only_where_they_differ(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    options = [
        "You spent {total} on {category} {period}.",
        "You spent {total} at {payee} {period}, over {count} purchases.",
        "Nothing matched {period}.",
    ]
    for seed in range(5):
        session = Decoder(_model("llama", seed, scale=1.0), tokenizer).session()
        session.feed(PROMPT)
        generation = session.choose_text(options)
        assert generation.text in options
        assert generation.stop_reason == "accepted"
        assert generation.model_calls <= 4 < len(generation.token_ids)


def test_teacher_forced_call_reproduces_the_target(tokenizer: PreTrainedTokenizerFast) -> None:
    target = '{"name": "spending", "arguments": {"period": "month:2026-03", "category": "Rent"}}'
    session = Decoder(_model("llama", seed=2), tokenizer).session()
    session.feed(PROMPT)
    result = session.tool_call(CALL_SCHEMA, target=target)
    assert result.call_text == target
    assert 0.0 < result.confidence <= 1.0
    assert result.generation.model_calls <= result.generation.chosen_tokens

    session = Decoder(_model("llama", seed=2), tokenizer).session()
    session.feed(PROMPT)
    with pytest.raises(DecodingError, match="not allowed"):
        session.tool_call(CALL_SCHEMA, target=target.replace("Rent", "Pets"))


def _conversation_turns(session: Session) -> tuple[str, str]:
    """Run turn one (a tool call) and prompt turn two; return both answers' texts."""
    session.feed(PROMPT)
    session.tool_call(CALL_SCHEMA)
    session.feed(TOOL_RESPONSE)
    first = session.generate(max_new_tokens=8).text
    session.feed("<|im_end|>\n<|im_start|>user\nAnd the month before?<|im_end|>\n")
    session.feed("<|im_start|>assistant\n")
    return first, session.tool_call(CALL_SCHEMA).call_text


def test_prefix_reuse_across_turns_matches_decoding_from_scratch(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    decoder = Decoder(_model("qwen2", seed=4), tokenizer)
    session = decoder.session()
    _conversation_turns(session)
    before, pending = session.prefilled_tokens, len(session.tokens) - session.cached_tokens
    assert 0 < pending < 4  # the call's last tokens wait for the next forward pass
    new_turn = "<|im_end|>\n<|im_start|>user\nWhat about rent?<|im_end|>\n<|im_start|>assistant\n"
    session.feed(new_turn)
    # only the new tokens and the pending ones reach the model, in one pass
    assert session.prefilled_tokens - before == len(decoder.encode(new_turn)) + pending
    continued = session.tool_call(CALL_SCHEMA)

    scratch = decoder.session()
    scratch.set_context(session.tokens[: -len(continued.generation.token_ids)])
    assert scratch.prefilled_tokens == len(scratch.tokens)
    from_scratch = scratch.tool_call(CALL_SCHEMA)
    assert from_scratch.call_text == continued.call_text
    for ours, theirs in zip(
        continued.generation.choices, from_scratch.generation.choices, strict=True
    ):
        assert ours.token_id == theirs.token_id
        assert ours.probability == pytest.approx(theirs.probability, abs=1e-5)


def test_set_context_reuses_the_shared_prefix_and_recomputes_the_rest(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    decoder = Decoder(_model("llama", seed=6), tokenizer)
    session = decoder.session()
    session.set_context(PROMPT)
    edited = PROMPT.replace("groceries last month", "rent this year")
    shared = 0
    for a, b in zip(decoder.encode(PROMPT), decoder.encode(edited), strict=False):
        if a != b:
            break
        shared += 1
    assert session.set_context(edited) == shared
    assert session.tokens == tuple(decoder.encode(edited))
    reused = session.generate(max_new_tokens=6)

    fresh = decoder.session()
    fresh.set_context(edited)
    assert reused.token_ids == fresh.generate(max_new_tokens=6).token_ids

    # a context that is a strict prefix of the cache: drop the tail, recompute the last token
    assert session.set_context(edited) == len(decoder.encode(edited))
    assert session.generate(max_new_tokens=6).token_ids == reused.token_ids


def test_confidence_is_a_probability_and_drops_when_logits_are_flattened(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    model = _model("llama", seed=7, tie=False, scale=1.0)
    sharp = Decoder(model, tokenizer).session()
    sharp.feed(PROMPT)
    sharp_call = sharp.tool_call(ENUM_SCHEMA)

    with torch.no_grad():
        model.lm_head.weight.mul_(0.05)  # same argmax everywhere, flatter softmax
    flat = Decoder(model, tokenizer).session()
    flat.feed(PROMPT)
    flat_call = flat.tool_call(ENUM_SCHEMA)

    assert flat_call.call_text == sharp_call.call_text
    assert 0.0 < flat_call.confidence < sharp_call.confidence <= 1.0
    for choice in flat_call.generation.choices:
        assert 0.0 < choice.probability <= 1.0
        if not choice.forced:
            assert choice.alternative is not None
            assert choice.alternative_probability <= choice.probability


def test_field_confidence_names_each_argument(tokenizer: PreTrainedTokenizerFast) -> None:
    session = Decoder(_model("llama", seed=8, scale=1.0), tokenizer).session()
    session.feed(PROMPT)
    result = session.tool_call(ENUM_SCHEMA)
    call = json.loads(result.call_text)
    expected = {"name", "arguments"} | {f"arguments.{key}" for key in call["arguments"]}
    assert set(result.field_confidence) == expected
    assert min(result.field_confidence.values()) == result.confidence
    worst = result.least_certain_field
    assert worst is not None and result.field_confidence[worst] == result.confidence
    assert result.field_confidence["name"] == 1.0  # a single-tool schema forces the name


def _digit_loving(family: str, tokenizer: PreTrainedTokenizerFast) -> PreTrainedModel:
    """A model whose output layer strongly prefers digit tokens and ``<tool_call>``."""
    model = _model(family, seed=9, tie=False)
    head = model.lm_head
    biased = torch.nn.Linear(head.in_features, head.out_features, bias=True)
    favourites = [tokenizer.convert_tokens_to_ids(d) for d in "0123456789"]
    favourites.append(tokenizer.convert_tokens_to_ids("<tool_call>"))
    with torch.no_grad():
        biased.weight.copy_(head.weight)
        biased.bias.zero_()
        biased.bias[favourites] = 30.0
    model.lm_head = biased
    return model


def test_answers_cannot_contain_digits_when_forbidden(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    decoder = Decoder(_digit_loving("llama", tokenizer), tokenizer)
    free = decoder.session()
    free.feed(PROMPT)
    unconstrained = free.generate(max_new_tokens=10)
    assert re.search(r"\d", unconstrained.text)  # the model really wants digits
    assert "<tool_call>" not in unconstrained.text  # special tokens are never written

    session = decoder.session()
    session.feed(PROMPT)
    answer = session.generate(max_new_tokens=30, forbid_digits=True)
    assert answer.token_ids
    assert not re.search(r"\d", answer.text)
    assert not any(re.search(r"\d", choice.text) for choice in answer.choices)


def test_answer_stops_at_im_end_and_keeps_it_in_the_conversation(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    decoder = Decoder(_digit_loving("llama", tokenizer), tokenizer)
    session = decoder.session()
    session.feed(PROMPT)
    capped = session.generate(max_new_tokens=3)
    assert capped.stop_reason == "max_tokens" and len(capped.token_ids) == 3

    with torch.no_grad():
        decoder.model.lm_head.bias[im_end] = 100.0
    session = decoder.session()
    session.feed(PROMPT)
    stopped = session.generate(max_new_tokens=3)
    assert stopped.stop_reason == "stop_token" and stopped.text == ""
    assert session.tokens[-1] == im_end


def test_feeding_nothing_and_decoding_from_nothing(tokenizer: PreTrainedTokenizerFast) -> None:
    session = Decoder(_model("llama", seed=11), tokenizer).session()
    with pytest.raises(DecodingError, match="feed a prompt"):
        session.generate(max_new_tokens=2)
    session.feed([])
    assert session.tokens == () and session.model_calls == 0


def test_decoder_rejects_a_model_that_rescales_its_logits(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    model = _model("llama", seed=12)
    model.config.final_logit_softcapping = 30.0
    with pytest.raises(ValueError, match="linear projection"):
        Decoder(model, tokenizer)


def test_constrained_decoding_stops_on_end_of_turn_once_the_grammar_accepts(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    decoder = Decoder(_digit_loving("llama", tokenizer), tokenizer)
    with torch.no_grad():
        decoder.model.lm_head.bias[tokenizer.convert_tokens_to_ids("<|im_end|>")] = 100.0
    session = decoder.session()
    session.feed(PROMPT)
    grammar = LLMatcher.grammar_from_lark("start: /[a-z]{1,30}/\n")
    generation = session.generate_constrained(grammar)
    # <|im_end|> is not allowed before one letter, and wins as soon as it is
    assert generation.stop_reason == "stop_token"
    assert re.fullmatch(r"[a-z]+", generation.text) and len(generation.token_ids) == 1
    assert session.tokens[-1] == tokenizer.convert_tokens_to_ids("<|im_end|>")


def test_a_tool_call_that_does_not_fit_the_cap_is_an_error(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    decoder = Decoder(_model("llama", seed=13), tokenizer, DecodingConfig(max_tool_call_tokens=8))
    session = decoder.session()
    session.feed(PROMPT)
    with pytest.raises(DecodingError, match="did not finish within 8 tokens"):
        session.tool_call(CALL_SCHEMA)
