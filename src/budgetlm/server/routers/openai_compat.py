"""The OpenAI-compatible endpoint: ``GET /v1/models`` and ``POST /v1/chat/completions``, so any
OpenAI client (the official SDKs, LangChain, chat front ends) can talk to budgetlm.

Two modes, chosen by the request:

- **Assistant** (model ``budgetlm``, no ``tools``, the last message from the user): the last
  user message is the question and the earlier user and assistant messages the conversation;
  the assistant runs budgetlm's own tools over the caller's ledger and answers with exact
  figures. The response carries a non-standard ``budgetlm`` object (tool calls, results,
  confidence, kind) that OpenAI clients keep as an extra field.
- **Pass-through** (the request has ``tools``, or its last message is a tool result, or it names
  the raw model): the client runs its own tools. The local model picks one call among the
  client's tools under their JSON schemas (``server.passthrough``) or, once a tool result is
  last, writes the answer. ``tool_choice``: ``"none"`` writes text, ``"required"`` and a named
  function always call (the named one only), ``"auto"`` calls until a tool result is last and
  then writes text. One call per turn (no parallel calls). An ``openai:`` model is refused
  with a 400: the client can call that server itself.

Decoding is greedy: ``temperature`` and ``top_p`` are ignored, ``n`` above 1 is refused. In
assistant mode ``max_tokens`` is ignored too (an answer cut mid-figure would mislead; answers
are one or two sentences). Streaming (``stream: true``) sends the same completion as
``chat.completion.chunk`` events once it is computed: the assistant's answer word by word, a
generated answer token by token, a call as one ``tool_calls`` delta; then the chunk with
``finish_reason``, the usage chunk when ``stream_options.include_usage``, and ``data: [DONE]``.

Errors have OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}``, whatever raised
them (validation, a missing key, the assistant's input checks).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator, Mapping
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from budgetlm.errors import BudgetlmError, NotFoundError
from budgetlm.ledger.repository import Ledger
from budgetlm.server.audit import AuditLog, Prediction, split_model_name
from budgetlm.server.deps import (
    AssistantDep,
    AuditDep,
    CallerDep,
    ConfigDep,
    LedgerDep,
    TodayDep,
)
from budgetlm.server.openai_schemas import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Choice,
    ChunkChoice,
    ModelCard,
    ModelList,
    NamedToolChoice,
    ResponseMessage,
    Usage,
)
from budgetlm.server.passthrough import (
    Completion,
    ContextTooLong,
    ModelBusy,
    ModelFailure,
    Passthrough,
    UnsupportedBackend,
)

ASSISTANT_MODEL = "budgetlm"
"""The model id of assistant mode."""
_STARTED = int(time.time())
_SHOWN = ("question", "answer", "latency_ms")
"""``Reply.to_json`` keys left out of a completion's ``budgetlm`` object (the rest are there:
kind, tool_calls, results, confidence, model, fallback and any fallback details)."""
_ERROR_TYPES = {403: "permission_error", 429: "rate_limit_error"}
"""Error types other than ``invalid_request_error`` (OpenAI's type for 400, 401 and 404 too)."""


class OpenAIError(Exception):
    """An error to send in OpenAI's shape."""

    def __init__(
        self, status: int, message: str, *, code: str | None = None, param: str | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.param = status, message, code, param


def error_response(error: OpenAIError, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """``{"error": {...}}`` with the status of ``error``."""
    kind = _ERROR_TYPES.get(error.status, "server_error" if error.status >= 500 else "")
    body = {
        "message": error.message,
        "type": kind or "invalid_request_error",
        "param": error.param,
        "code": error.code,
    }
    return JSONResponse({"error": body}, status_code=error.status, headers=headers)


def _as_openai(exc: Exception) -> tuple[OpenAIError, Mapping[str, str] | None]:
    """The OpenAI error of anything a route or its dependencies raised."""
    if isinstance(exc, OpenAIError):
        return exc, None
    if isinstance(exc, RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ())[1:])
        if first.get("type") == "json_invalid":
            return OpenAIError(400, "the request body is not valid JSON", code="invalid_json"), None
        message = f"{where}: {first.get('msg', 'invalid request')}" if where else str(exc)
        return OpenAIError(400, message, code="invalid_request", param=where or None), None
    if isinstance(exc, HTTPException):
        code = "invalid_api_key" if exc.status_code == 401 else None
        return OpenAIError(exc.status_code, str(exc.detail), code=code), exc.headers
    if isinstance(exc, UnsupportedBackend):
        return OpenAIError(400, str(exc), code="unsupported_model_backend"), None
    if isinstance(exc, ContextTooLong):
        return OpenAIError(400, str(exc), param="messages", code="context_length_exceeded"), None
    if isinstance(exc, ModelBusy):
        return OpenAIError(503, str(exc), code="model_busy"), {"Retry-After": "1"}
    if isinstance(exc, ModelFailure):
        return OpenAIError(500, str(exc), code="model_error"), None
    if isinstance(exc, NotFoundError):
        return OpenAIError(404, str(exc)), None
    if isinstance(exc, BudgetlmError):  # InputError and the other refusals
        return OpenAIError(400, str(exc)), None
    raise exc


class OpenAIRoute(APIRoute):
    """A route whose errors, from validation and dependencies included, take OpenAI's shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except (OpenAIError, RequestValidationError, HTTPException, BudgetlmError) as exc:
                return error_response(*_as_openai(exc))

        return handle


router = APIRouter(prefix="/v1", tags=["openai"], route_class=OpenAIRoute)
_passthrough_lock = threading.Lock()


async def passthrough(request: Request, service: AssistantDep) -> Passthrough:
    """The process' pass-through decoder (one, sharing the assistant's model)."""
    with _passthrough_lock:
        found: Passthrough | None = getattr(request.app.state, "openai_passthrough", None)
        if found is None or found.service is not service:
            found = request.app.state.openai_passthrough = Passthrough(service)
        return found


PassthroughDep = Annotated[Passthrough, Depends(passthrough)]


def _model_ids(service: AssistantDep) -> list[str]:
    return list(dict.fromkeys([ASSISTANT_MODEL, service.config.model, service.model_name]))


@router.get("/models")
def list_models(who: CallerDep, service: AssistantDep) -> ModelList:
    """``budgetlm`` (assistant mode) and the raw model (pass-through), as configured."""
    served = [ASSISTANT_MODEL, service.config.model]
    return ModelList(data=[ModelCard(id=name, created=_STARTED) for name in served])


@router.post("/chat/completions", response_model=None)
def chat_completions(
    body: ChatCompletionRequest,
    ledger: LedgerDep,
    today: TodayDep,
    config: ConfigDep,
    service: AssistantDep,
    decoder: PassthroughDep,
    audit: AuditDep,
) -> JSONResponse | StreamingResponse:
    """A chat completion in assistant or pass-through mode (see the module docstring); the
    caller's key picks the ledger (``LedgerDep`` authenticates)."""
    if body.n is not None and body.n > 1:
        raise OpenAIError(400, "only n=1 is supported", param="n", code="unsupported_value")
    if body.model not in _model_ids(service):
        message = f"the model {body.model!r} does not exist; see GET /v1/models"
        raise OpenAIError(404, message, param="model", code="model_not_found")
    outcome: Completion | None = None
    if _assistant_mode(body):
        completion = _assistant_completion(body, ledger, today, config, service, decoder)
    else:
        started = time.perf_counter()
        outcome = _passthrough_outcome(body, decoder, today)
        completion = _completion(outcome, service.model_name, body)
        _audit_passthrough(audit, ledger, body, outcome, service.model_name, started)
    if not body.stream:
        return JSONResponse(completion.model_dump(mode="json"))
    include_usage = body.stream_options is not None and body.stream_options.include_usage
    events = _stream(completion, outcome, include_usage)
    return StreamingResponse(events, media_type="text/event-stream")


def _assistant_mode(body: ChatCompletionRequest) -> bool:
    return body.model == ASSISTANT_MODEL and not body.tools and body.messages[-1].role == "user"


def _assistant_completion(
    body: ChatCompletionRequest,
    ledger: LedgerDep,
    today: date,
    config: ConfigDep,
    service: AssistantDep,
    decoder: Passthrough,
) -> ChatCompletion:
    """Ask budgetlm's assistant the last user message, the earlier exchanges as context."""
    from budgetlm.assistant.assistant import Conversation

    question, max_chars = body.messages[-1].text, config.max_question_chars
    if len(question.strip()) > max_chars:
        message = f"the question is {len(question.strip())} characters; the limit is {max_chars}"
        raise OpenAIError(400, message, param="messages", code="question_too_long")
    earlier = [m.wire() for m in body.messages[:-1] if m.role in ("user", "assistant") and m.text]
    history = [{"role": m["role"], "content": m["content"]} for m in earlier]
    conversation = Conversation(list(history))
    reply = service.ask(ledger, today, question, conversation, endpoint="v1/chat/completions")
    shown = [*history, {"role": "user", "content": question}]
    prompt_tokens, completion_tokens = decoder.count_tokens(shown, reply.answer, today)
    found = reply.to_json()
    extras: dict[str, Any] = {"budgetlm": {k: v for k, v in found.items() if k not in _SHOWN}}
    return ChatCompletion(
        id=_completion_id(),
        created=int(time.time()),
        model=ASSISTANT_MODEL,
        choices=[Choice(message=ResponseMessage(content=reply.answer), finish_reason="stop")],
        usage=_usage(prompt_tokens, completion_tokens),
        **extras,
    )


def _passthrough_outcome(
    body: ChatCompletionRequest, decoder: Passthrough, today: date
) -> Completion:
    """The model's call among the client's tools, or its text."""
    messages = [m.wire() for m in body.messages]
    tools = [tool.function.model_dump(exclude_none=True) for tool in body.tools or ()]
    choice = body.tool_choice
    if isinstance(choice, NamedToolChoice):
        named = choice.function.name
        tools = [f for f in tools if f["name"] == named]
        if not tools:
            message = f"tool_choice names {named!r}, which is not among the tools"
            raise OpenAIError(400, message, param="tool_choice", code="invalid_value")
    wants_call = bool(tools) and (
        choice == "required"
        or isinstance(choice, NamedToolChoice)
        or (choice in (None, "auto") and body.messages[-1].role != "tool")
    )
    logprobs = bool(body.logprobs)
    if wants_call:
        return decoder.call(messages, tools, today, logprobs=logprobs)
    return decoder.answer(messages, tools, today, max_tokens=body.token_cap, logprobs=logprobs)


def _audit_passthrough(
    audit: AuditLog,
    ledger: Ledger,
    body: ChatCompletionRequest,
    outcome: Completion,
    model: str,
    started: float,
) -> None:
    """The pass-through prediction's audit row: the request hashed, the call or text kept."""
    name, version = split_model_name(model)
    call = None if outcome.call is None else asdict(outcome.call)
    audit.record(Prediction(
        ledger.workspace_id, "v1/chat/completions", name, version,
        input_payload=body.model_dump(mode="json", exclude_none=True),
        output={"call": call, "text": outcome.text, "finish_reason": outcome.finish_reason},
        confidence=None, latency_ms=(time.perf_counter() - started) * 1000.0,
    ))  # fmt: skip


def _completion(outcome: Completion, model: str, body: ChatCompletionRequest) -> ChatCompletion:
    calls = None
    if outcome.call is not None:
        calls = [
            {
                "id": f"call_{uuid.uuid4().hex[:24]}",
                "type": "function",
                "function": {"name": outcome.call.name, "arguments": outcome.call.arguments},
            }
        ]
    logprobs = {"content": list(outcome.logprobs), "refusal": None} if body.logprobs else None
    message = ResponseMessage(content=outcome.text, tool_calls=calls)
    return ChatCompletion(
        id=_completion_id(),
        created=int(time.time()),
        model=model,
        choices=[Choice(message=message, finish_reason=outcome.finish_reason, logprobs=logprobs)],
        usage=_usage(outcome.prompt_tokens, outcome.completion_tokens),
    )


def _stream(
    completion: ChatCompletion, outcome: Completion | None, include_usage: bool
) -> Iterator[str]:
    """The completion as server-sent events (``outcome`` gives a generated answer's tokens)."""
    choice = completion.choices[0]
    extras = (completion.model_extra or {}).get("budgetlm")

    def chunk(choices: list[ChunkChoice], **more: Any) -> str:
        made = ChatCompletionChunk(
            id=completion.id,
            created=completion.created,
            model=completion.model,
            choices=choices,
            **more,
        )
        return f"data: {json.dumps(made.model_dump(mode='json'), ensure_ascii=False)}\n\n"

    def event(deltas: dict[str, Any], finish: Any = None, **more: Any) -> str:
        return chunk([ChunkChoice(delta=deltas, finish_reason=finish)], **more)

    yield event({"role": "assistant", "content": ""})
    if choice.message.tool_calls:
        for index, call in enumerate(choice.message.tool_calls):
            yield event({"tool_calls": [{"index": index, **call}]})
    else:
        text = choice.message.content or ""
        pieces = outcome.pieces if outcome is not None else re.findall(r"\s*\S+\s*|\s+", text)
        for piece in pieces:
            yield event({"content": piece})
    final = {"budgetlm": extras} if extras is not None else {}
    yield event({}, choice.finish_reason, **final)
    if include_usage:
        yield chunk([], usage=completion.usage)
    yield "data: [DONE]\n\n"


def _usage(prompt_tokens: int, completion_tokens: int) -> Usage:
    return Usage(
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        total_tokens=prompt_tokens + completion_tokens,
    )


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"
