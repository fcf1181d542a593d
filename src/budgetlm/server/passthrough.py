"""The local model answering an OpenAI request in pass-through mode: the client brings its own
tools (and runs them), the model picks one call among them or writes text.

The client's ``tools`` become one decoding schema, ``anyOf`` the tools, each a call object
``{"name": <const>, "arguments": <the tool's parameters>}``, as ``assistant.tools.schema``
builds the assistant's own; ``lm.decoding.Session.tool_call`` decodes under it, so the call
always validates. Two changes make any client schema decodable by a small model in bounded time:

- a parameters object that does not say otherwise gets ``additionalProperties: false`` (the
  model fills only the declared arguments, as OpenAI's strict mode asks);
- a string with no length, enum, const, pattern or format gets ``maxLength``
  ``MAX_FREE_STRING_CHARS``, so a model that never closes a quote still ends within the cap.

The micro model was trained on budgetlm's chat format without tool descriptions, so it sees
only the conversation and the grammar guides it; ``hf:`` models get the tools in their own chat
template (``lm.hf_chat.ChatRenderer``), as the ``hf:`` backend does. ``openai:`` backends are not
served here (the router refuses with a 400): the client can call that server directly.

The model is shared with the assistant: decoding runs as one of the assistant service's model
calls (queued with its questions, its passes batched with theirs), in the session of the
backend the service gives the call. A request waits at most ``model_timeout_seconds`` for its
call to start (else ``ModelBusy``); once started, decoding ends within its token cap.
"""

from __future__ import annotations

import codecs
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from budgetlm.errors import BudgetlmError, InputError

if TYPE_CHECKING:
    from budgetlm.assistant.backends.base import Backend
    from budgetlm.assistant.backends.local import LocalBackend
    from budgetlm.lm.decoding import Generation, Session
    from budgetlm.lm.hf_chat import ChatRenderer
    from budgetlm.server.service import AssistantService

MAX_FREE_STRING_CHARS = 80
"""Longest value of a string argument whose schema sets no bound of its own."""
MAX_CALL_TOKENS = 512
"""Cap on a pass-through tool call's tokens, markers included."""
MAX_TEXT_TOKENS = 200
"""Default cap on a generated answer's tokens (a request's ``max_tokens`` lowers or raises it)."""

FinishReason = Literal["stop", "length", "tool_calls"]
T = TypeVar("T")
_BOUNDED = ("maxLength", "enum", "const", "pattern", "format")


class UnsupportedBackend(BudgetlmError):
    """Pass-through decoding needs a model in this process."""


class ContextTooLong(InputError):
    """A conversation that leaves the model too little room to answer."""


class ModelBusy(BudgetlmError):
    """The call did not start in time: earlier model calls held every slot."""


class ModelFailure(BudgetlmError):
    """The model could not produce a call within its token cap."""


@dataclass(frozen=True)
class ToolCallOut:
    """The call the model chose: a tool name and its arguments as JSON text."""

    name: str
    arguments: str


@dataclass(frozen=True)
class Completion:
    """What the model produced for one request."""

    finish_reason: FinishReason
    prompt_tokens: int
    completion_tokens: int
    text: str | None = None
    """The answer (None for a tool call)."""
    pieces: tuple[str, ...] = ()
    """The answer as decoded, token by token (whole characters), for streaming."""
    call: ToolCallOut | None = None
    logprobs: tuple[dict[str, Any], ...] = ()
    """OpenAI ``logprobs.content`` items, one per output token (forced tokens: logprob 0)."""


