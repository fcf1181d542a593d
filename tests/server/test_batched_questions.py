"""Questions asked at the same time share the model's passes and get the answers they get
alone (server.service with several model calls at once, lm.batching)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date

import pytest

from budgetlm.ledger.household import load_household
from budgetlm.ledger.repository import Ledger
from budgetlm.ledger.store import Store
from budgetlm.ledger.synth import generate_household
from budgetlm.lm.fast_forward import KVCache, LeanForward
from budgetlm.server.config import ServerConfig
from budgetlm.server.service import AssistantService

TODAY = date(2026, 11, 15)
QUESTIONS = (
    "How much did I spend on groceries last month?",
    "Can I afford a $200 dinner this week?",
    "What are my upcoming bills?",
    "How am I doing on my budgets this month?",
    "What did I spend at the coffee shop this year?",
    "Will my balance go negative before payday?",
    "Can I afford a $19.99 purchase?",
    "How much did I earn last month?",
)


@pytest.fixture(scope="module")
def ledger_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('batched') / 'ledger.db'}")
    household = generate_household("young_renter", months=4, seed=3, end=TODAY)
    with store.session() as session:
        load_household(Ledger(session, store.workspace_id("default")), household)
    store.close()
    return str(store.url)


def _replies(service: AssistantService, db_url: str, *, at_once: bool) -> list[dict[str, object]]:
    """Each question's reply (without its latency), asked one by one or all at once."""
    store = Store(db_url)
    workspace_id = store.workspace_id("default")
    replies: list[dict[str, object]] = [{} for _ in QUESTIONS]
    start = threading.Barrier(len(QUESTIONS) if at_once else 1)

    def ask(index: int) -> None:
        start.wait(30)
        with store.session() as session:
            reply = service.ask(Ledger(session, workspace_id), TODAY, QUESTIONS[index]).to_json()
        replies[index] = {k: v for k, v in reply.items() if k != "latency_ms"}

    if at_once:
        threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(QUESTIONS))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    else:
        for index in range(len(QUESTIONS)):
            ask(index)
    store.close()
    return replies


@pytest.mark.parametrize("model", ["micro+int8", "micro"])
def test_questions_asked_at_once_share_passes_and_get_the_answers_they_get_alone(
    ledger_db: str, model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def service(at_once: int) -> AssistantService:
        config = ServerConfig(db_url=ledger_db, today=TODAY, model=model,
                              model_concurrency=at_once, model_timeout_seconds=120)  # fmt: skip
        made = AssistantService(config)
        made.warm_up(TODAY)
        return made

    alone = _replies(service(1), ledger_db, at_once=False)
    batch_sizes: list[int] = []
    run_batch = LeanForward.run_batch

    def counted(self: LeanForward, items: Sequence[tuple[Sequence[int], KVCache]]) -> object:
        batch_sizes.append(len(items))
        return run_batch(self, items)

    monkeypatch.setattr(LeanForward, "run_batch", counted)
    batched = _replies(service(len(QUESTIONS)), ledger_db, at_once=True)
    if model == "micro":  # float32 sums may round differently in a batch (within 1e-5)
        for reply, single in zip(batched, alone, strict=True):
            assert reply.pop("confidence") == pytest.approx(single.pop("confidence"), abs=2e-4)
    assert batched == alone  # int8: the confidences too, to the last digit
    assert not any(reply["fallback"] for reply in alone)
    assert sum(batch_sizes) >= 2 * len(batch_sizes)  # passes were shared


def test_by_default_micro_decodes_two_questions_at_once_and_other_models_eight() -> None:
    models = ("micro", "micro+int8", "micro+int8:/m", "micro:/m", "hf:/m", "openai:http://h")
    config = [ServerConfig(db_url="sqlite://", model=m) for m in models]
    assert [c.resolved_model_concurrency for c in config] == [2, 2, 2, 2, 8, 8]
    assert [c.remote_model for c in config] == [False] * 5 + [True]
    assert ServerConfig(db_url="sqlite://", model_concurrency=4).resolved_model_concurrency == 4
