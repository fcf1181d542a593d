"""JSON schemas of the tools over a user's vocabulary, and validation of calls against them.

``tool_schemas`` gives the OpenAI ``tools`` list (for ``hf:``/``openai:`` backends);
``call_schema`` one schema whose instances are exactly the valid ``{"name", "arguments"}``
objects (for constrained decoding with llguidance); ``validate_call`` checks a call with
``jsonschema`` and names the argument at fault.

Enum parameters hold the user's own names. An enum whose vocabulary is empty (no goals, no
accounts) is left out of its tool's schema: a call cannot name what does not exist, and a tool
such as ``goal_odds`` is then called without it and answers that there is nothing to check.

Amounts are JSON numbers with at most 2 decimals. JSON Schema cannot say that reliably
(``multipleOf: 0.01`` rejects 0.29 in floating point), so the schema bounds them and
``validate_call`` checks the decimals itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from budgetlm.assistant.periods import PERIOD_PATTERN
from budgetlm.assistant.tools.base import Param, ToolCall, ToolError, Vocabulary

if TYPE_CHECKING:
    from budgetlm.assistant.tools.base import Tool

STRATEGIES = ("avalanche", "snowball", "hybrid")
"""Debt payoff strategies (``analytics.debt``)."""
MISSING = ("amount", "category", "period", "goal", "account", "topic")
"""What a clarifying question can ask for."""
REASONS = ("regulated_advice", "harmful", "unrelated")
"""Why a question is out of scope: investment/tax/legal advice, harm, or not about money."""
MAX_AMOUNT = 10_000_000
"""Largest amount an argument may hold."""
LIMITS = {"limit": (1, 20), "days": (1, 365)}
"""Bounds of the integer kinds."""

_ENUM_SOURCES = {
    "category": "categories",
    "payee": "payees",
    "account": "accounts",
    "goal": "goals",
}
"""Enum kinds filled from the vocabulary, and the ``Vocabulary`` field each reads."""
_FIXED_ENUMS: dict[str, tuple[str, ...]] = {
    "strategy": STRATEGIES,
    "missing": MISSING,
    "reason": REASONS,
}


def param_schema(param: Param, vocabulary: Vocabulary) -> dict[str, Any] | None:
    """The JSON schema of one parameter; None when its enum would be empty."""
    kind = param.kind
    schema: dict[str, Any]
    if kind == "period":
        schema = {"type": "string", "pattern": PERIOD_PATTERN}
    elif kind in _ENUM_SOURCES:
        values = getattr(vocabulary, _ENUM_SOURCES[kind])
        if not values:
            return None
        schema = {"type": "string", "enum": list(values)}
    elif kind in _FIXED_ENUMS:
        schema = {"type": "string", "enum": list(_FIXED_ENUMS[kind])}
    elif kind == "amount":
        schema = {"type": "number", "minimum": 0, "maximum": MAX_AMOUNT}
    else:
        low, high = LIMITS[kind]
        schema = {"type": "integer", "minimum": low, "maximum": high}
    return {**schema, "description": param.description}


def arguments_schema(tool: Tool, vocabulary: Vocabulary) -> dict[str, Any]:
    """The JSON schema of a tool's ``arguments`` object, properties in canonical order."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for param in tool.params:
        schema = param_schema(param, vocabulary)
        if schema is None:
            continue
        properties[param.name] = schema
        if param.required:
            required.append(param.name)
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def tool_schemas(vocabulary: Vocabulary) -> list[dict[str, Any]]:
    """Every tool in the OpenAI ``tools`` format:
    ``{"type": "function", "function": {"name", "description", "parameters"}}``."""
    from budgetlm.assistant.tools.registry import TOOLS

    return [
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": arguments_schema(tool, vocabulary),
            },
        }
        for tool in TOOLS.values()
    ]


def call_schema(vocabulary: Vocabulary) -> dict[str, Any]:
    """One schema whose instances are exactly the valid calls: ``anyOf`` over the tools, each
    ``{"name": <const>, "arguments": {...}}`` with no other keys."""
    from budgetlm.assistant.tools.registry import TOOLS

    return {
        "anyOf": [
            {
                "type": "object",
                "properties": {
                    "name": {"const": tool.name},
                    "arguments": arguments_schema(tool, vocabulary),
                },
                "required": ["name", "arguments"],
                "additionalProperties": False,
            }
            for tool in TOOLS.values()
        ]
    }


