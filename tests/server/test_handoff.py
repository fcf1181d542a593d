"""``budgetlm serve --workers N`` hands each connection to the worker with the fewest open ones,
replaces a worker that dies and stops cleanly; and the uvicorn internals its workers rely on."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import inspect
import selectors
import signal
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest
import uvicorn
from fastapi import FastAPI

from budgetlm.server.handoff import (
    CLOSED,
    HANDED,
    READY,
    HandoffServer,
    Supervisor,
    WorkersFailedError,
    _Worker,
    choose_worker,
    listen,
)
from conftest import free_port, serve_command

NO_MODEL = ("--model", "openai:http://127.0.0.1:9/v1#unused")
"""A remote model nobody calls: workers start without loading the micro model."""


# --- choosing a worker ------------------------------------------------------------------------


def test_the_worker_with_the_fewest_open_connections_gets_the_next_one() -> None:
    assert choose_worker([3, 1, 2], last=1) == 1
    assert choose_worker([0, 4], last=0) == 0


def test_ties_go_round_robin_from_the_last_chosen() -> None:
    assert choose_worker([1, 1, 1], last=-1) == 0
    assert choose_worker([1, 1, 1], last=0) == 1
    assert choose_worker([1, 1, 1], last=2) == 0
    assert choose_worker([2, 1, 1], last=1) == 2
    chosen, counts, last = [], [0, 0, 0], -1
    for _ in range(6):
        last = choose_worker(counts, last)
        chosen.append(last)
        counts[last] += 1
    assert chosen == [0, 1, 2, 0, 1, 2]


def test_a_worker_that_cannot_take_a_connection_is_skipped() -> None:
    assert choose_worker([0, 5], last=-1, skip=frozenset({0})) == 1
    with pytest.raises(ValueError, match="no worker"):
        choose_worker([0, 5], last=-1, skip=frozenset({0, 1}))


# --- the supervisor, without an app -----------------------------------------------------------


def test_connections_wait_in_order_while_every_channel_is_full() -> None:
    listener = listen("127.0.0.1", 0)
    supervisor = Supervisor(listener, 1)
    mine, theirs = socket.socketpair()
    mine.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)  # full after a dozen
    mine.setblocking(False)
    theirs.setblocking(False)
    supervisor.workers = [_Worker(0, None, mine)]  # type: ignore[arg-type]  # no process here
    supervisor.selector.register(listener, selectors.EVENT_READ, None)
    clients = [socket.create_connection(listener.getsockname()) for _ in range(40)]
    received: list[socket.socket] = []
    stalled = False
    try:
        deadline = time.monotonic() + 20
        while len(received) < len(clients) and time.monotonic() < deadline:
            supervisor._step()
            if supervisor.waiting:
                stalled = True
                assert listener not in supervisor.selector.get_map()
                time.sleep(0.01)  # a slow worker
            with contextlib.suppress(BlockingIOError):
                while True:  # one descriptor a message
                    _, descriptors, _, _ = socket.recv_fds(theirs, 64, 64)
                    received += [socket.socket(fileno=d) for d in descriptors]
        assert stalled, "the channel never filled up"
        assert [c.getpeername() for c in received] == [c.getsockname() for c in clients]
        assert supervisor.workers[0].open == len(clients)
        assert listener in supervisor.selector.get_map()
    finally:
        for each in (*clients, *received, mine, theirs, listener):
            each.close()
        supervisor.selector.close()


def test_workers_that_keep_dying_at_start_stop_the_server() -> None:
    listener = listen("127.0.0.1", 0)
    exits_at_once = socket.socket.close  # closes its channel and returns: never ready
    supervisor = Supervisor(listener, 2, target=exits_at_once)
    with pytest.raises(WorkersFailedError, match="3 server workers in a row exited"):
        supervisor.run()
    assert all(w.process.exitcode is not None for w in supervisor.workers)
    assert listener.fileno() == -1


# --- a worker, in this process ----------------------------------------------------------------


def test_the_uvicorn_internals_the_workers_rely_on() -> None:
    """If one of these fails, uvicorn has changed under ``server/handoff.py``: compare its
    ``Server.startup`` with ``HandoffServer.startup`` and update the latter."""
    config = uvicorn.Config(FastAPI(), ws="none", log_config=None)
    config.load()
    accepts = inspect.signature(config.http_protocol_class).parameters
    assert {"config", "server_state", "app_state", "_loop"} <= set(accepts), (
        "uvicorn's HTTP protocol takes other arguments than HandoffServer.startup passes"
    )
    serve = inspect.getsource(uvicorn.Server._serve)
    for step in ("self.lifespan = ", "self.startup(", "self.main_loop()", "self.shutdown("):
        assert step in serve, f"uvicorn.Server._serve no longer does {step!r}"
    startup = inspect.signature(uvicorn.Server.startup).parameters
    assert list(startup) == ["self", "sockets"], "uvicorn.Server.startup changed its signature"
    assert "self.servers" in inspect.getsource(uvicorn.Server.shutdown), (
        "uvicorn.Server.shutdown no longer closes self.servers (HandoffServer sets none)"
    )


@contextlib.contextmanager
def _worker_in_a_thread(app: FastAPI) -> Iterator[tuple[HandoffServer, socket.socket]]:
    """A ``HandoffServer`` for ``app`` in a thread; yields it and the supervisor's end of its
    channel once it has reported ready."""
    supervisor_end, worker_end = socket.socketpair()
    supervisor_end.settimeout(10)
    server = HandoffServer(uvicorn.Config(app, ws="none", log_config=None), worker_end)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        assert supervisor_end.recv(1) == READY
        yield server, supervisor_end
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        assert not thread.is_alive()
        supervisor_end.close()
        worker_end.close()


def _hand(listener: socket.socket, channel: socket.socket) -> http.client.HTTPConnection:
    """A client connected to ``listener``, its connection handed over ``channel``."""
    host, port = listener.getsockname()
    client = http.client.HTTPConnection(host, port, timeout=10)
    client.connect()
    accepted, _ = listener.accept()
    with accepted:
        socket.send_fds(channel, [HANDED], [accepted.fileno()])
    return client


def _answer(client: http.client.HTTPConnection, path: str) -> tuple[int, bytes]:
    client.request("GET", path)
    response = client.getresponse()
    return response.status, response.read()


def test_a_worker_serves_handed_connections_and_reports_each_closed() -> None:
    stages: list[str] = []

    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stages.append("started")
        yield
        stages.append("stopped")

    app = FastAPI(lifespan=contextlib.asynccontextmanager(lifespan))
    app.get("/hello")(lambda: {"hello": "world"})
    with (
        _worker_in_a_thread(app) as (server, channel),
        socket.create_server(("127.0.0.1", 0)) as listener,
    ):
        client = _hand(listener, channel)
        for _ in range(3):  # kept alive
            assert _answer(client, "/hello") == (200, b'{"hello":"world"}')
        (protocol,) = server.server_state.connections
        assert isinstance(protocol, server.config.http_protocol_class)
        client.close()  # by the client
        assert channel.recv(1) == CLOSED
        client = _hand(listener, channel)
        client.request("GET", "/hello", headers={"Connection": "close"})  # by the worker
        assert client.getresponse().status == 200
        assert channel.recv(1) == CLOSED
        client.close()
    assert stages == ["started", "stopped"]


def test_a_stopping_worker_finishes_the_request_in_flight_and_takes_no_more() -> None:
    arrived = threading.Event()

    async def slow() -> str:
        arrived.set()
        await asyncio.sleep(0.5)
        return "done"

    app = FastAPI()
    app.get("/slow")(slow)
    with (
        _worker_in_a_thread(app) as (server, channel),
        socket.create_server(("127.0.0.1", 0)) as listener,
    ):
        client = _hand(listener, channel)
        client.request("GET", "/slow")
        assert arrived.wait(10)
        server.should_exit = True
        response = client.getresponse()
        assert (response.status, response.read()) == (200, b'"done"')
        assert channel.recv(1) == CLOSED  # closed after its answer: the worker is stopping
        late = _hand(listener, channel)
        late.request("GET", "/slow")
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError, TimeoutError)):
            late.sock.settimeout(1)
            late.getresponse()
        late.close()
        client.close()


# --- `budgetlm serve --workers 2` ------------------------------------------------------------


def _workers(supervisor: int) -> list[psutil.Process]:
    children = psutil.Process(supervisor).children(recursive=True)
    return [w for w in children if "spawn_main" in " ".join(w.cmdline())]


def _held(workers: list[psutil.Process], port: int) -> list[set[int]]:
    """The client ports of the connections each worker holds open."""
    return [
        {c.raddr.port for c in w.net_connections("tcp")
         if c.raddr and c.laddr.port == port and c.status == psutil.CONN_ESTABLISHED}
        for w in workers
    ]  # fmt: skip


def _connect(base: str) -> tuple[httpx.Client, int]:
    """A client with one kept-alive connection that has answered ``/health``; its port."""
    client = httpx.Client(base_url=base, timeout=60)
    response = client.get("/health")
    assert response.status_code == 200
    return client, _connection_port(response)


def _wait_for(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _started(base: str, port: int, workers: list[psutil.Process]) -> None:
    """Return once every worker has answered (it had started) and holds no connection."""
    clients: list[httpx.Client] = []
    try:
        mine: set[int] = set()
        while not all(held & mine for held in _held(workers, port)):
            client, client_port = _connect(base)
            clients.append(client)
            mine.add(client_port)
    finally:
        for client in clients:
            client.close()
    _wait_for(lambda: not any(_held(workers, port)))


def test_connections_are_split_evenly_and_go_to_the_least_busy_worker(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serve_command(tmp_path / "ledger.db", port, "--workers", "2", *NO_MODEL) as process:
        workers = _workers(process.pid)
        assert len(workers) == 2
        _started(base, port, workers)
        opened = [_connect(base) for _ in range(8)]
        try:
            held = _held(workers, port)
            assert [len(h) for h in held] == [4, 4]
            assert held[0] | held[1] == {p for _, p in opened}
            for client, client_port in opened:
                if client_port in held[0]:
                    client.close()
            _wait_for(lambda: not _held(workers, port)[0])
            for client, client_port in opened:  # asked again, so that keep-alive waits on
                if client_port in held[1]:
                    assert _connection_port(client.get("/health")) == client_port
            added = [_connect(base) for _ in range(4)]
            opened += added
            assert _held(workers, port) == [{p for _, p in added}, held[1]]
        finally:
            for client, _ in opened:
                client.close()


def test_a_killed_worker_is_replaced_and_sigterm_stops_the_server(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serve_command(tmp_path / "ledger.db", port, "--workers", "2", *NO_MODEL) as process:
        workers = _workers(process.pid)
        _started(base, port, workers)
        workers[0].kill()
        workers[0].wait(timeout=10)
        _wait_for(lambda: len(_workers(process.pid)) == 2)
        replaced = _workers(process.pid)
        assert workers[1] in replaced and workers[0] not in replaced
        for _ in range(4):  # some to the replacement, which answers once it has started
            assert httpx.get(f"{base}/health", timeout=60).status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        _, alive = psutil.wait_procs(replaced, timeout=10)
        assert alive == []
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{base}/health", timeout=2)


def _connection_port(response: httpx.Response) -> int:
    """The client port of the connection that carried ``response``."""
    return int(response.extensions["network_stream"].get_extra_info("client_addr")[1])
