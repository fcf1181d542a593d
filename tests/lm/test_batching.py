"""Passes of threads decoding side by side run as one batch (lm.batching)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import pytest

from budgetlm.lm.batching import PassBatcher

Item = tuple[Sequence[int], str]


class Recorder:
    """A ``run_batch`` that answers each item with its cache name and token count, and keeps
    the batches it ran."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def __call__(self, items: Sequence[Item]) -> list[str]:
        self.batches.append([cache for _, cache in items])
        return [f"{cache}:{len(ids)}" for ids, cache in items]


def _together(workers: Sequence[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=work) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)


def test_a_lone_thread_never_waits_for_the_bound() -> None:
    batcher = PassBatcher(Recorder(), max_wait_seconds=30)
    began = time.monotonic()
    with batcher.taking_part():
        assert batcher.forward([1, 2, 3], "a") == "a:3"
    assert batcher.forward([4], "a") == "a:1"  # without taking part: for this pass only
    assert time.monotonic() - began < 5


def test_threads_taking_part_advance_in_step_one_batch_a_step() -> None:
    run = Recorder()
    batcher = PassBatcher(run, max_wait_seconds=30)  # never reached: everyone asks
    got: dict[str, list[str]] = {}
    start = threading.Barrier(4)

    def conversation(name: str) -> Callable[[], None]:
        def work() -> None:
            with batcher.taking_part():
                start.wait()
                got[name] = [batcher.forward([0] * (step + 1), name) for step in range(5)]

        return work

    _together([conversation(name) for name in "abcd"])
    assert got == {name: [f"{name}:{n}" for n in range(1, 6)] for name in "abcd"}
    assert len(run.batches) == 5 and all(sorted(b) == list("abcd") for b in run.batches)
    assert (batcher.batches, batcher.passes) == (5, 20)


def test_a_thread_slow_to_ask_holds_the_others_only_for_the_bound() -> None:
    batcher = PassBatcher(Recorder(), max_wait_seconds=0.05)
    inside, done = threading.Event(), threading.Event()
    waited: list[float] = []

    def slow() -> None:
        with batcher.taking_part():
            inside.set()
            done.wait(30)  # takes part, asks for nothing

    def quick() -> None:
        inside.wait(30)
        with batcher.taking_part():
            began = time.monotonic()
            assert batcher.forward([1], "q") == "q:1"
            waited.append(time.monotonic() - began)
        done.set()

    _together([slow, quick])
    assert 0.04 <= waited[0] < 5


def test_a_thread_that_stops_taking_part_lets_the_waiting_batch_run() -> None:
    batcher = PassBatcher(Recorder(), max_wait_seconds=30)
    both_in, leave = threading.Barrier(2), threading.Event()
    waited: list[float] = []

    def leaver() -> None:
        with batcher.taking_part():
            both_in.wait()
            leave.wait(30)

    def asker() -> None:
        with batcher.taking_part():
            both_in.wait()
            threading.Timer(0.1, leave.set).start()
            began = time.monotonic()
            batcher.forward([1], "a")
            waited.append(time.monotonic() - began)

    _together([leaver, asker])
    assert waited[0] < 5  # not the 30 s bound


def test_a_failed_batch_reaches_every_thread_in_it_and_later_batches_run() -> None:
    fail = [True]

    def run_batch(items: Sequence[Item]) -> list[str]:
        if fail[0]:
            raise RuntimeError("out of memory")
        return [cache for _, cache in items]

    batcher = PassBatcher(run_batch, max_wait_seconds=30)
    errors: list[str] = []
    start = threading.Barrier(3)

    def work(name: str) -> Callable[[], None]:
        def run() -> None:
            with batcher.taking_part():
                start.wait()
                try:
                    batcher.forward([1], name)
                except RuntimeError as error:
                    errors.append(str(error))

        return run

    _together([work(name) for name in "abc"])
    assert errors == ["out of memory"] * 3 and batcher.batches == 1
    fail[0] = False
    assert batcher.forward([1], "d") == "d"


def test_a_batch_that_returns_the_wrong_number_of_results_is_an_error() -> None:
    batcher = PassBatcher(lambda items: [], max_wait_seconds=0)
    with pytest.raises(RuntimeError, match="0 results for 1"):
        batcher.forward([1], "a")
    with pytest.raises(ValueError, match="max_wait_seconds"):
        PassBatcher(Recorder(), max_wait_seconds=-1)
