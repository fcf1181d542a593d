"""The savings coach on the caller's ledger: this month's advice, the advice log, responses.

The same code as ``budgetlm coach recommend``, ``log`` and ``respond`` (``coach.serving``), with
the coach that ships with the package, loaded once per process. Each piece of new advice is a
prediction, so it leaves an audit row (its input hash covers the ledger version and the day).
"""

from __future__ import annotations

import time
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Query

from budgetlm.coach.observation import OBSERVATION_VERSION
from budgetlm.coach.serving import ServedCoach, advise, load_served_coach
from budgetlm.ledger.advice_log import recommendations, record_response
from budgetlm.server.audit import Prediction
from budgetlm.server.deps import AuditDep, LedgerDep, TodayDep
from budgetlm.server.routers.ledger import Id
from budgetlm.server.schemas import CoachAdviceOut, CoachIn, CoachOut, CoachResponseIn

router = APIRouter(prefix="/coach", tags=["coach"])


@cache
def shipped_coach() -> ServedCoach:
    """The shipped coach, loaded on first use."""
    return load_served_coach()


@router.post("")
def coach_advice(
    ledger: LedgerDep, today: TodayDep, audit: AuditDep, body: CoachIn | None = None
) -> CoachOut:
    """This month's advice with the ledger's numbers, logged (asking again in the same month
    returns it again unless ``again``). 422 when the ledger has no full month of history."""
    started, version = time.perf_counter(), ledger.version()
    coach = shipped_coach()
    advice = advise(ledger, today, coach, again=body is not None and body.again)
    out = CoachOut.model_validate(
        {**CoachAdviceOut.model_validate(advice.row).model_dump(), "repeated": advice.repeated,
         "decision_ms": advice.recommendation.decision_ms if advice.recommendation else None}
    )  # fmt: skip
    if not advice.repeated:
        audit.record(Prediction(
            ledger.workspace_id, "coach", "coach", coach.label,
            input_payload={"ledger_version": version, "today": today.isoformat(),
                           "observation_version": OBSERVATION_VERSION},
            output={"id": out.id, "action": out.action}, confidence=None,
            latency_ms=(time.perf_counter() - started) * 1000.0,
        ))  # fmt: skip
    return out


@router.get("/log")
def coach_log(
    ledger: LedgerDep, limit: Annotated[int, Query(ge=1, le=500)] = 12
) -> list[CoachAdviceOut]:
    """The advice given so far, newest first, with the user's answers."""
    return [CoachAdviceOut.model_validate(r) for r in recommendations(ledger, limit=limit)]


@router.post("/{recommendation_id}/response")
def coach_response(
    recommendation_id: Id, body: CoachResponseIn, ledger: LedgerDep
) -> CoachAdviceOut:
    """Record whether the advice was followed (404 for an id not in the caller's workspace)."""
    return CoachAdviceOut.model_validate(record_response(ledger, recommendation_id, body.followed))
