"""The audit trail: one ``audit_records`` row per prediction the server makes.

A row says who asked (workspace), where (endpoint), which model and version answered, what it
predicted (output JSON), how sure it was and how long it took. The input is stored only as the
SHA-256 of its canonical JSON (``input_hash``): enough to tell whether two predictions saw the
same input, never the question, descriptions, payees or amounts themselves.

Who records: the assistant service every ``ask`` (``/api/v1/ask`` and the OpenAI endpoint's
assistant mode), the categorize routes every batch (``categorize``, ``categorize/ledger``) and
the OpenAI endpoint every pass-through completion.

They record through the app's :class:`AuditLog`, which writes rows in batches from one
background thread (every ``flush_seconds``, and when the server stops) instead of in each
request's transaction. Measured why: with a row written per request, concurrent requests (and
worker processes) queued for SQLite's single write lock, and its busy handler sleeps in
milliseconds: 16 clients asking over 2 workers used 0.9 of 2 cores at 24 questions/s. The cost
is that a server killed outright loses the rows of its last ``flush_seconds``. The queue is
bounded (``max_pending``): if the database falls behind, requests wait for it rather than the
queue growing.

The output should be the prediction (labels, calls, answer text), not echoes of the input.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from budgetlm.ledger.models import AuditRecord
from budgetlm.ledger.store import Store

log = logging.getLogger(__name__)

UNVERSIONED = "unversioned"
"""``model_version`` of a model whose name carries no version."""


def _plain(value: object) -> object:
    """JSON for the values ``json`` does not know (money, dates, anything else as text)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(str(v) for v in value)
    return str(value)


def canonical_json(value: object) -> str:
    """``value`` as canonical JSON: sorted keys, no spaces, non-ASCII kept, Decimals and dates
    as text; equal inputs give equal text."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )


def input_hash(value: object) -> str:
    """The SHA-256 (hex) of ``canonical_json(value)``: what the audit trail keeps of an input."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def split_model_name(name: str) -> tuple[str, str]:
    """``("micro", "0.4")`` from ``"micro-0.4"``; a name without a trailing version keeps
    its whole self and ``UNVERSIONED``."""
    head, dash, tail = name.rpartition("-")
    if dash and head and tail[:1].isdigit():
        return head, tail
    return name, UNVERSIONED


@dataclass(frozen=True)
class Prediction:
    """One prediction to audit."""

    workspace_id: int
    """The caller's workspace."""
    endpoint: str
    """What was predicted (``"ask"``, ``"categorize"``, ``"v1/chat/completions"``)."""
    model: str
    """The model's name (``split_model_name`` splits a backend's ``name``)."""
    model_version: str
    """Its version."""
    input_payload: object
    """The prediction's input as JSON values; only its hash is stored."""
    output: object
    """The prediction as JSON values, stored as canonical JSON."""
    confidence: float | None
    """The model's confidence, if it reports one."""
    latency_ms: float
    """Wall time of the prediction."""

    def row(self) -> AuditRecord:
        """The (unsaved) audit row, stamped now."""
        return AuditRecord(
            workspace_id=self.workspace_id,
            created_at=datetime.now(UTC).replace(tzinfo=None),
            endpoint=self.endpoint,
            model=self.model,
            model_version=self.model_version,
            input_hash=input_hash(self.input_payload),
            output=canonical_json(self.output),
            confidence=self.confidence,
            latency_ms=self.latency_ms,
        )


def record_prediction(session: Session, prediction: Prediction) -> AuditRecord:
    """Add the audit row of ``prediction`` to ``session`` (committed with it); returns it."""
    row = prediction.row()
    session.add(row)
    return row


class AuditLog:
    """Audit rows queued by requests and written in batches by one background thread.

    Args:
        store: The ledger database the rows go to.
        flush_seconds: Longest a queued row waits before it is written.
        max_pending: Most rows queued at once; a request recording one more waits for the
            writer (back-pressure: rows are never dropped, and a database slower than the
            requests cannot grow the queue without bound).
    """

    def __init__(
        self, store: Store, flush_seconds: float = 0.25, max_pending: int = 10_000
    ) -> None:
        self.store = store
        self.flush_seconds = flush_seconds
        self._queue: queue.Queue[AuditRecord | threading.Event | None] = queue.Queue(max_pending)
        self._thread = threading.Thread(target=self._run, name="budgetlm-audit", daemon=True)
        self._thread.start()

    def record(self, prediction: Prediction) -> None:
        """Queue the audit row of ``prediction``; it is written within ``flush_seconds`` (once
        the queue has room: ``max_pending``)."""
        self._queue.put(prediction.row())

    def flush(self) -> None:
        """Return once every row queued before the call is written."""
        written = threading.Event()
        self._queue.put(written)
        written.wait()

    def close(self) -> None:
        """Write what is queued and stop the thread."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            items = [self._queue.get()]  # wait for a row, a flush or the stop
            deadline = time.monotonic() + self.flush_seconds
            while isinstance(items[-1], AuditRecord) and (left := deadline - time.monotonic()) > 0:
                try:
                    items.append(self._queue.get(timeout=left))
                except queue.Empty:
                    break
            self._write([item for item in items if isinstance(item, AuditRecord)])
            if isinstance(items[-1], threading.Event):
                items[-1].set()
            elif items[-1] is None:
                return

    def _write(self, batch: list[AuditRecord]) -> None:
        if not batch:
            return
        try:
            with self.store.session() as session:
                session.add_all(batch)
        except Exception:  # the server keeps answering; the rows are lost, and logged so
            log.exception("could not write %d audit rows", len(batch))
