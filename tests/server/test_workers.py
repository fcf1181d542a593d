"""``budgetlm serve --workers N``: several processes answer one port, each with its own app,
and ``/metrics`` counts every worker's requests."""

from __future__ import annotations

import re
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
        workers = psutil.Process(process.pid).children(recursive=True)
        assert len([w for w in workers if "spawn_main" in " ".join(w.cmdline())]) == 2
        for _ in range(40):  # a new connection each: the kernel spreads them over the workers
            answer = httpx.post(f"{base}/api/v1/categorize", json={"transactions": [row]})
            assert answer.json()["predictions"][0]["category"] == "Coffee Shops"
        assert _requests_counted(base) == 40  # both workers' counts, summed
        made = httpx.post(f"{base}/api/v1/accounts", json={"name": "Savings",
                                                            "account_type": "savings"})  # fmt: skip
        assert made.status_code == 201
        seen = {httpx.get(f"{base}/api/v1/accounts").json()[0]["name"] for _ in range(10)}
        assert seen == {"Savings"}  # one ledger, whichever worker answers
