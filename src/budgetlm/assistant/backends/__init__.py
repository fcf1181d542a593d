"""Language-model backends behind one interface: the shipped micro model, a local Hugging Face
model (``hf:PATH[+ADAPTER]``) and an OpenAI-compatible server (``openai:BASE_URL[#MODEL]``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from budgetlm.assistant.backends.base import Backend, BackendError, CallChoice, Message

__all__ = ["Backend", "BackendError", "CallChoice", "Message", "open_backend"]


def open_backend(spec: str, today: date) -> Backend:
    """The backend a ``--model`` value names.

    Args:
        spec: ``micro`` (the shipped model), ``micro:DIR`` (a micro model trained into DIR),
            either with ``+int8`` after ``micro`` (``micro+int8``, ``micro+int8:DIR``: int8
            linear layers, ``lm.quantize``), ``hf:PATH[+ADAPTER]`` or
            ``openai:BASE_URL[#MODEL]``.
        today: The day questions are asked (remote models are told it).

    Raises:
        BackendError: An unknown kind or quantization, or a model that cannot be opened.
    """
    kind, _, rest = spec.partition(":")
    base, plus, quantize = kind.partition("+")
    if base == "micro":
        from budgetlm.assistant.backends.local import LocalBackend

        return LocalBackend.micro(Path(rest) if rest else None, quantize if plus else None)
    if kind == "hf" and rest:
        from budgetlm.assistant.backends.local import LocalBackend

        return LocalBackend.from_hf(rest)
    if kind == "openai" and rest:
        from budgetlm.assistant.backends.remote import RemoteBackend, RemoteConfig

        return RemoteBackend(RemoteConfig.from_spec(rest), today)
    raise BackendError(
        f"unknown model {spec!r}: use micro[+int8][:DIR], hf:PATH[+ADAPTER] or openai:BASE_URL"
    )
