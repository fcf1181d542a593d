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
is that a server killed outright loses the rows of its last ``flush_seconds``.

The output should be the prediction (labels, calls, answer text), not echoes of the input.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
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


def record_prediction(
    session: Session,
    workspace_id: int,
    endpoint: str,
    model: str,
    model_version: str,
    input_payload: object,
    output: object,
    confidence: float | None,
    latency_ms: float,
) -> AuditRecord:
    """Add the audit row of one prediction to ``session`` (committed with it).

    Args:
        session: The request's session.
        workspace_id: The caller's workspace.
        endpoint: What was predicted (``"ask"``, ``"categorize"``, ``"chat.completions"``).
        model: The model's name (``split_model_name`` splits a backend's ``name``).
        model_version: Its version.
        input_payload: The prediction's input as JSON values; only its hash is stored.
        output: The prediction as JSON values, stored as canonical JSON.
        confidence: The model's confidence, if it reports one.
        latency_ms: Wall time of the prediction.

    Returns:
        The added (not yet flushed) row.
    """
    row = audit_row(
        workspace_id, endpoint, model, model_version, input_payload, output, confidence,
        latency_ms,
    )  # fmt: skip
    session.add(row)
    return row


def audit_row(
    workspace_id: int,
    endpoint: str,
    model: str,
    model_version: str,
    input_payload: object,
    output: object,
    confidence: float | None,
    latency_ms: float,
) -> AuditRecord:
    """The (unsaved) audit row of one prediction, stamped now; arguments as for
    :func:`record_prediction`."""
    return AuditRecord(
        workspace_id=workspace_id,
        created_at=datetime.now(UTC).replace(tzinfo=None),
        endpoint=endpoint,
        model=model,
        model_version=model_version,
        input_hash=input_hash(input_payload),
        output=canonical_json(output),
        confidence=confidence,
        latency_ms=latency_ms,
    )


class AuditLog:
    """Audit rows queued by requests and written in batches by one background thread.

    Args:
        store: The ledger database the rows go to.
        flush_seconds: Longest a queued row waits before it is written.
    """

    def __init__(self, store: Store, flush_seconds: float = 0.25) -> None:
        self.store = store
        self.flush_seconds = flush_seconds
        self._queue: queue.SimpleQueue[AuditRecord | threading.Event | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="budgetlm-audit", daemon=True)
        self._thread.start()

    def record(
        self,
        workspace_id: int,
        endpoint: str,
        model: str,
        model_version: str,
        input_payload: object,
        output: object,
        confidence: float | None,
        latency_ms: float,
    ) -> None:
        """Queue the audit row of one prediction (arguments as for :func:`record_prediction`);
        it is written within ``flush_seconds``."""
        row = audit_row(workspace_id, endpoint, model, model_version, input_payload, output,
                        confidence, latency_ms)  # fmt: skip
        self._queue.put(row)

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
