"""``budgetlm serve --workers N``: several processes answer one port, each with its own app,
``/metrics`` counts every worker's requests, and the workers stop when their supervisor dies."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import time
from pathlib import Path

import httpx
import psutil
import pytest

from conftest import free_port, serve_command

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def _requests_counted(base: str) -> float:
    text = httpx.get(f"{base}/metrics").text
    found = re.search(
        r'budgetlm_http_requests_total\{method="POST",route="/api/v1/categorize",'
        r'status="200"\} (\S+)',
        text,
    )
    return float(found.group(1)) if found else 0.0


def test_two_workers_share_the_port_the_ledger_and_the_metrics(tmp_path: Path) -> None:
    port, db = free_port(), tmp_path / "ledger.db"
    base = f"http://127.0.0.1:{port}"
    row = {"description": "STARBUCKS 0042", "amount": "-5.10", "date": "2026-11-10"}
    with serve_command(db, port, "--workers", "2") as process:
        workers = _workers(process.pid)
        assert len(workers) == 2
        assert _each_answers_a_connection(port, workers)
        for _ in range(40):  # a new connection each: the kernel spreads them over the workers
            answer = httpx.post(f"{base}/api/v1/categorize", json={"transactions": [row]})
            assert answer.json()["predictions"][0]["category"] == "Coffee Shops"
        assert _requests_counted(base) == 40  # both workers' counts, summed
        made = httpx.post(f"{base}/api/v1/accounts", json={"name": "Savings",
                                                            "account_type": "savings"})  # fmt: skip
        assert made.status_code == 201
        seen = {httpx.get(f"{base}/api/v1/accounts").json()[0]["name"] for _ in range(10)}
        assert seen == {"Savings"}  # one ledger, whichever worker answers


def test_workers_stop_when_their_supervisor_is_killed(tmp_path: Path) -> None:
    port = free_port()
    with serve_command(tmp_path / "ledger.db", port, "--workers", "2") as process:
        workers = _workers(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        began = time.monotonic()
        _, alive = psutil.wait_procs(workers, timeout=20)
        assert alive == [], "workers outlived their supervisor"
        assert time.monotonic() - began < 20
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)


def _workers(supervisor: int) -> list[psutil.Process]:
    children = psutil.Process(supervisor).children(recursive=True)
    return [w for w in children if "spawn_main" in " ".join(w.cmdline())]


def _each_answers_a_connection(port: int, workers: list[psutil.Process]) -> bool:
    """Open connections (kept open) until every worker has accepted one and answered on it;
    which worker accepts is the kernel's choice, so this may take a few."""
    with contextlib.ExitStack() as stack:
        mine: set[int] = set()
        for _ in range(60):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            stack.callback(connection.close)
            connection.request("GET", "/health")
            answer = connection.getresponse()
            assert answer.status == 200 and b"ok" in answer.read()
            assert connection.sock is not None
            mine.add(connection.sock.getsockname()[1])
            held = [
                {c.raddr.port for c in w.net_connections("tcp") if c.raddr} & mine for w in workers
            ]
            if all(held):
                return True
    return False
