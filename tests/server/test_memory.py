"""Memory under a stream of new requests stays bounded: the response cache by the bytes its
responses keep alive as well as by their number, and the assistant's model calls on one thread
that is reused (a new thread per call spread the model's allocations over every malloc arena)."""

from __future__ import annotations

import functools
import sys
import threading
import time
from collections.abc import Sequence

import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from budgetlm.assistant.backends.base import CallChoice, Message
from budgetlm.assistant.tools import ToolCall, ToolResult, Vocabulary
from budgetlm.ledger.repository import Ledger
from budgetlm.lm.batching import shared_pass
from budgetlm.server.cache import DEFAULT_MAX_BYTES, ResponseCache, retained_bytes
from budgetlm.server.model_thread import ModelThreads
from budgetlm.server.service import AssistantService
from conftest import TODAY, Served

# --- Response cache ------------------------------------------------------------------------------


class Point(BaseModel):
    day: int
    label: str


class Series(BaseModel):
    points: list[Point]


def test_retained_bytes_follows_models_and_containers_and_counts_shared_objects_once() -> None:
    text = "x" * 1_000
    assert retained_bytes(text) == sys.getsizeof(text)
    assert retained_bytes([text, text]) == sys.getsizeof([text, text]) + sys.getsizeof(text)
    one = retained_bytes(Point(day=1_000, label=f"{1_000:04}" + "a" * 100))
    series = Series(points=[Point(day=1_000 + i, label=f"{i:04}" + "a" * 100) for i in range(100)])
    assert 80 * one < retained_bytes(series) < 100 * one  # field names are counted once
    assert retained_bytes({"f": len, "t": int, "m": sys}) < 1_000  # shared code is not followed
    assert retained_bytes([text] * 10 + ["y" * 10_000], limit=2_000) < 20_000  # stops early


def test_the_cache_keeps_its_responses_within_its_byte_budget() -> None:
    cache = ResponseCache(1_000, max_bytes=20_000)
    for i in range(100):
        cache.put(str(i), f"{i:04}" + "x" * 2_000)
        assert cache.total_bytes <= 20_000
    each = retained_bytes("0000" + "x" * 2_000)
    assert len(cache) == 20_000 // each and cache.total_bytes == len(cache) * each
    assert cache.get("99")[0] and not cache.get("0")[0]  # the least recently used went first
    cache.put("99", "small")  # replacing an entry gives its bytes back
    assert cache.total_bytes == (len(cache) - 1) * each + retained_bytes("small")
    cache.put("huge", "z" * 30_000)  # larger than the whole budget: not kept, nothing dropped
    assert not cache.get("huge")[0] and cache.get("99") == (True, "small")
    assert ResponseCache(2_048).max_bytes == DEFAULT_MAX_BYTES


class Numbered:
    """A backend that answers every question with this month's spending, on the thread it was
    called on (remembered)."""

    name = "numbered-1.0"

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []

    def choose_call(self, messages: Sequence[Message], vocabulary: Vocabulary) -> CallChoice:
        self.threads.append(threading.current_thread())
        return CallChoice(ToolCall("spending", {"period": "this_month"}), 0.9)

    def phrase(self, messages: Sequence[Message], result: ToolResult) -> str:
        return "You spent {total} {period}."


def test_new_questions_fill_the_cache_only_up_to_its_byte_budget(served: Served) -> None:
    app = served.client.app
    assert isinstance(app, FastAPI)
    backend = Numbered()
    service: AssistantService = app.state.assistant
    service._backend = backend
    cache = app.state.cache = ResponseCache(2_048, max_bytes=40_000)
    for i in range(60):
        question = f"how much did I spend this month, question {i}?"
        response = served.client.post(
            "/api/v1/ask", json={"question": question}, headers=served.as_("alice")
        )
        assert response.status_code == 200 and response.json()["model"] == backend.name
        assert cache.total_bytes <= 40_000
    assert 0 < len(cache) < 60 and len(backend.threads) == 60  # every question was new
    again = served.client.post(
        "/api/v1/ask", json={"question": question}, headers=served.as_("alice")
    )
    assert again.status_code == 200 and len(backend.threads) == 60  # the newest is kept


# --- The model's threads -------------------------------------------------------------------------


