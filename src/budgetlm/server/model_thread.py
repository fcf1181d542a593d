"""One long-lived thread for the assistant's model calls.

The service runs each model call off the request's thread so that the request can stop waiting
after ``model_timeout_seconds`` (``service.AssistantService``). Starting a new thread for every
call made the server's memory grow under load: glibc gives a new thread an idle malloc arena
if there is one and otherwise shares one of the request threads' (up to eight arenas per core),
so with requests queueing on the model the calls' threads landed in every arena, and each arena
kept the freed memory of the model's large, variously sized allocations (prefill activations,
attention scores, grammars). With 16 clients asking new questions RSS grew by about 60 KB per
question while glibc's in-use bytes stayed flat (``benchmarks/server_bench.py``'s soak: +30
MB/min). One thread that lives as long as the process keeps those allocations in one arena,
reused call after call.

The thread is a daemon, as the per-call threads were: a call that never returns (a hung remote
model) must not keep the process from exiting. It starts on the first ``submit``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class ModelThread:
    """Runs submitted calls one after another on a single daemon thread.

    A call that raises sets its future's exception; the thread goes on with the next call. A
    call still running when its caller stops waiting keeps running (a thread cannot be
    stopped), and later calls wait in the queue behind it.

    Args:
        name: The thread's name (shown in stack dumps and profilers).
    """

    def __init__(self, name: str = "budgetlm-model") -> None:
        self.name = name
        self._calls: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, call: Callable[[], T]) -> Future[T]:
        """Queue ``call``; the returned future gets its result or its exception."""
        outcome: Future[T] = Future()
        self._calls.put((call, outcome))
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
        return outcome

    @property
    def ident(self) -> int | None:
        """The thread's identifier, or None before the first call."""
        return self._thread.ident if self._thread is not None else None

    def _run(self) -> None:
        while True:
            self._run_one(*self._calls.get())

    @staticmethod
    def _run_one(call: Callable[[], Any], outcome: Future[Any]) -> None:
        """One call (its locals, the result included, are dropped before the next wait)."""
        if not outcome.set_running_or_notify_cancel():
            return
        try:
            result = call()
        except BaseException as error:  # handed to the caller, never kills the thread
            outcome.set_exception(error)
        else:
            outcome.set_result(result)
