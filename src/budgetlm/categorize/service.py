"""Categorize a workspace: read what needs a category, run the layered categorizer, store it."""

from __future__ import annotations

from dataclasses import dataclass, replace

from budgetlm.categorize.categorizer import DEFAULT_THRESHOLD, Categorizer, Scorer
from budgetlm.categorize.normalize import normalize_payee
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


def workspace_categorizer(
    ledger: Ledger, model: Scorer | None, threshold: float | None = None
) -> Categorizer:
    """A categorizer with the workspace's rules and corrections in front of ``model``."""
    chosen = threshold if threshold is not None else getattr(model, "threshold", DEFAULT_THRESHOLD)
    rules = [rule for _, rule in labels.rules(ledger)]
    return Categorizer(model, rules, labels.corrections(ledger), float(chosen))


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
