"""The assistant behind the server: one model backend per process, shared by the budget API's
``/ask`` and the OpenAI-compatible endpoint's assistant mode.

Backends are not thread-safe (a decoding session holds one KV cache), and FastAPI runs plain
route functions in a thread pool, so model calls are serialized by a lock. The backend is opened
on first use, so a server that is only asked for ledger data never loads a model.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import TYPE_CHECKING

from budgetlm.server.config import ServerConfig

if TYPE_CHECKING:
    from budgetlm.assistant.assistant import Conversation, Reply
    from budgetlm.assistant.backends.base import Backend
    from budgetlm.ledger.repository import Ledger


class AssistantService:
    """Answers questions over a workspace's ledger with the configured backend."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self._backend: Backend | None = None
        self._lock = threading.Lock()

    def backend(self, today: date) -> Backend:
        """The model backend, opened on first use."""
        if self._backend is None:
            from budgetlm.assistant.backends import open_backend

            self._backend = open_backend(self.config.model, today)
        return self._backend

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
    ) -> Reply:
        """Answer ``question`` over ``ledger`` as of ``today`` (continuing ``conversation``).

        Raises:
            InputError: An empty or too long question.
        """
        from budgetlm.assistant.assistant import Assistant, AssistantConfig
        from budgetlm.assistant.tools import load_context

        context = load_context(ledger, today)
        settings = AssistantConfig(max_question_chars=self.config.max_question_chars)
        with self._lock:
            return Assistant(self.backend(today), context, settings).ask(question, conversation)
