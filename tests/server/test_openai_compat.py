"""The OpenAI-compatible endpoint as the official ``openai`` client sees it: a real server
(uvicorn on a loopback port) over a seeded ledger, the shipped micro model loaded once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fastapi import FastAPI
from openai import OpenAI
from sqlalchemy import select

from budgetlm.assistant.assistant import Assistant
from budgetlm.assistant.backends.remote import RemoteBackend, RemoteConfig
from budgetlm.assistant.tools import ToolCall, execute, load_context
from budgetlm.ledger.household import load_household
from budgetlm.ledger.models import AuditRecord
from budgetlm.ledger.repository import Ledger
from budgetlm.ledger.store import Store
from budgetlm.ledger.synth import generate_household
from budgetlm.server.app import create_app
from budgetlm.server.config import ServerConfig
from budgetlm.server.keys import create_key
from conftest import Served, serve, uvicorn_running

TODAY = date(2026, 11, 21)
QUESTION = "How much did I spend on groceries last month?"
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "City name"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["location"],
        },
    },
}


@dataclass(frozen=True)
class Running:
    """A server on a loopback port, its keys, alice's groceries total last month and the
    server's ledger store."""

    base_url: str
    keys: dict[str, str]
    groceries: str
    store: Store
    app: FastAPI

    @contextmanager
    def client(self, workspace: str = "alice", key: str | None = None) -> Iterator[OpenAI]:
        """An OpenAI client acting in ``workspace`` (or with ``key``), closed afterwards."""
        with OpenAI(
            base_url=self.base_url,
            api_key=key or self.keys[workspace],
            max_retries=0,
            timeout=60,
            http_client=httpx.Client(trust_env=False),
        ) as client:
            yield client


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('openai') / 'ledger.db'}")
    keys = {}
    for name in ("alice", "bob"):
        with store.session() as session:
            keys[name] = create_key(session, store.workspace_id(name), f"{name}'s app")
    household = generate_household("young_renter", months=3, seed=4, end=date(2026, 10, 31))
    with store.session() as session:
        ledger = Ledger(session, store.workspace_id("alice"))
        load_household(ledger, household)
        context = load_context(ledger, TODAY)
    spent = execute(
        ToolCall("spending", {"category": "Groceries", "period": "last_month"}), context
    )
    # A generous model timeout: the first request loads the model, and on a busy machine a
    # fallback (answered without the model) would make the answers of two requests differ.
    config = ServerConfig(db_url=str(store.url), today=TODAY, model_timeout_seconds=120)
    app = create_app(config, store=store)
    with uvicorn_running(app) as url:
        total = spent.figures["total"]
        yield Running(f"{url}/v1", keys, f"{total:,.2f}", store, app)
    store.close()


@pytest.fixture
def alice(running: Running) -> Iterator[OpenAI]:
    with running.client() as client:
        yield client


def _ask(client: OpenAI, question: str = QUESTION, **options: Any) -> Any:
    return client.chat.completions.create(
        model="budgetlm", messages=[{"role": "user", "content": question}], **options
    )


def test_models_lists_the_assistant_and_the_raw_model(alice: OpenAI) -> None:
    models = alice.models.list()
    assert [m.id for m in models.data] == ["budgetlm", "micro"]
    assert {(m.object, m.owned_by) for m in models.data} == {("model", "budgetlm")}


