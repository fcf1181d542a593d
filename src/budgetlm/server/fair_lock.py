"""A lock granted in the order it was asked for.

The assistant's model serves one question at a time, and under load a worker has a queue of
questions waiting for it. ``threading.Lock`` promises no order: whichever waiter the OS wakes,
or a thread arriving just as the lock is released, gets it, so some questions are overtaken
again and again while others go straight through. The mean wait is the same either way, but the
tail is not: with 16 clients asking new questions, the unlucky ones set the p95. Granting the
lock first come, first served makes every question wait for the ones ahead of it and no more.

Python has no fair lock (``asyncio.Lock`` is FIFO but only for coroutines), hence this small
one: each waiter sleeps on its own lock, and ``release`` hands the lock straight to the oldest
waiter instead of letting the waiters race for it.
"""

from __future__ import annotations

import threading
from collections import deque
from types import TracebackType


class FairLock:
    """A mutual-exclusion lock acquired first come, first served, with timeouts.

    Not reentrant; any thread may release it (as with ``threading.Lock``, which the service's
    model calls rely on: the model thread releases what the request thread acquired).
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._held = False
        self._waiters: deque[threading.Lock] = deque()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Take the lock, after every thread that asked before.

        Args:
            blocking: Wait for the lock (False: take it only if it is free now).
            timeout: Most seconds to wait; negative waits as long as it takes.

        Returns:
            Whether the lock was taken.
        """
        with self._mutex:
            if not self._held and not self._waiters:
                self._held = True
                return True
            if not blocking:
                return False
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        if turn.acquire(timeout=timeout if timeout >= 0 else -1):
            return True  # ``release`` handed the lock over
        with self._mutex:
            if turn in self._waiters:
                self._waiters.remove(turn)
                return False
        return True  # handed over just as the wait timed out: the lock is ours

    def release(self) -> None:
        """Give the lock to the oldest waiter, or free it.

        Raises:
            RuntimeError: The lock is not held.
        """
        with self._mutex:
            if not self._held:
                raise RuntimeError("release of an unheld FairLock")
            if self._waiters:
                self._waiters.popleft().release()  # still held: it passes to that waiter
            else:
                self._held = False

    def locked(self) -> bool:
        """Whether some thread holds the lock."""
        return self._held

    @property
    def waiting(self) -> int:
        """How many threads are waiting for the lock."""
        return len(self._waiters)

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.release()
