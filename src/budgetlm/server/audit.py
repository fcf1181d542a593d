"""The audit trail: one ``audit_records`` row per prediction the server makes.

A row says who asked (workspace), where (endpoint), which model and version answered, what it
predicted (output JSON), how sure it was and how long it took. The input is stored only as the
SHA-256 of its canonical JSON (``input_hash``): enough to tell whether two predictions saw the
same input, never the question, descriptions, payees or amounts themselves.

Who records: the assistant service every ``ask`` (``/api/v1/ask`` and the OpenAI endpoint's
assistant mode), the categorize routes every batch (``categorize``, ``categorize/ledger``) and
the OpenAI endpoint every pass-through completion, each in the request's session, so the row
commits with the request.

The output should be the prediction (labels, calls, answer text), not echoes of the input.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from budgetlm.ledger.models import AuditRecord

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
    row = AuditRecord(
        workspace_id=workspace_id,
        endpoint=endpoint,
        model=model,
        model_version=model_version,
        input_hash=input_hash(input_payload),
        output=canonical_json(output),
        confidence=confidence,
        latency_ms=latency_ms,
    )
    session.add(row)
    return row
