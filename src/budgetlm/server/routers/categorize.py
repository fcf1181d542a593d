"""Categorization: predict categories for transactions sent in a request, categorize the
stored ones, list the unsure ones, and take corrections (the categorizer learns from them).

The categorizer is the CLI's: the workspace's rules, then its corrections, then its personal
model (if trained), then the shipped model. Building it reads the rules, corrections and personal
model from the database (and the first build loads the shipped model), so built categorizers are
kept per workspace, ledger version and threshold (``CategorizerCache``): every write that could
change one (a rule, a correction, a category, a trained model) bumps the ledger version.
"""

from __future__ import annotations

import time
from dataclasses import asdict, replace
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from budgetlm import __version__
from budgetlm.categorize.categorizer import Categorizer
from budgetlm.categorize.normalize import normalize_payee
from budgetlm.categorize.records import TransactionText
from budgetlm.categorize.service import categorize_ledger, workspace_categorizer
from budgetlm.errors import InputError
from budgetlm.ledger import labels
from budgetlm.ledger.repository import Ledger
from budgetlm.server.audit import AuditLog, Prediction
from budgetlm.server.deps import (
    AuditDep,
    Caller,
    CallerDep,
    ConfigDep,
    LedgerDep,
    workspace_ledger,
)
from budgetlm.server.derived import DerivedCache
from budgetlm.server.limits import MAX_PAGE
from budgetlm.server.routers.ledger import transaction_rows
from budgetlm.server.schemas import (
    ApplyIn,
    ApplyOut,
    CategorizeIn,
    CategorizeOut,
    CorrectionIn,
    PredictionOut,
    ReviewItemOut,
    TransactionOut,
    from_dataclass,
)

if TYPE_CHECKING:
    from budgetlm.categorize.model import CategoryModel

router = APIRouter(tags=["categorize"])


def default_model() -> CategoryModel:
    """The shipped model (loaded once per process, on first use)."""
    from budgetlm.categorize.model import CategoryModel

    return CategoryModel.default()


class CategorizerCache:
    """Workspace categorizers and whether each has a personal model, kept per workspace,
    ledger version and threshold (``derived.DerivedCache``; the first build loads the shipped
    model once, concurrent requests waiting for it)."""

    def __init__(self, max_entries: int = 64) -> None:
        self._built: DerivedCache[tuple[Categorizer, bool]] = DerivedCache(max_entries)

    def get(self, ledger: Ledger, threshold: float | None) -> tuple[Categorizer, bool]:
        """The workspace's categorizer and whether it has a personal model."""
        return self._built.get(
            ledger,
            threshold,
            lambda: (
                workspace_categorizer(ledger, default_model(), threshold),
                labels.personal_model(ledger) is not None,
            ),
        )


def categorizers(request: Request) -> CategorizerCache:
    """The app's categorizer cache (``create_app`` makes it)."""
    cache: CategorizerCache = request.app.state.categorizers
    return cache


def _model_version(personal: bool) -> str:
    """The audited version of the categorizer: the package's, marked when a personal model
    answers first."""
    return f"{__version__}+personal" if personal else __version__


@router.post("/categorize")
async def categorize(
    body: CategorizeIn, who: CallerDep, config: ConfigDep, audit: AuditDep, request: Request
) -> CategorizeOut:
    """Categories for one transaction or a batch (at most the server's ``max_batch``), each
    with its confidence and the layer that decided; nothing is stored but the audit row."""
    if len(body.transactions) > config.max_batch:
        raise InputError(
            f"{len(body.transactions)} transactions in one request; the limit is "
            f"{config.max_batch}",
            field="transactions",
        )
    # the hot path: one hand-off to the thread pool for the whole request, not three
    return await run_in_threadpool(_categorize, body, who, audit, request)


def _categorize(
    body: CategorizeIn, who: Caller, audit: AuditLog, request: Request
) -> CategorizeOut:
    started = time.perf_counter()
    with workspace_ledger(request, who) as ledger:
        categorizer, personal = categorizers(request).get(ledger, body.threshold)
    texts = [
        TransactionText(t.description, t.amount, t.date, t.account, t.payee)
        for t in body.transactions
    ]
    texts = [t if t.payee else replace(t, payee=normalize_payee(t.description)) for t in texts]
    predictions = categorizer.categorize(texts)
    audit.record(Prediction(
        who.workspace_id, "categorize", "categorizer", _model_version(personal),
        input_payload=body.model_dump(mode="json"),
        output=[{"category": p.category, "confidence": p.confidence, "source": p.source}
                for p in predictions],
        confidence=min(p.confidence for p in predictions) if predictions else None,
        latency_ms=(time.perf_counter() - started) * 1000.0,
    ))  # fmt: skip
    return CategorizeOut(
        predictions=[from_dataclass(PredictionOut, p) for p in predictions],
        model="personal, then default" if personal else "default",
    )


@router.post("/categorize/ledger")
def categorize_stored(
    body: ApplyIn, ledger: LedgerDep, audit: AuditDep, request: Request
) -> ApplyOut:
    """Categorize the workspace's uncategorized transactions (``redo``: every one not set by
    a person), as ``budgetlm categorize`` does; the predictions are stored on the
    transactions, and the audit row counts them by layer."""
    started, version = time.perf_counter(), ledger.version()
    categorizer, personal = categorizers(request).get(ledger, body.threshold)
    report = categorize_ledger(ledger, categorizer, redo=body.redo)
    audit.record(Prediction(
        ledger.workspace_id, "categorize/ledger", "categorizer", _model_version(personal),
        input_payload={**body.model_dump(mode="json"), "ledger_version": version},
        output=asdict(report), confidence=None,
        latency_ms=(time.perf_counter() - started) * 1000.0,
    ))  # fmt: skip
    return from_dataclass(ApplyOut, report)


@router.get("/categorize/review")
def review(
    ledger: LedgerDep, limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50
) -> list[ReviewItemOut]:
    """Uncategorized transactions, least certain first, with the model's suggestion."""
    items = labels.review_list(ledger, limit)
    rows = transaction_rows(ledger, [i.transaction for i in items])
    return [
        ReviewItemOut(transaction=row, suggestion=i.suggestion, confidence=i.confidence)
        for row, i in zip(rows, items, strict=True)
    ]


@router.post("/feedback/corrections")
def correct(body: CorrectionIn, ledger: LedgerDep) -> TransactionOut:
    """Set a transaction's category by hand; its merchant is categorized this way from now on
    (as ``budgetlm categorize correct`` does)."""
    transaction = labels.correct(ledger, body.transaction_id, body.category)
    ledger.session.flush()
    return transaction_rows(ledger, [transaction])[0]
