"""One forward pass for the sessions of several threads: dynamic batching of decoding steps.

A server decodes several conversations at once, one per thread, over one model. A pass of the
micro model costs about 1 ms of CPU for one token, mostly torch's per-operation overhead; one
pass over one token of each of eight conversations (``LeanForward.run_batch``) costs 3.0-3.5 ms
with int8 weights, against 7.5-9.7 ms for the eight passes one after another. A
:class:`PassBatcher` collects the passes that threads ask for and runs them together.

When a batch runs. Threads that will soon ask for passes *take part* (:meth:`taking_part`, for
the length of a model call). A thread asking for a pass waits until every thread taking part is
waiting too, or until the oldest request has waited ``max_wait_seconds``; then one of the
waiting threads (the one that completed the batch, or the first to time out) runs the whole
batch and hands each thread its result. So a lone thread never waits, and threads decoding
side by side advance in step, one batch per step. The wait bound keeps a thread that takes part
but is slow to ask (it compiles a grammar, or runs a tool) from holding the others for long.
Only one batch runs at a time.

When it pays. Advancing in step, each conversation takes (its passes) x (one step of all of
them), so one with many passes waits through many steps of the others: batching trades latency
spread for passes that cost less. For the micro model, whose passes are mostly per-operation
overhead and whose batches are mostly prompt tokens, the server measured no gain and a longer
tail; for a larger model a batch of 8 one-token passes costs 0.25x of 8 passes
(``benchmarks/RESULTS.md``, "Sixth round").

A thread that asks for a pass without taking part takes part for that pass only.

Results do not depend on what else is in the batch: ``LeanForward.run_batch`` computes each
conversation's positions as alone (bit for bit with an int8 model, within float rounding with
a float32 one), so an answer does not change with the load.

Why not an existing library: serving frameworks that batch (vLLM, TGI, Triton's dynamic batcher)
schedule their own model runners and own the decoding loop; here the loop is
``lm.decoding.Session``'s, with grammar-constrained steps on the caller's thread, and only the
pass itself is shared, which needs no more than a condition variable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["PassBatcher"]

Cache = TypeVar("Cache")
Result = TypeVar("Result")


@dataclass
class _Request(Generic[Cache, Result]):
    """One thread's pass, waiting for its batch."""

    token_ids: Sequence[int]
    cache: Cache
    asked_at: float
    result: Result | None = None
    error: BaseException | None = None
    done: bool = False


class PassBatcher(Generic[Cache, Result]):
    """Runs the passes of threads decoding side by side as one batch.

    Args:
        run_batch: Runs a batch: ``[(token_ids, cache), ...]`` to one result each, in order
            (``LeanForward.run_batch``).
        max_wait_seconds: Longest a request waits for the other threads taking part before
            its batch runs without them.
    """

    def __init__(
        self,
        run_batch: Callable[[Sequence[tuple[Sequence[int], Cache]]], Sequence[Result]],
        max_wait_seconds: float = 0.05,
    ) -> None:
        if max_wait_seconds < 0:
            raise ValueError("max_wait_seconds must be >= 0")
        self._run_batch = run_batch
        self.max_wait_seconds = max_wait_seconds
        self._ready = threading.Condition()
        self._pending: list[_Request[Cache, Result]] = []
        self._taking_part = 0
        self._running = False
        self._local = threading.local()
        self.batches = 0
        """Batches run so far."""
        self.passes = 0
        """Passes run so far, in all batches."""

    @contextmanager
    def taking_part(self) -> Iterator[None]:
        """Count this thread among those whose passes batches wait for, until the block ends
        (re-entrant)."""
        depth = getattr(self._local, "depth", 0)
        self._local.depth = depth + 1
        if depth == 0:
            with self._ready:
                self._taking_part += 1
        try:
            yield
        finally:
            self._local.depth = depth
            if depth == 0:
                with self._ready:
                    self._taking_part -= 1
                    self._ready.notify_all()  # the others may all be waiting now

    def forward(self, token_ids: Sequence[int], cache: Cache) -> Result:
        """Run ``token_ids`` after what ``cache`` holds, in a batch with other threads' passes;
        the result is what ``run_batch`` gives for this item.

        Raises:
            BaseException: Whatever ``run_batch`` raised for the batch.
        """
        if getattr(self._local, "depth", 0) == 0:
            with self.taking_part():
                return self.forward(token_ids, cache)
        request: _Request[Cache, Result] = _Request(token_ids, cache, time.monotonic())
        with self._ready:
            self._pending.append(request)
            while not request.done:
                batch = self._take_batch()
                if batch is not None:
                    break
                self._ready.wait(self._wait_time())
            else:
                return self._outcome(request)
        self._run(batch)
        return self._outcome(request)

    def _take_batch(self) -> list[_Request[Cache, Result]] | None:
        """The pending requests, if they should run now (caller holds the condition)."""
        if self._running or not self._pending:
            return None
        everyone = len(self._pending) >= self._taking_part
        waited = time.monotonic() - self._pending[0].asked_at >= self.max_wait_seconds
        if not (everyone or waited):
            return None
        batch, self._pending = self._pending, []
        self._running = True
        return batch

    def _wait_time(self) -> float | None:
        """How long to wait before checking the oldest request's bound again."""
        if self._running or not self._pending:
            return None  # woken when the running batch ends or a request arrives
        oldest = self._pending[0].asked_at
        return max(0.0, oldest + self.max_wait_seconds - time.monotonic())

    def _run(self, batch: list[_Request[Cache, Result]]) -> None:
        """Run ``batch`` outside the condition and hand out its results."""
        try:
            results = self._run_batch([(r.token_ids, r.cache) for r in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"run_batch gave {len(results)} results for {len(batch)}")
        except BaseException as error:  # every thread of the batch gets it
            for request in batch:
                request.error = error
        else:
            for request, result in zip(batch, results, strict=True):
                request.result = result
        with self._ready:
            for request in batch:
                request.done = True
            self._running = False
            self.batches += 1
            self.passes += len(batch)
            self._ready.notify_all()

    @staticmethod
    def _outcome(request: _Request[Cache, Result]) -> Result:
        if request.error is not None:
            raise request.error
        assert request.result is not None
        return request.result
