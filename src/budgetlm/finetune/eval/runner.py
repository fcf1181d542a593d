"""One local model as the single-turn tasks of ``budgetlm eval model`` ask it: a user message
in, a constrained choice, free text or a JSON document out.

The prompt is laid out as the model was trained: the micro model gets budgetlm's own chat
format (``lm.template.encode_chat``), ``hf:`` models their tokenizer's chat template through
``lm.hf_chat.ChatRenderer`` (budgetlm's system prompt first, as ``budgetlm finetune`` trains
them). One decoding session is kept, so the shared prefix of consecutive prompts (the system
prompt, an instruction) is prefilled once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from budgetlm.lm.hf_chat import ChatRenderer

if TYPE_CHECKING:
    from budgetlm.assistant.backends.local import LocalBackend


class LocalModel:
    """The decoder of a :class:`~budgetlm.assistant.backends.local.LocalBackend`, asked one
    question at a time (the backend's own session is left alone)."""

    def __init__(self, backend: LocalBackend) -> None:
        self.decoder = backend.decoder
        self.tokenizer = backend.tokenizer
        self.own_format = backend.own_format
        self._renderer = None if backend.own_format else ChatRenderer(backend.tokenizer)
        self._session = self.decoder.session()

    def prompt_ids(self, user: str) -> list[int]:
        """Token ids of a one-question conversation with an open assistant turn."""
        messages = [{"role": "user", "content": user}]
        if self._renderer is None:
            from budgetlm.lm.template import encode_chat

            return encode_chat(messages, self.tokenizer, add_generation_prompt=True)
        return self._renderer.prompt_ids(messages)

    def choose(self, user: str, options: Sequence[str]) -> str:
        """One of ``options``, decoded under a grammar that allows only them."""
        self._session.set_context(self.prompt_ids(user))
        return self._session.choose_text(options).text

    def generate(self, user: str, max_new_tokens: int) -> str:
        """Greedy free text until the end of the turn or ``max_new_tokens``."""
        self._session.set_context(self.prompt_ids(user))
        return self._session.generate(max_new_tokens=max_new_tokens).text

    def json(self, user: str, grammar: str, max_new_tokens: int) -> dict[str, object] | None:
        """A JSON object under an llguidance ``grammar`` (``lm.constraints.json_grammar``), or
        None when it did not finish within ``max_new_tokens``."""
        self._session.set_context(self.prompt_ids(user))
        generation = self._session.generate_constrained(grammar, max_new_tokens=max_new_tokens)
        if generation.stop_reason == "max_tokens":
            return None
        value = json.loads(generation.text)
        return value if isinstance(value, dict) else None
