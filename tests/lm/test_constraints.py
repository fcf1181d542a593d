"""Grammar constraints, banned answer tokens and JSON field paths (lm/constraints.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from transformers import PreTrainedTokenizerFast

from budgetlm.lm.constraints import (
    ConstraintFactory,
    DecodingError,
    banned_answer_tokens,
    field_confidence,
    field_paths,
    json_grammar,
    llg_tokenizer,
    shared_definitions,
    tool_call_grammar,
)
from budgetlm.lm.tokenizer import train_tokenizer

VOCAB = 400
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"const": "spending"},
        "arguments": {
            "type": "object",
            "properties": {
                "period": {"type": "string", "pattern": r"^(last_month|month:\d{4}-\d{2})$"},
                "category": {"enum": ["Groceries", "Dining Out"]},
            },
            "required": ["period"],
            "additionalProperties": False,
        },
    },
    "required": ["name", "arguments"],
    "additionalProperties": False,
}
CALL = '{"name": "spending", "arguments": {"period": "month:2026-03", "category": "Groceries"}}'


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    text = f"<|im_start|>assistant\n<tool_call>\n{CALL}\n</tool_call><|im_end|>\nYou spent 12."
    return train_tokenizer([text] * 10, 340)


def _ids(tokenizer: PreTrainedTokenizerFast, text: str, *, specials: bool = True) -> list[int]:
    ids = tokenizer.encode(text, add_special_tokens=False, split_special_tokens=not specials)
    return [int(i) for i in ids]


def _factory(tokenizer: PreTrainedTokenizerFast) -> ConstraintFactory:
    return ConstraintFactory(llg_tokenizer(tokenizer, VOCAB), VOCAB)


def _markers(tokenizer: PreTrainedTokenizerFast) -> tuple[int, int]:
    return (
        tokenizer.convert_tokens_to_ids("<tool_call>"),
        tokenizer.convert_tokens_to_ids("</tool_call>"),
    )


def _accepts(tokenizer: PreTrainedTokenizerFast, grammar: str, ids: list[int]) -> bool:
    constraint = _factory(tokenizer)(grammar)
    try:
        constraint.consume(ids)
    except DecodingError:
        return False
    return constraint.accepting


def test_tool_call_grammar_accepts_exactly_the_canonical_wrapped_call(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    grammar = tool_call_grammar(SCHEMA, llg_tokenizer(tokenizer, VOCAB), *_markers(tokenizer))
    good = _ids(tokenizer, f"<tool_call>\n{CALL}\n</tool_call>")
    assert _accepts(tokenizer, grammar, good)
    for bad in (
        CALL.replace('": ', '":'),  # not the json.dumps layout
        CALL.replace("Groceries", "Rent"),  # not in the enum
        CALL.replace("month:2026-03", "month:26-03"),  # pattern
        '{"name": "spending", "arguments": {"category": "Groceries"}}',  # period is required
        CALL.replace('"}}', '", "payee": "Shell"}}'),  # no other arguments
    ):
        assert not _accepts(
            tokenizer, grammar, _ids(tokenizer, f"<tool_call>\n{bad}\n</tool_call>")
        )
    # the markers must be the special tokens, not look-alike text
    spoofed = _ids(tokenizer, "<tool_call>", specials=False) + good[1:]
    assert not _accepts(tokenizer, grammar, spoofed)


def _two_tools() -> dict[str, Any]:
    """Two tools that repeat the period, the category and an amount."""
    period = {"type": "string", "pattern": r"^(last_month|this_month)$", "description": "When."}
    category = {"enum": ["Groceries", "Dining Out"], "description": "Which."}
    amount = {"type": "number", "minimum": 0, "maximum": 1000, "multipleOf": 0.01}
    tools = []
    for name in ("spending", "budget"):
        arguments = {"period": period, "category": category, "amount": amount}
        if name == "budget":
            arguments["description"] = {"type": "string", "enum": ["a note"]}
        tools.append({
            "type": "object",
            "properties": {"name": {"const": name}, "arguments": {
                "type": "object", "properties": arguments, "required": ["period"],
                "additionalProperties": False}},
            "required": ["name", "arguments"],
            "additionalProperties": False,
        })  # fmt: skip
    return {"anyOf": tools}


def _resolved(node: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _resolved(definitions[node["$ref"].rsplit("/", 1)[1]], definitions)
        return {k: _resolved(v, definitions) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_resolved(item, definitions) for item in node]
    return node


def test_shared_definitions_write_the_same_schema_smaller() -> None:
    schema = _two_tools()
    shared = shared_definitions(schema)
    text = json.dumps(shared)
    assert len(shared["$defs"]) == 3  # the period, the category and the amount
    assert text.count("^(last_month|this_month)$") == 1 and text.count('"multipleOf"') == 1
    assert '"description": {' in text and '"description": "' not in text
    without_descriptions = json.loads(json.dumps(schema).replace(', "description": "When."', "")
                                      .replace(', "description": "Which."', ""))  # fmt: skip
    resolved = _resolved(shared, shared["$defs"])
    assert resolved == without_descriptions
    arguments = resolved["anyOf"][0]["properties"]["arguments"]["properties"]
    assert list(arguments) == ["period", "category", "amount"]  # key order kept
    assert json.dumps(schema) == json.dumps(_two_tools())  # the input is not changed
    with pytest.raises(ValueError, match=r"\$defs"):
        shared_definitions(shared)


def test_call_grammar_over_shared_definitions_keeps_key_order_and_cents(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    grammar = tool_call_grammar(_two_tools(), llg_tokenizer(tokenizer, VOCAB), *_markers(tokenizer))

    def wrapped(call: str) -> list[int]:
        return _ids(tokenizer, f"<tool_call>\n{call}\n</tool_call>")

    good = '{"name": "budget", "arguments": {"period": "last_month", "category": "Groceries", '
    assert _accepts(tokenizer, grammar, wrapped(good + '"amount": 2.03}}'))
    assert not _accepts(tokenizer, grammar, wrapped(good + '"amount": 2.033}}'))
    swapped = '{"name": "spending", "arguments": {"category": "Groceries", "period": "last_month"}}'
    assert not _accepts(tokenizer, grammar, wrapped(swapped))


def test_tool_call_grammar_forces_the_markers_and_keys(tokenizer: PreTrainedTokenizerFast) -> None:
    llg = llg_tokenizer(tokenizer, VOCAB)
    constraint = _factory(tokenizer)(tool_call_grammar(SCHEMA, llg, *_markers(tokenizer)))
    forced = constraint.forced()
    assert llg.decode_str(forced) == '<tool_call>\n{"name": "spending", "arguments": {"period": "'
    constraint.consume(forced)
    allowed = {llg.decode_str([int(i)]) for i in constraint.allowed()}
    assert {text[0] for text in allowed} == {"l", "m"}  # last_month | month:YYYY-MM
    assert not constraint.finished


def test_markers_fall_back_to_text_for_tokenizers_without_them(
    tokenizer: PreTrainedTokenizerFast,
) -> None:
    grammar = tool_call_grammar(SCHEMA, llg_tokenizer(tokenizer, VOCAB), None, None)
    plain = _ids(tokenizer, f"<tool_call>\n{CALL}\n</tool_call>", specials=False)
    assert _accepts(tokenizer, grammar, plain)


def test_constraints_from_one_grammar_are_independent(tokenizer: PreTrainedTokenizerFast) -> None:
    factory = _factory(tokenizer)
    grammar = json_grammar({"enum": ["Groceries", "Dining Out"]})
    first, second = factory(grammar), factory(grammar)
    first.consume(_ids(tokenizer, '"Groceries"'))
    assert first.finished and first.accepting
    assert not second.finished
    with pytest.raises(DecodingError):
        second.consume(_ids(tokenizer, '"Rent"'))


def test_invalid_grammar_is_a_decoding_error(tokenizer: PreTrainedTokenizerFast) -> None:
    with pytest.raises(DecodingError, match="invalid grammar"):
        _factory(tokenizer)("start: undefined_rule\n")


def test_llg_tokenizer_is_built_once_per_tokenizer(tokenizer: PreTrainedTokenizerFast) -> None:
    assert llg_tokenizer(tokenizer, VOCAB) is llg_tokenizer(tokenizer, VOCAB)
    with pytest.raises(ValueError, match="logits"):
        llg_tokenizer(tokenizer, len(tokenizer) - 1)


def test_banned_answer_tokens(tokenizer: PreTrainedTokenizerFast) -> None:
    llg = llg_tokenizer(tokenizer, VOCAB)
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    common: dict[str, Any] = {"tokenizer_size": len(tokenizer)}
    plain = set(
        banned_answer_tokens(
            llg, tokenizer.all_special_ids, [im_end], VOCAB, forbid_digits=False, **common
        ).tolist()
    )
    assert im_end not in plain
    assert set(tokenizer.all_special_ids) - {im_end} <= plain
    assert set(range(len(tokenizer), VOCAB)) <= plain  # padding logits
    assert not any(tokenizer.convert_tokens_to_ids(d) in plain for d in "0123456789")

    no_digits = set(
        banned_answer_tokens(
            llg, tokenizer.all_special_ids, [im_end], VOCAB, forbid_digits=True, **common
        ).tolist()
    )
    writes_digit = {
        t for t in range(len(tokenizer)) if any(c.isdigit() for c in llg.decode_str([t]))
    }
    assert writes_digit and writes_digit - set(tokenizer.all_special_ids) <= no_digits
    allowed = set(range(len(tokenizer))) - no_digits
    assert tokenizer.convert_tokens_to_ids("spending") in allowed


def test_field_paths_of_a_tool_call() -> None:
    document = CALL.encode()
    paths = field_paths(document)
    assert len(paths) == len(document)

    def path_of(fragment: str) -> set[str]:
        start = CALL.index(fragment)
        return set(paths[start : start + len(fragment)])

    assert path_of('"name": "spending"') == {"name"}
    assert path_of('"period": "month:2026-03"') == {"arguments.period"}
    assert path_of('"Groceries"') == {"arguments.category"}
    assert paths[0] == paths[-1] == ""  # the root braces
    assert paths[CALL.index('{"period"')] == "arguments"
    assert paths[CALL.index(', "category"')] == "arguments"  # the comma between arguments


def test_field_paths_handle_arrays_escapes_unicode_and_prefixes() -> None:
    text = '{"a": [1, {"b\\"x": "é\\"}"}], "n": -2.5e3, "t": true}'
    assert json.loads(text)["a"][1] == {'b"x': 'é"}'}
    document = text.encode()
    paths = field_paths(document)
    assert len(paths) == len(document)
    for fragment, path in {
        "1": "a.0",
        '"é\\"}"': 'a.1.b"x',
        "-2.5e3": "n",
        "true": "t",
    }.items():
        start = document.index(fragment.encode())
        assert set(paths[start : start + len(fragment.encode())]) == {path}, fragment
    # a prefix of a document (as while decoding) is scanned without error
    cut = document.index(b"-2.5")
    assert field_paths(document[:cut]) == paths[:cut]
    assert field_paths(b'{"arguments": {"per')[-4:] == ["arguments.per"] * 4


def test_field_confidence_takes_the_lowest_chosen_probability_per_field() -> None:
    pieces = [
        (b"<tool_call>", None),
        (b'\n{"', None),  # straddles the start of the JSON: forced anyway
        (b'name": "', None),
        (b"sp", 0.9),
        (b'ending", "arguments": {"', None),
        (b"per", 0.6),  # which argument comes first: counts for the key's field
        (b'iod": "', None),
        (b"last", 0.7),
        (b"_month", 0.4),
        (b'"', 0.8),
        (b"}}", 0.95),  # closing the arguments instead of adding one
        (b"\n</tool_call>", None),
    ]
    confidence = field_confidence([p[0] for p in pieces], [p[1] for p in pieces])
    assert confidence == {"name": 0.9, "arguments": 0.95, "arguments.period": 0.4}
