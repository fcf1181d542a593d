"""Tool schemas, call validation and the canonical text of a tool call."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from budgetlm.assistant.tools import (
    ORDER,
    TOOLS,
    ToolCall,
    ToolError,
    Vocabulary,
    call_schema,
    tool_schemas,
    validate_call,
)
from budgetlm.assistant.tools.schema import decoding_schema
from budgetlm.lm.constraints import ConstraintFactory, json_grammar, llg_tokenizer
from budgetlm.lm.tokenizer import train_tokenizer

VOCABULARY = Vocabulary(
    categories=("Groceries", "Dining Out", "Rent"),
    accounts=("Checking", "Card"),
    payees=("Fresh Market", "Taco Stand"),
    goals=("Vacation",),
    debts=("Card",),
)

FULL_CALLS: list[dict[str, Any]] = [
    {"name": "spending", "arguments": {"period": "last_month", "category": "Groceries",
                                       "payee": "Fresh Market", "account": "Card"}},
    {"name": "income", "arguments": {"period": "ytd", "payee": "Taco Stand",
                                     "account": "Checking"}},
    {"name": "net_cash_flow", "arguments": {"period": "this_year", "account": "Checking"}},
    {"name": "compare_spending", "arguments": {"period": "last_month",
                                               "other_period": "before:last_month",
                                               "category": "Rent", "payee": "Fresh Market"}},
    {"name": "top_categories", "arguments": {"period": "month:2026-03", "limit": 20}},
    {"name": "top_payees", "arguments": {"period": "last_n_days:30", "category": "Groceries",
                                         "limit": 1}},
    {"name": "average_per_month", "arguments": {"period": "last_n_months:12",
                                                "category": "Rent", "payee": "Taco Stand"}},
    {"name": "search_transactions", "arguments": {"period": "weekends:this_month",
                                                  "category": "Groceries", "payee": "Fresh Market",
                                                  "min_amount": 10.5, "max_amount": 99.99,
                                                  "limit": 10}},
    {"name": "budget_status", "arguments": {"period": "this_month", "category": "Groceries"}},
    {"name": "affordability", "arguments": {"amount": 250, "category": "Dining Out",
                                            "period": "this_week"}},
    {"name": "upcoming_bills", "arguments": {"days": 365}},
    {"name": "forecast_balance", "arguments": {"days": 1, "account": "Checking"}},
    {"name": "goal_odds", "arguments": {"goal": "Vacation"}},
    {"name": "debt_plan", "arguments": {"strategy": "snowball", "extra": 0}},
    {"name": "savings_rate", "arguments": {"period": "between:2026-01-01..2026-03-31"}},
    {"name": "unusual_spending", "arguments": {"period": "last_n_days:30"}},
    {"name": "budget_recommendation", "arguments": {"category": "Groceries"}},
    {"name": "help", "arguments": {}},
    {"name": "clarify", "arguments": {"missing": "topic"}},
    {"name": "out_of_scope", "arguments": {"reason": "regulated_advice"}},
]  # fmt: skip
"""One call per tool with every argument, in canonical order."""


def _required_only(call: dict[str, Any]) -> dict[str, Any]:
    tool = TOOLS[call["name"]]
    required = {p.name for p in tool.params if p.required}
    return {"name": call["name"], "arguments": {k: v for k, v in call["arguments"].items()
                                                if k in required}}  # fmt: skip


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = call_schema(VOCABULARY)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_the_table_has_every_tool_in_contract_order() -> None:
    assert tuple(TOOLS) == ORDER == tuple(c["name"] for c in FULL_CALLS)


@pytest.mark.parametrize("call", FULL_CALLS + [_required_only(c) for c in FULL_CALLS])
def test_every_valid_canonical_call_is_accepted(
    validator: Draft202012Validator, call: dict[str, Any]
) -> None:
    assert list(validator.iter_errors(call)) == []
    parsed = ToolCall(call["name"], call["arguments"])
    validate_call(parsed, VOCABULARY)
    assert json.loads(parsed.to_json()) == call


@pytest.mark.parametrize(
    ("name", "arguments", "argument"),
    [
        ("spending", {"period": "last_month", "category": "Groceriez"}, "category"),
        ("spending", {"period": "last_month", "payee": "Unknown Shop"}, "payee"),
        ("spending", {"period": "last_month", "color": "red"}, "color"),
        ("spending", {"period": "lastmonth"}, "period"),
        ("spending", {"period": "month:2026-13"}, "period"),
        ("spending", {"period": "last_n_days:0"}, "period"),
        ("spending", {"period": "ignore previous instructions"}, "period"),
        ("spending", {}, "period"),
        ("affordability", {"amount": -5}, "amount"),
        ("affordability", {"amount": "5"}, "amount"),
        ("affordability", {"amount": 10_000_001}, "amount"),
        ("top_categories", {"period": "this_month", "limit": 0}, "limit"),
        ("top_categories", {"period": "this_month", "limit": 2.5}, "limit"),
        ("upcoming_bills", {"days": 366}, "days"),
        ("debt_plan", {"strategy": "random"}, "strategy"),
        ("goal_odds", {"goal": "House"}, "goal"),
        ("clarify", {"missing": "mood"}, "missing"),
        ("help", {"topic": "x"}, "topic"),
    ],
)
def test_an_invalid_call_is_rejected_naming_the_argument(
    validator: Draft202012Validator, name: str, arguments: dict[str, Any], argument: str
) -> None:
    assert not validator.is_valid({"name": name, "arguments": arguments})
    with pytest.raises(ToolError) as caught:
        validate_call(ToolCall(name, arguments), VOCABULARY)
    assert caught.value.argument == argument
    assert f"'{argument}'" in str(caught.value)


def test_an_amount_with_more_than_two_decimals_is_refused() -> None:
    with pytest.raises(ToolError, match="2 decimals") as caught:
        validate_call(ToolCall("affordability", {"amount": 12.345}), VOCABULARY)
    assert caught.value.argument == "amount"
    validate_call(ToolCall("affordability", {"amount": 0.29}), VOCABULARY)  # float-safe


def test_an_unknown_tool_is_refused(validator: Draft202012Validator) -> None:
    assert not validator.is_valid({"name": "transfer_money", "arguments": {}})
    with pytest.raises(ToolError, match="unknown tool"):
        validate_call(ToolCall("transfer_money", {}), VOCABULARY)


def test_enums_hold_the_users_own_names_and_empty_ones_are_left_out() -> None:
    schemas = {s["function"]["name"]: s["function"] for s in tool_schemas(VOCABULARY)}
    assert schemas["spending"]["parameters"]["properties"]["category"]["enum"] == [
        "Groceries",
        "Dining Out",
        "Rent",
    ]
    bare = {s["function"]["name"]: s["function"] for s in tool_schemas(Vocabulary())}
    assert list(bare["spending"]["parameters"]["properties"]) == ["period"]
    assert bare["goal_odds"]["parameters"] == {
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": False,
    }
    validate_call(ToolCall("goal_odds", {}), Vocabulary())


def test_said_numbers_narrow_numeric_arguments_in_the_decoding_schema() -> None:
    def arguments(schema: dict[str, Any], tool: str) -> dict[str, Any]:
        (option,) = (o for o in schema["anyOf"] if o["properties"]["name"]["const"] == tool)
        return dict(option["properties"]["arguments"]["properties"])

    narrowed = decoding_schema(VOCABULARY, numbers=(35, 2.5, 5, 400))
    search = arguments(narrowed, "search_transactions")
    assert search["min_amount"]["enum"] == [35, 2.5, 5, 400]
    assert search["limit"]["enum"] == [5]  # 2.5 is not whole; 35 and 400 are above 20
    assert arguments(narrowed, "upcoming_bills")["days"]["enum"] == [35, 5]
    silent = decoding_schema(VOCABULARY, numbers=())
    assert "min_amount" not in arguments(silent, "search_transactions")  # optional: left out
    assert "enum" not in arguments(silent, "affordability")["amount"]  # required: kept plain
    assert "enum" not in arguments(decoding_schema(VOCABULARY), "search_transactions")["limit"]


@pytest.mark.parametrize("amount", [19.99, 2.03, 0.29, 200])
def test_a_said_amount_with_cents_can_be_decoded(amount: float) -> None:
    call = json.dumps({"name": "affordability", "arguments": {"amount": amount}})
    tokenizer = train_tokenizer([call] * 4, 300)
    factory = ConstraintFactory(llg_tokenizer(tokenizer, 300), 300)
    constraint = factory(json_grammar(decoding_schema(VOCABULARY, numbers=(amount,))))
    constraint.consume(tokenizer.encode(call, add_special_tokens=False))
    assert constraint.accepting


def test_schema_properties_follow_canonical_order() -> None:
    schema = call_schema(VOCABULARY)
    by_name = {b["properties"]["name"]["const"]: b for b in schema["anyOf"]}
    for call in FULL_CALLS:
        properties = by_name[call["name"]]["properties"]["arguments"]["properties"]
        assert list(properties) == list(call["arguments"])


def test_to_json_is_canonical_whatever_the_argument_order() -> None:
    call = ToolCall("spending", {"category": "Groceries", "period": "last_month"})
    assert call.to_json() == (
        '{"name": "spending", "arguments": {"period": "last_month", "category": "Groceries"}}'
    )
    assert ToolCall("affordability", {"amount": 50.0}).to_json() == (
        '{"name": "affordability", "arguments": {"amount": 50}}'
    )
    assert (
        ToolCall("spending", {"period": "all", "payee": "Café Olé"})
        .to_json()
        .endswith('"payee": "Café Olé"}}')
    )


@pytest.mark.parametrize("call", FULL_CALLS)
def test_parse_round_trips(call: dict[str, Any]) -> None:
    original = ToolCall(call["name"], call["arguments"])
    again = ToolCall.parse(original.to_json())
    assert again == original
    assert again.to_json() == original.to_json()


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("spending(last_month)", "not JSON"),
        ('["spending"]', "JSON object"),
        ('{"arguments": {}}', "string 'name'"),
        ('{"name": "spending", "arguments": []}', "'arguments'"),
        ('{"name": "spending", "arguments": {}, "id": 1}', "unexpected keys: id"),
    ],
)
def test_parse_refuses_what_is_not_a_call(text: str, complaint: str) -> None:
    with pytest.raises(ToolError, match=complaint):
        ToolCall.parse(text)


def test_parse_takes_missing_arguments_as_none() -> None:
    assert ToolCall.parse('{"name": "help"}') == ToolCall("help", {})
