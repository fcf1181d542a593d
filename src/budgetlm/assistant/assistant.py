"""The assistant's loop: question -> safety gate -> tool call -> execute -> guarded answer.

One question at a time, with an optional ``Conversation`` that keeps the earlier exchanges so a
follow-up ("and the month before?") can refer to them. The language model only ever chooses a
tool call and phrases a result; every number comes from ``tools.execute`` and every answer
passes ``answer.checked_answer`` (the plain ``render`` is shown when the model's text fails).

Refusals: the safety gate (``safety.classify``) refuses regulated and harmful requests before
the model is asked. The model may decline too (``out_of_scope``), but not a question the gate is
sure is in scope: that is read as the model misunderstanding, and the user is asked to rephrase.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

from budgetlm.assistant import safety
from budgetlm.assistant.answer import checked_answer
from budgetlm.assistant.backends.base import (
    Backend,
    CallChoice,
    Message,
    call_message,
    tool_message,
)
from budgetlm.assistant.tools import ToolCall, ToolContext, ToolResult, execute
from budgetlm.errors import InputError

ReplyKind = Literal["answer", "clarification", "refusal", "educational"]
_REFUSED = ("regulated_advice", "harmful")
_NO_DETAIL = ("help", "clarify", "out_of_scope")
REPHRASE = (
    "I'm not sure what you'd like to know. You can ask about spending, income, bills, "
    "budgets, your balance forecast, goals or debts. Could you rephrase?"
)
"""Asked when the model is unsure which tool a question is for, or misread it."""
"""Calls that answer with a fixed text rather than figures: never worth a clarifying question."""


@dataclass(frozen=True)
class AssistantConfig:
    """How cautious the assistant is."""

    clarify_below: float = 0.3
    """Ask a clarifying question instead of answering when the model's confidence in its tool
    call is below this."""
    max_question_chars: int = 500
    """Longest question accepted."""
    history_exchanges: int = 2
    """Earlier question-and-answer exchanges shown to the model with a new question."""
    trust_gate_above: float = 0.5
    """When the safety gate is at least this sure a question is in scope (or educational) and
    the model still calls ``out_of_scope``, the model is taken to have misread it: the user is
    asked to rephrase (an educational question gets ``help``) instead of being refused. Chosen
    on the safety set's validation families with micro-0.4: refusal recall 0.995 (0.998
    without), false refusals 2.9% (25.5% without); ``benchmarks/RESULTS.md``."""


@dataclass(frozen=True)
class Reply:
    """One answered question, with everything needed to audit it."""

    question: str
    """The question as asked."""
    answer: str
    """The text shown to the user."""
    kind: ReplyKind
    """An answer from a tool, a clarifying question, a refusal or an educational answer."""
    tool_calls: tuple[ToolCall, ...]
    """Calls made (empty for a refusal from the safety gate)."""
    results: tuple[ToolResult, ...]
    """Their results."""
    confidence: float
    """The model's confidence in its call (the safety gate's for refusals)."""
    model: str
    """The backend that chose the call."""
    latency_ms: float = 0.0
    """Wall time from question to answer."""
    fallback: bool = False
    """True when the model's phrasing failed the guard and the plain answer is shown."""

    def to_json(self) -> dict[str, object]:
        """The ``ask --json`` object."""
        return {
            "question": self.question,
            "answer": self.answer,
            "kind": self.kind,
            "tool_calls": [
                {"name": c.name, "arguments": dict(c.arguments)} for c in self.tool_calls
            ],
            "results": [r.to_json() for r in self.results],
            "confidence": round(self.confidence, 4),
            "latency_ms": round(self.latency_ms, 2),
            "model": self.model,
            "fallback": self.fallback,
        }


@dataclass
class Conversation:
    """Earlier exchanges of a chat, in the OpenAI message form."""

    messages: list[Message] = field(default_factory=list)
    """User questions, assistant calls, tool results and answers, oldest first."""

    def recent(self, exchanges: int) -> list[Message]:
        """The messages of the last ``exchanges`` questions."""
        starts = [i for i, m in enumerate(self.messages) if m.get("role") == "user"]
        if exchanges <= 0 or not starts:
            return []
        return self.messages[starts[-exchanges] if len(starts) >= exchanges else 0 :]


