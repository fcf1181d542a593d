"""The assistant: questions about the caller's money, answered from its ledger."""

from __future__ import annotations

from fastapi import APIRouter

from budgetlm.assistant.assistant import Conversation
from budgetlm.server.cache import cached
from budgetlm.server.deps import AssistantDep, LedgerDep, TodayDep
from budgetlm.server.schemas import AskIn, AskOut

router = APIRouter(tags=["assistant"])


@router.post("/ask")
@cached(keep=lambda out: not out.model_unavailable)  # never keep an answer made without the model
def ask(body: AskIn, ledger: LedgerDep, today: TodayDep, assistant: AssistantDep) -> AskOut:
    """Answer a question about the caller's money, continuing ``conversation`` when one is
    sent. A question longer than the server's ``max_question_chars`` is refused with 422
    before the ledger is read."""
    conversation = Conversation(list(body.conversation or []))
    reply = assistant.ask(ledger, today, body.question, conversation)
    return AskOut.model_validate({**reply.to_json(), "conversation": conversation.messages})
