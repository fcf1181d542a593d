"""The model's lock is granted first come, first served, and never lost or shared."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

import pytest

from budgetlm.server.fair_lock import FairLock


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_waiters_get_the_lock_in_the_order_they_asked() -> None:
    lock, order = FairLock(), []

    def take(i: int) -> None:
        with lock:
            order.append(i)

    assert lock.acquire()
    threads = []
    for i in range(8):
        threads.append(threading.Thread(target=take, args=(i,)))
        threads[-1].start()
        wait_until(lambda i=i: lock.waiting == i + 1)
    lock.release()
    for thread in threads:
        thread.join()
    assert order == list(range(8))
    assert not lock.locked()


def test_a_timed_out_waiter_leaves_the_queue() -> None:
    lock = FairLock()
    assert lock.acquire()
    assert not lock.acquire(timeout=0.05)
    assert not lock.acquire(blocking=False)
    assert lock.waiting == 0
    lock.release()
    assert lock.acquire(blocking=False)
    lock.release()
    with pytest.raises(RuntimeError):
        lock.release()


def test_impatient_threads_never_share_or_lose_the_lock() -> None:
    lock, inside, errors, taken = FairLock(), [0], [], [0]

    def work(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(400):
            if lock.acquire(timeout=rng.choice([0.0, 0.0001, 0.001, -1])):
                inside[0] += 1
                if inside[0] != 1:
                    errors.append("two holders")
                taken[0] += 1
                inside[0] -= 1
                lock.release()

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert taken[0] > 0 and not lock.locked() and lock.waiting == 0
