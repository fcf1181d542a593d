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
    """OpenAI-form messages, without the system message."""
    tools: tuple[Mapping[str, Any], ...]
    """The OpenAI ``tools`` list the conversation may call."""
    meta: Mapping[str, Any] = field(default_factory=dict)
    """Task, source, split, template family and the like."""


def _with_system(example: Example) -> list[Message]:
    return [{"role": "system", "content": SYSTEM_PROMPT}, *example.messages]


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


def to_alpaca(example: Example) -> list[dict[str, Any]]:
    """One record per tool call and per answer (see the module docstring)."""
    tools = json.dumps(list(example.tools), ensure_ascii=False)
    records = []
    messages = list(example.messages)
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        earlier = messages[:index]
        question = next(m["content"] for m in reversed(earlier) if m["role"] == "user")
        history = _transcript(earlier[:-1])  # before this question
        if message.get("tool_calls"):
            context = f"Tools: {tools}" + (f"\n\nEarlier:\n{history}" if history else "")
            records.append(
                {"instruction": question, "input": context, "output": _call_text(message),
                 "system": SYSTEM_PROMPT}
            )  # fmt: skip
        else:
            records.append(
                {"instruction": question, "input": _transcript(earlier[-2:]),
                 "output": message["content"], "system": SYSTEM_PROMPT}
            )  # fmt: skip
    return records


_SHAREGPT_ROLES = {"user": "human", "tool": "observation", "assistant": "gpt"}


def to_sharegpt(example: Example) -> list[dict[str, Any]]:
    """The ShareGPT record with ``function_call`` and ``observation`` turns."""
    turns = []
    for message in example.messages:
        if message["role"] == "assistant" and message.get("tool_calls"):
            turns.append({"from": "function_call", "value": _call_text(message)})
        else:
            turns.append({"from": _SHAREGPT_ROLES[message["role"]], "value": message["content"]})
    return [
        {
            "conversations": turns,
            "system": SYSTEM_PROMPT,
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
