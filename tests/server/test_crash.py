"""Crash safety: a server killed (SIGKILL) in the middle of an import leaves a consistent
ledger, with all of the import or none of it, and importing the file again works."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from budgetlm.cli import app as cli
from budgetlm.ledger.store import Store
from conftest import free_port, serve_command

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def statement(rows: int) -> bytes:
    """A bank CSV of ``rows`` distinct charges."""
    start = date(2020, 1, 1)
    lines = ["Posting Date,Description,Debit,Credit"]
    for i in range(rows):
        day = (start + timedelta(days=i % 2000)).strftime("%m/%d/%Y")
        lines.append(f"{day},STORE {i} PURCHASE #{i * 7919 % 100_000},{1 + i % 997}.{i % 100:02d},")
    return ("\n".join(lines) + "\n").encode()


def write_locked(db: Path) -> bool:
    """Whether another connection holds the database's write lock (a write in progress)."""
    probe = sqlite3.connect(db, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def ledger_state(db: Path) -> tuple[str, int, int, int]:
    """(integrity check, transactions, import batches, ledger version) of the default
    workspace, read with plain sqlite3."""
    connection = sqlite3.connect(db)
    try:
        [[integrity]] = connection.execute("PRAGMA integrity_check").fetchall()
        [[rows]] = connection.execute("SELECT count(*) FROM transactions").fetchall()
        [[batches]] = connection.execute("SELECT count(*) FROM imports").fetchall()
        [[version]] = connection.execute(
            "SELECT ledger_version FROM workspaces WHERE name = 'default'"
        ).fetchall()
        return str(integrity), int(rows), int(batches), int(version)
    finally:
        connection.close()


def kill_mid_import(db: Path, data: bytes) -> bool:
    """Upload ``data`` and SIGKILL the server while its import writes; False if the import
    finished first."""
    finished = threading.Event()
    port = free_port()

    def upload() -> None:
        try:
            httpx.post(
                f"http://127.0.0.1:{port}/api/v1/imports", data={"account": "Checking"},
                files={"file": ("big.csv", data, "text/csv")}, timeout=300,
            )  # fmt: skip
            finished.set()
        except httpx.TransportError:
            pass  # the kill cut it off

    with serve_command(db, port) as process:
        sender = threading.Thread(target=upload, daemon=True)
        sender.start()
        deadline = time.monotonic() + 120
        while not write_locked(db) and not finished.is_set() and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(0.05)  # into the write, not at its first statement
        if finished.is_set():
            return False
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        sender.join(timeout=30)
    return not finished.is_set()


def fresh_ledger(db: Path) -> None:
    """A new, migrated database with its default workspace."""
    for old in db.parent.glob(f"{db.name}*"):
        old.unlink()
    store = Store(f"sqlite:///{db}")
    store.workspace_id("default")
    store.close()


def test_a_server_killed_mid_import_leaves_all_or_none_of_it(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    fresh_ledger(db)
    _, _, _, version_before = ledger_state(db)
    rows = 20_000
    for _ in range(3):
        data = statement(rows)
        if kill_mid_import(db, data):
            break
        fresh_ledger(db)
        rows *= 2
    else:
        pytest.fail("every import finished before the server could be killed")

    integrity, count, batches, version = ledger_state(db)
    print(f"killed mid-import of {rows} rows: {count} rows, {batches} batches after restart")
    assert integrity == "ok"
    assert (count, batches) in ((0, 0), (rows, 1)), (count, batches)
    assert (version == version_before) == (count == 0)

    path = tmp_path / "big.csv"
    path.write_bytes(data)
    for batches in (1, 2):  # the import, then again: a second batch that adds nothing
        result = CliRunner().invoke(cli, ["import", str(path), "--account", "Checking",
                                          "--db", str(db)])  # fmt: skip
        assert result.exit_code == 0, result.output
        assert ledger_state(db)[:3] == ("ok", rows, batches)
