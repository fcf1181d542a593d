"""The chat format budgetlm trains and serves: ChatML with Qwen2.5-style tool calls.

One conversation renders as::

    <|im_start|>system\\n{system}<|im_end|>\\n
    <|im_start|>user\\n{question}<|im_end|>\\n
    <|im_start|>assistant\\n<tool_call>\\n{tool call JSON}\\n</tool_call><|im_end|>\\n
    <|im_start|>user\\n<tool_response>\\n{result}\\n</tool_response><|im_end|>\\n
    <|im_start|>assistant\\n{answer}<|im_end|>\\n

Messages are OpenAI-style dicts (``system``, ``user``, ``assistant`` with ``content`` or
``tool_calls``, ``tool``). The same format exists twice: `render` in Python and `CHAT_TEMPLATE` in
Jinja, which is stored with the tokenizer so that ``tokenizer.apply_chat_template`` (and every
tool built on it: TRL, llama.cpp, Ollama) produces the very text we trained on. Tests keep the two
identical.

Token ids are built segment by segment (`chat_segments`): the control tokens are inserted by id
and the text between them is encoded with special-token matching switched off, so text that
merely *looks* like ``<|im_end|>`` (a hostile payee name, say) can never become a control token.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

ENDOFTEXT = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
TOOL_CALL_START = "<tool_call>"
TOOL_CALL_END = "</tool_call>"
TOOL_RESPONSE_START = "<tool_response>"
TOOL_RESPONSE_END = "</tool_response>"
SPECIAL_TOKENS: tuple[str, ...] = (
    ENDOFTEXT,
    IM_START,
    IM_END,
    TOOL_CALL_START,
    TOOL_CALL_END,
    TOOL_RESPONSE_START,
    TOOL_RESPONSE_END,
)
"""The control tokens, in the order our tokenizer gives them ids 0..6."""

DEFAULT_SYSTEM_PROMPT = (
    "You are budgetlm, a private budgeting assistant. Call a tool to answer; never invent numbers."
)
"""System prompt used when a conversation does not start with its own."""

IGNORE_INDEX = -100
"""Label of tokens that carry no loss (PyTorch's cross-entropy default ``ignore_index``)."""

Message = Mapping[str, object]

CHAT_TEMPLATE = (
    "{%- if not messages or messages[0]['role'] != 'system' -%}"
    "{{- '<|im_start|>system\\n' ~ " + json.dumps(DEFAULT_SYSTEM_PROMPT) + " ~ '<|im_end|>\\n' -}}"
    "{%- endif -%}"
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'system' or message['role'] == 'user' -%}"
    "{{- '<|im_start|>' ~ message['role'] ~ '\\n' ~ message['content'] ~ '<|im_end|>\\n' -}}"
    "{%- elif message['role'] == 'assistant' -%}"
    "{{- '<|im_start|>assistant\\n' -}}"
    "{%- if message['content'] -%}{{- message['content'] -}}{%- endif -%}"
    "{%- for tool_call in message['tool_calls'] or [] -%}"
    "{%- if tool_call['function'] is defined -%}{%- set tool_call = tool_call['function'] -%}"
    "{%- endif -%}"
    "{%- if message['content'] or not loop.first -%}{{- '\\n' -}}{%- endif -%}"
    "{{- '<tool_call>\\n' -}}"
    "{%- if tool_call['arguments'] is string -%}"
    "{{- '{\"name\": ' ~ (tool_call['name'] | tojson) ~ ', \"arguments\": '"
    " ~ tool_call['arguments'] ~ '}' -}}"
    "{%- else -%}"
    "{{- {'name': tool_call['name'], 'arguments': tool_call['arguments']} | tojson -}}"
    "{%- endif -%}"
    "{{- '\\n</tool_call>' -}}"
    "{%- endfor -%}"
    "{{- '<|im_end|>\\n' -}}"
    "{%- elif message['role'] == 'tool' -%}"
    "{%- if loop.first or messages[loop.index0 - 1]['role'] != 'tool' -%}"
    "{{- '<|im_start|>user' -}}{%- endif -%}"
    "{{- '\\n<tool_response>\\n' ~ message['content'] ~ '\\n</tool_response>' -}}"
    "{%- if loop.last or messages[loop.index0 + 1]['role'] != 'tool' -%}"
    "{{- '<|im_end|>\\n' -}}{%- endif -%}"
    "{%- else -%}"
    "{{- raise_exception('unknown chat role: ' ~ message['role']) -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)
"""The chat format as a Hugging Face Jinja chat template (stored in ``tokenizer_config.json``).

It renders exactly like `render`, with one difference: tool-call ``arguments`` given as a JSON
*string* are copied verbatim here, while `render` re-serialises them canonically. Pass arguments as
dicts (or canonical strings) to get identical text."""


class ChatFormatError(ValueError):
    """A message that the chat format cannot express (unknown role, missing content...)."""


class Segment(NamedTuple):
    """A piece of a rendered conversation."""

    text: str
    """The characters of this piece."""
    control: bool
    """True for a control token (one of `SPECIAL_TOKENS`), encoded by id."""
    trained: bool
    """True for what the assistant says: the pieces that carry training loss."""


def tool_call_json(name: str, arguments: Mapping[str, object] | str) -> str:
    """Return the canonical text of a tool call: ``{"name": ..., "arguments": {...}}``.

    Args:
        name: Tool name.
        arguments: Arguments as a mapping, or as a JSON object string (parsed, order kept).

    Raises:
        ChatFormatError: When a string is not a JSON object.
    """
    if isinstance(arguments, str):
        try:
            parsed = json.loads(arguments)
        except json.JSONDecodeError as error:
            raise ChatFormatError(f"tool call {name!r}: arguments are not JSON: {error}") from None
        if not isinstance(parsed, dict):
            raise ChatFormatError(f"tool call {name!r}: arguments must be a JSON object")
        arguments = parsed
    return json.dumps({"name": name, "arguments": dict(arguments)}, ensure_ascii=False)


def _text(message: Message, key: str = "content") -> str:
    value = message.get(key)
    if not isinstance(value, str):
        raise ChatFormatError(f"{message.get('role')} message needs a string {key!r}")
    return value


def _tool_call_segments(message: Message) -> list[Segment]:
    content = message.get("content") or ""
    if not isinstance(content, str):
        raise ChatFormatError("assistant content must be a string or None")
    segments = [Segment(content, False, True)] if content else []
    calls = message.get("tool_calls") or []
    if not isinstance(calls, Sequence):
        raise ChatFormatError("assistant tool_calls must be a list")
    for index, call in enumerate(calls):
        if not isinstance(call, Mapping):
            raise ChatFormatError("each tool call must be a dict")
        function = call.get("function", call)
        if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
            raise ChatFormatError("a tool call needs a function name")
        arguments = function.get("arguments", {})
        if not isinstance(arguments, Mapping | str):
            raise ChatFormatError(f"tool call {function['name']!r}: arguments must be a dict")
        if content or index:
            segments.append(Segment("\n", False, True))
        segments += [
            Segment(TOOL_CALL_START, True, True),
            Segment("\n" + tool_call_json(function["name"], arguments) + "\n", False, True),
            Segment(TOOL_CALL_END, True, True),
        ]
    return segments


def chat_segments(
    messages: Sequence[Message], *, add_generation_prompt: bool = False
) -> list[Segment]:
    """Split a conversation into control tokens and text, marking what the assistant says.

    Args:
        messages: OpenAI-style messages.
        add_generation_prompt: End with an open assistant turn for the model to complete.

    Returns:
        Segments whose texts, joined, equal `render` of the same arguments.

    Raises:
        ChatFormatError: For an unknown role or a malformed message.
    """
    segments: list[Segment] = []

    def turn(role: str, body: list[Segment], trained: bool = False) -> None:
        segments.extend([Segment(IM_START, True, False), Segment(role + "\n", False, False)])
        segments.extend(body)
        segments.extend([Segment(IM_END, True, trained), Segment("\n", False, False)])

    if not messages or messages[0].get("role") != "system":
        turn("system", [Segment(DEFAULT_SYSTEM_PROMPT, False, False)])
    for index, message in enumerate(messages):
        role = message.get("role")
        if role in ("system", "user"):
            turn(str(role), [Segment(_text(message), False, False)])
        elif role == "assistant":
            turn("assistant", _tool_call_segments(message), trained=True)
        elif role == "tool":
            first = index == 0 or messages[index - 1].get("role") != "tool"
            last = index == len(messages) - 1 or messages[index + 1].get("role") != "tool"
            if first:
                segments += [Segment(IM_START, True, False), Segment("user", False, False)]
            segments += [
                Segment("\n", False, False),
                Segment(TOOL_RESPONSE_START, True, False),
                Segment("\n" + _text(message) + "\n", False, False),
                Segment(TOOL_RESPONSE_END, True, False),
            ]
            if last:
                segments += [Segment(IM_END, True, False), Segment("\n", False, False)]
        else:
            raise ChatFormatError(f"unknown chat role: {role!r}")
    if add_generation_prompt:
        segments += [Segment(IM_START, True, False), Segment("assistant\n", False, False)]
    return segments


def render(messages: Sequence[Message], *, add_generation_prompt: bool = False) -> str:
    """Render a conversation as text in budgetlm's chat format.

    Args:
        messages: OpenAI-style messages; a default system prompt is added when the first
            message is not a system message.
        add_generation_prompt: End with ``<|im_start|>assistant\\n`` for the model to continue.

    Returns:
        The text, identical to ``tokenizer.apply_chat_template(messages, tokenize=False)``.
    """
    return "".join(
        segment.text
        for segment in chat_segments(messages, add_generation_prompt=add_generation_prompt)
    )


@lru_cache(maxsize=1024)
def _encode_text(tokenizer: PreTrainedTokenizerBase, text: str) -> tuple[int, ...]:
    """Ids of plain text (control-token look-alikes split), kept: a conversation's prompt is
    encoded again at every turn and step, and most of its pieces (the system prompt, the
    question) were encoded the step before. The cache holds the tokenizers it has seen alive,
    and assumes a tokenizer is not given new tokens after it first encoded text."""
    return tuple(tokenizer.encode(text, add_special_tokens=False, split_special_tokens=True))


def _encode_segments(
    segments: Sequence[Segment], tokenizer: PreTrainedTokenizerBase
) -> tuple[list[int], list[bool]]:
    """Token ids of segments and, per token, whether it carries loss."""
    ids: list[int] = []
    trained: list[bool] = []
    index = 0
    while index < len(segments):
        segment = segments[index]
        if segment.control:
            token_id = tokenizer.convert_tokens_to_ids(segment.text)
            if not isinstance(token_id, int) or token_id == tokenizer.unk_token_id:
                raise ChatFormatError(f"tokenizer lacks the control token {segment.text}")
            ids.append(token_id)
            trained.append(segment.trained)
            index += 1
            continue
        # Merge neighbouring text with the same training flag so it tokenizes as a whole.
        text = ""
        while (
            index < len(segments)
            and not segments[index].control
            and segments[index].trained == segment.trained
        ):
            text += segments[index].text
            index += 1
        piece = _encode_text(tokenizer, text)
        ids.extend(piece)
        trained.extend([segment.trained] * len(piece))
    return ids, trained


def encode_chat(
    messages: Sequence[Message],
    tokenizer: PreTrainedTokenizerBase,
    *,
    add_generation_prompt: bool = False,
) -> list[int]:
    """Token ids of a conversation; text never turns into control tokens.

    Args:
        messages: OpenAI-style messages.
        tokenizer: A tokenizer that has the control tokens of `SPECIAL_TOKENS`.
        add_generation_prompt: End with an open assistant turn (for generation).

    Returns:
        The ids; for text without control-token look-alikes they equal
        ``tokenizer.encode(render(messages), add_special_tokens=False)``.
    """
    segments = chat_segments(messages, add_generation_prompt=add_generation_prompt)
    return _encode_segments(segments, tokenizer)[0]


def encode_for_training(
    messages: Sequence[Message], tokenizer: PreTrainedTokenizerBase, max_length: int
) -> tuple[list[int], list[int]]:
    """Token ids and labels of a conversation, with loss only on the assistant's turns.

    Args:
        messages: OpenAI-style messages, usually ending with an assistant turn.
        tokenizer: A tokenizer that has the control tokens of `SPECIAL_TOKENS`.
        max_length: Keep at most this many tokens (the end of a longer conversation is cut).

    Returns:
        ``(input_ids, labels)`` of equal length. ``labels[i]`` is ``input_ids[i]`` inside what
        the assistant says (its answer or tool-call block, and the ``<|im_end|>`` that closes
        it) and `IGNORE_INDEX` everywhere else. Labels are not shifted; the model shifts them.
    """
    ids, trained = _encode_segments(chat_segments(messages), tokenizer)
    ids, trained = ids[:max_length], trained[:max_length]
    labels = [token if keep else IGNORE_INDEX for token, keep in zip(ids, trained, strict=True)]
    return ids, labels
