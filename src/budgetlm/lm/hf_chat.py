"""Conversations as a Hugging Face model's own chat template renders them, with budgetlm's tool
format, for training (``budgetlm finetune``) and serving (the ``hf:`` backend) alike.

The most common failure of fine-tuning tools is a prompt layout at serving time that differs
from the one the model was trained on. Here one :class:`ChatRenderer` builds both: the serving
prompt of a turn is, token for token, the prefix of the training sequence before that turn's
answer (a test checks it on several templates). The layout:

- The system message is budgetlm's (``finetune.formats.SYSTEM_PROMPT``) unless the conversation
  brings one; templates with no system role get it at the start of the first user message.
- The tools' schemas, as ``finetune.formats.prompt_tools`` shortens them (the grammar enforces
  what it leaves out), go through the template's own ``tools=`` argument when the template uses
  it (Qwen2.5, Llama 3.x, Mistral); otherwise their JSON is appended to the system message.
- A tool call is the assistant's text ``<tool_call>\\n{"name": ..., "arguments": {...}}\\n
  </tool_call>``: the layout the decoder's grammar produces (``lm.constraints``), whatever the
  template would have made of ``tool_calls``. For Qwen2.5 both are the same text.
- A tool result is a ``tool`` message where the template renders one, else a user message
  holding ``<tool_response>\\n...\\n</tool_response>``.
- Text that looks like one of the tokenizer's control tokens is defused with a zero-width space
  (a template renders plain text, so ledger text could otherwise forge a turn).

What the template supports is found by rendering small probe conversations once, so any
template works without a table of model names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from budgetlm.finetune.formats import SYSTEM_PROMPT, prompt_tools
from budgetlm.lm.template import (
    IGNORE_INDEX,
    TOOL_CALL_END,
    TOOL_CALL_START,
    TOOL_RESPONSE_END,
    TOOL_RESPONSE_START,
    tool_call_json,
)

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

Message = Mapping[str, Any]
_ZERO_WIDTH = "\u200b"
_PROBE = "budgetlm-probe-7f3a"
_PROBE_TOOL = {
    "type": "function",
    "function": {"name": _PROBE, "description": "probe", "parameters": {"type": "object"}},
}


class ChatTemplateError(ValueError):
    """The tokenizer's chat template cannot render a conversation the way training needs."""


def call_text(message: Message) -> str:
    """An assistant message's tool call in budgetlm's tool format.

    Raises:
        ChatTemplateError: When the message holds no call, or more than one.
    """
    calls = message.get("tool_calls") or []
    if len(calls) != 1:
        raise ChatTemplateError(f"an assistant turn must hold exactly one tool call, not {calls}")
    function = calls[0]["function"]
    json_text = tool_call_json(function["name"], function["arguments"])
    return f"{TOOL_CALL_START}\n{json_text}\n{TOOL_CALL_END}"


