"""What every language-model backend offers the assistant: choose a tool call, phrase a result.

The assistant never asks a backend for a number. ``choose_call`` returns a ``ToolCall`` (the
backend may constrain decoding to the tools' JSON schema, or validate afterwards) with a
confidence, and ``phrase`` returns the text of an answer to a tool result, which the guard in
``assistant.answer`` checks before anyone sees it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from budgetlm.assistant.tools import ToolCall, ToolResult, Vocabulary
from budgetlm.errors import BudgetlmError

Message = dict[str, object]
"""One chat message in the OpenAI form: ``role`` plus ``content`` or ``tool_calls``."""


class BackendError(BudgetlmError):
    """A backend that cannot be opened or that failed to answer."""


@dataclass(frozen=True)
class CallChoice:
    """The tool call a backend chose, and how sure it was."""

    call: ToolCall
    """The call, valid against the tools' schema."""
    confidence: float
    """0..1: the lowest probability among the tokens the model chose (1.0 when the backend
    reports none)."""
    uncertain: str | None = None
    """The argument the model was least sure of (``"name"`` for the tool itself), if known."""
    alternatives: tuple[str, ...] = ()
    """Values the model weighed for ``uncertain``, most likely first (the chosen one included)."""


class Backend(Protocol):
    """A language model that picks tools and phrases their results."""

    @property
    def name(self) -> str:
        """Model name and version, as shown in replies and audit trails."""
        ...

    def choose_call(self, messages: Sequence[Message], vocabulary: Vocabulary) -> CallChoice:
        """The tool call answering the last user message of ``messages``."""
        ...

    def phrase(self, messages: Sequence[Message], result: ToolResult) -> str:
        """The answer text for ``result``; ``messages`` end with the call and the tool's reply.

        The text may use ``{placeholders}`` for the result's figures (the micro model does) or
        write the numbers out (larger models do); either way the guard checks it.
        """
        ...


def call_message(call: ToolCall) -> Message:
    """The assistant message that makes ``call``, in the OpenAI form."""
    return {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_0",
                "type": "function",
                "function": {"name": call.name, "arguments": dict(call.arguments)},
            }
        ],
    }


def tool_message(result: ToolResult) -> Message:
    """The tool message that carries ``result`` back to the model (compact JSON)."""
    return {"role": "tool", "tool_call_id": "call_0", "content": result.to_prompt()}


def last_question(messages: Sequence[Message]) -> str:
    """The text of the last user message."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return str(message.get("content") or "")
    raise BackendError("the conversation has no user message")
