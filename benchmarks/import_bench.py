"""Import speed: a 100k-row bank CSV, first import and re-import, against a bare SQLite insert.

The floor is the same rows, already parsed, written with ``sqlite3.executemany`` in one
transaction into an identical ``transactions`` table (same schema and indexes, made by our
migrations). The measured import includes everything a user waits for: reading and detecting
the file, parsing dates and amounts, fingerprinting, the duplicate check and the insert.

    python benchmarks/import_bench.py [--rows 100000] [--repeats 3]

Targets (issue 2): first import >= 20k rows/s and within 3x of the floor; re-import >= 50k rows/s.
"""

from __future__ import annotations

import argparse
import platform
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from budgetlm.ledger.importers import parse_statement
from budgetlm.ledger.importing import import_statement
from budgetlm.ledger.repository import Ledger
from budgetlm.ledger.store import Store

MERCHANTS = (
    "POS PURCHASE GREEN LEAF MARKET #0412 PORTLAND OR",
    "SQ *LUCY'S COFFEE CO. SAN LUIS OBIS CA",
    "AMZN MKTP US*2K4L81T3",
    "SHELL OIL 57444209 DENVER CO",
    "ACH DEBIT CITY POWER & LIGHT PPD ID: 99",
    "TST* THE NOODLE BAR BROOKLYN NY",
    "CHECKCARD 1015 TARGET T-1234 AUSTIN TX",
    "NETFLIX.COM 866-579-7172 CA",
    "ACME CORP PAYROLL PPD ID:1234567890",
)


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    """A bank-style CSV: MM/DD/YYYY dates, quoted descriptions, signed amounts with commas."""
    rng = random.Random(seed)
    start = date(2020, 1, 1)
    lines = ["Posting Date,Description,Amount"]
    for _ in range(rows):
        day = start + timedelta(days=rng.randrange(6 * 365))
        merchant = rng.choice(MERCHANTS)
        cents = rng.randrange(100, 250_000) * (1 if "PAYROLL" in merchant else -1)
        amount = f"{cents / 100:,.2f}"
        lines.append(f'{day:%m/%d/%Y},"{merchant} {rng.randrange(10**6):06d}","{amount}"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def import_file(url: str, path: Path) -> tuple[float, int]:
    """Seconds to parse and import ``path`` into the store at ``url``, and rows added."""
    store = Store(url)
    workspace = store.workspace_id()
    started = time.perf_counter()
    statement = parse_statement(path.read_bytes(), path.name)
    with store.session() as session:
        report = import_statement(
            Ledger(session, workspace), statement, file_sha256="bench", account="Checking"
        )
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed, report.added


def bare_insert(url: str, path: Path) -> float:
    """Seconds for sqlite3 ``executemany`` of the same, pre-parsed rows (the floor)."""
    store = Store(url)
    workspace = store.workspace_id()
    with store.session() as session:
        account = Ledger(session, workspace).add_account("Checking").id
    statement = parse_statement(path.read_bytes(), path.name)
    values = [
        (
            workspace,
            account,
            t.date.isoformat(),
            int(t.amount.scaleb(4)),
            "USD",
            t.description,
            path.name,
            uuid.uuid4().hex,
        )
        for t in statement.transactions
    ]
    store.close()
    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    started = time.perf_counter()
    with connection:
        connection.executemany(
            "INSERT INTO transactions (workspace_id, account_id, date, amount, currency, "
            "description, source_file, fingerprint, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP)",
            values,
        )
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    floor, first, again = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "statement.csv"
        write_csv(csv_path, args.rows)
        for run in range(args.repeats):
            floor.append(bare_insert(f"sqlite:///{tmp}/floor{run}.db", csv_path))
            url = f"sqlite:///{tmp}/ledger{run}.db"
            seconds, added = import_file(url, csv_path)
            assert added == args.rows, f"expected {args.rows} new rows, got {added}"
            first.append(seconds)
            seconds, added = import_file(url, csv_path)
            assert added == 0, f"re-import added {added} rows"
            again.append(seconds)
    base = statistics.median(floor)
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    print(f"data: {args.rows} CSV rows, median of {args.repeats} runs, fresh SQLite file per run\n")
    print(f"{'measure':<34}{'seconds':>9}{'rows/s':>11}{'x floor':>9}{'target':>22}")
    for name, runs, target in (
        ("bare sqlite3 executemany (floor)", floor, ""),
        ("first import (parse + insert)", first, ">= 20k rows/s, <= 3x"),
        ("re-import (all duplicates)", again, ">= 50k rows/s"),
    ):
        seconds = statistics.median(runs)
        rate = args.rows / seconds
        print(f"{name:<34}{seconds:>9.3f}{rate:>11,.0f}{seconds / base:>9.2f}{target:>22}")


if __name__ == "__main__":
    main()