class ChatRenderer:
    """Render and encode conversations for one tokenizer (see the module docstring).

    Args:
        tokenizer: A Hugging Face tokenizer with a chat template.
        system_prompt: The system message of conversations that bring none.

    Raises:
        ChatTemplateError: When the tokenizer has no chat template.
    """

    def __init__(
        self, tokenizer: PreTrainedTokenizerBase, system_prompt: str = SYSTEM_PROMPT
    ) -> None:
        if not tokenizer.chat_template:
            raise ChatTemplateError("the tokenizer has no chat template")
        self.tokenizer = tokenizer
        self.system_prompt = system_prompt
        self._specials = [str(t) for t in tokenizer.all_special_tokens if len(str(t)) > 1]

    # ---- what the template supports (probed once) ----

    def _try(self, messages: list[dict[str, Any]], **kwargs: Any) -> str | None:
        try:
            return self._apply(messages, **kwargs)
        except Exception:  # a template raising on a shape it does not support
            return None

    @cached_property
    def has_system_role(self) -> bool:
        """Whether the template renders a system message."""
        text = self._try([{"role": "system", "content": _PROBE}, {"role": "user", "content": "x"}])
        return text is not None and _PROBE in text

    @cached_property
    def has_tools_argument(self) -> bool:
        """Whether the template renders ``tools=`` itself."""
        system = [{"role": "system", "content": "s"}] if self.has_system_role else []
        text = self._try([*system, {"role": "user", "content": "x"}], tools=[_PROBE_TOOL])
        return text is not None and _PROBE in text

    @cached_property
    def has_tool_role(self) -> bool:
        """Whether the template renders ``tool`` messages."""
        text = self._try(
            [
                {"role": "user", "content": "x"},
                {"role": "assistant", "content": "y"},
                {"role": "tool", "content": _PROBE},
            ]
        )
        return text is not None and _PROBE in text

    # ---- rendering ----

    def _apply(self, messages: list[dict[str, Any]], **kwargs: Any) -> str:
        return str(self.tokenizer.apply_chat_template(messages, tokenize=False, **kwargs))

    def _defused(self, text: str) -> str:
        for token in self._specials:
            if token in text:
                text = text.replace(token, token[0] + _ZERO_WIDTH + token[1:])
        return text

    def template_messages(
        self, messages: Sequence[Message], tools: Sequence[Mapping[str, Any]] | None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None]:
        """The messages and ``tools=`` value handed to the template.

        Args:
            messages: OpenAI-form messages (system optional, assistant calls as ``tool_calls``).
            tools: The OpenAI ``tools`` list, or None for none.

        Returns:
            Plain-text messages in the layout of the module docstring, and the tools to pass
            to the template (None when they went into the system message).
        """
        system = self.system_prompt
        rest = list(messages)
        if rest and rest[0]["role"] == "system":
            system = str(rest.pop(0)["content"])
        shown_tools = prompt_tools(tools) if tools else None
        pass_tools = shown_tools if self.has_tools_argument else None
        if shown_tools and pass_tools is None:
            system += "\n\nTools (call one as <tool_call>{json}</tool_call>):\n" + json.dumps(
                shown_tools, ensure_ascii=False
            )
        out: list[dict[str, Any]] = []
        for message in rest:
            role = message["role"]
            if role == "assistant" and message.get("tool_calls"):
                out.append({"role": "assistant", "content": call_text(message)})
            elif role == "tool" and not self.has_tool_role:
                body = self._defused(str(message["content"]))
                content = f"{TOOL_RESPONSE_START}\n{body}\n{TOOL_RESPONSE_END}"
                out.append({"role": "user", "content": content})
            else:
                out.append({"role": role, "content": self._defused(str(message["content"]))})
        if self.has_system_role:
            out.insert(0, {"role": "system", "content": system})
        elif out and out[0]["role"] == "user":
            out[0] = {"role": "user", "content": f"{system}\n\n{out[0]['content']}"}
        return out, pass_tools

    def render(
        self,
        messages: Sequence[Message],
        tools: Sequence[Mapping[str, Any]] | None = None,
        *,
        add_generation_prompt: bool = False,
    ) -> str:
        """The conversation's text under the template."""
        shown, pass_tools = self.template_messages(messages, tools)
        return self._apply(shown, tools=pass_tools, add_generation_prompt=add_generation_prompt)

    def encode(self, text: str) -> list[int]:
        """Token ids of rendered text (its control tokens become special tokens)."""
        return [int(t) for t in self.tokenizer.encode(text, add_special_tokens=False)]

    def prompt_ids(
        self, messages: Sequence[Message], tools: Sequence[Mapping[str, Any]] | None = None
    ) -> list[int]:
        """The serving prompt: the conversation and an open assistant turn."""
        return self.encode(self.render(messages, tools, add_generation_prompt=True))

    def training_ids(
        self,
        messages: Sequence[Message],
        tools: Sequence[Mapping[str, Any]] | None = None,
        max_length: int | None = None,
    ) -> tuple[list[int], list[int]]:
        """Token ids and labels with loss only on the assistant's turns.

        Each assistant turn is what the template adds after the serving prompt of that turn,
        up to and including its end-of-turn token (whitespace after it carries no loss). The
        text before each turn is encoded exactly as :meth:`prompt_ids` encodes it.

        Args:
            messages: OpenAI-form messages, ending with an assistant turn.
            tools: The OpenAI ``tools`` list.
            max_length: Cut the sequence to this many tokens.

        Returns:
            ``(input_ids, labels)``; labels are the ids inside assistant turns and
            ``IGNORE_INDEX`` elsewhere (the model shifts them).

        Raises:
            ChatTemplateError: When the template renders an earlier turn differently once a
                later one follows (the prompt would not be a prefix of the training text).
        """
        ids: list[int] = []
        labels: list[int] = []
        done = ""
        for index, message in enumerate(messages):
            if message["role"] != "assistant":
                continue
            prompt = self.render(messages[:index], tools, add_generation_prompt=True)
            full = self.render(messages[: index + 1], tools)
            if not prompt.startswith(done) or not full.startswith(prompt):
                raise ChatTemplateError(
                    "the chat template renders earlier turns differently once later turns "
                    "follow, so training text and serving prompts would differ"
                )
            answer = full[len(prompt) :]
            kept = answer.rstrip()
            context = self.encode(prompt[len(done) :]) if prompt != done else []
            target = self.encode(kept)
            ids += context + target
            labels += [IGNORE_INDEX] * len(context) + target
            done = prompt + kept
        if max_length is not None:
            ids, labels = ids[:max_length], labels[:max_length]
        return ids, labels