def test_assistant_mode_answers_with_the_ledger_figure(running: Running, alice: OpenAI) -> None:
    completion = _ask(alice, temperature=0.7, top_p=0.5, seed=3, user="x")
    assert completion.object == "chat.completion" and completion.id.startswith("chatcmpl-")
    assert completion.model == "budgetlm"
    [choice] = completion.choices
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    assert running.groceries in choice.message.content
    extras = completion.budgetlm  # a non-standard field, kept by the client
    assert extras["kind"] == "answer" and extras["model"].startswith("micro")
    assert extras["fallback"] is False
    assert extras["tool_calls"] == [
        {"name": "spending", "arguments": {"period": "last_month", "category": "Groceries"}}
    ]
    assert extras["results"][0]["figures"]["total"] == running.groceries.replace(",", "")
    usage = completion.usage
    assert usage.prompt_tokens > 5 and usage.completion_tokens > 5
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_assistant_mode_streams_the_same_answer(alice: OpenAI) -> None:
    client = alice
    whole = _ask(client).choices[0].message.content
    chunks = list(_ask(client, stream=True, stream_options={"include_usage": True}))
    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole and len(chunks) > 5
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop" and set(finishes[:-1]) == {None}
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens > 0
    assert all(c.usage is None for c in chunks[:-1])


def test_a_conversation_is_accepted_and_its_last_question_answered(alice: OpenAI) -> None:
    first = _ask(alice).choices[0].message.content
    completion = alice.chat.completions.create(
        model="budgetlm",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": QUESTION},
            {"role": "assistant", "content": first},
            {"role": "user", "content": "And the month before?"},
        ],
    )
    # Only the texts of earlier turns reach the model (not their calls), so the micro model
    # may read a follow-up differently from the CLI's chat; it is answered by a tool either way.
    assert completion.choices[0].finish_reason == "stop"
    assert len(completion.budgetlm["tool_calls"]) == 1


def test_pass_through_calls_the_clients_tool_then_answers_its_result(
    running: Running, alice: OpenAI
) -> None:
    client = alice
    asked = [{"role": "user", "content": "What is the weather in Paris?"}]
    completion = client.chat.completions.create(model="budgetlm", messages=asked, tools=[WEATHER])
    [choice] = completion.choices
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    [call] = choice.message.tool_calls
    assert call.id.startswith("call_") and call.type == "function"
    assert call.function.name == "get_weather"
    arguments = json.loads(call.function.arguments)
    assert isinstance(arguments["location"], str) and set(arguments) <= {"location", "unit"}
    assert arguments.get("unit", "celsius") in ("celsius", "fahrenheit")
    assert completion.usage.completion_tokens > 0 and not hasattr(completion, "budgetlm")
    follow = [
        *asked,
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '{"temperature": 18}'},
    ]
    answer = client.chat.completions.create(
        model="budgetlm", messages=follow, tools=[WEATHER], max_tokens=20
    )
    [choice] = answer.choices
    assert choice.finish_reason in ("stop", "length") and isinstance(choice.message.content, str)
    assert not choice.message.tool_calls and answer.usage.completion_tokens <= 20
    running.app.state.audit.flush()  # both predictions are audited
    with running.store.session() as session:
        rows = session.scalars(
            select(AuditRecord).where(AuditRecord.endpoint == "v1/chat/completions")
        ).all()
        outputs = [json.loads(row.output) for row in rows[-2:]]
    assert outputs[0]["call"] == {"name": "get_weather", "arguments": call.function.arguments}
    assert outputs[1] == {"call": None, "text": choice.message.content,
                          "finish_reason": choice.finish_reason}  # fmt: skip


def test_pass_through_streams_a_call_and_honours_tool_choice(alice: OpenAI) -> None:
    client = alice
    asked = [{"role": "user", "content": "Weather in Oslo?"}]
    chunks = list(
        client.chat.completions.create(model="micro", messages=asked, tools=[WEATHER], stream=True)
    )
    deltas = [d for c in chunks for d in c.choices[0].delta.tool_calls or ()]
    assert deltas[0].function.name == "get_weather" and deltas[0].id.startswith("call_")
    json.loads("".join(d.function.arguments or "" for d in deltas))
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    other = {**WEATHER, "function": {**WEATHER["function"], "name": "get_time"}}
    named = client.chat.completions.create(
        model="micro",
        messages=asked,
        tools=[WEATHER, other],
        tool_choice={"type": "function", "function": {"name": "get_time"}},
    )
    assert named.choices[0].message.tool_calls[0].function.name == "get_time"
    text = client.chat.completions.create(
        model="micro", messages=asked, tools=[WEATHER], tool_choice="none", max_tokens=8
    )
    assert text.choices[0].message.tool_calls is None
    assert isinstance(text.choices[0].message.content, str)


