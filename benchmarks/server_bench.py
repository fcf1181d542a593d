"""The HTTP server under load: throughput and latency over loopback beside the same work done
in-process, then a memory soak (issue 7, point 6).

    python benchmarks/server_bench.py [--seconds 10] [--repeats 3] [--soak-seconds 120]

The server runs as a separate process over a fresh SQLite ledger in a temporary directory,
seeded with a synthetic household (``high_earner_debt``, 14 months). It is ``budgetlm serve``'s
own command function (same uvicorn call, same settings) with one change: the per-caller rate
limit (1,200 requests a minute by default, which a 16-client benchmark would hit within
seconds) is raised to ``--rate-limit``; ``--rate-limit 0`` runs the ``budgetlm serve`` command
unchanged (expect 429s to be counted as errors).

``--clients`` threads (16), each with its own keep-alive ``httpx.Client``, send requests as
fast as they are answered for ``--seconds`` per phase, ``--repeats`` times; figures are medians
over the repeats. Each timed phase follows ``--warmup-seconds`` (3) of the same load that is not
timed, so that the figures are the server's steady state rather than its first seconds, which
were slower (ask p95 339 ms as the first phase after start against 278 ms after a warm-up;
likely causes, not measured apart: a worker's first question builds the household's tool
context, the first of each narrowed schema compiles its grammar, each new batch shape sets up its
kernels); the warm-up's errors count toward the zero-errors target. Phases:

* ``GET /health`` -- no work in the server: the ceiling of this client and the HTTP stack.
* ``POST /api/v1/categorize`` with one transaction per request, and with batches of 100
  (transactions of held-out households, different in every request).
* ``POST /api/v1/ask`` with held-out questions, each asked once (the response cache misses),
  and with one question asked again and again (the cache answers); then uncached with a
  single client.

With ``--workers`` each phase also prints how many client connections each worker held: a
client keeps its connection, and each worker answers its questions one at a time, so an uneven
split leaves one worker with more of the queue (and sets ask's p95). ``budgetlm serve`` hands
each new connection to the worker with the fewest (``server.handoff``).

In-process baselines do the same work by calling the package directly, one call at a time: the
workspace categorizer on the same transactions, ``AssistantService.ask`` on the same questions
(with the server's ``--model``). The ratio is server / in-process for latency (p50) and
in-process / server for throughput.

Soak: ``--soak-warmup-seconds`` of mixed load (single and batch categorize, ask, transaction
pages), in which the bounded caches fill and the allocator settles, then ``--soak-seconds`` more
with the server's RSS (supervisor and workers) sampled every ``--sample-seconds``; "flat" means
the least-squares slope over the sampled part is under ``--flat-mb-per-min``. The RSS before the
warm-up is printed too, so the warm-up's growth is seen, not hidden.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import psutil

TODAY = date(2026, 11, 21)
PHASES = ("health", "categorize_one", "categorize_100", "ask_new", "ask_cached",
          "ask_new_1_client")  # fmt: skip
API = "/api/v1"
Request = Callable[[httpx.Client, int], httpx.Response]


# --- The server process ---------------------------------------------------------------------------


def serve_child(
    db: str, port: int, model: str, rate_limit: int, cache_entries: int, workers: int,
    model_concurrency: int,
) -> None:  # fmt: skip
    """Run ``budgetlm serve``'s command function in this process with ``--rate-limit`` raised
    (and the response cache resized when ``cache_entries`` >= 0, which ``serve`` has no option
    for)."""
    from budgetlm.cli.server import serve
    from budgetlm.server import config as config_module

    if cache_entries >= 0:  # serve() imports ServerConfig from the module when called
        config_module.ServerConfig = functools.partial(  # type: ignore[misc]
            config_module.ServerConfig, cache_entries=cache_entries
        )
    serve(host="127.0.0.1", port=port, model=model, db=db, today=TODAY.isoformat(),
          rate_limit=rate_limit, workers=workers,
          model_concurrency=model_concurrency or None)  # fmt: skip


def seed_ledger(db_path: Path) -> None:
    """A synthetic household in the default workspace."""
    from budgetlm.ledger.household import load_household
    from budgetlm.ledger.repository import Ledger
    from budgetlm.ledger.store import Store
    from budgetlm.ledger.synth import generate_household

    store = Store(f"sqlite:///{db_path}")
    household = generate_household("high_earner_debt", months=14, seed=1, end=TODAY)
    with store.session() as session:
        load_household(Ledger(session, store.workspace_id("default")), household)
    store.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server_process(
    db_path: Path, model: str, rate_limit: int, cache_entries: int = -1, workers: int = 1,
    model_concurrency: int = 0,
) -> Iterator[tuple[str, int]]:  # fmt: skip
    """A server on a free loopback port; yields (base URL, pid) once /ready answers."""
    port = free_port()
    if rate_limit:
        command = [sys.executable, __file__, "--serve-child", str(db_path), str(port), model,
                   str(rate_limit), str(cache_entries), str(workers),
                   str(model_concurrency)]  # fmt: skip
    else:
        cli = Path(sys.executable).with_name("budgetlm")
        command = [str(cli), "serve", "--port", str(port), "--db", str(db_path), "--model", model,
                   "--today", TODAY.isoformat(), "--workers", str(workers)]  # fmt: skip
        if model_concurrency:
            command += ["--model-concurrency", str(model_concurrency)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}")
            try:
                if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("server not ready in 120 s")
        wait_until_idle(process.pid, deadline)
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_idle(pid: int, deadline: float) -> None:
    """Wait until the server uses under a tenth of a core: ``/ready`` answers as soon as one
    worker has started, while the others may still be loading their model."""
    processes = server_processes(pid)
    while time.monotonic() < deadline:
        before = cpu_seconds(processes)
        time.sleep(0.5)
        if cpu_seconds(processes) - before < 0.05:
            return
    raise RuntimeError("server still busy 120 s after it started")


# --- Workload ------------------------------------------------------------------------------------


def held_out_transactions(n: int) -> list[dict[str, str]]:
    """``n`` raw bank lines of households the shipped model was not trained on."""
    from budgetlm.categorize.evaluate import household_rows

    rows: list[dict[str, str]] = []
    seed = 9_200_000
    while len(rows) < n:
        texts, _, _, _ = household_rows(seed, 4, 12, "all", "all", None)
        rows += [
            {"description": t.description[:500], "amount": f"{t.amount:.2f}",
             "date": t.date.isoformat()}
            for t in texts
        ]  # fmt: skip
        seed += 1
    return rows[:n]


def held_out_questions(n: int) -> list[str]:
    """``n`` test-split questions of the assistant corpus."""
    from budgetlm.assistant.corpus import CorpusConfig, build_corpus

    corpus = build_corpus(CorpusConfig(seed=7, size=max(n, 50), shares=(0.0, 0.0, 1.0)))
    asked = [c.turns[0].user for c in corpus.splits["test"] if len(c.turns[0].user) <= 500]
    return list(dict.fromkeys(asked))  # each once


@dataclass
class Workload:
    """What the clients send: request ``i`` takes transaction ``i`` (modulo the list); each
    uncached question is the next one not asked yet (they cycle only once all were asked)."""

    transactions: list[dict[str, str]]
    questions: list[str]
    asked: Iterator[int] = field(default_factory=itertools.count)

    def health(self, client: httpx.Client, i: int) -> httpx.Response:
        return client.get("/health")

    def categorize_one(self, client: httpx.Client, i: int) -> httpx.Response:
        row = self.transactions[i % len(self.transactions)]
        return client.post(f"{API}/categorize", json={"transactions": [row]})

    def categorize_100(self, client: httpx.Client, i: int) -> httpx.Response:
        start = (100 * i) % (len(self.transactions) - 100)
        batch = self.transactions[start : start + 100]
        return client.post(f"{API}/categorize", json={"transactions": batch})

    def ask_new(self, client: httpx.Client, i: int) -> httpx.Response:
        question = self.questions[next(self.asked) % len(self.questions)]
        return client.post(f"{API}/ask", json={"question": question})

    def ask_cached(self, client: httpx.Client, i: int) -> httpx.Response:
        return client.post(f"{API}/ask", json={"question": self.questions[0]})

    def mixed(self, client: httpx.Client, i: int) -> httpx.Response:
        kind = i % 10
        if kind < 6:
            return self.categorize_one(client, i)
        if kind < 8:
            return self.categorize_100(client, i)
        if kind == 8:
            return self.ask_new(client, i)
        return client.get(f"{API}/transactions", params={"limit": 50, "offset": (i * 7) % 2000})


# --- Driving -------------------------------------------------------------------------------------


@dataclass
class Run:
    """One phase's outcome."""

    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    client_cpu_s: float
    server_cpu_s: float
    error_kinds: dict[str, int] = field(default_factory=dict)
    connections: list[int] = field(default_factory=list)
    """Open client connections each worker process held during the run (which worker accepts
    a connection is the kernel's choice, and a client keeps its connection)."""

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def server_processes(pid: int) -> list[psutil.Process]:
    """The server process and its workers (``--workers``)."""
    parent = psutil.Process(pid)
    return [parent, *parent.children(recursive=True)]


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """User + system CPU seconds of ``processes`` so far."""
    return float(sum(sum(p.cpu_times()[:2]) for p in processes))


