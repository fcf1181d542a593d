"""Issue 7's protections: rate limits, the audit trail, log hygiene, the response cache, the model
timeout and circuit breaker with its deterministic fallback, and ``/metrics``."""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from budgetlm.assistant.assistant import Reply
from budgetlm.assistant.backends.base import CallChoice, Message
from budgetlm.assistant.tools import ToolCall, ToolResult, Vocabulary
from budgetlm.ledger.importing import import_statement
from budgetlm.ledger.models import AuditRecord
from budgetlm.ledger.records import ImportedTransaction, ParsedStatement
from budgetlm.ledger.repository import Ledger
from budgetlm.ledger.store import Store
from budgetlm.server.audit import AuditLog, Prediction, canonical_json, input_hash
from budgetlm.server.breaker import CircuitBreaker
from budgetlm.server.cache import CacheDep, ResponseCache
from budgetlm.server.deps import LedgerDep
from budgetlm.server.logs import RedactQuery, install
from budgetlm.server.metrics import ServerMetrics
from budgetlm.server.ratelimit import RateLimiter
from budgetlm.server.schemas import CategorizeIn
from budgetlm.server.service import (
    DETERMINISTIC,
    MODEL_UNAVAILABLE,
    AssistantService,
    FallbackReply,
    audit_input,
)
from conftest import TODAY, Served, serve

MARKER_PAYEE = "Zebrafish Emporium"
MARKER_DESCRIPTION = "ZEBRAFISH EMPORIUM #4471 SECRETVILLE"
MARKER_AMOUNT = "-987.65"


class Clock:
    """A settable clock for the limiter and the breaker."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class Scripted:
    """A backend that always asks for this month's spending; counts its calls."""

    name = "scripted-1.2"

    def __init__(self) -> None:
        self.calls = 0

    def choose_call(self, messages: Sequence[Message], vocabulary: Vocabulary) -> CallChoice:
        self.calls += 1
        return CallChoice(ToolCall("spending", {"period": "this_month"}), 0.9)

    def phrase(self, messages: Sequence[Message], result: ToolResult) -> str:
        return "You spent {total} {period}."


class Failing(Scripted):
    """A backend that raises on every call."""

    def choose_call(self, messages: Sequence[Message], vocabulary: Vocabulary) -> CallChoice:
        self.calls += 1
        raise RuntimeError("the model server is down")


