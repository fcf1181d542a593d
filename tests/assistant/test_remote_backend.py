"""The ``openai:`` backend against a local stand-in for an OpenAI-compatible server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from budgetlm.assistant.backends.base import BackendError, call_message
from budgetlm.assistant.backends.remote import RemoteBackend, RemoteConfig, wire_messages
from budgetlm.assistant.tools import ToolCall, Vocabulary
from openai_fake import openai_server

VOCAB = Vocabulary(categories=("Groceries", "Dining Out"), accounts=("Checking",))


class FakeServer:
    """Answers with queued replies; records requests."""

    def __init__(self) -> None:
        self.replies: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.url = ""

    def respond(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.requests.append({"headers": body.pop("_headers"), "body": body})
        reply = self.replies.pop(0)
        return reply.pop("_status", 200), reply


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer()
    with openai_server(fake.respond) as url:
        fake.url = url
        yield fake


def tool_reply(name: str, arguments: str, logprobs: list[float] | None = None) -> dict[str, Any]:
    call = {"id": "c1", "type": "function", "function": {"name": name, "arguments": arguments}}
    choice: dict[str, Any] = {"index": 0, "message": {"role": "assistant", "tool_calls": [call]}}
    if logprobs is not None:
        choice["logprobs"] = {"content": [{"token": "x", "logprob": v} for v in logprobs]}
    return {"choices": [choice]}


def backend(server: FakeServer, spec_suffix: str = "") -> RemoteBackend:
    return RemoteBackend(RemoteConfig.from_spec(server.url + spec_suffix), date(2026, 11, 21))


def test_a_valid_call_comes_back_with_the_servers_confidence(server: FakeServer) -> None:
    args = '{"period": "last_month", "category": "Groceries"}'
    server.replies.append(tool_reply("spending", args, [-0.01, -0.5]))
    remote = backend(server)
    choice = remote.choose_call([{"role": "user", "content": "groceries last month?"}], VOCAB)
    assert choice.call == ToolCall("spending", {"period": "last_month", "category": "Groceries"})
    assert choice.confidence == pytest.approx(0.6065, abs=1e-4)
    sent = server.requests[0]["body"]
    assert sent["model"] == "tiny-model" and remote.name == "openai:tiny-model"
    assert {t["function"]["name"] for t in sent["tools"]} >= {"spending", "upcoming_bills"}
    assert "2026-11-21" in sent["messages"][0]["content"]


def test_a_call_outside_the_users_names_becomes_a_clarification(server: FakeServer) -> None:
    server.replies.append(tool_reply("spending", '{"period": "last_month", "category": "Pets"}'))
    choice = backend(server, "#other").choose_call([{"role": "user", "content": "pets?"}], VOCAB)
    assert choice.call.name == "clarify" and choice.confidence == 0.0
    assert choice.uncertain == "category"


def test_the_answer_text_is_returned_and_tool_arguments_go_as_json_text(
    server: FakeServer,
) -> None:
    server.replies.append({"choices": [{"message": {"content": "You spent $150.00."}}]})
    call = ToolCall("spending", {"period": "last_month"})
    messages = [{"role": "user", "content": "q"}, call_message(call)]
    text = backend(server, "#m").phrase(messages, None)  # type: ignore[arg-type]
    assert text == "You spent $150.00."
    sent = server.requests[0]["body"]["messages"][2]["tool_calls"][0]["function"]["arguments"]
    assert json.loads(sent) == {"period": "last_month"}
    assert wire_messages(messages)[1]["tool_calls"][0]["function"]["arguments"] == sent


def test_server_errors_are_reported_with_the_url_and_status(server: FakeServer) -> None:
    server.replies.append({"_status": 500, "error": "boom"})
    with pytest.raises(BackendError, match=r"/chat/completions: HTTP 500"):
        backend(server, "#m").choose_call([{"role": "user", "content": "q"}], VOCAB)


def test_a_bad_base_url_is_refused() -> None:
    with pytest.raises(BackendError, match="http"):
        RemoteConfig.from_spec("localhost:11434")
