"""Key A can never read, change or infer workspace B's data, through any route of the app.

Alice's workspace holds a synthetic household plus rows with names found nowhere else; Bob
holds a little ledger of his own. Every route in ``app.routes`` (new ones included: a route
with a body and no sample here fails the sweep) is called with Bob's key, with Alice's ids in
its path or body where it takes ids. Then:

* Alice's ids answer 404, exactly as an id that exists nowhere (no existence leak);
* nothing of Alice's changes (a dump of every row of hers, before and after);
* no answer to Bob carries Alice's names, descriptions or row ids.

Alice walks every route first, so a response cache that forgot the workspace would show here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import select
from sqlalchemy.orm import Session

from budgetlm.ledger.household import load_household
from budgetlm.ledger.models import (
    Account,
    Base,
    Category,
    CoachRecommendation,
    Debt,
    Goal,
    Transaction,
    Workspace,
)
from budgetlm.ledger.repository import Ledger
from budgetlm.ledger.synth import generate_household
from conftest import TODAY, Served, serve

SECRET = "Zebracorn"
"""In the name of every row of Alice's made here; appears nowhere in Bob's data."""
ALICE_CSV = f"""Date,Description,Amount
2026-10-03,{SECRET.upper()} PRIVATE CLINIC 555-0100,-412.37
2026-10-09,TRADER JOE'S #123 SAN LUIS OBIS CA,-84.17
"""
BOB_CSV = """Date,Description,Amount
2026-10-01,BOBCO PAYROLL PPD,2000.00
2026-10-04,QUUX GROCERY 42,-61.20
2026-10-12,QUUX GROCERY 42,-58.90
"""
QUESTION = "How much did I spend on groceries last month?"


def _files(text: str, name: str) -> dict[str, Any]:
    return {"file": (name, text.encode(), "text/csv")}


def _form(text: str, name: str) -> dict[str, Any]:
    return {"files": _files(text, name), "data": {"account": "Main"}}


BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/accounts"): {"json": {"name": "Bob Savings", "account_type": "savings"}},
    ("POST", "/api/v1/imports"): _form(BOB_CSV, "bob.csv"),
    ("POST", "/api/v1/categories"): {"json": {"name": "Bob Hobbies"}},
    ("PUT", "/api/v1/budgets/{month}"): {
        "json": {"lines": [{"category": "Groceries", "amount": "250.00"}]}
    },
    ("POST", "/api/v1/goals"): {
        "json": {"name": "Bob Bike", "target": "900", "target_date": "2027-05-01"}
    },
    ("POST", "/api/v1/debts"): {"json": {"name": "Bob Loan", "balance": "500", "apr": "0.05"}},
    ("POST", "/api/v1/categorize"): {
        "json": {
            "transactions": [
                {
                    "description": f"{SECRET.upper()} PRIVATE CLINIC 555-0100",
                    "amount": "-412.37",
                    "date": "2026-10-03",
                }
            ]
        }
    },
    ("POST", "/api/v1/categorize/ledger"): {"json": {"redo": True}},
    ("POST", "/api/v1/feedback/corrections"): {
        "json": {"transaction_id": "{transaction_id}", "category": "Groceries"}
    },
    ("POST", "/api/v1/ask"): {"json": {"question": QUESTION}},
    ("POST", "/api/v1/coach"): {"json": {"again": True}},
    ("POST", "/api/v1/coach/{recommendation_id}/response"): {"json": {"followed": True}},
    ("POST", "/v1/chat/completions"): {
        "json": {"model": "budgetlm", "messages": [{"role": "user", "content": QUESTION}]}
    },
}
"""A request Bob makes to each route with a body; ``{transaction_id}`` becomes Alice's id."""
QUERY = {"simulations": 200, "limit": 500}
"""Passed to every route (ignored by those that do not take them); keeps simulations short."""
SKIPPED = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, dict[str, Any]]]:
    """The app with Alice's household and marked rows, Bob's small ledger, and Alice's ids."""
    tmp_path: Path = tmp_path_factory.mktemp("isolation")
    for served in serve(tmp_path):
        alice, bob = served.as_("alice"), served.as_("bob")
        with served.store.session() as session:
            ledger = Ledger(session, served.store.workspace_id("alice"))
            load_household(ledger, generate_household("young_renter", months=6, seed=5, end=TODAY))
        api = "/api/v1"
        client = served.client
        for who, csv, name in ((alice, ALICE_CSV, "alice.csv"), (bob, BOB_CSV, "bob.csv")):
            assert client.post(f"{api}/imports", headers=who, **_form(csv, name)).is_success
        for path, body in (
            ("/accounts", {"name": f"{SECRET} Vault"}),
            ("/categories", {"name": f"{SECRET} Stuff"}),
            ("/goals", {"name": f"{SECRET} Island", "target": "5000", "target_date": "2027-09-01"}),
            ("/debts", {"name": f"{SECRET} Card", "balance": "2500", "apr": "0.2399"}),
        ):
            assert client.post(f"{api}{path}", headers=alice, json=body).status_code == 201
        found = client.get(f"{api}/transactions", headers=alice, params={"search": SECRET})
        [secret] = found.json()["items"]
        correction = {"transaction_id": secret["id"], "category": f"{SECRET} Stuff"}
        assert client.post(f"{api}/feedback/corrections", headers=alice, json=correction).is_success
        assert client.post(f"{api}/coach", headers=alice).is_success  # advice Alice can answer
        for path, body in (
            ("/goals", {"name": "Bob Trip", "target": "800", "target_date": "2027-03-01"}),
            ("/debts", {"name": "Bob Card", "balance": "300", "apr": "0.19"}),
        ):
            assert client.post(f"{api}{path}", headers=bob, json=body).status_code == 201
        yield served, alice_ids(served)


