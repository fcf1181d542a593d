"""Categorization: predict categories for transactions sent in a request, categorize the
stored ones, list the unsure ones, and take corrections (the categorizer learns from them).

The categorizer is the CLI's: the workspace's rules, then its corrections, then its personal
model (if trained), then the shipped model. Building it reads the rules, corrections and personal
model from the database (and the first build loads the shipped model), so built categorizers are
kept per workspace, ledger version and threshold (``CategorizerCache``): every write that could
change one (a rule, a correction, a category, a trained model) bumps the ledger version.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Query, Request

from budgetlm.categorize.categorizer import Categorizer
from budgetlm.categorize.normalize import normalize_payee
from budgetlm.categorize.records import TransactionText
from budgetlm.categorize.service import categorize_ledger, workspace_categorizer
from budgetlm.errors import InputError
from budgetlm.ledger import labels
from budgetlm.ledger.repository import Ledger
from budgetlm.server.cache import ledger_version
from budgetlm.server.deps import ConfigDep, LedgerDep
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
    """Workspace categorizers, kept by (workspace, ledger version, threshold); thread-safe.

    Builds run under the lock, so concurrent first requests load the shipped model once.

    Args:
        max_entries: Most categorizers kept (least recently used dropped first).
    """

    def __init__(self, max_entries: int = 64) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[int, int, float | None], tuple[Categorizer, bool]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def get(self, ledger: Ledger, threshold: float | None) -> tuple[Categorizer, bool]:
        """The workspace's categorizer and whether it has a personal model."""
        key = (ledger.workspace_id, ledger_version(ledger), threshold)
        with self._lock:
            found = self._entries.pop(key, None)
            if found is None:
                found = (
                    workspace_categorizer(ledger, default_model(), threshold),
                    labels.personal_model(ledger) is not None,
                )
            self._entries[key] = found  # most recently used last
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
            return found


def categorizers(request: Request) -> CategorizerCache:
    """The app's categorizer cache (``create_app`` makes it)."""
    cache: CategorizerCache = request.app.state.categorizers
    return cache


@router.post("/categorize")
def categorize(
    body: CategorizeIn, ledger: LedgerDep, config: ConfigDep, request: Request
) -> CategorizeOut:
    """Categories for one transaction or a batch (at most the server's ``max_batch``), each
    with its confidence and the layer that decided; nothing is stored."""
    if len(body.transactions) > config.max_batch:
        raise InputError(
            f"{len(body.transactions)} transactions in one request; the limit is "
            f"{config.max_batch}",
            field="transactions",
        )
    categorizer, personal = categorizers(request).get(ledger, body.threshold)
    texts = [
        TransactionText(t.description, t.amount, t.date, t.account, t.payee)
        for t in body.transactions
    ]
    texts = [t if t.payee else replace(t, payee=normalize_payee(t.description)) for t in texts]
    predictions = categorizer.categorize(texts)
    return CategorizeOut(
        predictions=[from_dataclass(PredictionOut, p) for p in predictions],
        model="personal, then default" if personal else "default",
    )


@router.post("/categorize/ledger")
def categorize_stored(body: ApplyIn, ledger: LedgerDep) -> ApplyOut:
    """Categorize the workspace's uncategorized transactions (``redo``: every one not set by
    a person), as ``budgetlm categorize`` does."""
    categorizer = workspace_categorizer(ledger, default_model(), body.threshold)
    return from_dataclass(ApplyOut, categorize_ledger(ledger, categorizer, redo=body.redo))


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
