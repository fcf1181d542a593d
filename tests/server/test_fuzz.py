"""Property-based fuzzing of every operation in the server's own OpenAPI spec (schemathesis):
no answer is a 5xx, and a request the server rejects (4xx) leaves the database as it was."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from sqlalchemy import select

from budgetlm.ledger.models import Base
from conftest import Served, serve, uvicorn_running

pytestmark = pytest.mark.slow

EXAMPLES = 15
"""Examples per operation and generation mode (bounded so the test takes well under a minute)."""

STATEMENT = b"""Posting Date,Description,Debit,Credit
03/02/2026,"SQ *LUCY'S COFFEE CO. SAN LUIS OBIS CA",4.50,
03/03/2026,ACME CORP PAYROLL PPD ID:1234567890,,"2,500.00"
03/09/2026,TRADER JOE'S #123 SAN LUIS OBIS CA,84.17,
"""


@pytest.fixture
def fuzzed(tmp_path: Path) -> Iterator[Served]:
    """Alice's workspace with a few transactions, and no rate limit in the way."""
    for running in serve(tmp_path, rate_limit_per_minute=10**7):
        response = running.client.post(
            "/api/v1/imports", headers=running.as_("alice"), data={"account": "Checking"},
            files={"file": ("march.csv", STATEMENT, "text/csv")},
        )  # fmt: skip
        assert response.status_code == 201, response.text
        yield running


def dump(served: Served) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (audit rows of earlier requests written first: the app writes
    them in batches, in the background)."""
    served.client.app.state.audit.flush()  # type: ignore[attr-defined]
    with served.store.session() as session:
        return {
            table.name: sorted(map(tuple, session.execute(select(table)).all()), key=repr)
            for table in Base.metadata.sorted_tables
        }


def fuzz(
    operation: Any,
    mode: GenerationMode,
    fuzzed: Served,
    url: str,
    session: requests.Session,
    seen: Counter[int],
) -> list[str]:
    """What went wrong in ``EXAMPLES`` generated requests to ``operation``; ``seen`` counts
    the answers by class (2 for 2xx…)."""
    failures: list[str] = []

    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case) -> None:
        before = dump(fuzzed)
        response = case.call(base_url=url, session=session, headers=fuzzed.as_("alice"))
        code = response.status_code
        seen[code // 100] += 1
        where = f"{case.method} {case.formatted_path} ({mode}): {code}"
        if code >= 500:
            failures.append(f"{where} {response.text[:300]}")
        elif code >= 400 and dump(fuzzed) != before:
            failures.append(f"{where} rejected, but the database changed")

    with suppress(Unsatisfiable):  # negative mode for an operation without input: nothing to try
        check()
    return failures


def test_no_operation_answers_5xx_and_a_rejected_request_writes_nothing(fuzzed: Served) -> None:
    spec = fuzzed.client.get("/openapi.json").json()
    operations = [r.ok() for r in schemathesis.openapi.from_dict(spec).get_all_operations()]
    assert len(operations) > 30
    failures: list[str] = []
    seen: Counter[int] = Counter()
    with uvicorn_running(fuzzed.client.app) as url, requests.Session() as session:  # type: ignore[arg-type]
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failures += fuzz(operation, mode, fuzzed, url, session, seen)
    assert not failures, "\n".join(sorted(set(failures)))
    assert seen[2] > 100 and seen[4] > 100, seen  # both accepted and rejected input was tried
