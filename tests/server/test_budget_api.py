"""The budget API as a client app drives it: import a bank file, list and page transactions,
categorize, correct, budget, plan, ask; limits answered 413/422; an OpenAPI spec that holds."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.openapi.models import OpenAPI
from sqlalchemy import select
from typer.testing import CliRunner

from budgetlm.cli import app as cli
from budgetlm.ledger.household import load_household
from budgetlm.ledger.models import AuditRecord
from budgetlm.ledger.repository import Ledger
from budgetlm.ledger.synth import generate_household
from conftest import TODAY, Served, serve

API = "/api/v1"

STATEMENT = """Posting Date,Description,Debit,Credit
03/02/2026,"SQ *LUCY'S COFFEE CO. SAN LUIS OBIS CA",4.50,
03/03/2026,ACME CORP PAYROLL PPD ID:1234567890,,"2,500.00"
03/03/2026,METRO TRANSIT FARE,3.00,
03/03/2026,METRO TRANSIT FARE,3.00,
03/09/2026,TRADER JOE'S #123 SAN LUIS OBIS CA,84.17,
03/15/2026,NETFLIX.COM 866-579-7172 CA,15.49,
"""


def upload(served: Served, who: str, text: str = STATEMENT, **form: str) -> Any:
    response = served.client.post(
        f"{API}/imports",
        headers=served.as_(who),
        files={"file": ("march.csv", text.encode(), "text/csv")},
        data={"account": "Checking", **form},
    )
    assert response.status_code == 201, response.text
    return response.json()


def get(served: Served, path: str, who: str = "alice", **params: Any) -> Any:
    response = served.client.get(f"{API}{path}", headers=served.as_(who), params=params)
    assert response.status_code == 200, response.text
    return response.json()


def post(served: Served, path: str, body: Any, who: str = "alice", code: int = 200) -> Any:
    response = served.client.post(f"{API}{path}", headers=served.as_(who), json=body)
    assert response.status_code == code, response.text
    return response.json()


def version(served: Served, who: str = "alice") -> int:
    return int(get(served, "/workspace", who)["ledger_version"])


def test_an_uploaded_statement_lists_with_filters_and_pages(served: Served) -> None:
    report = upload(served, "alice")
    assert (report["added"], report["duplicates"], report["accounts"]) == (6, 0, ["Checking"])
    assert upload(served, "alice")["added"] == 0  # importing again adds nothing
    page = get(served, "/transactions", limit=4)
    assert [t["amount"] for t in page["items"]] == ["-15.49", "-84.17", "-3.00", "-3.00"]
    assert page["next_offset"] == 4
    rest = get(served, "/transactions", limit=4, offset=4)
    assert [t["amount"] for t in rest["items"]] == ["2500.00", "-4.50"]
    assert rest["next_offset"] is None
    assert [t["amount"] for t in get(served, "/transactions", search="metro")["items"]] == [
        "-3.00", "-3.00",
    ]  # fmt: skip
    big = get(served, "/transactions", min_amount="10", max_amount="100")["items"]
    assert [t["description"][:7] for t in big] == ["NETFLIX", "TRADER "]
    income = get(served, "/transactions", min_amount="1000")["items"]  # magnitude: either sign
    assert [t["amount"] for t in income] == ["2500.00"]
    small = get(served, "/transactions", max_amount="5", limit=2)
    assert [t["amount"] for t in small["items"]] == ["-3.00", "-3.00"] and small["next_offset"] == 2
    dated = get(served, "/transactions", start="2026-03-03", end="2026-03-09")["items"]
    assert len(dated) == 4 and all("2026-03-03" <= t["date"] <= "2026-03-09" for t in dated)
    one = get(served, f"/transactions/{big[0]['id']}")
    assert one == big[0] and one["account"] == "Checking"
    [account] = get(served, "/accounts")
    assert (account["name"], account["balance"]) == ("Checking", "2389.84")
    assert get(served, "/transactions", who="bob")["items"] == []


def test_a_dry_run_import_changes_nothing_and_a_bad_file_says_where(served: Served) -> None:
    before = version(served)
    assert upload(served, "alice", dry_run="true")["added"] == 6
    assert get(served, "/transactions")["items"] == [] and version(served) == before
    bad = served.client.post(
        f"{API}/imports", headers=served.as_("alice"), data={"account": "Checking"},
        files={"file": ("bad.csv", STATEMENT.replace("03/09/2026", "03/39/2026").encode())},
    )  # fmt: skip
    assert bad.status_code == 422 and "bad.csv" in bad.json()["detail"]
    assert "line 6" in bad.json()["detail"]


def test_every_write_bumps_the_ledger_version(served: Served) -> None:
    writes: list[Callable[[], object]] = [
        lambda: post(served, "/accounts", {"name": "Savings", "account_type": "savings"}, code=201),
        lambda: post(served, "/categories", {"name": "Hobbies"}, code=201),
        lambda: served.client.put(f"{API}/budgets/2026-11", headers=served.as_("alice"),
                                  json={"lines": [{"category": "Groceries", "amount": "400"}]}),
        lambda: post(served, "/goals", {"name": "Trip", "target": "3000.00",
                                        "target_date": "2027-06-30"}, code=201),
        lambda: post(served, "/debts", {"name": "Card", "balance": "1200.00", "apr": "0.2199"},
                     code=201),
        lambda: upload(served, "alice"),
    ]  # fmt: skip
    for write in writes:
        before = version(served)
        write()
        assert version(served) > before
    goal = get(served, "/goals")[0]["id"]
    before = version(served)
    assert (
        served.client.delete(f"{API}/goals/{goal}", headers=served.as_("alice")).status_code == 204
    )
    assert version(served) == before + 1 and get(served, "/goals") == []


def test_budgets_per_month_show_what_was_spent(served: Served) -> None:
    upload(served, "alice")
    response = served.client.put(
        f"{API}/budgets/2026-03", headers=served.as_("alice"),
        json={"lines": [{"category": "Groceries", "amount": "300.00"},
                        {"category": "coffee", "amount": "20"}]},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    post(served, "/categorize/ledger", {})
    lines = {b["category"]: b for b in get(served, "/budgets/2026-03")}
    assert lines["Groceries"]["budgeted"] == "300.00"
    assert lines["Groceries"]["spent"] == "84.17"
    assert lines["Groceries"]["remaining"] == "215.83"
    assert get(served, "/budgets") == []  # November has none
    assert (
        served.client.get(f"{API}/budgets/2026-13", headers=served.as_("alice")).status_code == 422
    )


def test_batch_categorization_gives_confidences_and_a_correction_teaches_it(
    served: Served,
) -> None:
    batch = [
        {"description": "TRADER JOE'S #552 OAKLAND CA", "amount": "-61.20", "date": "2026-11-02"},
        {"description": "SHELL OIL 57442 BERKELEY CA", "amount": "-48.00", "date": "2026-11-03"},
        {"description": "ZQX 7781 MISC", "amount": "-12.00", "date": "2026-11-04"},
    ]
    answer = post(served, "/categorize", {"transactions": batch})
    predictions = answer["predictions"]
    assert len(predictions) == 3
    assert predictions[0]["category"] == "Groceries" and predictions[0]["source"] == "model"
    assert all(0 <= p["confidence"] <= 1 for p in predictions)
    assert all(p["category"] is None or p["source"] == "model" for p in predictions)

    upload(served, "alice", STATEMENT + "03/20/2026,ZQX 7781 MISC,12.00,\n")
    [odd] = get(served, "/transactions", search="ZQX")["items"]
    corrected = post(
        served,
        "/feedback/corrections",
        {"transaction_id": odd["id"], "category": "Hobbies & Crafts"},
        code=404,
    )
    assert "no category" in corrected["detail"]
    post(served, "/categories", {"name": "Hobbies & Crafts"}, code=201)
    before = version(served)
    fixed = post(served, "/feedback/corrections",
                 {"transaction_id": odd["id"], "category": "Hobbies & Crafts"})  # fmt: skip
    assert (fixed["category"], fixed["category_source"]) == ("Hobbies & Crafts", "user")
    assert version(served) == before + 1
    again = post(served, "/categorize", {"transactions": batch[2:]})["predictions"]
    assert again == [{"category": "Hobbies & Crafts", "confidence": 1.0, "source": "correction",
                      "best_guess": "Hobbies & Crafts"}]  # fmt: skip
    # Bob's categorizer has not learned Alice's correction.
    assert (
        post(served, "/categorize", {"transactions": batch[2:]}, who="bob")["predictions"][0][
            "source"
        ]
        != "correction"
    )


def test_the_review_list_and_categorizing_the_stored_ledger(served: Served) -> None:
    upload(served, "alice")
    report = post(served, "/categorize/ledger", {})
    assert report["considered"] == 6
    assert report["by_model"] + report["to_review"] == 6
    review = get(served, "/categorize/review")
    assert len(review) == report["to_review"]
    for item in review:
        assert item["transaction"]["category"] is None


@pytest.fixture(scope="module")
def household(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """Alice's workspace holds a synthetic household with debts, goals and budgets."""
    tmp_path = tmp_path_factory.mktemp("household")
    generated = generate_household("high_earner_debt", months=14, seed=1, end=TODAY)
    for running in serve(tmp_path):
        with running.store.session() as session:
            load_household(session_ledger(running, session), generated)
        yield running