def checked_question(question: str, max_chars: int) -> str:
    """The question without surrounding space.

    Raises:
        InputError: The question is empty or longer than ``max_chars``.
    """
    question = question.strip()
    if not question:
        raise InputError("the question is empty")
    if len(question) > max_chars:
        raise InputError(
            f"the question is {len(question)} characters long; the limit is {max_chars}"
        )
    return question


class Assistant:
    """Answers questions about one household's money.

    Args:
        backend: The language model that chooses tool calls and phrases results.
        context: The household's ledger as the tools read it.
        config: Thresholds and limits.
        clock: Seconds as a float, for ``Reply.latency_ms`` (``time.perf_counter``).
    """

    def __init__(
        self,
        backend: Backend,
        context: ToolContext,
        config: AssistantConfig | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.backend = backend
        self.context = context
        self.config = config or AssistantConfig()
        self._clock = clock

    def ask(self, question: str, conversation: Conversation | None = None) -> Reply:
        """Answer ``question``, continuing ``conversation`` when one is given (and extending it).

        Raises:
            InputError: The question is empty or longer than ``max_question_chars``.
        """
        started = self._clock()
        question = checked_question(question, self.config.max_question_chars)
        conversation = conversation if conversation is not None else Conversation()
        history = conversation.recent(self.config.history_exchanges)
        reply, added = self._answer(question, history)
        conversation.messages.extend(added)
        return replace(reply, latency_ms=(self._clock() - started) * 1000.0)

    def _answer(self, question: str, history: list[Message]) -> tuple[Reply, list[Message]]:
        """The reply (latency not yet set) and the messages to add to the conversation."""
        asked: Message = {"role": "user", "content": question}
        verdict = safety.classify(question, payees=self.context.vocabulary.payees)
        if verdict.kind in _REFUSED:
            return self._refuse(question, verdict), []
        if verdict.kind == "educational":
            explained = safety.educational_answer(question)
            if explained is not None:
                reply = self._reply(question, explained, "educational", (), (), verdict.confidence)
                return reply, [
                    asked,
                    {"role": "assistant", "content": explained},
                ]
        messages = [*history, asked]
        choice = self.backend.choose_call(messages, self.context.vocabulary)
        misread = (
            choice.call.name == "out_of_scope"
            and verdict.kind in ("in_scope", "educational")
            and verdict.confidence >= self.config.trust_gate_above
        )
        if misread and verdict.kind == "educational":
            choice, misread = replace(choice, call=ToolCall("help", {})), False
        unsure = (
            choice.confidence < self.config.clarify_below and choice.call.name not in _NO_DETAIL
        )
        if misread or unsure:
            text = REPHRASE if misread else clarifying_question(choice)
            reply = self._reply(
                question, text, "clarification", (choice.call,), (), choice.confidence
            )
            return reply, [
                asked,
                {"role": "assistant", "content": text},
            ]
        result = execute(choice.call, self.context)
        exchange = [asked, call_message(choice.call), tool_message(result)]
        checked = checked_answer(self.backend.phrase(messages + exchange[1:], result), result)
        kind: ReplyKind = "clarification" if choice.call.name == "clarify" else "answer"
        if choice.call.name == "out_of_scope":
            kind = "refusal"
        reply = self._reply(
            question, checked.text, kind, (choice.call,), (result,), choice.confidence
        )
        reply = replace(reply, fallback=checked.fallback)
        return reply, [*exchange, {"role": "assistant", "content": checked.text}]

    def _refuse(self, question: str, verdict: safety.SafetyVerdict) -> Reply:
        call = ToolCall("out_of_scope", {"reason": verdict.kind})
        result = execute(call, self.context)
        text = verdict.refusal or result.message
        return self._reply(question, text, "refusal", (call,), (result,), verdict.confidence)

    def _reply(
        self,
        question: str,
        answer: str,
        kind: ReplyKind,
        calls: tuple[ToolCall, ...],
        results: tuple[ToolResult, ...],
        confidence: float,
    ) -> Reply:
        return Reply(question, answer, kind, calls, results, confidence, self.backend.name)


def clarifying_question(choice: CallChoice) -> str:
    """What to ask when the model is unsure: name the competing values when it has them."""
    field_name, options = choice.uncertain, [o for o in choice.alternatives if o][:3]
    if field_name == "name" or field_name is None:
        return REPHRASE
    words = field_name.replace("_", " ")
    if len(options) >= 2:
        listed = ", ".join(options[:-1]) + f" or {options[-1]}"
        return f"Which {words} do you mean: {listed}?"
    return f"Could you tell me which {words} you mean?"
