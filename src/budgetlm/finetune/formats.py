"""Training records in the formats fine-tuning tools read.

One :class:`Example` is a conversation in the OpenAI messages form (user, assistant with
``tool_calls``, ``tool``, assistant answer), the tools it may call (OpenAI ``tools`` list over
the household's own names) and its metadata. It is written as:

- ``chat``: ``{"messages": [...], "tools": [...]}``, the OpenAI fine-tuning form that most
  trainers (TRL's SFT, Axolotl, LLaMA-Factory's OpenAI style) accept; a system message first.
- ``alpaca``: one record per step, ``{"instruction", "input", "output", "system"}``: the tool
  call for each question (``input`` holds the earlier turns and the tools), then the answer to
  each tool result.
- ``sharegpt``: ``{"conversations": [{"from", "value"}...], "system", "tools"}`` with
  ``function_call`` and ``observation`` turns (LLaMA-Factory's ShareGPT with tools).
- ``full``: the chat form plus ``meta`` (task, source, split, template family, household).

The answers are the filled text (numbers written out), since a model tuned on these writes its
own numbers; the assistant's guard checks every one when it serves.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Format = Literal["chat", "alpaca", "sharegpt", "full"]
"""Output formats."""
FORMATS: tuple[Format, ...] = ("chat", "alpaca", "sharegpt", "full")
"""Every format, in documentation order."""
SYSTEM_PROMPT = (
    "You are budgetlm, a private budgeting assistant. Answer questions about the user's own "
    "money by calling one of the tools, then answer from the tool's result in one or two "
    "sentences, with its exact figures. Decline investment, tax, legal and harmful requests."
)
"""System message of every exported conversation."""

Message = dict[str, Any]


@dataclass(frozen=True)
class Example:
    """One conversation to train on."""

    messages: tuple[Message, ...]
    """OpenAI-form messages; a system message first only when the example needs its own (the
    writers give the others budgetlm's `SYSTEM_PROMPT`)."""
    tools: tuple[Mapping[str, Any], ...]
    """The OpenAI ``tools`` list the conversation may call."""
    meta: Mapping[str, Any] = field(default_factory=dict)
    """Task, source, split, template family and the like."""


MAX_PROMPT_ENUM = 8
"""Longer enums (categories, hundreds of payees) are left out of the tools a prompt shows."""


def prompt_tools(tools: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The tools as a prompt shows them: without regular-expression ``pattern``s and enums of
    more than `MAX_PROMPT_ENUM` values.

    Both are enforced by the decoder's grammar when the model serves (``lm.constraints``), and
    written out they would make the prompt tens of thousands of characters long (the period
    pattern alone is about a thousand, repeated in most tools): 35,642 characters for the 20
    tools of a synthetic household, 9,338 without them. Short enums (account kinds, debt
    strategies) stay. The same function shapes the exported files, the fine-tuning prompts and
    the ``hf:`` backend's prompts, so all three agree.
    """

    def shown(node: Any) -> Any:
        if isinstance(node, Mapping):
            return {
                key: shown(value)
                for key, value in node.items()
                if key != "pattern" and not (key == "enum" and len(value) > MAX_PROMPT_ENUM)
            }
        if isinstance(node, list):
            return [shown(item) for item in node]
        return node

    return [shown(tool) for tool in tools]


def _with_system(example: Example) -> list[Message]:
    """The messages, with budgetlm's system prompt first unless the example brings its own."""
    if example.messages and example.messages[0]["role"] == "system":
        return list(example.messages)
    return [{"role": "system", "content": SYSTEM_PROMPT}, *example.messages]


def _system(example: Example) -> str:
    return str(_with_system(example)[0]["content"])


def to_chat(example: Example) -> list[dict[str, Any]]:
    """The OpenAI fine-tuning record."""
    return [{"messages": _with_system(example), "tools": list(example.tools)}]


def to_full(example: Example) -> list[dict[str, Any]]:
    """The chat record with its metadata."""
    return [{**to_chat(example)[0], "meta": dict(example.meta)}]


def _call_text(message: Message) -> str:
    """An assistant tool-call message as ``{"name": ..., "arguments": {...}}`` JSON."""
    calls = []
    for call in message["tool_calls"]:
        arguments = call["function"]["arguments"]
        parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
        calls.append({"name": call["function"]["name"], "arguments": parsed})
    return json.dumps(calls[0] if len(calls) == 1 else calls, ensure_ascii=False)


def _transcript(messages: Sequence[Message]) -> str:
    """Earlier turns as plain text, one ``Role: text`` line each."""
    lines = []
    for message in messages:
        role = message["role"]
        if role == "assistant" and message.get("tool_calls"):
            lines.append(f"Tool call: {_call_text(message)}")
        elif role == "tool":
            lines.append(f"Tool result: {message['content']}")
        else:
            lines.append(f"{role.capitalize()}: {message['content']}")
    return "\n".join(lines)


def _body(example: Example) -> list[Message]:
    """The messages after the system message."""
    return _with_system(example)[1:]


def to_alpaca(example: Example) -> list[dict[str, Any]]:
    """One record per tool call and per answer (see the module docstring)."""
    tools = json.dumps(list(example.tools), ensure_ascii=False)
    system = _system(example)
    records = []
    messages = _body(example)
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        earlier = messages[:index]
        asked = max(i for i, m in enumerate(earlier) if m["role"] == "user")
        question = earlier[asked]["content"]
        if message.get("tool_calls"):
            history = _transcript(earlier[:asked])
            context = f"Tools: {tools}" + (f"\n\nEarlier:\n{history}" if history else "")
            records.append(
                {"instruction": question, "input": context, "output": _call_text(message),
                 "system": system}
            )  # fmt: skip
        else:  # the answer, from the tool call and result since the question (if any)
            records.append(
                {"instruction": question, "input": _transcript(earlier[asked + 1 :]),
                 "output": message["content"], "system": system}
            )  # fmt: skip
    return records


_SHAREGPT_ROLES = {"user": "human", "tool": "observation", "assistant": "gpt"}


def to_sharegpt(example: Example) -> list[dict[str, Any]]:
    """The ShareGPT record with ``function_call`` and ``observation`` turns."""
    turns = []
    for message in _body(example):
        if message["role"] == "assistant" and message.get("tool_calls"):
            turns.append({"from": "function_call", "value": _call_text(message)})
        else:
            turns.append({"from": _SHAREGPT_ROLES[message["role"]], "value": message["content"]})
    return [
        {
            "conversations": turns,
            "system": _system(example),
            "tools": json.dumps([t["function"] for t in example.tools], ensure_ascii=False),
        }
    ]


WRITERS: Mapping[Format, Callable[[Example], list[dict[str, Any]]]] = {
    "chat": to_chat,
    "alpaca": to_alpaca,
    "sharegpt": to_sharegpt,
    "full": to_full,
}
"""The records of one example in each format."""