def session_ledger(served: Served, session: Any) -> Ledger:
    return Ledger(session, served.store.workspace_id("alice"))


def cli_json(served: Served, *args: str) -> Any:
    db = str(served.config.db_url)
    result = CliRunner().invoke(cli, [*args, "--json", "--db", db, "-w", "alice",
                                      "--today", TODAY.isoformat()])  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_debt_plan_numbers_equal_the_clis(household: Served) -> None:
    api = get(household, "/analytics/debt-plan", strategy="snowball", extra="200")
    cli_plan = cli_json(household, "debt", "plan", "--strategy", "snowball", "--extra", "200",
                        "--compare")  # fmt: skip
    plan = api["plan"]
    for key in ("months_to_debt_free", "debt_free_date", "total_interest", "total_paid",
                "monthly_budget"):  # fmt: skip
        assert plan[key] == json.loads(json.dumps(cli_plan[key], default=str)), key
    assert [(d["name"], d["total_interest"]) for d in plan["payoffs"]] == [
        (d["name"], d["total_interest"]) for d in cli_plan["debts"]
    ]
    assert api["best"] == cli_plan["best"]
    assert [p["total_interest"] for p in api["comparison"]] == [
        r["total_interest"] for r in cli_plan["comparison"]
    ]
    assert plan["months"] is None
    scheduled = get(household, "/analytics/debt-plan", schedule="true")["plan"]["months"]
    assert scheduled[0]["month"] == 1 and isinstance(scheduled[0]["debts"][0]["balance"], str)