def rss_mb(processes: list[psutil.Process]) -> float:
    """Resident memory of ``processes`` together, in MB."""
    return sum(p.memory_info().rss for p in processes) / 2**20


def drive(base: str, pid: int, request: Request, clients: int, seconds: float, offset: int) -> Run:
    """``clients`` threads sending ``request`` back to back for ``seconds``."""
    counter = itertools.count(offset)
    latencies: list[float] = []
    kinds: dict[str, int] = {}
    lock = threading.Lock()
    server = server_processes(pid)
    barrier = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client_loop() -> None:
        mine: list[float] = []
        with httpx.Client(base_url=base, timeout=60) as client:
            client.get("/health")  # connect before the clock starts
            barrier.wait()
            while time.perf_counter() < stop_at[0]:
                i = next(counter)
                began = time.perf_counter()
                try:
                    response = request(client, i)
                    problem = None if response.status_code < 400 else str(response.status_code)
                except httpx.HTTPError as error:
                    problem = type(error).__name__
                mine.append((time.perf_counter() - began) * 1000)
                if problem is not None:
                    with lock:
                        kinds[problem] = kinds.get(problem, 0) + 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    cpu_before, server_before = time.process_time(), cpu_seconds(server)
    stop_at[0] = time.perf_counter() + seconds
    started = time.perf_counter()
    barrier.wait()
    workers = [p for p in server if "spawn_main" in " ".join(p.cmdline())] or server
    connections = [sum(1 for c in w.net_connections("tcp") if c.raddr) for w in workers]
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return Run(
        requests=len(latencies), errors=sum(kinds.values()), seconds=elapsed,
        latencies_ms=latencies, client_cpu_s=time.process_time() - cpu_before,
        server_cpu_s=cpu_seconds(server) - server_before, error_kinds=kinds,
        connections=connections,
    )  # fmt: skip