def alice_ids(served: Served) -> dict[str, Any]:
    """Alice's row ids per kind, and the texts of hers that must never reach Bob."""
    workspace = served.store.workspace_id("alice")
    ids: dict[str, Any] = {}
    texts: set[str] = {SECRET, SECRET.upper()}
    with served.store.session() as session:
        for kind, query in (
            ("transaction", select(Transaction.id).where(Transaction.workspace_id == workspace)),
            ("account", select(Account.id).where(Account.workspace_id == workspace)),
            ("goal", select(Goal.id).where(Goal.workspace_id == workspace)),
            ("debt", select(Debt.id).where(Debt.workspace_id == workspace)),
            ("category", select(Category.id).where(Category.workspace_id == workspace)),
            ("recommendation",
             select(CoachRecommendation.id).where(CoachRecommendation.workspace_id == workspace)),
        ):  # fmt: skip
            ids[kind] = sorted(session.scalars(query))
        descriptions = session.scalars(
            select(Transaction.description).where(Transaction.workspace_id == workspace)
        ).all()
        names = _names(session, workspace, defaults=False)
        bobs = _names(session, served.store.workspace_id("bob"), defaults=True)
    own = {n for n in names if len(n) >= 6 and not any(n in b for b in bobs)}  # not also Bob's
    texts |= {d for d in descriptions if len(d) >= 16} | own
    ids["texts"] = texts
    return ids


def _names(session: Session, workspace: int, *, defaults: bool) -> set[str]:
    """Names of the workspace's accounts, goals, debts and categories (default ones too?)."""
    categories = select(Category.name).where(Category.workspace_id == workspace)
    queries = [
        select(Account.name).where(Account.workspace_id == workspace),
        select(Goal.name).where(Goal.workspace_id == workspace),
        select(Debt.name).where(Debt.workspace_id == workspace),
        categories if defaults else categories.where(Category.is_default.is_(False)),
    ]
    return {name for query in queries for name in session.scalars(query)}