def test_analytics_answer_like_the_cli(household: Served) -> None:
    recommendation = get(household, "/analytics/budget-recommendation")
    assert recommendation == json.loads(
        json.dumps(cli_json(household, "budget", "recommend"), default=str)
    ) | {"window": recommendation["window"]}
    insights = get(household, "/analytics/insights")
    assert [i["title"] for i in insights] == [i["title"] for i in cli_json(household, "insights")]
    bills = get(household, "/analytics/bills", days=14)
    upcoming = cli_json(household, "bills", "--days", "14")
    assert bills["upcoming_total"] == upcoming["total"]
    assert len(bills["series"]) == len(cli_json(household, "bills"))
    forecast = get(household, "/analytics/forecast", days=30)
    assert (
        forecast["minimum_balance"]
        == cli_json(household, "forecast", "--days", "30")["minimum_balance"]
    )
    assert len(forecast["days"]) == 30
    anomalies = get(household, "/analytics/anomalies")
    assert len(anomalies["anomalies"]) == len(cli_json(household, "anomalies")["anomalies"])


def test_goal_checks_by_id_and_all(household: Served) -> None:
    goals = get(household, "/goals")
    assert goals and all(isinstance(g["target"], str) for g in goals)
    checks = get(household, "/analytics/goals", simulations=500)
    one = get(household, f"/analytics/goals/{goals[0]['id']}", simulations=500)
    assert one == next(c for c in checks if c["goal"]["name"] == goals[0]["name"])
    assert 0 <= one["probability"]["estimate"] <= 1
    cli_checks = cli_json(household, "goal", "check", "--simulations", "500")
    assert [c["status"] for c in checks] == [c["status"] for c in cli_checks]


