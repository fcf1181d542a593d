"""The coach's advice log in the ledger: what was recommended, and whether the user followed it.

Writing advice does not change the ledger's version (``Ledger.touch``): it changes no money
figure, so cached answers stay valid.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from budgetlm.errors import NotFoundError
from budgetlm.ledger.models import CoachRecommendation
from budgetlm.ledger.repository import Ledger


def log_recommendation(
    ledger: Ledger,
    *,
    given_on: date,
    policy: str,
    action: str,
    message: str,
    observation: Sequence[float],
    amount: Decimal | None = None,
    category: str | None = None,
    goal: str | None = None,
) -> CoachRecommendation:
    """Store one recommendation, unanswered, and return its row (with its id)."""
    row = CoachRecommendation(
        workspace_id=ledger.workspace_id,
        given_on=given_on,
        policy=policy,
        action=action,
        message=message,
        amount=amount,
        category=category,
        goal=goal,
        observation=json.dumps([round(float(x), 6) for x in observation]),
    )
    ledger.session.add(row)
    ledger.session.flush()
    return row


def recommendations(ledger: Ledger, *, limit: int | None = None) -> list[CoachRecommendation]:
    """The workspace's recommendations, newest first."""
    query = (
        select(CoachRecommendation)
        .where(CoachRecommendation.workspace_id == ledger.workspace_id)
        .order_by(CoachRecommendation.given_on.desc(), CoachRecommendation.id.desc())
        .limit(limit)
    )
    return list(ledger.session.scalars(query))


def record_response(ledger: Ledger, recommendation_id: int, followed: bool) -> CoachRecommendation:
    """Record whether the user followed recommendation ``recommendation_id`` (a later answer
    replaces an earlier one).

    Raises:
        NotFoundError: The workspace has no recommendation with that id.
    """
    row = ledger.session.scalar(
        select(CoachRecommendation).where(
            CoachRecommendation.workspace_id == ledger.workspace_id,
            CoachRecommendation.id == recommendation_id,
        )
    )
    if row is None:
        raise NotFoundError(f"no coach recommendation {recommendation_id} in this workspace")
    row.followed = followed
    row.responded_at = datetime.now()
    ledger.session.flush()
    return row
