"""Long-lived threads for the assistant's model calls.

The service runs each model call off the request's thread so that the request can stop waiting
after ``model_timeout_seconds`` (``service.AssistantService``). Starting a new thread for every
call made the server's memory grow under load: glibc gives a new thread an idle malloc arena
if there is one and otherwise shares one of the request threads' (up to eight arenas per core),
so with requests queueing on the model the calls' threads landed in every arena, and each arena
kept the freed memory of the model's large, variously sized allocations (prefill activations,
attention scores, grammars). With 16 clients asking new questions RSS grew by about 60 KB per
question while glibc's in-use bytes stayed flat (``benchmarks/server_bench.py``'s soak: +30
MB/min). Threads that live as long as the process keep those allocations in their arenas,
reused call after call.

Several threads let several questions decode at once, so that the model can run their forward
passes as one batch (``lm.batching``); ``ServerConfig.model_threads`` sets how many.

The threads are daemons, as the per-call threads were: a call that never returns (a hung remote
model) must not keep the process from exiting. They start on the first ``submit``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class ModelThreads:
    """Runs submitted calls on ``count`` daemon threads that take them first come, first served.

    A call that raises sets its future's exception; its thread goes on with the next call. A
    call still running when its caller stops waiting keeps running (a thread cannot be
    stopped); a call cancelled before it started (``Future.cancel``) is skipped.

    Args:
        count: How many calls may run at once.
        name: The threads' name (shown in stack dumps and profilers), numbered from the second.
    """

    def __init__(self, count: int = 1, name: str = "budgetlm-model") -> None:
        if count < 1:
            raise ValueError("count must be >= 1")
        self.count = count
        self.name = name
        self._calls: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def submit(self, call: Callable[[], T]) -> Future[T]:
        """Queue ``call``; the returned future gets its result or its exception."""
        outcome: Future[T] = Future()
        self._calls.put((call, outcome))
        with self._lock:
            if not self._threads:
                for index in range(self.count):
                    name = self.name if index == 0 else f"{self.name}-{index + 1}"
                    thread = threading.Thread(target=self._run, name=name, daemon=True)
                    thread.start()
                    self._threads.append(thread)
        return outcome

    @property
    def idents(self) -> tuple[int | None, ...]:
        """The threads' identifiers (none before the first call)."""
        return tuple(thread.ident for thread in self._threads)

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
