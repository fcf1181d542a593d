"""A server app over a fresh SQLite ledger, with two workspaces and a key for each."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import httpx
import psutil
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from budgetlm.ledger.store import Store
from budgetlm.server.app import create_app
from budgetlm.server.config import ServerConfig
from budgetlm.server.keys import create_key

TODAY = date(2026, 11, 21)


@dataclass(frozen=True)
class Served:
    """A running app, its store and one key per workspace."""

    client: TestClient
    store: Store
    config: ServerConfig
    keys: dict[str, str]

    def as_(self, workspace: str) -> dict[str, str]:
        """Headers that act in ``workspace``."""
        return {"Authorization": f"Bearer {self.keys[workspace]}"}


def serve(tmp_path: Path, **settings: object) -> Iterator[Served]:
    store = Store(f"sqlite:///{tmp_path / 'ledger.db'}")
    keys = {}
    for name in ("alice", "bob"):
        workspace_id = store.workspace_id(name)
        with store.session() as session:
            keys[name] = create_key(session, workspace_id, f"{name}'s app")
    config = replace(ServerConfig(db_url=str(store.url), today=TODAY), **settings)  # type: ignore[arg-type]
    with TestClient(create_app(config, store=store)) as client:
        yield Served(client, store, config, keys)
    store.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    yield from serve(tmp_path)


@contextmanager
def uvicorn_running(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def free_port() -> int:
    """A loopback TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve_command(db: Path, port: int, *options: str) -> Iterator[subprocess.Popen[bytes]]:
    """``budgetlm serve`` over ``db`` with ``options``, once ``/ready`` answers; killed on the
    way out whatever happened."""
    command = [str(Path(sys.executable).with_name("budgetlm")), "serve", "--port", str(port),
               "--db", str(db), "--today", TODAY.isoformat(), *options]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not become ready")
        yield process
    finally:
        alive = process.poll() is None
        workers = psutil.Process(process.pid).children(recursive=True) if alive else []
        if alive:
            process.kill()
        process.wait(timeout=30)
        for worker in workers:  # in case a worker outlives its killed supervisor
            with contextlib.suppress(psutil.NoSuchProcess):
                worker.kill()
