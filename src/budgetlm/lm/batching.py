"""Several conversations decoded at once in one thread, their forward passes run as one batch.

A server decodes several conversations over one model. A pass of the micro model costs about
1 ms of CPU for one token, mostly torch's per-operation overhead; one pass over one token of
each of eight conversations (``LeanForward.run_batch``) costs 3.0-3.5 ms with int8 weights,
against 7.5-9.7 ms for the eight passes one after another.

How. An :class:`Interleaver` runs jobs (model calls: answering a question, a completion) in the
thread that owns it, each in a greenlet. A decoder runs every forward pass through
:func:`shared_pass`. Inside a job that *parks* the pass and switches back to the interleaver;
outside one it runs the pass at once. Once every running job has parked a pass or finished,
:meth:`Interleaver.step` runs the parked passes of each model as one batch and resumes each job
with its result. So jobs advance in step, one pass each a step, and everything else they do
(grammar work, tools, phrasing) runs in turn between steps.

Why greenlets rather than threads. The first version gave each conversation a thread, and a
pass waited until every thread taking part was waiting too. The batches were as full (7-8
passes), but the threads' own work cost more: over the same 400 held-out questions asked by 8
clients at once (micro+int8, two runs), the forward passes took 3.4-4.5 ms a question less than
one question at a time and the rest of each question 2.5-2.9 ms more (GIL hand-offs between
eight threads around every torch operation, and their wake-ups), so a question cost only 5-8%
less. In one thread the rest costs what it costs alone: ``AssistantService.ask`` from 8 threads
over 480 held-out questions took 21.5-21.9 ms of CPU a question one at a time, 16.5-17.4 ms
four at once and 14.8-15.9 ms eight at once (``benchmarks/RESULTS.md``, "Seventh round").

Results do not depend on what else is in the batch: ``LeanForward.run_batch`` computes each
conversation's positions as alone (bit for bit with an int8 model, within float rounding with a
float32 one), so an answer does not change with the load.

Caveats. A job must not park inside a block that sets thread state for the rest of the block
(``torch.inference_mode``, a lock): the other jobs run in that thread while it is parked. So
:func:`shared_pass` is called outside such blocks, and the batch function enters inference mode
itself. A job that blocks (on I/O, or hangs) blocks every job of its interleaver.

Why not an existing library: serving frameworks that batch (vLLM, TGI, Triton's dynamic batcher)
schedule their own model runners and own the decoding loop; here the loop is
``lm.decoding.Session``'s, with grammar-constrained steps written as plain calls, and only the
pass is shared. Greenlets (``greenlet``, what SQLAlchemy's asyncio layer and gevent build on)
let that loop pause at a pass without rewriting it as a coroutine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, NamedTuple, TypeVar

import greenlet

__all__ = ["BatchRunner", "Interleaver", "shared_pass"]

T = TypeVar("T")
Result = TypeVar("Result")

BatchRunner = Callable[[Sequence[tuple[Sequence[int], Any]]], Sequence[Result]]
"""Runs a batch of passes: ``[(token_ids, cache), ...]`` to one result each, in order
(``LeanForward.run_batch`` under inference mode). Must be hashable: passes of the same runner
share a batch."""


class _Pass(NamedTuple):
    """A parked pass."""

    run_batch: BatchRunner[Any]
    token_ids: Sequence[int]
    cache: Any


class _Job(greenlet.greenlet):  # type: ignore[misc]  # greenlet is untyped for subclassing
    """A job's greenlet: what :func:`shared_pass` recognises as running in an interleaver."""


_FINISHED = object()
"""What a job's greenlet returns to the interleaver when its call has ended."""


def shared_pass(run_batch: BatchRunner[Result], token_ids: Sequence[int], cache: Any) -> Result:
    """Run one pass: parked for the next batch when called from an :class:`Interleaver`'s job,
    at once otherwise.

    Raises:
        BaseException: Whatever ``run_batch`` raised for the batch.
    """
    job = greenlet.getcurrent()
    if not isinstance(job, _Job):
        return run_batch([(token_ids, cache)])[0]
    result: Result = job.parent.switch(_Pass(run_batch, token_ids, cache))
    return result


class Interleaver:
    """Runs jobs in the calling thread, interleaved at their forward passes, which run batched.

    Use it from one thread only. :meth:`start` runs a job until it parks a pass or ends;
    :meth:`step` runs every parked pass and resumes their jobs, each until its next pass or its
    end. A job's result or exception goes to its future; an exception of a batch is raised in
    each of its jobs, at the pass.
    """

    def __init__(self) -> None:
        self._parked: dict[_Job, _Pass] = {}
        self.batches = 0
        """Batches run so far."""
        self.passes = 0
        """Passes run so far, in all batches."""

    @property
    def running(self) -> int:
        """Jobs started and not ended: between calls of :meth:`start` and :meth:`step`, each
        has parked a pass."""
        return len(self._parked)

    def start(self, job: Callable[[], T], outcome: Future[T] | None = None) -> Future[T]:
        """Run ``job`` until its first pass (or its end).

        Args:
            job: The call.
            outcome: The future to set (one already marked running); a new one if None.

        Returns:
            The future of ``job``'s result.
        """
        future: Future[T] = Future() if outcome is None else outcome
        if outcome is None:
            future.set_running_or_notify_cancel()

        def run() -> object:
            try:
                result = job()
            except BaseException as error:  # the job's caller gets it, the interleaver goes on
                future.set_exception(error)
            else:
                future.set_result(result)
            return _FINISHED

        worker = _Job(run)
        self._settle(worker, worker.switch())
        return future

    def step(self) -> None:
        """Run the parked passes, one batch per model, and resume their jobs."""
        parked, self._parked = self._parked, {}
        batches: dict[BatchRunner[Any], list[tuple[_Job, _Pass]]] = {}
        for job, one in parked.items():
            batches.setdefault(one.run_batch, []).append((job, one))
        for run_batch, members in batches.items():
            try:
                results = run_batch([(one.token_ids, one.cache) for _, one in members])
                if len(results) != len(members):
                    raise RuntimeError(f"run_batch gave {len(results)} results for {len(members)}")
            except Exception as error:  # every job of the batch gets it at its pass
                for job, _ in members:
                    self._resume(job, None, error)
                continue
            self.batches += 1
            self.passes += len(members)
            for (job, _), result in zip(members, results, strict=True):
                self._resume(job, result)

    def _resume(self, job: _Job, value: object, error: BaseException | None = None) -> None:
        """Switch to ``job`` (with a pass's result, or raising ``error`` at its pass) until it
        parks again or ends."""
        self._settle(job, job.throw(error) if error is not None else job.switch(value))

    def _settle(self, job: _Job, got: object) -> None:
        """Note what ``job`` switched back with: the end of its call, or its next pass.

        Raises:
            TypeError: The job switched back with something else (it switched greenlets on
                its own).
        """
        if isinstance(got, _Pass):
            self._parked[job] = got
        elif got is not _FINISHED:
            raise TypeError(f"a job switched back with {type(got).__name__}, not a pass")
