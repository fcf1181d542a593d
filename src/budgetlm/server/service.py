"""The assistant behind the server: one model backend per process, shared by the budget API's
``/ask`` and the OpenAI-compatible endpoint's assistant mode, guarded by a timeout and a circuit
breaker, and audited.

**Model calls at once.** Up to ``model_concurrency`` model calls run at once
(``model_thread.ModelThreads``), taken first come, first served. For a local model they run
interleaved in one thread, their forward passes as one batch (``lm.batching``); for a remote
one, on threads of their own. Each running call has a backend of its own, since a decoding
session holds one conversation's KV cache: a fork of the local model's backend (one model and
decoder for all), or the one backend for those that keep no conversation (remote, and the fakes
of tests). The backend is opened on first use, so a server that is only asked for ledger data
never loads a model.

**Timeout.** The request waits at most ``model_timeout_seconds`` for its call (queued and
running together), then answers without the model: ``busy`` if the call had not started (it is
dropped), ``timeout`` if it had. A thread cannot be killed, so a late call runs on and keeps
its thread until it finishes; with every thread stuck, questions are answered without the model
(and count as failures, so a hung backend soon opens the breaker).

**Breaker.** A call that raises or times out is a failure; ``breaker_failures`` in a row open the
breaker for ``breaker_cooldown_seconds``, during which the model is not asked at all. Then one
question probes it (``breaker.CircuitBreaker``).

**Fallback.** Without the model the service still answers, deterministically and saying so: the
same assistant loop runs with ``DeterministicBackend`` (the safety gate still refuses; a
question naming one of the user's categories or payees gets that spending for the period it
names, by the same mention linking the micro model's prompt uses; any other question gets the
budget status of the month), the answer starts with ``MODEL_UNAVAILABLE`` and the reply is a
``FallbackReply`` (``model_unavailable: true`` in its JSON, ``fallback`` true, model
``deterministic``). Such replies should not be cached.

**Context.** The tools' ``ToolContext`` (the workspace's history, budgets, goals and debts) is
built once per workspace, ledger version and day and kept (``derived.DerivedCache``, the
``context_entries`` most recent), instead of read from the ledger on every question.

**Audit.** Every ``ask`` adds an ``audit_records`` row (``server.audit``): the input's hash,
never the question. In the server it goes through the app's ``AuditLog`` (written in batches);
a service used on its own (``audit_log`` None) adds it to the ledger's session.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, fields
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from budgetlm import __version__
from budgetlm.assistant.assistant import (
    Assistant,
    AssistantConfig,
    Conversation,
    Reply,
    checked_question,
)
from budgetlm.assistant.backends.base import CallChoice, Message, last_question
from budgetlm.assistant.tools import ToolCall, ToolResult, Vocabulary
from budgetlm.server.audit import AuditLog, Prediction, record_prediction, split_model_name
from budgetlm.server.breaker import CircuitBreaker
from budgetlm.server.config import ServerConfig
from budgetlm.server.derived import DerivedCache
from budgetlm.server.model_thread import ModelThreads

if TYPE_CHECKING:
    from budgetlm.assistant.backends.base import Backend
    from budgetlm.assistant.tools import ToolContext
    from budgetlm.ledger.repository import Ledger
    from budgetlm.server.metrics import ServerMetrics

log = logging.getLogger(__name__)
T = TypeVar("T")

DETERMINISTIC = "deterministic"
"""The model name of answers computed without the model."""
MODEL_UNAVAILABLE = "The assistant model is unavailable right now, so this was computed without it:"
"""How a fallback answer begins."""
_PERIODS = (
    ("last month", "last_month"), ("this month", "this_month"), ("last week", "last_week"),
    ("this week", "this_week"), ("last year", "last_year"), ("this year", "this_year"),
    ("year to date", "ytd"), ("yesterday", "yesterday"), ("today", "today"),
)  # fmt: skip
_MONTHS = ("this_month", "last_month")


@dataclass(frozen=True)
class FallbackReply(Reply):
    """A reply computed without the model (it failed, was slow, or the breaker is open); its
    ``fallback`` is True and its ``model`` is ``DETERMINISTIC``."""

    reason: str = "error"
    """Why: ``error``, ``timeout``, ``busy`` (the call did not start in time: earlier calls held
    every slot)
    or ``circuit_open``."""

    def to_json(self) -> dict[str, object]:
        """``Reply.to_json`` plus ``model_unavailable`` and ``fallback_reason``."""
        return {**super().to_json(), "model_unavailable": True, "fallback_reason": self.reason}


class DeterministicBackend:
    """Chooses a tool by keywords and mentions, and leaves phrasing to ``answer.render``."""

    @property
    def name(self) -> str:
        """``deterministic``."""
        return DETERMINISTIC

    def choose_call(self, messages: Sequence[Message], vocabulary: Vocabulary) -> CallChoice:
        """Spending in a mentioned category or at a mentioned payee, else the budget status."""
        from budgetlm.assistant.linking import find_mentions

        question = last_question(messages)
        lowered = question.casefold()
        period = next((spec for words, spec in _PERIODS if words in lowered), "this_month")
        named = dict(reversed(find_mentions(question, vocabulary)))  # the first of each kind
        filters: dict[str, object] = {k: named[k] for k in ("category", "payee") if k in named}
        if filters and "budget" not in lowered:
            return CallChoice(ToolCall("spending", {"period": period, **filters}), 1.0)
        month = period if period in _MONTHS else "this_month"
        category = {"category": named["category"]} if "category" in named else {}
        return CallChoice(ToolCall("budget_status", {"period": month, **category}), 1.0)

    def phrase(self, messages: Sequence[Message], result: ToolResult) -> str:
        """Nothing: the guard then shows the plain ``render`` of the result."""
        return ""


class AssistantService:
    """Answers questions over a workspace's ledger with the configured backend.

    Args:
        config: Settings (model, timeout, breaker).
        metrics: Where model latency and fallbacks are counted (optional).
    """

    def __init__(self, config: ServerConfig, metrics: ServerMetrics | None = None) -> None:
        self.config = config
        self.metrics = metrics
        self.breaker = CircuitBreaker(config.breaker_failures, config.breaker_cooldown_seconds)
        self._backend: Backend | None = None
        self._contexts: DerivedCache[ToolContext] = DerivedCache(config.context_entries)
        at_once = config.resolved_model_concurrency
        self._model_threads = (
            ModelThreads(count=at_once) if config.remote_model else ModelThreads(width=at_once)
        )
        """Run every model call, on long-lived threads."""
        self._opening = threading.Lock()
        self._slot_backends: dict[int, tuple[Backend, Backend]] = {}
        """Each slot's (shared backend, its own backend) (see :meth:`_slot_backend`)."""
        self.audit_log: AuditLog | None = None
        """Where predictions are audited (the app sets it when it opens the ledger); None
        adds each row to the asking ledger's session."""

    def warm_up(self, today: date) -> None:
        """Open the backend now, so the first question is not timed out by the model's load."""
        self.backend(today)

    def backend(self, today: date) -> Backend:
        """The model backend, opened on first use (the one each running call's backend forks
        from)."""
        with self._opening:
            if self._backend is None:
                from budgetlm.assistant.backends import open_backend

                self._backend = open_backend(self.config.model, today)
            return self._backend

    def submit_model_call(self, call: Callable[[Backend], T], today: date) -> Future[T]:
        """Run ``call`` with a backend of its own, after the calls queued before it.

        Cancelling the future before the call starts drops it.
        """
        return self._model_threads.submit(lambda slot: call(self._slot_backend(slot, today)))

    def _slot_backend(self, slot: int, today: date) -> Backend:
        """The backend of the calls that run in ``slot``: a fork of the local model's backend,
        with a conversation of its own, or the shared backend when it keeps none."""
        from budgetlm.assistant.backends.local import LocalBackend

        shared = self.backend(today)
        known = self._slot_backends.get(slot)
        if known is not None and known[0] is shared:
            return known[1]
        own = shared.fork() if isinstance(shared, LocalBackend) else shared
        self._slot_backends[slot] = (shared, own)
        return own

    @property
    def model_name(self) -> str:
        """The backend's name, or the configured spec before it is opened."""
        return self._backend.name if self._backend is not None else self.config.model

    def ask(
        self,
        ledger: Ledger,
        today: date,
        question: str,
        conversation: Conversation | None = None,
        *,
        endpoint: str = "ask",
    ) -> Reply:
        """Answer ``question`` over ``ledger`` as of ``today`` (continuing ``conversation``),
        with the model when it answers in time, else deterministically (a ``FallbackReply``);
        the prediction is audited under ``endpoint``.

        Raises:
            InputError: An empty or too long question.
        """
        from budgetlm.assistant.tools import load_context

        self._check(question)
        started = time.perf_counter()
        context = self._contexts.get(ledger, today, lambda: load_context(ledger, today))
        history = list(conversation.messages) if conversation is not None else []
        reply = self._with_model(context, today, question, conversation)
        if isinstance(reply, str):
            reply = self._fallback(context, question, conversation, reason=reply)
        latency_ms = (time.perf_counter() - started) * 1000.0
        self._audit(ledger, endpoint, today, question, history, reply, latency_ms)
        return reply

    def _check(self, question: str) -> None:
        """The assistant's own input checks, made before the model is involved, so a bad
        question is the caller's 422 and never a model failure."""
        checked_question(question, self.config.max_question_chars)

    def _settings(self) -> AssistantConfig:
        return AssistantConfig(max_question_chars=self.config.max_question_chars)

    def _with_model(
        self, context: ToolContext, today: date, question: str, conversation: Conversation | None
    ) -> Reply | str:
        """The model's reply, or why there is none (``FallbackReply.reason``)."""
        if not self.breaker.allow():
            return "circuit_open"
        # The worker extends a copy, so a late call cannot touch the caller's conversation.
        private = Conversation(list(conversation.messages)) if conversation is not None else None

        def work(backend: Backend) -> Reply:
            began = time.perf_counter()
            try:
                reply = Assistant(backend, context, self._settings()).ask(question, private)
                self._observe("ok", began)
                return reply
            except Exception:  # any backend failure means: answer without it
                self._observe("error", began)
                raise

        outcome = self.submit_model_call(work, today)
        try:
            reply = outcome.result(timeout=self.config.model_timeout_seconds)
        except TimeoutError:
            self.breaker.failure()
            return "busy" if outcome.cancel() else "timeout"
        except Exception as error:
            log.warning("assistant model failed (%s); answering without it", type(error).__name__)
            self.breaker.failure()
            return "error"
        self.breaker.success()
        if conversation is not None and private is not None:
            conversation.messages[:] = private.messages
        return reply

    def _fallback(
        self, context: ToolContext, question: str, conversation: Conversation | None, reason: str
    ) -> FallbackReply:
        """The deterministic reply, flagged and saying so."""
        if self.metrics is not None:
            self.metrics.fallbacks.labels(reason).inc()
        log.warning("assistant answered without the model: %s", reason)
        plain = Assistant(DeterministicBackend(), context, self._settings()).ask(
            question, conversation
        )
        values = {f.name: getattr(plain, f.name) for f in fields(Reply)}
        values.update(answer=f"{MODEL_UNAVAILABLE} {plain.answer}", fallback=True)
        return FallbackReply(**values, reason=reason)

    def _observe(self, outcome: str, began: float) -> None:
        if self.metrics is not None:
            self.metrics.model_latency.labels(outcome).observe(time.perf_counter() - began)

    def _audit(
        self,
        ledger: Ledger,
        endpoint: str,
        today: date,
        question: str,
        history: list[Message],
        reply: Reply,
        latency_ms: float,
    ) -> None:
        """The prediction's audit row: the input hashed, the output without the question or
        the tools' results (ledger data the model did not predict)."""
        fell_back = isinstance(reply, FallbackReply)
        model, version = (
            (DETERMINISTIC, __version__) if fell_back else split_model_name(reply.model)
        )
        output = {
            key: value
            for key, value in reply.to_json().items()
            if key not in ("question", "results", "latency_ms", "model")
        }
        prediction = Prediction(
            ledger.workspace_id, endpoint, model, version, audit_input(question, history, today),
            output, None if fell_back else reply.confidence, latency_ms,
        )  # fmt: skip
        if self.audit_log is not None:
            self.audit_log.record(prediction)
        else:
            record_prediction(ledger.session, prediction)


def audit_input(question: str, history: Sequence[Message], today: date) -> dict[str, object]:
    """What an ``ask`` prediction's input hash covers: the question, the earlier messages and
    the day."""
    return {"question": question, "history": list(history), "today": today.isoformat()}