def test_ask_returns_the_exact_figure_of_the_ledger(household: Served) -> None:
    with household.store.session() as session:
        ledger = session_ledger(household, session)
        totals = ledger.category_totals(date(2026, 10, 1), date(2026, 10, 31))
    groceries = -next(total for name, _, total in totals if name == "Groceries")
    answer = post(household, "/ask", {"question": "How much did I spend on groceries last month?"})
    assert answer["kind"] == "answer", answer
    assert [c["name"] for c in answer["tool_calls"]] == ["spending"]
    assert f"${groceries:,.2f}" in answer["answer"]
    assert Decimal(str(answer["results"][0]["figures"]["total"])) == groceries
    assert answer["conversation"][0] == {
        "role": "user", "content": "How much did I spend on groceries last month?",
    }  # fmt: skip
    assert answer["latency_ms"] > 0 and answer["model"]
    follow = {"question": "And on dining out?", "conversation": answer["conversation"]}
    second = post(household, "/ask", follow)
    assert second["conversation"][: len(answer["conversation"])] == answer["conversation"]
    assert len(second["conversation"]) > len(answer["conversation"])


def test_the_coach_advises_once_a_month_and_hears_back(household: Served) -> None:
    advice = post(household, "/coach", {})
    assert advice["repeated"] is False and advice["followed"] is None
    assert advice["decision_ms"] < 5.0 and re.search(r"\$\d", advice["message"])
    again = household.client.post(f"{API}/coach", headers=household.as_("alice"))  # no body
    assert again.json()["repeated"] is True and again.json()["id"] == advice["id"]
    answered = post(household, f"/coach/{advice['id']}/response", {"followed": True})
    assert answered["followed"] is True and answered["message"] == advice["message"]
    [logged] = get(household, "/coach/log")
    assert (logged["id"], logged["followed"]) == (advice["id"], True)
    post(household, "/coach/999999/response", {"followed": False}, code=404)
    household.client.app.state.audit.flush()  # type: ignore[attr-defined]
    with household.store.session() as session:  # new advice is a prediction; a repeat is not
        rows = session.scalars(select(AuditRecord).where(AuditRecord.endpoint == "coach")).all()
    assert [json.loads(row.output)["id"] for row in rows] == [advice["id"]]


# --- Limits ---------------------------------------------------------------------------------------


@pytest.fixture
def tight(tmp_path: Path) -> Iterator[Served]:
    yield from serve(tmp_path, max_body_bytes=2_000, max_question_chars=40, max_batch=2)


def test_bodies_over_the_limit_are_refused_with_413(tight: Served) -> None:
    big = STATEMENT * 20
    response = tight.client.post(
        f"{API}/imports", headers=tight.as_("alice"), data={"account": "Checking"},
        files={"file": ("big.csv", big.encode())},
    )  # fmt: skip
    assert response.status_code == 413 and "2000 bytes" in response.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"question": "'
        yield b"x" * 3_000
        yield b'"}'

    streamed = tight.client.post(
        f"{API}/ask", headers={**tight.as_("alice"), "Content-Type": "application/json"},
        content=chunks(),
    )  # fmt: skip
    assert streamed.status_code == 413
    assert get(tight, "/transactions")["items"] == []


