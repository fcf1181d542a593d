"""Jobs interleaved in one thread run their passes as one batch (lm.batching)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future

import greenlet
import pytest

from budgetlm.lm.batching import Interleaver, shared_pass

Item = tuple[Sequence[int], str]


class Recorder:
    """A batch runner that answers each item with its cache name and token count, and keeps
    the batches it ran (their caches)."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.batches: list[list[str]] = []
        self.fail_on = fail_on

    def __call__(self, items: Sequence[Item]) -> list[str]:
        names = [cache for _, cache in items]
        self.batches.append(names)
        if self.fail_on in names:
            raise MemoryError("out of memory")
        return [f"{cache}:{len(ids)}" for ids, cache in items]


def _drain(jobs: Interleaver) -> None:
    while jobs.running:
        jobs.step()


def test_outside_an_interleaver_a_pass_runs_at_once_alone() -> None:
    run = Recorder()
    assert shared_pass(run, [1, 2, 3], "a") == "a:3"
    assert run.batches == [["a"]]


def test_jobs_advance_in_step_one_batch_a_step_and_shrink_as_they_end() -> None:
    run, seen = Recorder(), threading.current_thread()

    def job(name: str, passes: int) -> list[str]:
        assert threading.current_thread() is seen  # all in the interleaver's thread
        return [shared_pass(run, [0] * (step + 1), name) for step in range(passes)]

    jobs = Interleaver()
    futures = [jobs.start(lambda n=n, k=k: job(n, k)) for n, k in (("a", 3), ("b", 1), ("c", 2))]
    assert run.batches == [] and jobs.running == 3  # started, each parked at its first pass
    _drain(jobs)
    assert [f.result() for f in futures] == [["a:1", "a:2", "a:3"], ["b:1"], ["c:1", "c:2"]]
    assert run.batches == [["a", "b", "c"], ["a", "c"], ["a"]]
    assert (jobs.batches, jobs.passes) == (3, 6)


def test_a_job_without_passes_ends_when_started_and_failures_reach_only_their_caller() -> None:
    jobs = Interleaver()
    done = jobs.start(lambda: 42)
    assert done.result() == 42 and jobs.running == 0

    def broken() -> str:
        shared_pass(Recorder(), [1], "x")
        raise ValueError("bad tool")

    failing = jobs.start(broken)
    fine = jobs.start(lambda: shared_pass(Recorder(), [1], "y"))
    _drain(jobs)
    with pytest.raises(ValueError, match="bad tool"):
        failing.result()
    assert fine.result() == "y:1"


def test_a_failed_batch_raises_in_each_of_its_jobs_at_the_pass_and_the_others_go_on() -> None:
    broken, healthy = Recorder(fail_on="b"), Recorder()

    def caught(name: str) -> str:
        try:
            return shared_pass(broken, [1], name)
        except MemoryError:
            return f"{name} recovered"

    jobs = Interleaver()
    results = [jobs.start(lambda n=n: caught(n)) for n in ("a", "b")]
    other = jobs.start(lambda: shared_pass(healthy, [1, 2], "c"))  # another model: own batch
    _drain(jobs)
    assert [r.result() for r in results] == ["a recovered", "b recovered"]
    assert other.result() == "c:2" and healthy.batches == [["c"]]
    assert broken.batches == [["a", "b"]] and (jobs.batches, jobs.passes) == (1, 1)


def test_a_future_given_to_start_gets_the_result() -> None:
    outcome: Future[str] = Future()
    assert outcome.set_running_or_notify_cancel()
    jobs = Interleaver()
    assert jobs.start(lambda: shared_pass(Recorder(), [7], "z"), outcome) is outcome
    _drain(jobs)
    assert outcome.result() == "z:1"


def test_a_job_that_switches_greenlets_on_its_own_is_refused() -> None:
    jobs = Interleaver()
    with pytest.raises(TypeError, match="not a pass"):
        jobs.start(lambda: greenlet.getcurrent().parent.switch("a stray value"))
