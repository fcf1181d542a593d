"""Categorization in the ledger: rules, corrections, predictions written back, the review list.

Workspace-scoped like everything in ``Ledger``. The categorizer itself is pure
(``budgetlm.categorize``); this module only reads its inputs from the database and writes its
answers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import delete, select, update

from budgetlm.categorize.normalize import payee_key
from budgetlm.categorize.records import Prediction, TransactionText
from budgetlm.categorize.rules import Rule, RuleField, RuleMatch
from budgetlm.errors import NotFoundError
from budgetlm.ledger.models import Correction, PersonalModel, Transaction
from budgetlm.ledger.models import Rule as RuleRow
from budgetlm.ledger.repository import Ledger
from budgetlm.ledger.taxonomy import default_categories

USER_SOURCES = ("user", "import")
"""Categories set by a person (by hand, or in the app they exported from): never overwritten."""
TRUSTED_SOURCES = (*USER_SOURCES, "rule", "correction")
"""Categories a personal model may learn from: set by a person or by their own rules."""


@dataclass(frozen=True)
class ReviewItem:
    """An uncategorized transaction with the model's suggestion."""

    transaction: Transaction
    suggestion: str | None
    confidence: float | None


def add_rule(ledger: Ledger, rule: Rule) -> int:
    """Store ``rule`` (its category and account must exist); returns its id."""
    row = RuleRow(
        workspace_id=ledger.workspace_id,
        category_id=ledger.category(rule.category).id,
        field=rule.field,
        match=rule.match,
        pattern=rule.pattern,
        amount_min=rule.amount_min,
        amount_max=rule.amount_max,
        account_id=ledger.account(rule.account).id if rule.account else None,
        priority=rule.priority,
    )
    ledger.session.add(row)
    ledger.session.flush()
    ledger.touch()
    return row.id


def rules(ledger: Ledger) -> list[tuple[int, Rule]]:
    """The workspace's rules with their ids, oldest first."""
    names = {c.id: c.name for c in ledger.categories()}
    accounts = {a.id: a.name for a in ledger.accounts()}
    rows = ledger.session.scalars(
        select(RuleRow).where(RuleRow.workspace_id == ledger.workspace_id).order_by(RuleRow.id)
    )
    return [
        (
            r.id,
            Rule(
                category=names[r.category_id],
                pattern=r.pattern,
                field=cast(RuleField, r.field),
                match=cast(RuleMatch, r.match),
                amount_min=r.amount_min,
                amount_max=r.amount_max,
                account=accounts.get(r.account_id) if r.account_id else None,
                priority=r.priority,
            ),
        )
        for r in rows
    ]


def remove_rule(ledger: Ledger, rule_id: int) -> None:
    """Delete rule ``rule_id``; raises NotFoundError if the workspace has no such rule."""
    deleted = ledger.session.execute(
        delete(RuleRow).where(RuleRow.workspace_id == ledger.workspace_id, RuleRow.id == rule_id)
    )
    if not deleted.rowcount:  # type: ignore[attr-defined]
        raise NotFoundError(f"no rule with id {rule_id}")
    ledger.touch()


def corrections(ledger: Ledger) -> dict[str, str]:
    """``payee_key`` of each corrected merchant -> the category the user chose (latest wins)."""
    names = {c.id: c.name for c in ledger.categories()}
    rows = ledger.session.execute(
        select(Correction.description, Correction.new_category_id)
        .where(Correction.workspace_id == ledger.workspace_id)
        .order_by(Correction.id)
    )
    return {payee_key(description): names[category_id] for description, category_id in rows}


def correct(ledger: Ledger, transaction_id: int, category: str) -> Transaction:
    """Set a transaction's category by hand and remember it for the merchant."""
    transaction = ledger.session.get(Transaction, transaction_id)
    if transaction is None or transaction.workspace_id != ledger.workspace_id:
        raise NotFoundError(f"no transaction with id {transaction_id}")
    new = ledger.category(category)
    ledger.session.add(
        Correction(
            workspace_id=ledger.workspace_id,
            transaction_id=transaction.id,
            payee=transaction.payee,
            description=transaction.description,
            old_category_id=transaction.category_id,
            new_category_id=new.id,
        )
    )
    transaction.category_id = new.id
    transaction.category_source = "user"
    transaction.category_confidence = 1.0
    transaction.suggested_category_id = None
    ledger.touch()
    return transaction