def test_too_long_questions_too_big_batches_and_bad_fields_are_422(tight: Served) -> None:
    long = post(tight, "/ask", {"question": "how much " * 10}, code=422)
    assert "limit is 40" in long["detail"]
    row = {"description": "COFFEE", "amount": "-4.50", "date": "2026-11-02"}
    batch = post(tight, "/categorize", {"transactions": [row] * 3}, code=422)
    assert "limit is 2" in batch["detail"]
    post(tight, "/categorize", {"transactions": [row | {"amount": -4.5}]}, code=422)  # a float
    post(tight, "/categorize", {"transactions": [row | {"amount": "-4.12345"}]}, code=422)
    post(tight, "/categorize", {"transactions": [row | {"colour": "red"}]}, code=422)
    post(tight, "/categorize", {"transactions": [row | {"description": "x" * 501}]}, code=422)
    post(tight, "/goals", {"name": "Trip", "target": "1e999", "target_date": "2027-01-01"},
         code=422)  # fmt: skip
    post(tight, "/debts", {"name": "Card", "balance": "10", "apr": "21.99"}, code=422)
    response = tight.client.get(f"{API}/transactions", headers=tight.as_("alice"),
                                params={"limit": 501})  # fmt: skip
    assert response.status_code == 422


# --- OpenAPI --------------------------------------------------------------------------------------


def test_the_openapi_spec_validates_and_every_route_has_a_response_model(served: Served) -> None:
    spec = served.client.get("/openapi.json").json()
    OpenAPI.model_validate(spec)  # FastAPI's own model of the OpenAPI 3.1 document
    text = json.dumps(spec)
    for ref in set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', text)):
        assert ref in spec["components"]["schemas"], ref
    for path, operations in spec["paths"].items():
        if not path.startswith(API):
            continue
        for method, operation in operations.items():
            answers = operation["responses"]
            good = [code for code in answers if code.startswith("2")]
            assert good or "501" in answers, (method, path)
            for code in good:
                if code == "204":
                    continue
                schema = answers[code]["content"]["application/json"]["schema"]
                assert schema, (method, path)
    money = spec["components"]["schemas"]["TransactionOut"]["properties"]["amount"]
    assert money["type"] == "string"


def test_analytics_and_answers_are_cached_until_the_ledger_changes(household: Served) -> None:
    cache = household.client.app.state.cache  # type: ignore[attr-defined]
    question = {"question": "How much did I spend on groceries last month?"}
    first = post(household, "/ask", question)
    bills = household.client.get("/api/v1/analytics/bills", params={"days": 30}).json()
    hits = cache.hits
    assert post(household, "/ask", question) == first  # same request, same ledger: a hit
    assert household.client.get("/api/v1/analytics/bills", params={"days": 30}).json() == bills
    assert cache.hits == hits + 2
    other = household.client.get("/api/v1/analytics/bills", params={"days": 31})
    assert other.status_code == 200 and cache.hits == hits + 2  # another query: a miss
    made = household.client.post(
        "/api/v1/accounts", json={"name": "Cash jar", "account_type": "cash"}
    )
    assert made.status_code == 201, made.text
    household.client.get("/api/v1/analytics/bills", params={"days": 30})
    assert cache.hits == hits + 2  # a write bumped the ledger version: computed again


def test_the_categorizer_is_built_once_per_ledger_version(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    from budgetlm.server.routers import categorize

    built: list[int] = []
    real = categorize.workspace_categorizer
    monkeypatch.setattr(
        categorize, "workspace_categorizer", lambda *a, **k: built.append(1) or real(*a, **k)
    )
    row = {"description": "ZQX 7781 MISC", "amount": "-12.00", "date": "2026-11-04"}
    for _ in range(3):
        post(served, "/categorize", {"transactions": [row]})
    assert len(built) == 1
    post(served, "/categories", {"name": "Hobbies"}, code=201)  # a write: a new ledger version
    post(served, "/categorize", {"transactions": [row]})
    post(served, "/categorize", {"transactions": [row]}, who="bob")  # another workspace
    assert len(built) == 3
