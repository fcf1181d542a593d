"""Regression tests for bad input found by fuzzing the API (tests/server/test_fuzz.py): each
once answered 500."""

from __future__ import annotations

import pytest

from conftest import Served

API = "/api/v1"


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "0999-05"])
def test_a_month_outside_the_calendar_is_422_not_500(served: Served, month: str) -> None:
    alice = served.as_("alice")
    assert served.client.get(f"{API}/budgets/{month}", headers=alice).status_code == 422
    put = served.client.put(
        f"{API}/budgets/{month}", headers=alice,
        json={"lines": [{"category": "Groceries", "amount": "10"}]},
    )  # fmt: skip
    assert put.status_code == 422
    assert served.client.get(f"{API}/budgets/2999-12", headers=alice).status_code == 200


def test_a_transaction_id_beyond_64_bits_is_422_not_500(served: Served) -> None:
    response = served.client.post(
        f"{API}/feedback/corrections", headers=served.as_("alice"),
        json={"transaction_id": 2**63, "category": "Groceries"},
    )  # fmt: skip
    assert response.status_code == 422


def test_a_non_finite_float_is_written_as_null_not_a_server_error() -> None:
    import json

    from budgetlm.server.responses import FiniteJSONResponse

    body = FiniteJSONResponse({"ratio": float("inf"), "rows": [{"score": float("nan")}, 1.5]}).body
    assert json.loads(body) == {"ratio": None, "rows": [{"score": None}, 1.5]}


@pytest.mark.parametrize("value", ["inf", "nan", "-Infinity"])
def test_an_infinite_query_number_is_a_422_not_a_500(served: Served, value: str) -> None:
    response = served.client.get(
        "/api/v1/analytics/insights", params={"threshold": value}, headers=served.as_("alice")
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", "threshold"]
