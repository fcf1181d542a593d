"""Long-lived threads for the assistant's model calls, each running several calls interleaved.

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

Each thread runs up to ``width`` calls at once as jobs of an ``lm.batching.Interleaver``: a local
model's forward passes of those calls run as one batch, and the rest of their work in turn
between passes. A call that does not decode with a local model (a remote one) runs from start
to end when the thread starts it, so remote models get their concurrency from ``count``
threads instead (``service.AssistantService`` picks).

The threads are daemons: a call that never returns (a hung remote model) must not keep the
process from exiting. They start on the first ``submit``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from budgetlm.lm.batching import Interleaver

T = TypeVar("T")

Call = Callable[[int], T]
"""A model call; it is given its *slot*, a number below ``count * width`` that no other call
running at the same time has (for per-call state such as a decoding session)."""


class ModelThreads:
    """Runs submitted calls on ``count`` daemon threads, up to ``width`` at once on each, taken
    first come, first served.

    A call that raises sets its future's exception; its thread goes on. A call still running
    when its caller stops waiting keeps running (a thread cannot be stopped, and a call that
    blocks holds the other calls of its thread); a call cancelled before it started
    (``Future.cancel``) is skipped.

    Args:
        count: Threads.
        width: Calls each thread runs at once, interleaved at their forward passes.
        name: The threads' name (shown in stack dumps and profilers), numbered from the second.
    """

    def __init__(self, count: int = 1, width: int = 1, name: str = "budgetlm-model") -> None:
        if count < 1 or width < 1:
            raise ValueError("count and width must be >= 1")
        self.count = count
        self.width = width
        self.name = name
        self._calls: queue.SimpleQueue[tuple[Call[Any], Future[Any]]] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def submit(self, call: Call[T]) -> Future[T]:
        """Queue ``call``; the returned future gets its result or its exception."""
        outcome: Future[T] = Future()
        self._calls.put((call, outcome))
        with self._lock:
            if not self._threads:
                for index in range(self.count):
                    name = self.name if index == 0 else f"{self.name}-{index + 1}"
                    slots = list(range(index * self.width, (index + 1) * self.width))
                    thread = threading.Thread(
                        target=self._run, args=(slots,), name=name, daemon=True
                    )
                    thread.start()
                    self._threads.append(thread)
        return outcome

    @property
    def idents(self) -> tuple[int | None, ...]:
        """The threads' identifiers (none before the first call)."""
        return tuple(thread.ident for thread in self._threads)

    def _run(self, free: list[int]) -> None:
        """Take calls while a slot is free (waiting only when none runs); step the others."""
        jobs = Interleaver()
        while True:
            while free and self._start_next(jobs, free):
                pass
            if jobs.running:
                jobs.step()

    def _start_next(self, jobs: Interleaver, free: list[int]) -> bool:
        """Start the next queued call, waiting for one only when none runs; False when none
        was queued. (Its locals, the call included, are dropped before the next wait.)"""
        try:
            call, outcome = self._calls.get(block=jobs.running == 0)
        except queue.Empty:
            return False
        if outcome.set_running_or_notify_cancel():
            jobs.start(_in_slot(call, free), outcome)
        return True


def _in_slot(call: Call[T], free: list[int]) -> Callable[[], T]:
    """``call`` in the first free slot, given back when it ends."""

    def run() -> T:
        slot = free.pop()
        try:
            return call(slot)
        finally:
            free.append(slot)

    return run