class Stuck(Scripted):
    """A backend that hangs until released."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.finished = threading.Event()

    def choose_call(self, messages: Sequence[Message], vocabulary: Vocabulary) -> CallChoice:
        self.calls += 1
        self.release.wait(10)
        self.finished.set()
        return super().choose_call(messages, vocabulary)


def _fill(served: Served, workspace: str) -> int:
    """Give ``workspace`` groceries, a marker payee and a budget; its id."""
    workspace_id = served.store.workspace_id(workspace)
    rows = [
        (date(2026, 10, 4), "-210.40", "MARKET 12", "Groceries", "Market"),
        (date(2026, 11, 3), "-64.10", "MARKET 12", "Groceries", "Market"),
        (date(2026, 11, 9), MARKER_AMOUNT, MARKER_DESCRIPTION, "Shopping", MARKER_PAYEE),
    ]
    statement = ParsedStatement(
        "x.csv",
        "csv",
        tuple(
            ImportedTransaction(day, Decimal(amount), text, i, category=category, payee=payee)
            for i, (day, amount, text, category, payee) in enumerate(rows, 1)
        ),
    )
    with served.store.session() as session:
        ledger = Ledger(session, workspace_id)
        import_statement(ledger, statement, file_sha256="x", account="Checking")
        ledger.set_budget("Groceries", date(2026, 11, 1), Decimal("400"))
    return workspace_id


def _app(served: Served) -> FastAPI:
    app = served.client.app
    assert isinstance(app, FastAPI)
    return app


def _service(served: Served, backend: Scripted | None = None) -> AssistantService:
    service: AssistantService = _app(served).state.assistant
    if backend is not None:
        service._backend = backend
    return service


def _ask(served: Served, workspace_id: int, question: str) -> Reply:
    with served.store.session() as session:
        return _service(served).ask(Ledger(session, workspace_id), TODAY, question)


def _audit_rows(served: Served) -> list[AuditRecord]:
    _app(served).state.audit.flush()  # rows are written in batches
    with served.store.session() as session:
        rows = list(session.scalars(select(AuditRecord).order_by(AuditRecord.id)))
        session.expunge_all()
    return rows


def _sample(served: Served, name: str, **labels: str) -> float:
    metrics: ServerMetrics = _app(served).state.metrics
    return metrics.registry.get_sample_value(name, labels) or 0.0


# --- Rate limits ---------------------------------------------------------------------------------


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[tuple[Served, Clock]]:
    for served in serve(tmp_path, rate_limit_per_minute=3):
        clock = Clock()
        _app(served).state.rate_limiter = RateLimiter(3, clock=clock)
        yield served, clock


def test_a_key_over_its_rate_gets_429_with_retry_after_and_others_are_unaffected(
    limited: tuple[Served, Clock],
) -> None:
    served, clock = limited
    alice = [served.client.get("/api/v1/workspace", headers=served.as_("alice")) for _ in range(4)]
    assert [r.status_code for r in alice] == [200, 200, 200, 429]
    assert alice[-1].headers["retry-after"] == "20"  # one token per 60/3 seconds
    assert "3 requests per minute" in alice[-1].json()["detail"]
    assert served.client.get("/api/v1/workspace", headers=served.as_("bob")).status_code == 200
    assert all(served.client.get("/health").status_code == 200 for _ in range(5))
    assert served.client.get("/metrics").status_code == 200  # probes and scrapes are exempt
    clock.now += 19.5
    refused = served.client.get("/api/v1/workspace", headers=served.as_("alice"))
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    clock.now += 0.5
    assert served.client.get("/api/v1/workspace", headers=served.as_("alice")).status_code == 200
    assert _sample(served, "budgetlm_rate_limited_total") == 2


def test_the_limiter_forgets_idle_callers_and_stays_bounded() -> None:
    clock = Clock()
    limiter = RateLimiter(60, clock=clock, max_buckets=3)
    for who in ("a", "b", "c", "d"):
        assert limiter.acquire(who) is None
    assert len(limiter) == 3  # "a", the least recently seen, was dropped
    clock.now += 60.0  # everyone has refilled: a full bucket is the same as none
    assert limiter.acquire("e") is None and len(limiter) == 1
    one = RateLimiter(1, clock=clock)
    assert one.acquire("x") is None and one.acquire("x") == 60


# --- Audit trail ---------------------------------------------------------------------------------


def test_the_assistant_reads_the_ledger_once_per_version_and_sees_every_write(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    from budgetlm.assistant import tools

    loads: list[int] = []
    real = tools.load_context
    monkeypatch.setattr(tools, "load_context", lambda *a, **k: loads.append(1) or real(*a, **k))
    alice = _fill(served, "alice")
    _service(served, Scripted())
    first = [_ask(served, alice, f"what did I spend this month? ({n})") for n in range(3)]
    assert len(loads) == 1 and len({r.answer for r in first}) == 1
    with served.store.session() as session:  # a write: the next question sees it
        Ledger(session, alice).set_budget("Dining Out", date(2026, 11, 1), Decimal("50"))
        ledger = Ledger(session, alice)
        statement = ParsedStatement("y.csv", "csv", (
            ImportedTransaction(date(2026, 11, 12), Decimal("-100.00"), "MARKET 12", 1,
                                category="Groceries", payee="Market"),
        ))  # fmt: skip
        import_statement(ledger, statement, file_sha256="y", account="Checking")
    after = _ask(served, alice, "what did I spend this month?")
    assert len(loads) == 2 and after.answer != first[0].answer
    assert after.results[0].figures["total"] == first[0].results[0].figures["total"] + 100


def test_every_ask_leaves_an_audit_row_with_the_input_hashed_never_stored(served: Served) -> None:
    alice = _fill(served, "alice")
    backend = Scripted()
    _service(served, backend)
    question = f"how much did I spend at {MARKER_PAYEE} this month"
    reply = _ask(served, alice, question)
    assert reply.model == "scripted-1.2" and not isinstance(reply, FallbackReply)
    (row,) = _audit_rows(served)
    expected = hashlib.sha256(
        canonical_json(audit_input(question, [], TODAY)).encode("utf-8")
    ).hexdigest()
    assert (row.workspace_id, row.endpoint, row.model, row.model_version) == (
        alice, "ask", "scripted", "1.2",
    )  # fmt: skip
    assert row.input_hash == expected and row.confidence == pytest.approx(0.9)
    assert row.latency_ms > 0
    output = json.loads(row.output)
    assert output["kind"] == "answer" and output["tool_calls"][0]["name"] == "spending"
    stored = " ".join(str(getattr(row, c.key)) for c in AuditRecord.__table__.columns)
    assert question not in stored and MARKER_DESCRIPTION not in stored
    assert "results" not in output  # the tools' ledger rows are not predictions


def test_categorize_predictions_are_audited_with_the_input_hashed(served: Served) -> None:
    alice = _fill(served, "alice")
    body = {"transactions": [
        {"description": MARKER_DESCRIPTION, "amount": MARKER_AMOUNT, "date": "2026-11-09"},
        {"description": "STARBUCKS 0042", "amount": "-5.10", "date": "2026-11-10"},
    ]}  # fmt: skip
    answer = served.client.post("/api/v1/categorize", json=body, headers=served.as_("alice"))
    assert answer.status_code == 200
    predictions = answer.json()["predictions"]
    (row,) = _audit_rows(served)
    assert (row.workspace_id, row.endpoint, row.model) == (alice, "categorize", "categorizer")
    assert row.input_hash == input_hash(CategorizeIn.model_validate(body).model_dump(mode="json"))
    assert [p["category"] for p in json.loads(row.output)] == [p["category"] for p in predictions]
    assert row.confidence == pytest.approx(min(p["confidence"] for p in predictions))
    assert MARKER_DESCRIPTION not in row.output and "STARBUCKS" not in row.output
    applied = served.client.post("/api/v1/categorize/ledger", json={"redo": True},
                                 headers=served.as_("alice"))  # fmt: skip
    assert applied.status_code == 200
    last = _audit_rows(served)[-1]
    assert last.endpoint == "categorize/ledger" and json.loads(last.output) == applied.json()


def test_the_audit_log_writes_its_rows_soon_and_the_rest_when_closed(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'audit.db'}")
    workspace = store.workspace_id("alice")
    audit = AuditLog(store, flush_seconds=0.05)

    def written() -> list[str]:
        with store.session() as session:
            return [row.output for row in session.scalars(select(AuditRecord))]

    for i in range(3):
        audit.record(
            Prediction(workspace, "categorize", "categorizer", "1", {"i": i}, [i], 0.5, 1.0)
        )
    deadline = time.monotonic() + 5
    while len(written()) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert written() == ["[0]", "[1]", "[2]"]  # without a flush: within flush_seconds
    audit.flush_seconds = 60.0
    audit.record(Prediction(workspace, "categorize", "categorizer", "1", {"i": 3}, [3], 0.5, 1.0))
    audit.close()  # the server stops: nothing queued is lost
    assert written() == ["[0]", "[1]", "[2]", "[3]"]
    store.close()


def test_a_full_audit_queue_makes_requests_wait_and_loses_nothing(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'audit.db'}")
    workspace = store.workspace_id("alice")
    audit = AuditLog(store, flush_seconds=0.01, max_pending=2)
    database_free, writing = threading.Event(), threading.Event()
    writes = audit._write

    def slow_write(batch: list[AuditRecord]) -> None:
        writing.set()
        database_free.wait(10)
        writes(batch)

    audit._write = slow_write  # type: ignore[method-assign]
    recorded = threading.Event()

    def record(i: int) -> None:
        audit.record(
            Prediction(workspace, "categorize", "categorizer", "1", {"i": i}, [i], 0.5, 1.0)
        )

    def record_rest() -> None:
        for i in range(1, 6):
            record(i)
        recorded.set()

    record(0)
    assert writing.wait(5)  # the writer took row 0 and is stuck on the database
    threading.Thread(target=record_rest, daemon=True).start()
    assert not recorded.wait(0.3)  # two rows fill the queue; the third waits
    database_free.set()
    assert recorded.wait(10)
    audit.close()
    with store.session() as session:
        assert sorted(row.output for row in session.scalars(select(AuditRecord))) == [
            f"[{i}]" for i in range(6)
        ]
    store.close()


# --- Response cache ------------------------------------------------------------------------------


def test_a_repeat_is_served_from_the_cache_until_a_write_bumps_the_ledger_version(
    served: Served,
) -> None:
    computed = itertools.count()

    @_app(served).get("/api/v1/test-cached")
    def cached(ledger: LedgerDep, cache: CacheDep, n: int = 0) -> dict[str, Any]:
        return cache.fetch(ledger, lambda: {"computed": next(computed), "n": n})

    def get(workspace: str, n: int = 0) -> int:
        response = served.client.get(
            "/api/v1/test-cached", params={"n": n}, headers=served.as_(workspace)
        )
        value: int = response.json()["computed"]
        return value

    assert [get("alice"), get("alice"), get("alice", 1), get("bob")] == [0, 0, 1, 2]
    cache: ResponseCache = _app(served).state.cache
    assert (cache.hits, cache.misses) == (1, 3)
    _fill(served, "alice")  # a write: the ledger version moves on
    assert [get("alice"), get("alice"), get("bob")] == [3, 3, 2]
    assert _sample(served, "budgetlm_cache_hits_total") == 3
    assert _sample(served, "budgetlm_cache_misses_total") == 4
    assert _sample(served, "budgetlm_cache_entries") == len(cache) == 4
    assert _sample(served, "budgetlm_cache_retained_bytes") == cache.total_bytes > 0


def test_the_cache_is_bounded_and_can_refuse_degraded_answers() -> None:
    cache = ResponseCache(2)
    for key in ("a", "b", "c"):
        cache.put(key, key)
    assert len(cache) == 2 and cache.get("a") == (False, None) and cache.get("c") == (True, "c")
    assert ResponseCache(0).get("x") == (False, None)


# --- Timeout, breaker, fallback ------------------------------------------------------------------


def test_a_failing_model_falls_back_to_a_flagged_deterministic_answer_and_opens_the_breaker(
    served: Served,
) -> None:
    alice = _fill(served, "alice")
    backend, clock = Failing(), Clock()
    service = _service(served, backend)
    service.breaker = CircuitBreaker(2, 30.0, clock=clock)
    question = "how much did I spend on groceries last month"
    first = _ask(served, alice, question)
    assert isinstance(first, FallbackReply) and first.reason == "error" and first.fallback
    assert first.answer.startswith(MODEL_UNAVAILABLE) and first.model == DETERMINISTIC
    assert first.tool_calls == (ToolCall("spending", {"period": "last_month",
                                                      "category": "Groceries"}),)  # fmt: skip
    assert "$210.40" in first.answer and first.to_json()["model_unavailable"] is True
    assert _ask(served, alice, "how are my budgets doing").tool_calls[0].name == "budget_status"
    assert service.breaker.state == "open" and backend.calls == 2
    third = _ask(served, alice, question)
    assert isinstance(third, FallbackReply) and third.reason == "circuit_open"
    assert backend.calls == 2  # the open breaker keeps the model out
    clock.now += 30.0
    assert service.breaker.state == "half_open"
    assert isinstance(_ask(served, alice, question), FallbackReply)  # the probe fails
    assert service.breaker.state == "open" and backend.calls == 3
    clock.now += 30.0
    service._backend = Scripted()
    assert not isinstance(_ask(served, alice, question), FallbackReply)  # the probe succeeds
    assert service.breaker.state == "closed"
    assert [r.model for r in _audit_rows(served)] == [DETERMINISTIC] * 4 + ["scripted"]
    assert _sample(served, "budgetlm_assistant_fallbacks_total", reason="circuit_open") == 1
    assert _sample(served, "budgetlm_assistant_fallbacks_total", reason="error") == 3


@pytest.fixture
def impatient(tmp_path: Path) -> Iterator[Served]:
    # A remote model's calls run on threads of their own: two here (the test's backend stands
    # in for it; the address is never called).
    yield from serve(tmp_path, model="openai:http://127.0.0.1:9/v1", model_concurrency=2,
                     model_timeout_seconds=0.2, breaker_failures=4)  # fmt: skip


def test_a_slow_model_times_out_and_holds_its_thread_until_it_finishes(impatient: Served) -> None:
    alice = _fill(impatient, "alice")
    stuck = Stuck()
    service = _service(impatient, stuck)
    for _ in range(2):  # each model thread gets stuck in turn
        slow = _ask(impatient, alice, "how much did I spend this month")
        assert isinstance(slow, FallbackReply) and slow.reason == "timeout"
    busy = _ask(impatient, alice, "how much did I spend this month")
    assert isinstance(busy, FallbackReply) and busy.reason == "busy" and stuck.calls == 2
    stuck.release.set()
    assert stuck.finished.wait(5)  # the late calls give their threads back; the busy one
    fine = _ask(impatient, alice, "how much did I spend this month")  # was dropped
    assert not isinstance(fine, FallbackReply) and fine.model == "scripted-1.2"
    assert service.breaker.state == "closed"  # three failures, then a success


# --- Metrics -------------------------------------------------------------------------------------


def test_metrics_count_requests_by_route_template_and_expose_them(served: Served) -> None:
    @_app(served).get("/api/v1/things/{thing_id}")
    def thing(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    for thing_id in (1, 2, 3):
        assert served.client.get(f"/api/v1/things/{thing_id}").status_code == 200
    served.client.get("/api/v1/workspace", headers=served.as_("alice"))
    served.client.get("/api/v1/transactions/424242", headers=served.as_("alice"))  # a 404
    served.client.get("/no/such/page/42")
    text = served.client.get("/metrics").text
    assert 'route="/api/v1/transactions/{transaction_id}",status="404"' in text
    assert (
        'budgetlm_http_requests_total{method="GET",route="/api/v1/things/{thing_id}",'
        'status="200"} 3.0'
    ) in text
    assert 'route="/no/such/page/42"' not in text and 'route="unmatched",status="404"' in text
    assert _sample(served, "budgetlm_http_request_duration_seconds_count",
                   route="/api/v1/workspace") == 1  # fmt: skip
    for name in ("budgetlm_model_latency_seconds", "budgetlm_cache_hits_total",
                 "budgetlm_assistant_fallbacks_total", "budgetlm_rate_limited_total"):  # fmt: skip
        assert f"# TYPE {name.removesuffix('_total')}" in text


def test_model_latency_is_recorded(served: Served) -> None:
    alice = _fill(served, "alice")
    _service(served, Scripted())
    _ask(served, alice, "how much did I spend this month")
    assert _sample(served, "budgetlm_model_latency_seconds_count", outcome="ok") == 1


# --- Logs ----------------------------------------------------------------------------------------


class Captured(logging.Handler):
    """Every record that reaches the loggers it is attached to."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: dict[int, logging.LogRecord] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.records[id(record)] = record


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Iterator[Captured]:
    """A handler on the root and uvicorn loggers, each open to DEBUG (whatever logging
    configuration earlier tests left)."""
    handler = Captured()
    loggers = [logging.getLogger(n) for n in ("", "uvicorn", "uvicorn.access", "uvicorn.error")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        monkeypatch.setattr(logger, "disabled", False)
        logger.setLevel(logging.DEBUG)  # setLevel, not setattr: it clears the level cache
        logger.addHandler(handler)
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_logs_never_carry_ledger_text_query_strings_or_bodies(
    served: Served, captured: Captured
) -> None:
    alice = _fill(served, "alice")
    _service(served, Failing())
    markers = (MARKER_PAYEE, MARKER_DESCRIPTION, MARKER_AMOUNT.lstrip("-"), "Secretville")
    served.client.get(
        "/api/v1/workspace",
        params={"payee": MARKER_PAYEE, "amount": MARKER_AMOUNT},
        headers=served.as_("alice"),
    )
    served.client.post("/api/v1/nowhere", json={"description": MARKER_DESCRIPTION})
    served.client.post("/api/v1/ask", json={"question": f"spent at {MARKER_PAYEE} this month?"},
                       headers=served.as_("alice"))  # fmt: skip
    _ask(served, alice, f"how much went to {MARKER_PAYEE}, {MARKER_DESCRIPTION}?")
    # uvicorn's access line, as uvicorn writes it, through the installed filter
    install()
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET",
        f"/api/v1/transactions?payee={MARKER_PAYEE}&amount={MARKER_AMOUNT}", "1.1", 200,
    )  # fmt: skip
    # the test client's own request log (httpx) is the client's, not the server's
    records = captured.records.values()
    server_side = [r for r in records if not r.name.startswith(("httpx", "httpcore"))]
    assert any(r.name == "uvicorn.access" for r in server_side)
    assert any("without the model" in r.getMessage() for r in server_side)
    logged = "\n".join(r.getMessage() for r in server_side)
    assert "/api/v1/transactions?…" in logged
    assert not [m for m in markers if m.casefold() in logged.casefold()], logged


def test_the_redaction_filter_cuts_query_strings_wherever_they_appear() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, 'x - "%s %s" %d',
        ("GET", "/a/b?q=secret&x=1", 200), None,
    )  # fmt: skip
    assert RedactQuery().filter(record) and record.getMessage() == 'x - "GET /a/b?…" 200'