def decoding_schema(
    vocabulary: Vocabulary, numbers: Sequence[int | float] | None = None
) -> dict[str, Any]:
    """``call_schema`` for constrained decoding: amounts also carry ``multipleOf: 0.01``.

    llguidance enforces ``multipleOf`` exactly, so a decoded amount never has a third decimal;
    jsonschema evaluates it in floating point (and rejects 0.29), which is why ``call_schema``
    leaves it out and ``validate_call`` checks decimals itself. An amount narrowed to an
    ``enum`` of whole cents goes without it: llguidance 1.9 finds ``enum: [19.99]`` with
    ``multipleOf: 0.01`` unsatisfiable, and "Can I afford $19.99?" then had no call.

    Args:
        vocabulary: The user's names.
        numbers: When given, each numeric argument may only take one of these values (those in
            its bounds, whole ones for integers); an optional one that none fits is left out,
            a required one keeps its plain schema.
    """
    schema = call_schema(vocabulary)
    for option in schema["anyOf"]:
        arguments = option["properties"]["arguments"]
        required = set(arguments["required"])
        properties = {}
        for name, part in arguments["properties"].items():
            if part.get("type") not in ("number", "integer"):
                properties[name] = part
                continue
            allowed = None if numbers is None else _fitting(part, numbers)
            if allowed:
                properties[name] = {**part, "enum": allowed}
            elif allowed is None or name in required:
                properties[name] = (
                    {**part, "multipleOf": 0.01} if part["type"] == "number" else part
                )
        arguments["properties"] = properties
    return schema


def _fitting(part: Mapping[str, Any], numbers: Sequence[int | float]) -> list[int | float]:
    """The values of ``numbers`` that a numeric schema ``part`` accepts."""
    return [
        n
        for n in numbers
        if part["minimum"] <= n <= part["maximum"]
        and (part["type"] == "number" or float(n).is_integer())
        and _decimals(n) <= 2
    ]


@lru_cache(maxsize=64)
def _validator(name: str, vocabulary: Vocabulary) -> Draft202012Validator:
    from budgetlm.assistant.tools.registry import TOOLS

    return Draft202012Validator(arguments_schema(TOOLS[name], vocabulary))


def validate_call(call: ToolCall, vocabulary: Vocabulary) -> None:
    """Check a call against its tool's schema over ``vocabulary``.

    Raises:
        ToolError: Unknown tool, or an argument that is unknown, missing, of the wrong type,
            out of range, not in its enum, not a period, or an amount with more than 2
            decimals; ``ToolError.argument`` names it.
    """
    from budgetlm.assistant.tools.registry import TOOLS

    tool = TOOLS.get(call.name)
    if tool is None:
        raise ToolError(f"unknown tool {call.name!r}; known tools: {', '.join(TOOLS)}")
    errors = sorted(
        _validator(call.name, vocabulary).iter_errors(dict(call.arguments)),
        key=lambda e: (list(e.path), e.validator),
    )
    if errors:
        raise _explain(errors[0], call.arguments)
    for param in tool.params:
        value = call.arguments.get(param.name)
        if param.kind == "amount" and value is not None and _decimals(value) > 2:
            raise ToolError("an amount has at most 2 decimals", argument=param.name)


def _decimals(value: object) -> int:
    if not isinstance(value, int | float):
        return 0
    exponent = Decimal(repr(value)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _explain(error: ValidationError, arguments: Mapping[str, object]) -> ToolError:
    """A ``ToolError`` naming the argument a jsonschema error is about."""
    if error.path:
        name = str(error.path[0])
        value = arguments.get(name)
        if error.validator == "pattern":
            return ToolError(f"{value!r} is not a period such as last_month", argument=name)
        if error.validator == "enum":
            return ToolError(f"{value!r} is not one of the allowed values", argument=name)
        return ToolError(error.message, argument=name)
    if error.validator == "additionalProperties":
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        unknown = sorted(set(arguments) - set(schema.get("properties", {})))
        return ToolError("this tool takes no such argument", argument=unknown[0])
    if error.validator == "required":
        needed = error.validator_value if isinstance(error.validator_value, list) else []
        missing = [str(n) for n in needed if n not in arguments]
        return ToolError("this argument is required", argument=missing[0])
    return ToolError(error.message)