def call_schema(tools: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One schema whose instances are the calls of ``tools`` (OpenAI ``function`` objects).

    Raises:
        InputError: A tool whose parameters are not an object schema.
    """
    options = []
    for function in tools:
        parameters = dict(function.get("parameters") or {"type": "object", "properties": {}})
        if parameters.setdefault("type", "object") != "object":
            raise InputError(f"tool {function['name']!r}: parameters must be an object schema")
        parameters.setdefault("additionalProperties", False)
        options.append(
            {
                "type": "object",
                "properties": {
                    "name": {"const": function["name"]},
                    "arguments": _bounded(parameters),
                },
                "required": ["name", "arguments"],
                "additionalProperties": False,
            }
        )
    return {"anyOf": options}


def _bounded(node: Any) -> Any:
    """A copy of a schema whose unbounded strings get ``MAX_FREE_STRING_CHARS``."""
    if isinstance(node, list):
        return [_bounded(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    out = {key: _bounded(value) for key, value in node.items()}
    if out.get("type") == "string" and not any(key in out for key in _BOUNDED):
        out["maxLength"] = max(MAX_FREE_STRING_CHARS, out.get("minLength", 0))
    return out


class Passthrough:
    """Decodes calls and answers for OpenAI requests with the service's local model.

    Args:
        service: The assistant service whose backend and model calls are shared.
    """

    def __init__(self, service: AssistantService) -> None:
        self.service = service
        self._renderer: ChatRenderer | None = None

    def _local(self, today: date) -> LocalBackend:
        from budgetlm.assistant.backends.local import LocalBackend

        backend = self.service.backend(today)
        if not isinstance(backend, LocalBackend):
            raise UnsupportedBackend(
                f"this server's model is {backend.name}: requests with tools or tool results "
                "need a local model (micro or hf:); call that server directly instead"
            )
        return backend

    def _decode(self, today: date, work: Callable[[Session], T]) -> T:
        """``work`` as one of the service's model calls, in the session of the local backend
        the call is given.

        Raises:
            ModelBusy: The call did not start within ``model_timeout_seconds``.
        """

        def call(own: Backend) -> T:  # a fork of the local backend, or that backend itself
            return work(cast("LocalBackend", own).session)

        outcome = self.service.submit_model_call(call, today)
        try:
            return outcome.result(timeout=self.service.config.model_timeout_seconds)
        except TimeoutError:
            if outcome.cancel():
                raise ModelBusy("the model is busy with other requests; retry shortly") from None
            return outcome.result()  # started: it ends within its token cap

    def call(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]],
        today: date,
        *,
        logprobs: bool = False,
    ) -> Completion:
        """One call among ``tools`` (OpenAI ``function`` objects) answering ``messages``.

        Raises:
            InputError: Tools whose schemas cannot be compiled, or a conversation too long.
            UnsupportedBackend: The service's model is remote.
            ModelBusy: The call did not start in time.
            ModelFailure: No complete call within ``MAX_CALL_TOKENS``.
        """
        from budgetlm.lm.decoding import DecodingError, ToolCallGeneration

        schema = call_schema(tools)
        backend = self._local(today)
        try:
            backend.decoder.constraint(backend.decoder.tool_call_grammar(schema))
        except (DecodingError, ValueError) as error:
            reason = str(error).splitlines()[0]
            raise InputError(f"the tools' parameter schemas are not usable: {reason}") from None
        prompt = self._prompt(backend, messages, tools, MAX_CALL_TOKENS)

        def decode(session: Session) -> ToolCallGeneration:
            session.set_context(prompt)
            try:
                return session.tool_call(schema, max_new_tokens=MAX_CALL_TOKENS)
            except DecodingError as error:
                raise ModelFailure(str(error)) from None

        decoded = self._decode(today, decode)
        parsed = json.loads(decoded.call_text)
        arguments = json.dumps(parsed["arguments"], ensure_ascii=False)
        generation = decoded.generation
        return Completion(
            "tool_calls",
            len(prompt),
            len(generation.token_ids),
            call=ToolCallOut(parsed["name"], arguments),
            logprobs=_logprobs(generation) if logprobs else (),
        )

    def answer(
        self,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None,
        today: date,
        *,
        max_tokens: int | None = None,
        logprobs: bool = False,
    ) -> Completion:
        """Free text answering ``messages`` (greedy, until the end of the turn or the cap).

        Raises:
            InputError: A conversation too long for the model's context.
            UnsupportedBackend: The service's model is remote.
            ModelBusy: The call did not start in time.
        """
        limit = max_tokens or MAX_TEXT_TOKENS
        backend = self._local(today)
        prompt = self._prompt(backend, messages, tools, limit)

        def decode(session: Session) -> Generation:
            session.set_context(prompt)
            return session.generate(max_new_tokens=limit)

        generation = self._decode(today, decode)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pieces = [decoder.decode(backend.decoder.token_bytes(t)) for t in generation.token_ids]
        pieces.append(decoder.decode(b"", final=True))
        return Completion(
            "length" if generation.stop_reason == "max_tokens" else "stop",
            len(prompt),
            len(generation.token_ids),
            text=generation.text,
            pieces=tuple(piece for piece in pieces if piece),
            logprobs=_logprobs(generation) if logprobs else (),
        )

    def count_tokens(
        self, messages: Sequence[Mapping[str, Any]], answer: str, today: date
    ) -> tuple[int, int]:
        """Prompt and completion tokens of an assistant-mode exchange: counted with the local
        model's tokenizer (the conversation in its chat format), else about four characters a
        token, the usual rule of thumb for English text (also when the model cannot be opened
        and the reply was computed without it)."""
        from budgetlm.assistant.backends.local import LocalBackend

        try:
            backend = self.service.backend(today)
        except BudgetlmError:
            backend = None
        if isinstance(backend, LocalBackend):
            prompt = self._prompt(backend, messages, None, 0, check=False)
            return len(prompt), len(backend.tokenizer.encode(answer, add_special_tokens=False))
        chars = sum(len(str(m.get("content") or "")) for m in messages)
        return math.ceil(chars / 4), math.ceil(len(answer) / 4)

    def _prompt(
        self,
        backend: LocalBackend,
        messages: Sequence[Mapping[str, Any]],
        tools: Sequence[Mapping[str, Any]] | None,
        new_tokens: int,
        *,
        check: bool = True,
    ) -> list[int]:
        """The prompt's token ids in the model's chat format.

        Raises:
            InputError: A message the format cannot express, or a prompt that leaves fewer than
                ``new_tokens`` of the model's context.
        """
        from budgetlm.lm.hf_chat import ChatRenderer
        from budgetlm.lm.template import encode_chat

        if not backend.own_format and self._renderer is None:
            self._renderer = ChatRenderer(backend.tokenizer)

        wired = [{"type": "function", "function": dict(f)} for f in tools or ()]
        try:
            if backend.own_format:
                ids = encode_chat(messages, backend.tokenizer, add_generation_prompt=True)
            else:
                assert self._renderer is not None
                ids = self._renderer.prompt_ids(messages, wired or None)
        except ValueError as error:  # ChatFormatError, ChatTemplateError
            raise InputError(f"the messages cannot be rendered for this model: {error}") from None
        context = getattr(backend.decoder.model.config, "max_position_embeddings", None)
        if check and isinstance(context, int) and len(ids) + new_tokens > context:
            raise ContextTooLong(
                f"the conversation is {len(ids)} tokens long; with {new_tokens} to generate it "
                f"exceeds the model's context of {context} tokens"
            )
        return ids


def _logprobs(generation: Generation) -> tuple[dict[str, Any], ...]:
    """OpenAI ``logprobs.content`` items of a generation's tokens."""
    return tuple(
        {
            "token": choice.text,
            "logprob": 0.0 if choice.forced else math.log(max(choice.probability, 1e-12)),
            "bytes": list(choice.text.encode("utf-8")),
            "top_logprobs": [],
        }
        for choice in generation.choices
    )