def dump(served: Served, name: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of workspace ``name`` in every table, and the workspace's own row."""
    workspace = served.store.workspace_id(name)
    tables: dict[str, list[tuple[Any, ...]]] = {}
    with served.store.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if "workspace_id" in table.c:
                query = select(table).where(table.c.workspace_id == workspace)
            elif table.name == Workspace.__tablename__:
                query = select(table).where(table.c.id == workspace)
            else:
                continue
            tables[table.name] = sorted(tuple(row) for row in connection.execute(query))
    return tables


def routes(served: Served) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves (``app.routes``, included routers
    expanded)."""
    app = served.client.app
    found = [
        (method, route.path)
        for route in iter_route_contexts(app.routes)  # type: ignore[attr-defined]
        if route.path and route.path not in SKIPPED
        for method in sorted((route.methods or set()) - {"HEAD"})
    ]
    assert len(found) > 30
    return found


def fill(path: str, ids: dict[str, Any], missing: bool = False) -> str:
    """``path`` with Alice's ids (or, ``missing``, ids that exist nowhere) in its parameters."""

    def value(match: re.Match[str]) -> str:
        name = match[1]
        if name == "month":
            return "2026-10"
        kind = name.removesuffix("_id")
        assert kind in ids, f"add a value for the new path parameter {name!r} in {path}"
        return str(987_654_321 if missing else ids[kind][0])

    return re.sub(r"\{(\w+)\}", value, path)


def call(served: Served, who: str, method: str, path: str, ids: dict[str, Any],
         missing: bool = False) -> Any:  # fmt: skip
    sample = BODIES.get((method, path))
    if sample is None:
        assert method in ("GET", "DELETE"), f"add a sample request for {method} {path} to BODIES"
        sample = {}
    request = {k: v for k, v in sample.items() if k != "files"}
    if "json" in request:
        request["json"] = _with_ids(request["json"], ids, missing)
    if "files" in sample:  # a fresh upload each time
        request["files"] = {k: (n, data, t) for k, (n, data, t) in sample["files"].items()}
    return served.client.request(
        method, fill(path, ids, missing), headers=served.as_(who), params=QUERY, **request
    )


def _with_ids(body: Any, ids: dict[str, Any], missing: bool) -> Any:
    if isinstance(body, dict):
        return {k: _with_ids(v, ids, missing) for k, v in body.items()}
    if isinstance(body, list):
        return [_with_ids(v, ids, missing) for v in body]
    if body == "{transaction_id}":
        return 987_654_321 if missing else ids["transaction"][0]
    return body


def test_bob_can_neither_read_change_nor_infer_alices_data(
    world: tuple[Served, dict[str, Any]],
) -> None:
    served, ids = world
    every = routes(served)
    for method, path in every:
        if method == "GET":  # Alice first: anything cached must stay hers
            call(served, "alice", method, path, ids)
    before = dump(served, "alice")
    for method, path in every:
        response = call(served, "bob", method, path, ids)
        text = response.text
        where = f"{method} {path} -> {response.status_code}"
        assert response.status_code not in (401, 403, 500), where
        leaked = [t for t in ids["texts"] if t in text]
        assert not leaked, f"{where} shows Alice's {leaked[:3]}"
        takes_id = "_id}" in path or "{transaction_id}" in str(BODIES.get((method, path), ""))
        if takes_id:
            assert response.status_code == 404, where
            nowhere = call(served, "bob", method, path, ids, missing=True)
            assert nowhere.status_code == 404, where
            assert _without_ids(text, ids) == _without_ids(nowhere.text, ids), where
        else:
            _no_alice_rows(response, path, ids, where)
        assert dump(served, "alice") == before, f"{where} changed Alice's rows"


def _without_ids(text: str, ids: dict[str, Any]) -> str:
    return re.sub(r"\b(987654321|" + "|".join(str(i) for v in ids.values()
                                               if isinstance(v, list) for i in v) + r")\b",
                  "N", text)  # fmt: skip


def _no_alice_rows(response: Any, path: str, ids: dict[str, Any], where: str) -> None:
    """A listing of Bob's never holds a row id of Alice's of the listed kind."""
    if "json" not in response.headers.get("content-type", ""):
        return
    body = response.json()
    rows = body.get("items") if isinstance(body, dict) else body
    if not isinstance(rows, list):
        return
    kind = next((k for k in ("transaction", "account", "goal", "debt", "categor")
                 if k in path.rsplit("/", 1)[-1]), None)  # fmt: skip
    if kind is None:
        return
    mine = set(ids["category" if kind == "categor" else kind])
    shown = {r["id"] for r in rows if isinstance(r, dict) and "id" in r}
    assert rows, where
    assert not shown & mine, f"{where} lists Alice's {kind} ids {sorted(shown & mine)[:3]}"


def test_names_in_use_by_alice_are_free_and_unknown_to_bob(served: Served) -> None:
    """Bob cannot probe Alice's names: filters naming her account or category answer exactly
    as for a name nobody has, and Bob may create rows with her names."""
    api, bob = "/api/v1", served.as_("bob")
    mine = (
        ("/accounts", {"name": f"{SECRET} Vault"}),
        ("/categories", {"name": f"{SECRET} Stuff"}),
        ("/goals", {"name": f"{SECRET} Island", "target": "5", "target_date": "2027-01-01"}),
        ("/debts", {"name": f"{SECRET} Card", "balance": "5", "apr": "0.1"}),
    )
    for path, body in mine:
        assert served.client.post(f"{api}{path}", headers=served.as_("alice"), json=body).is_success

    def probe(name: str, kind: str) -> tuple[int, str]:
        response = served.client.get(f"{api}/transactions", headers=bob, params={kind: name})
        return response.status_code, response.text.replace(name, "NAME")

    for kind, name in (("account", f"{SECRET} Vault"), ("category", f"{SECRET} Stuff")):
        assert probe(name, kind) == probe("Nobody Has This", kind)
        assert probe(name, kind)[0] == 404
    for path, body in mine:
        assert served.client.post(f"{api}{path}", headers=bob, json=body).status_code == 201
