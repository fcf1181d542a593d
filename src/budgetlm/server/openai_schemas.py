"""Request and response bodies of the OpenAI-compatible endpoint (``/v1``), as OpenAI's chat
completions API defines them.

Requests ignore fields they do not know, as OpenAI's API does (``top_p``, ``seed``,
``parallel_tool_calls``, ``user``...), but the messages are checked: a known role, the content
each role needs, text-only content parts. Responses allow extra fields, so the assistant mode
can add its ``budgetlm`` object next to the standard ones (the ``openai`` client keeps unknown
fields and exposes them as attributes).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ContentPart(_Lenient):
    """One part of a message's content; only ``text`` parts are understood."""

    type: Literal["text"]
    text: str


class FunctionCall(_Lenient):
    """A call in an assistant message: the function and its arguments as JSON text."""

    name: str
    arguments: str


class ToolCall(_Lenient):
    """One tool call of an assistant message."""

    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class ChatMessage(_Lenient):
    """One message of the conversation."""

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> ChatMessage:
        if self.role == "assistant":
            if self.content is None and not self.tool_calls:
                raise ValueError("an assistant message needs content or tool_calls")
        elif self.content is None:
            raise ValueError(f"a {self.role} message needs content")
        if self.role == "tool" and not self.tool_call_id:
            raise ValueError("a tool message needs tool_call_id")
        return self

    @property
    def text(self) -> str:
        """The content as one string (text parts joined)."""
        if isinstance(self.content, list):
            return "".join(part.text for part in self.content)
        return self.content or ""

    def wire(self) -> dict[str, Any]:
        """The message as the chat formats take it (``developer`` read as ``system``)."""
        role = "system" if self.role == "developer" else self.role
        out: dict[str, Any] = {"role": role, "content": self.text or None}
        if self.role != "assistant":
            out["content"] = self.text
        if self.tool_calls:
            out["tool_calls"] = [call.model_dump() for call in self.tool_calls]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        return out


class FunctionDefinition(_Lenient):
    """A client's function: its name, description and parameters' JSON schema."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    description: str | None = None
    parameters: dict[str, Any] | None = None


class Tool(_Lenient):
    """One entry of a request's ``tools``."""

    type: Literal["function"]
    function: FunctionDefinition


class NamedFunction(_Lenient):
    """The function a ``tool_choice`` names."""

    name: str


class NamedToolChoice(_Lenient):
    """``{"type": "function", "function": {"name": ...}}``: call exactly this function."""

    type: Literal["function"]
    function: NamedFunction


class StreamOptions(_Lenient):
    """Options of a streamed response."""

    include_usage: bool = False


class ChatCompletionRequest(_Lenient):
    """``POST /v1/chat/completions``.

    ``temperature`` and ``top_p`` are accepted and ignored: decoding is greedy, so the same
    request always gets the same answer. ``n`` above 1 is refused.
    """

    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    tools: list[Tool] | None = None
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = None
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    n: int | None = Field(default=None, ge=1)
    logprobs: bool | None = None

    @property
    def token_cap(self) -> int | None:
        """The cap on generated tokens (``max_completion_tokens`` first, as OpenAI reads it)."""
        return self.max_completion_tokens or self.max_tokens


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Usage(BaseModel):
    """Tokens read and written."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ResponseMessage(BaseModel):
    """The assistant's message in a completion."""

    role: Literal["assistant"] = "assistant"
    content: str | None
    tool_calls: list[dict[str, Any]] | None = None
    refusal: str | None = None


class Choice(BaseModel):
    """The (only) choice of a completion."""

    index: int = 0
    message: ResponseMessage
    finish_reason: Literal["stop", "length", "tool_calls"]
    logprobs: dict[str, Any] | None = None


class ChatCompletion(_Open):
    """A ``chat.completion`` object."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    system_fingerprint: str | None = None


class ChunkChoice(BaseModel):
    """The choice of one streamed chunk: a delta of the message."""

    index: int = 0
    delta: dict[str, Any]
    finish_reason: Literal["stop", "length", "tool_calls"] | None = None
    logprobs: dict[str, Any] | None = None


class ChatCompletionChunk(_Open):
    """A ``chat.completion.chunk`` object (one ``data:`` line of a stream)."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None
    system_fingerprint: str | None = None


class ModelCard(BaseModel):
    """One served model."""

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "budgetlm"


class ModelList(BaseModel):
    """``GET /v1/models``."""

    object: Literal["list"] = "list"
    data: list[ModelCard]
