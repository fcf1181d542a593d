"""Categorize a workspace: read what needs a category, run the layered categorizer, store it."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from budgetlm.categorize.categorizer import DEFAULT_THRESHOLD, Categorizer, Scorer
from budgetlm.categorize.normalize import normalize_payee
from budgetlm.errors import InputError
from budgetlm.ledger import labels
from budgetlm.ledger.repository import Ledger


@dataclass(frozen=True)
class CategorizeReport:
    """How many transactions each layer categorized, and how many wait for review."""

    considered: int
    by_rule: int
    by_correction: int
    by_model: int
    to_review: int


MIN_PERSONAL_ROWS = 50
"""A personal model needs at least this much labelled history to learn anything useful."""


@dataclass(frozen=True)
class PersonalReport:
    """What training a personal model used and produced."""

    rows: int
    categories: int
    seconds: float
    threshold: float


def _threshold(model: Scorer) -> float:
    return float(getattr(model, "threshold", DEFAULT_THRESHOLD))


def workspace_categorizer(
    ledger: Ledger, default_model: Scorer | None, threshold: float | None = None
) -> Categorizer:
    """The workspace's rules and corrections, then its personal model (if trained), then
    ``default_model``; ``threshold`` overrides every model's own."""
    models: list[Scorer] = []
    stored = labels.personal_model(ledger)
    if stored is not None:
        from budgetlm.categorize.model import CategoryModel  # numpy/sklearn only when needed

        models.append(CategoryModel.loads(*stored))
    if default_model is not None:
        models.append(default_model)
    return Categorizer(
        models=[(m, threshold if threshold is not None else _threshold(m)) for m in models],
        rules=[rule for _, rule in labels.rules(ledger)],
        corrections=labels.corrections(ledger),
    )


def train_personal(ledger: Ledger) -> PersonalReport:
    """Train and store a model on the workspace's own labelled history (its own categories).

    Raises:
        InputError: Fewer than ``MIN_PERSONAL_ROWS`` labelled transactions, or one category.
    """
    from budgetlm.categorize.model import CategoryModel

    texts, names = labels.labelled_history(ledger)
    if len(texts) < MIN_PERSONAL_ROWS:
        raise InputError(
            f"only {len(texts)} transactions have a category you chose; a personal model needs "
            f"at least {MIN_PERSONAL_ROWS} (categorize correct, or import an app export)"
        )
    started = time.perf_counter()
    model = CategoryModel.train(texts, names)
    meta, weights = model.dumps({"trained_on": f"{len(texts)} labelled transactions"})
    labels.store_personal_model(ledger, meta, weights, len(texts))
    seconds = time.perf_counter() - started
    return PersonalReport(len(texts), len(model.classes), seconds, model.threshold)


def categorize_ledger(
    ledger: Ledger, categorizer: Categorizer, *, redo: bool = False
) -> CategorizeReport:
    """Categorize what has no category (``redo``: everything not categorized by a person)."""
    accounts = {a.id: a.name for a in ledger.accounts()}
    transactions = labels.to_categorize(ledger, redo=redo)
    texts = [labels.as_text(t, accounts) for t in transactions]
    texts = [t if t.payee else replace(t, payee=normalize_payee(t.description)) for t in texts]
    stored = labels.write_predictions(ledger, transactions, texts, categorizer.categorize(texts))
    return CategorizeReport(
        considered=len(transactions),
        by_rule=stored["rule"],
        by_correction=stored["correction"],
        by_model=stored["model"],
        to_review=stored["review"],
    )