# --- In-process baselines ------------------------------------------------------------------------


def in_process(db_path: Path, workload: Workload, calls: int, model: str) -> dict[str, list[float]]:
    """Per-call milliseconds of the same work without HTTP, one call at a time, with the
    server's model."""
    from budgetlm.categorize.model import CategoryModel
    from budgetlm.categorize.normalize import normalize_payee
    from budgetlm.categorize.records import TransactionText
    from budgetlm.categorize.service import workspace_categorizer
    from budgetlm.ledger.repository import Ledger
    from budgetlm.ledger.store import Store
    from budgetlm.server.config import ServerConfig
    from budgetlm.server.service import AssistantService

    def text(row: dict[str, str]) -> TransactionText:
        from decimal import Decimal

        description = row["description"]
        return TransactionText(description, Decimal(row["amount"]), date.fromisoformat(row["date"]),
                               None, normalize_payee(description))  # fmt: skip

    store = Store(f"sqlite:///{db_path}")
    out: dict[str, list[float]] = {"categorize_one": [], "categorize_100": [], "ask_new": []}
    with store.session() as session:
        ledger = Ledger(session, store.workspace_id("default"))
        categorizer = workspace_categorizer(ledger, CategoryModel.default())
        service = AssistantService(ServerConfig(db_url=str(store.url), today=TODAY, model=model))
        service.warm_up(TODAY)
        for i in range(calls):
            began = time.perf_counter()
            categorizer.categorize([text(workload.transactions[i % len(workload.transactions)])])
            out["categorize_one"].append((time.perf_counter() - began) * 1000)
        for i in range(max(5, calls // 20)):
            start = (100 * i) % (len(workload.transactions) - 100)
            began = time.perf_counter()
            categorizer.categorize([text(r) for r in workload.transactions[start : start + 100]])
            out["categorize_100"].append((time.perf_counter() - began) * 1000)
        for i in range(min(calls, len(workload.questions))):
            began = time.perf_counter()
            service.ask(ledger, TODAY, workload.questions[i])
            out["ask_new"].append((time.perf_counter() - began) * 1000)
        session.rollback()  # the audit rows of these questions are not kept
    store.close()
    return out


# --- Soak ----------------------------------------------------------------------------------------


def cached_mb(base: str) -> tuple[float, float]:
    """The response caches' entries and the MB they keep alive, from ``/metrics`` (all
    workers)."""
    text = httpx.get(f"{base}/metrics", timeout=30).text

    def gauge(name: str) -> float:
        found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
        return float(found.group(1)) if found else float("nan")

    return gauge("budgetlm_cache_entries"), gauge("budgetlm_cache_retained_bytes") / 2**20


def soak(base: str, pid: int, workload: Workload, args: argparse.Namespace) -> dict[str, Any]:
    """Mixed load for ``--soak-warmup-seconds`` (caches fill, allocators settle), then for
    ``--soak-seconds`` with the server's RSS sampled; the slope is fitted to the second part."""
    server = server_processes(pid)
    before_warmup = rss_mb(server)
    if args.soak_warmup_seconds > 0:
        drive(base, pid, workload.mixed, args.clients, args.soak_warmup_seconds, 20_000_000)
    cache_at_start = cached_mb(base)
    samples: list[tuple[float, float]] = []
    done = threading.Event()
    started = time.monotonic()

    def sample() -> None:
        while not done.is_set():
            samples.append((time.monotonic() - started, rss_mb(server)))
            done.wait(args.sample_seconds)

    sampler = threading.Thread(target=sample)
    sampler.start()
    run = drive(base, pid, workload.mixed, args.clients, args.soak_seconds, 10_000_000)
    done.set()
    sampler.join()
    samples.append((time.monotonic() - started, rss_mb(server)))
    slope = statistics.linear_regression([t / 60 for t, _ in samples], [m for _, m in samples])
    return {
        "run": run, "before_warmup_mb": before_warmup, "first_mb": samples[0][1],
        "last_mb": samples[-1][1], "max_mb": max(m for _, m in samples),
        "slope_mb_per_min": slope.slope, "samples": len(samples),
        "by_minute": [m for t, m in samples if t % 60 < args.sample_seconds] + [samples[-1][1]],
        "cache": (cache_at_start, cached_mb(base)),
    }  # fmt: skip


# --- Report --------------------------------------------------------------------------------------


def median_of(runs: list[Run], get: Callable[[Run], float]) -> float:
    return statistics.median(get(r) for r in runs)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(
    phases: dict[str, list[Run]], base_ms: dict[str, list[float]], items: dict[str, int]
) -> dict[str, dict[str, float]]:
    """The table: server figures (medians over repeats) beside in-process ones."""
    print(f"\n{'phase':<20}{'req/s':>9}{'items/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'errors':>8}{'cli CPU':>8}{'srv CPU':>8}{'in-proc p50':>12}{'in-proc/s':>10}"
          f"{'p50 x':>7}{'thru x':>7}")  # fmt: skip
    table: dict[str, dict[str, float]] = {}
    for name, runs in phases.items():
        row = {
            "rps": median_of(runs, lambda r: r.per_second),
            "p50": median_of(runs, lambda r: r.percentile(0.5)),
            "p95": median_of(runs, lambda r: r.percentile(0.95)),
            "p99": median_of(runs, lambda r: r.percentile(0.99)),
            "errors": float(sum(r.errors for r in runs)),
            "client_cpu": median_of(runs, lambda r: r.client_cpu_s / r.seconds),
            "server_cpu": median_of(runs, lambda r: r.server_cpu_s / r.seconds),
        }
        row["items"] = row["rps"] * items.get(name, 1)
        cells = (f"{name:<20}{row['rps']:>9.1f}{row['items']:>10.0f}{row['p50']:>9.1f}"
                 f"{row['p95']:>9.1f}{row['p99']:>9.1f}{row['errors']:>8.0f}"
                 f"{row['client_cpu']:>8.2f}{row['server_cpu']:>8.2f}")  # fmt: skip
        baseline = base_ms.get("ask_new" if name.startswith("ask") else name)
        if baseline:
            row["inproc_p50"] = statistics.median(baseline)
            row["inproc_rps"] = 1000 / statistics.mean(baseline)
            cells += (f"{row['inproc_p50']:>12.2f}{row['inproc_rps']:>10.1f}"
                      f"{row['p50'] / row['inproc_p50']:>7.1f}"
                      f"{row['inproc_rps'] / row['rps']:>7.2f}")  # fmt: skip
        print(cells)
        kinds: dict[str, int] = {}
        for r in runs:
            for kind, count in r.error_kinds.items():
                kinds[kind] = kinds.get(kind, 0) + count
        if kinds:
            print(f"    errors by kind: {kinds}")
        if len(runs[0].connections) > 1:
            split = ", ".join("/".join(map(str, r.connections)) for r in runs)
            print(f"    client connections per worker: {split}")
        table[name] = row
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0, help="per phase and repeat")
    parser.add_argument("--warmup-seconds", type=float, default=3.0,
                        help="the same load before each timed phase, not timed (its errors "
                             "count)")  # fmt: skip
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--soak-seconds", type=float, default=120.0, help="0 skips the soak")
    parser.add_argument("--soak-warmup-seconds", type=float, default=180.0,
                        help="mixed load before the soak's memory is sampled")  # fmt: skip
    parser.add_argument("--sample-seconds", type=float, default=3.0)
    parser.add_argument("--flat-mb-per-min", type=float, default=2.0)
    parser.add_argument("--in-process-calls", type=int, default=300)
    parser.add_argument("--model", default="micro")
    parser.add_argument(
        "--rate-limit", type=int, default=10**9,
        help="requests/min per caller; 0 runs `budgetlm serve` unchanged",
    )  # fmt: skip
    parser.add_argument("--cache-entries", type=int, default=-1,
                        help="response cache size (-1: the server's default)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--model-concurrency", type=int, default=0,
                        help="model calls a worker works on at once (0: default)")  # fmt: skip
    parser.add_argument("--phases", default=",".join(PHASES),
                        help=f"comma-separated subset of {', '.join(PHASES)}")  # fmt: skip
    parser.add_argument("--serve-child", nargs=7, help=argparse.SUPPRESS,
                        metavar=("DB", "PORT", "MODEL", "RATE", "CACHE", "WORKERS",
                                 "CONCURRENCY"))  # fmt: skip
    args = parser.parse_args(argv)
    if args.serve_child:
        db, port, model, rate, cache, workers, at_once = args.serve_child
        serve_child(db, int(port), model, int(rate), int(cache), int(workers), int(at_once))
        return 0

    print(f"machine: {os.cpu_count()} cores; load average at start {os.getloadavg()}")
    limit = args.rate_limit or "default (budgetlm serve)"
    print(f"clients {args.clients}, {args.seconds:.0f} s x {args.repeats} per phase, "
          f"model {args.model}, rate limit {limit}, {args.workers} server worker(s), "
          f"model concurrency {args.model_concurrency or 'default'}")  # fmt: skip
    workdir = Path(tempfile.mkdtemp(prefix="budgetlm-server-bench-"))
    try:
        db_path = workdir / "ledger.db"
        seeded = time.perf_counter()
        seed_ledger(db_path)
        workload = Workload(held_out_transactions(20_000), held_out_questions(4_000))
        print(
            f"seeded ledger and built the workload in {time.perf_counter() - seeded:.1f} s; "
            f"{len(workload.questions)} distinct questions"
        )
        base_ms = in_process(db_path, workload, args.in_process_calls, args.model)
        every: dict[str, tuple[Request, int]] = {
            "health": (workload.health, args.clients),
            "categorize_one": (workload.categorize_one, args.clients),
            "categorize_100": (workload.categorize_100, args.clients),
            "ask_new": (workload.ask_new, args.clients),
            "ask_cached": (workload.ask_cached, args.clients),
            "ask_new_1_client": (workload.ask_new, 1),
        }
        names = {name: every[name] for name in args.phases.split(",")}
        phases: dict[str, list[Run]] = {name: [] for name in names}
        with server_process(
            db_path, args.model, args.rate_limit, args.cache_entries, args.workers,
            args.model_concurrency,
        ) as (base, pid):  # fmt: skip
            offset, warmup_errors = 0, 0
            for _ in range(args.repeats):
                for name, (request, clients) in names.items():
                    if args.warmup_seconds > 0:
                        warm = drive(base, pid, request, clients, args.warmup_seconds, offset)
                        offset, warmup_errors = offset + warm.requests, warmup_errors + warm.errors
                    phases[name].append(drive(base, pid, request, clients, args.seconds, offset))
                    offset += phases[name][-1].requests
            table = report(phases, base_ms, {"categorize_100": 100})
            print(f"\nload average after the phases {os.getloadavg()}")
            cat, ask = table.get("categorize_one"), table.get("ask_new")
            errors = sum(row["errors"] for row in table.values()) + warmup_errors
            print(f"untimed warm-up: {args.warmup_seconds:.0f} s before each phase, "
                  f"{warmup_errors} errors")  # fmt: skip
            if cat is not None:
                print(f"target categorize >= 500 req/s: {cat['rps']:.0f}  "
                      f"{verdict(cat['rps'] >= 500)}")  # fmt: skip
            if ask is not None:
                print(f"target ask p95 <= 300 ms (uncached): {ask['p95']:.0f} ms  "
                      f"{verdict(ask['p95'] <= 300)}")  # fmt: skip
            print(f"target zero errors: {errors:.0f}  {verdict(errors == 0)}")
            if args.soak_seconds > 0:
                soaked = soak(base, pid, workload, args)
                run: Run = soaked["run"]
                flat = abs(soaked["slope_mb_per_min"]) < args.flat_mb_per_min
                print(
                    f"\nsoak {args.soak_seconds:.0f} s mixed: {run.requests} requests, "
                    f"{run.per_second:.0f} req/s, p50 {run.percentile(0.5):.1f} ms, p99 "
                    f"{run.percentile(0.99):.1f} ms, errors {run.errors} {run.error_kinds}"
                )
                print(f"server RSS MB: {soaked['before_warmup_mb']:.0f} before the "
                      f"{args.soak_warmup_seconds:.0f}-s warm-up; during the soak first "
                      f"{soaked['first_mb']:.0f}, last {soaked['last_mb']:.0f}, max "
                      f"{soaked['max_mb']:.0f}; slope {soaked['slope_mb_per_min']:+.2f} MB/min "
                      f"over {soaked['samples']} samples  (flat < {args.flat_mb_per_min} "
                      f"MB/min: {verdict(flat)})")  # fmt: skip
                (entries_0, mb_0), (entries_1, mb_1) = soaked["cache"]
                print(f"response caches (all workers): {entries_0:.0f} entries, {mb_0:.1f} MB "
                      f"at the start; {entries_1:.0f}, {mb_1:.1f} MB at the end")  # fmt: skip
                minutes = ", ".join(f"{m:.0f}" for m in soaked["by_minute"])
                print(f"RSS MB each minute and at the end: {minutes}")
                print(f"load average after the soak {os.getloadavg()}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