def test_model_calls_run_one_after_another_on_one_reused_thread() -> None:
    worker = ModelThreads(1, name="test-model")
    before = threading.active_count()
    ran: list[threading.Thread] = []  # the Thread objects themselves: ids are never reused

    def call(i: int, slot: int) -> int:
        ran.append(threading.current_thread())
        return i + 100 * slot

    results = [worker.submit(functools.partial(call, i)) for i in range(50)]
    assert [r.result(timeout=10) for r in results] == list(range(50))  # all in slot 0
    assert len({id(t) for t in ran}) == 1 and (ran[0].ident,) == worker.idents
    assert ran[0].daemon and ran[0].name == "test-model" and ran[0] is not threading.main_thread()
    assert threading.active_count() == before + 1


def test_several_threads_run_calls_at_once_and_take_them_in_order() -> None:
    worker = ModelThreads(3, name="test-model")
    release, started = threading.Event(), threading.Barrier(4)

    def held(i: int, slot: int) -> tuple[int, int]:
        started.wait(10)  # all three run at once, or this times out
        release.wait(10)
        return i, slot

    first = [worker.submit(functools.partial(held, i)) for i in range(3)]
    fourth = worker.submit(lambda slot: 3)
    started.wait(10)
    assert not fourth.done()  # queued behind the three
    assert fourth.cancel()  # not started: dropped
    release.set()
    got = [f.result(timeout=10) for f in first]
    assert [i for i, _ in got] == [0, 1, 2] and sorted(s for _, s in got) == [0, 1, 2]
    names = {t.name for t in threading.enumerate() if t.ident in worker.idents}
    assert names == {"test-model", "test-model-2", "test-model-3"}
    with pytest.raises(ValueError, match="count"):
        ModelThreads(0)


def test_a_thread_interleaves_up_to_width_calls_at_their_passes_each_in_a_slot_of_its_own() -> None:
    worker = ModelThreads(width=3)
    steps: list[tuple[int, int]] = []  # (call, its pass) in the order they ran
    slots: dict[int, int] = {}

    queued = threading.Event()

    def call(i: int, slot: int) -> int:
        queued.wait(10)  # the first call holds the thread until all four are queued
        slots[i] = slot
        for step in range(2):
            steps.append((i, step))
            shared_pass(lambda items: [len(items)] * len(items), [step], f"cache {i}")
        return i

    results = [worker.submit(functools.partial(call, i)) for i in range(4)]
    queued.set()
    assert [r.result(timeout=10) for r in results] == [0, 1, 2, 3]
    assert len({slots[0], slots[1], slots[2]}) == 3 and set(slots.values()) == {0, 1, 2}
    assert len(set(worker.idents)) == 1
    assert steps[:3] == [(0, 0), (1, 0), (2, 0)]  # the first three start together ...
    assert steps.index((3, 0)) > steps.index((0, 1))  # ... the fourth when a slot frees
    with pytest.raises(ValueError, match="width"):
        ModelThreads(width=0)


def test_a_failing_call_reaches_its_caller_and_the_thread_goes_on() -> None:
    worker = ModelThreads()

    def fail(slot: int) -> int:
        raise RuntimeError("the model server is down")

    with pytest.raises(RuntimeError, match="down"):
        worker.submit(fail).result(timeout=10)
    assert worker.submit(lambda slot: 7).result(timeout=10) == 7


def test_a_caller_stops_waiting_for_a_slow_call_and_later_calls_wait_behind_it() -> None:
    worker = ModelThreads()
    release = threading.Event()
    slow = worker.submit(lambda slot: release.wait(10))
    later = worker.submit(lambda slot: time.monotonic())
    with pytest.raises(TimeoutError):
        slow.result(timeout=0.05)
    assert not later.done()
    released = time.monotonic()
    release.set()
    assert slow.result(timeout=10) is True and later.result(timeout=10) >= released


def test_the_assistant_asks_its_model_on_its_own_threads_however_many_questions(
    served: Served,
) -> None:
    service: AssistantService = served.client.app.state.assistant  # type: ignore[attr-defined]
    backend = Numbered()
    service._backend = backend
    workspace_id = served.store.workspace_id("alice")
    before = threading.active_count()
    for i in range(30):
        with served.store.session() as session:
            reply = service.ask(Ledger(session, workspace_id), TODAY, f"how much did I spend, {i}?")
        assert reply.model == backend.name
    threads = {id(t) for t in backend.threads}  # the model's thread, not one per question
    assert len(threads) == 1
    assert threading.current_thread() not in backend.threads  # off the request's thread
    assert threading.active_count() <= before + 1
