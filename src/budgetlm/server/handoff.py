"""``budgetlm serve --workers N``: one supervisor accepts every connection and hands it to the
worker process with the fewest open connections.

Why not uvicorn's own supervisor: it binds one socket that every worker accepts from, so the
kernel decides which worker gets each connection. Clients keep their connection (HTTP
keep-alive) and each worker answers assistant questions one at a time on its own model thread,
so an uneven split stays uneven: 16 keep-alive clients on 2 workers often split 12/4, and the
ask p95 went from 332 ms (8/8) to 495 ms (12/4). Here the supervisor keeps count instead.

The supervisor (:func:`serve_workers`) binds the port, starts the workers with multiprocessing's
``spawn`` and talks to each over one ``socketpair``:

- supervisor to worker: the byte ``c`` carrying one accepted connection (``SCM_RIGHTS``);
- worker to supervisor: ``r`` once its app has started, ``-`` for each connection it closed.

The supervisor keeps only those counts (and whether each worker has started). A worker that
dies is replaced; workers that keep dying before they start stop the server with an error. Each
worker (:func:`run_worker`) is a ``uvicorn.Server`` whose ``startup`` reads connections from its
channel instead of listening.

uvicorn internals this relies on (0.54; ``tests/server/test_handoff.py`` pins them): ``_serve``
sets ``self.lifespan`` then calls ``startup``, ``main_loop`` and ``shutdown``; ``shutdown``
closes ``self.servers`` (none here) and waits for ``server_state.connections``; the HTTP
protocol classes take ``config``, ``server_state``, ``app_state`` and ``_loop``, and their
``connection_lost`` runs once per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import selectors
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Literal, cast

import uvicorn
from uvicorn.config import STARTUP_FAILURE

from budgetlm.errors import BudgetlmError
from budgetlm.server.metrics import MULTIPROCESS_VARIABLE

HANDED = b"c"
"""Supervisor to worker: one accepted connection (its descriptor rides along)."""
READY = b"r"
"""Worker to supervisor: the app has started (lifespan done); the worker serves connections."""
CLOSED = b"-"
"""Worker to supervisor: one of the connections handed to it is closed."""
BACKLOG = 2048
"""Connections the kernel queues while the supervisor is busy (uvicorn's default)."""

logger = logging.getLogger("uvicorn.error")  # the supervisor's messages read like uvicorn's


class WorkersFailedError(BudgetlmError):
    """The workers keep dying before their app has started (a model or ledger they cannot
    open): starting more would only loop."""


def choose_worker(open_counts: Sequence[int], last: int, skip: frozenset[int] = frozenset()) -> int:
    """The worker that gets the next connection: the one with the fewest open connections, ties
    going round-robin (to the first tied worker after ``last``).

    Args:
        open_counts: Open connections of each worker.
        last: The worker chosen last time (-1 at first).
        skip: Workers that cannot take a connection now.

    Raises:
        ValueError: Every worker is skipped.
    """
    size = len(open_counts)
    order = [(last + step) % size for step in range(1, size + 1)]  # round-robin from last
    candidates = [i for i in order if i not in skip]
    if not candidates:
        raise ValueError("no worker can take a connection")
    return min(candidates, key=lambda i: open_counts[i])  # min keeps the first of ties


def listen(host: str, port: int) -> socket.socket:
    """A non-blocking TCP socket listening on ``host:port`` (as uvicorn's ``bind_socket``).

    Raises:
        BudgetlmError: The address cannot be bound (in use, not this machine's).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(BACKLOG)
    except OSError as error:
        listener.close()
        raise BudgetlmError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    listener.setblocking(False)
    return listener


@dataclass
class _Worker:
    """One worker process, the supervisor's end of its channel and its open connections."""

    slot: int
    process: BaseProcess
    channel: socket.socket
    open: int = 0
    ready: bool = False


_Event = tuple[Literal["report", "exit"], _Worker] | None
"""What a selector key stands for: a worker's reports, its exit, or (None) the listener."""


class Supervisor:
    """Accepts connections on ``listener`` and hands each to one of ``count`` workers.

    Args:
        listener: The bound, listening, non-blocking socket.
        count: Worker processes to keep running.
        stop_seconds: How long workers get to finish their requests when the server stops,
            before they are killed.
        max_startup_failures: Workers in a row that may die before their app has started.
        target: What each worker process runs, given its end of the channel.
    """

    def __init__(
        self,
        listener: socket.socket,
        count: int,
        *,
        stop_seconds: float = 30.0,
        max_startup_failures: int = 3,
        target: Callable[[socket.socket], None] | None = None,
    ) -> None:
        self.listener = listener
        self.count = count
        self.stop_seconds = stop_seconds
        self.max_startup_failures = max_startup_failures
        self.target = target or run_worker
        self.workers: list[_Worker] = []
        self.waiting: deque[socket.socket] = deque()  # accepted; no channel could take them yet
        self.selector = selectors.DefaultSelector()
        self.stopping = False
        self._last = -1
        self._startup_failures = 0
        self._context = multiprocessing.get_context("spawn")

    def run(self) -> None:
        """Serve until SIGINT or SIGTERM, then stop the workers and return.

        Raises:
            WorkersFailedError: Workers kept dying before their app started.
        """
        handled = (signal.SIGINT, signal.SIGTERM)
        main = threading.current_thread() is threading.main_thread()
        previous = {s: signal.signal(s, self._on_signal) for s in handled} if main else {}
        try:
            self.selector.register(self.listener, selectors.EVENT_READ, None)
            self.workers = [self._start(slot) for slot in range(self.count)]
            while not self.stopping:
                self._step()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._stop_workers()

    def _on_signal(self, sig: int, frame: FrameType | None) -> None:
        self.stopping = True

    def _step(self) -> None:
        """Wait for something to do (briefly: signals only set a flag) and do it."""
        self._hand_waiting()
        events = self.selector.select(timeout=0.05 if self.waiting else 0.25)
        # Reports first, so that connections closed by now count before new ones are placed.
        order = {"report": 0, "exit": 1}
        for key, _ in sorted(events, key=lambda e: order[e[0].data[0]] if e[0].data else 2):
            event: _Event = key.data
            if event is None:
                self._accept()
            elif self.workers[event[1].slot] is not event[1]:
                continue  # a worker replaced earlier in this round
            elif event[0] == "report":
                self._read(event[1])
            else:
                self._replace(event[1])

    def _start(self, slot: int) -> _Worker:
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        process = self._context.Process(
            target=self.target, args=(theirs,), name=f"budgetlm-worker-{slot}"
        )
        process.start()  # spawn duplicates ``theirs`` into the child
        theirs.close()
        mine.setblocking(False)
        worker = _Worker(slot, process, mine)
        self.selector.register(mine, selectors.EVENT_READ, ("report", worker))
        self.selector.register(process.sentinel, selectors.EVENT_READ, ("exit", worker))
        return worker

    def _accept(self) -> None:
        """Accept every pending connection and hand each on."""
        while not self.waiting:
            try:
                connection, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # out of descriptors, aborted connection: try later
                logger.warning("accepting a connection failed: %s", error)
                return
            self.waiting.append(connection)
            self._hand_waiting()

    def _hand_waiting(self) -> None:
        """Hand the accepted connections on, in order; while some wait (every channel full),
        the listener is not watched and the kernel queues new connections in its backlog."""
        while self.waiting and self._hand(self.waiting[0]):
            self.waiting.popleft().close()  # the worker has its own descriptor now
        watched = self.listener in self.selector.get_map()
        if self.waiting and watched:
            self.selector.unregister(self.listener)
        elif not self.waiting and not watched:
            self.selector.register(self.listener, selectors.EVENT_READ, None)

    def _hand(self, connection: socket.socket) -> bool:
        """Send ``connection`` to the least busy worker that takes it; False if none does."""
        refused: set[int] = set()
        while len(refused) < len(self.workers):
            slot = choose_worker([w.open for w in self.workers], self._last, frozenset(refused))
            worker = self.workers[slot]
            try:
                socket.send_fds(worker.channel, [HANDED], [connection.fileno()])
            except OSError:  # channel full (a stuck worker) or closed (a dead one)
                refused.add(slot)
                continue
            worker.open += 1
            self._last = slot
            return True
        return False

    def _read(self, worker: _Worker) -> None:
        try:
            reports = worker.channel.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            reports = b""
        if not reports:  # the worker is gone; its exit event replaces it
            self.selector.unregister(worker.channel)
            return
        worker.open = max(0, worker.open - reports.count(CLOSED))
        if READY in reports:
            worker.ready = True
            self._startup_failures = 0

    def _replace(self, worker: _Worker) -> None:
        """Start a worker in the place of ``worker``, which has exited.

        Raises:
            WorkersFailedError: This was one start-up failure too many.
        """
        self._forget(worker)
        if self.stopping:
            return
        code = worker.process.exitcode
        if not worker.ready:
            self._startup_failures += 1
            if self._startup_failures >= self.max_startup_failures:
                raise WorkersFailedError(
                    f"{self._startup_failures} server workers in a row exited (last with code "
                    f"{code}) before their app started; see the log above"
                )
        logger.warning("worker [%s] exited with code %s; starting another", worker.process.pid,
                       code)  # fmt: skip
        self.workers[worker.slot] = self._start(worker.slot)

    def _forget(self, worker: _Worker) -> None:
        """Stop watching an exited worker, close its channel, reap the process and drop its
        live gauges from ``/metrics``."""
        if worker.channel.fileno() >= 0:  # not forgotten yet
            for watched in (worker.channel, worker.process.sentinel):
                if watched in self.selector.get_map():
                    self.selector.unregister(watched)
            worker.channel.close()
        worker.process.join()
        if os.environ.get(MULTIPROCESS_VARIABLE) and worker.process.pid is not None:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(worker.process.pid)  # type: ignore[no-untyped-call]

    def _stop_workers(self) -> None:
        """Stop accepting, ask every worker to finish (SIGTERM) and wait; kill the late."""
        if self.listener in self.selector.get_map():
            self.selector.unregister(self.listener)
        self.listener.close()
        while self.waiting:
            self.waiting.popleft().close()
        running = [w for w in self.workers if w.process.exitcode is None]
        for worker in running:
            worker.process.terminate()
        deadline = time.monotonic() + self.stop_seconds
        for worker in running:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.exitcode is None:
                logger.warning("worker [%s] did not stop in time; killing it", worker.process.pid)
                worker.process.kill()
        for worker in self.workers:
            self._forget(worker)
        self.selector.close()


def serve_workers(host: str, port: int, count: int) -> None:
    """Serve the app of ``server.app.app_from_environment`` on ``host:port`` with ``count``
    worker processes, until SIGINT or SIGTERM; logs as ``budgetlm serve`` configures uvicorn.

    Raises:
        BudgetlmError: The port cannot be bound, or the workers cannot start.
    """
    import logging.config

    from budgetlm.server.logs import uvicorn_log_config

    logging.config.dictConfig(uvicorn_log_config())
    logger.setLevel(logging.WARNING)
    Supervisor(listen(host, port), count).run()


# --- the worker side -------------------------------------------------------------------------


def run_worker(channel: socket.socket) -> None:
    """A worker process: the app ``server.app.app_from_environment`` builds, served on the
    connections the supervisor sends over ``channel``."""
    from budgetlm.server.logs import uvicorn_log_config

    channel.set_inheritable(False)  # spawn passed it inheritable; nothing else may keep it open
    config = uvicorn.Config(
        "budgetlm.server.app:app_from_environment", factory=True,
        log_config=uvicorn_log_config(), log_level="warning",
        ws="none",  # an upgrade would replace the protocol and its close go unreported
    )  # fmt: skip
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the SIGINT it stopped on
        HandoffServer(config, channel).run()


def reporting_protocol(
    base: type[asyncio.Protocol], closed: Callable[[], None]
) -> type[asyncio.Protocol]:
    """A subclass of uvicorn's HTTP protocol class ``base`` that calls ``closed()`` once its
    connection is lost."""

    def connection_lost(self: asyncio.Protocol, exc: Exception | None) -> None:
        try:
            base.connection_lost(self, exc)
        finally:
            closed()

    made = type(f"Reporting{base.__name__}", (base,), {"connection_lost": connection_lost})
    return cast(type[asyncio.Protocol], made)


class HandoffServer(uvicorn.Server):
    """uvicorn's server with connections read from ``channel`` instead of a listening socket;
    it reports to the supervisor when it is ready and each time a connection closes.

    Args:
        config: uvicorn's settings (``host``, ``port`` and the socket options are unused).
        channel: The worker's end of its socketpair with the supervisor.
    """

    def __init__(self, config: uvicorn.Config, channel: socket.socket) -> None:
        super().__init__(config)
        self.channel = channel
        self._unsent = b""
        self._connecting: set[asyncio.Task[None]] = set()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's ``startup`` with the listening socket replaced by the channel."""
        await self.lifespan.startup()
        if self.lifespan.should_exit:
            sys.exit(STARTUP_FAILURE)
        loop = asyncio.get_running_loop()
        protocol_class = reporting_protocol(self.config.http_protocol_class, self._closed)

        def create_protocol() -> asyncio.Protocol:
            return protocol_class(  # type: ignore[call-arg]
                config=self.config, server_state=self.server_state,
                app_state=self.lifespan.state, _loop=loop,
            )  # fmt: skip

        self._create_protocol = create_protocol
        self.servers = []  # nothing listens here: uvicorn's shutdown has no server to close
        self.channel.setblocking(False)
        loop.add_reader(self.channel.fileno(), self._receive, loop)
        self._report(READY)
        self.started = True

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Take no more connections, then uvicorn's graceful shutdown."""
        self._stop_receiving()
        await super().shutdown(sockets)

    def _receive(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            try:
                data, descriptors, _, _ = socket.recv_fds(self.channel, 4096, 64)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data, descriptors = b"", []
            for descriptor in descriptors:
                self._take(loop, descriptor)
            if not data:  # the supervisor is gone: no more connections will come
                self._stop_receiving()
                self.should_exit = True
                return

    def _take(self, loop: asyncio.AbstractEventLoop, descriptor: int) -> None:
        try:
            connection = socket.socket(fileno=descriptor)
        except OSError:  # not a socket: nothing to serve
            os.close(descriptor)
            self._closed()
            return
        connection.setblocking(False)
        task = loop.create_task(self._connect(loop, connection))
        self._connecting.add(task)
        task.add_done_callback(self._connecting.discard)

    async def _connect(self, loop: asyncio.AbstractEventLoop, connection: socket.socket) -> None:
        try:
            await loop.connect_accepted_socket(self._create_protocol, connection)
        except Exception:  # before a transport exists (no TLS here), so no connection_lost
            logger.exception("serving a connection failed")
            connection.close()
            self._closed()

    def _stop_receiving(self) -> None:
        if self.channel.fileno() >= 0:
            asyncio.get_running_loop().remove_reader(self.channel.fileno())

    def _closed(self) -> None:
        self._report(CLOSED)

    def _report(self, message: bytes) -> None:
        """Send ``message``; what the channel cannot take now goes with the next report."""
        self._unsent += message
        try:
            sent = self.channel.send(self._unsent)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # the supervisor is gone: nobody to tell
            sent = len(self._unsent)
        self._unsent = self._unsent[sent:]