def test_bob_sees_his_own_empty_ledger(running: Running) -> None:
    with running.client("bob") as bob:
        completion = _ask(bob)
    assert running.groceries not in completion.choices[0].message.content
    for result in completion.budgetlm["results"]:
        assert result["figures"].get("total") in (None, "0", "0.00")


def test_a_bad_key_is_an_authentication_error(running: Running) -> None:
    with (
        running.client(key="blm_not-a-real-key") as stranger,
        pytest.raises(openai.AuthenticationError) as caught,
    ):
        _ask(stranger)
    assert caught.value.body["message"] == "unknown or revoked API key"
    assert caught.value.code == "invalid_api_key"


@pytest.mark.parametrize(
    ("options", "error", "code"),
    [
        ({"n": 2}, openai.BadRequestError, "unsupported_value"),
        ({"model": "gpt-4o"}, openai.NotFoundError, "model_not_found"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, openai.BadRequestError, None),
        ({"messages": [{"role": "user", "content": "x" * 501}]}, openai.BadRequestError, None),
        ({"messages": []}, openai.BadRequestError, None),
    ],
)
def test_bad_requests_get_openai_errors(
    alice: OpenAI, options: dict[str, Any], error: type[Exception], code: str | None
) -> None:
    request: dict[str, Any] = {"model": "budgetlm", "messages": [{"role": "user", "content": "hi"}]}
    with pytest.raises(error) as caught:
        alice.chat.completions.create(**{**request, **options})
    assert isinstance(caught.value, openai.APIStatusError)
    assert caught.value.body["type"] == "invalid_request_error" and caught.value.body["message"]
    if code is not None:
        assert caught.value.code == code


def test_tools_need_a_local_model(tmp_path: Path) -> None:
    for served in serve(tmp_path, model="openai:http://127.0.0.1:9/v1#elsewhere"):
        response = _post(served, {"tools": [WEATHER]})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "unsupported_model_backend"


def _post(served: Served, extra: dict[str, Any]) -> httpx.Response:
    body = {"model": "budgetlm", "messages": [{"role": "user", "content": "Weather?"}], **extra}
    return served.client.post("/v1/chat/completions", json=body, headers=served.as_("alice"))


def test_the_stream_is_server_sent_events_ending_with_done(running: Running) -> None:
    body = {"model": "budgetlm", "messages": [{"role": "user", "content": QUESTION}]}
    headers = {"Authorization": f"Bearer {running.keys['alice']}"}
    url = f"{running.base_url}/chat/completions"
    with (
        httpx.Client(trust_env=False) as http,
        http.stream("POST", url, json={**body, "stream": True}, headers=headers) as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line]
    assert all(line.startswith("data: ") for line in events) and events[-1] == "data: [DONE]"
    final = json.loads(events[-2].removeprefix("data: "))
    assert final["choices"][0]["finish_reason"] == "stop"
    assert final["budgetlm"]["tool_calls"][0]["name"] == "spending"


def test_budgetlms_own_openai_backend_can_use_this_server(
    running: Running, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--model openai:URL`` pointed at a budgetlm server: tools, tool_choice=required and
    logprobs go through pass-through mode, the answer through text generation."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    config = RemoteConfig(running.base_url, api_key=running.keys["bob"])
    backend = RemoteBackend(config, TODAY)
    empty = Store(f"sqlite:///{tmp_path / 'empty.db'}")
    with empty.session() as session:
        context = load_context(Ledger(session, empty.workspace_id("bob")), TODAY)
    empty.close()
    reply = Assistant(backend, context).ask(QUESTION)
    assert backend.name == "openai:budgetlm"
    assert len(reply.tool_calls) == 1 and 0.0 <= reply.confidence <= 1.0
    assert reply.answer