def to_categorize(ledger: Ledger, *, redo: bool = False) -> Sequence[Transaction]:
    """Uncategorized transactions, or with ``redo`` every one not categorized by a person."""
    query = select(Transaction).where(Transaction.workspace_id == ledger.workspace_id)
    if redo:
        query = query.where(
            (Transaction.category_source.is_(None))
            | (Transaction.category_source.not_in(USER_SOURCES))
        )
    else:
        query = query.where(Transaction.category_id.is_(None))
    return ledger.session.scalars(query.order_by(Transaction.id)).all()


def as_text(transaction: Transaction, account_names: dict[int, str]) -> TransactionText:
    """What the categorizer sees of a stored transaction."""
    return TransactionText(
        description=transaction.description,
        amount=transaction.amount,
        date=transaction.date,
        account=account_names.get(transaction.account_id),
        payee=transaction.payee,
    )


def label_ids(ledger: Ledger) -> dict[str, int]:
    """Category id for each label a model may predict: the workspace's names, and the default
    taxonomy's names for default categories the user has renamed (matched by Plaid code)."""
    categories = ledger.categories()
    ids = {c.name: c.id for c in categories}
    by_code = {c.plaid_code: c.id for c in categories if c.is_default and c.plaid_code}
    for spec in default_categories():
        if spec.plaid_code in by_code:
            ids.setdefault(spec.name, by_code[spec.plaid_code])
    return ids


def write_predictions(
    ledger: Ledger,
    transactions: Sequence[Transaction],
    texts: Sequence[TransactionText],
    predictions: Sequence[Prediction],
) -> Counter[str]:
    """Store each prediction and normalized payee on its transaction.

    A predicted label the workspace does not have (a model trained on other labels) leaves the
    transaction uncategorized, without a suggestion.

    Returns:
        How many were categorized by each source (``rule``, ``correction``, ``model``), and how
        many were left for ``review``.
    """
    ids = label_ids(ledger)
    stored: Counter[str] = Counter()
    values = []
    for transaction, text, prediction in zip(transactions, texts, predictions, strict=True):
        category_id = ids.get(prediction.category or "")
        values.append(
            {
                "id": transaction.id,
                "payee": text.payee,
                "category_id": category_id,
                "category_source": prediction.source if category_id else None,
                "category_confidence": prediction.confidence if prediction.best_guess else None,
                "suggested_category_id": None
                if category_id
                else ids.get(prediction.best_guess or ""),
            }
        )
        stored[prediction.source if category_id else "review"] += 1
    if values:
        ledger.session.execute(update(Transaction), values)
        ledger.touch()
    return stored


def review_list(ledger: Ledger, limit: int | None = None) -> list[ReviewItem]:
    """Uncategorized transactions, least certain first, with the model's suggestion."""
    names = {c.id: c.name for c in ledger.categories()}
    query = (
        select(Transaction)
        .where(Transaction.workspace_id == ledger.workspace_id, Transaction.category_id.is_(None))
        .order_by(Transaction.category_confidence.asc().nulls_first(), Transaction.date.desc())
        .limit(limit)
    )
    return [
        ReviewItem(t, names.get(t.suggested_category_id or -1), t.category_confidence)
        for t in ledger.session.scalars(query)
    ]


def labelled_history(ledger: Ledger) -> tuple[list[TransactionText], list[str]]:
    """Transactions whose category a person (or their rules) chose, with those categories."""
    names = {c.id: c.name for c in ledger.categories()}
    accounts = {a.id: a.name for a in ledger.accounts()}
    rows = ledger.session.scalars(
        select(Transaction)
        .where(
            Transaction.workspace_id == ledger.workspace_id,
            Transaction.category_id.is_not(None),
            Transaction.category_source.in_(TRUSTED_SOURCES),
        )
        .order_by(Transaction.id)
    ).all()
    return [as_text(t, accounts) for t in rows], [names[t.category_id or -1] for t in rows]


def store_personal_model(ledger: Ledger, meta: str, weights: bytes, trained_rows: int) -> None:
    """Keep the workspace's personal model (replacing any earlier one)."""
    ledger.session.execute(
        delete(PersonalModel).where(PersonalModel.workspace_id == ledger.workspace_id)
    )
    ledger.session.add(
        PersonalModel(
            workspace_id=ledger.workspace_id,
            trained_rows=trained_rows,
            meta=meta,
            weights=weights,
        )
    )
    ledger.touch()


def personal_model(ledger: Ledger) -> tuple[str, bytes] | None:
    """The workspace's personal model as (metadata, weights), if one was trained."""
    row = ledger.session.scalar(
        select(PersonalModel).where(PersonalModel.workspace_id == ledger.workspace_id)
    )
    return (row.meta, row.weights) if row is not None else None
