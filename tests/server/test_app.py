"""The app starts, reports health, and maps every request to exactly one workspace."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from budgetlm.cli import app as cli
from budgetlm.server.config import ServerConfig, is_loopback
from conftest import Served, serve


def test_health_and_readiness(served: Served) -> None:
    assert served.client.get("/health").json()["status"] == "ok"
    assert served.client.get("/ready").json() == {"status": "ready", "database": "sqlite"}


def test_a_key_acts_in_its_own_workspace_and_keyless_loopback_in_the_default(
    served: Served,
) -> None:
    assert served.client.get("/api/v1/workspace", headers=served.as_("alice")).json()["name"] == (
        "alice"
    )
    assert served.client.get("/api/v1/workspace", headers=served.as_("bob")).json()["name"] == "bob"
    assert served.client.get("/api/v1/workspace").json()["name"] == "default"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Bearer blm_not-a-real-key", "unknown or revoked API key"),
        ("Basic dXNlcjpwYXNz", "must be: Bearer KEY"),
        ("Bearer ", "must be: Bearer KEY"),
    ],
)
def test_bad_keys_are_refused(served: Served, header: str, message: str) -> None:
    response = served.client.get("/api/v1/workspace", headers={"Authorization": header})
    assert response.status_code == 401
    assert message in response.json()["detail"]
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.fixture
def public(tmp_path: Path) -> Iterator[Served]:
    yield from serve(tmp_path, host="0.0.0.0")


def test_off_loopback_every_request_needs_a_key(public: Served) -> None:
    response = public.client.get("/api/v1/workspace")
    assert response.status_code == 401 and "API key is required" in response.json()["detail"]
    assert public.client.get("/api/v1/workspace", headers=public.as_("bob")).status_code == 200
    assert public.client.get("/health").status_code == 200  # liveness needs no key


def test_keys_are_stored_hashed_and_revoked_keys_stop_working(
    served: Served, tmp_path: Path
) -> None:
    from sqlalchemy import text

    with served.store.engine.connect() as connection:
        stored = connection.execute(text("SELECT key_hash, prefix FROM api_keys")).all()
    secrets = set(served.keys.values())
    assert not {row.key_hash for row in stored} & secrets
    assert all(len(row.key_hash) == 64 and row.prefix.startswith("blm_") for row in stored)
    db = str(served.config.db_url)
    listed = CliRunner().invoke(cli, ["keys", "list", "--db", db, "-w", "alice"])
    assert served.keys["alice"][:12] in listed.output and served.keys["alice"] not in listed.output
    as_json = CliRunner().invoke(cli, ["keys", "list", "--json", "--db", db, "-w", "alice"])
    assert [k["prefix"] for k in json.loads(as_json.output)] == [served.keys["alice"][:12]]
    revoked = CliRunner().invoke(cli, ["keys", "revoke", served.keys["alice"][:12], "--db", db,
                                       "-w", "alice"])  # fmt: skip
    assert revoked.exit_code == 0, revoked.output
    assert served.client.get("/api/v1/workspace", headers=served.as_("alice")).status_code == 401
    assert served.client.get("/api/v1/workspace", headers=served.as_("bob")).status_code == 200
    short = CliRunner().invoke(cli, ["keys", "revoke", "blm_", "--db", db, "-w", "bob"])
    assert "first 12 characters" in str(short.exception)


def test_created_keys_work_and_loopback_is_recognized(served: Served) -> None:
    made = CliRunner().invoke(cli, ["keys", "create", "phone", "--db", str(served.config.db_url),
                                    "-w", "bob"])  # fmt: skip
    secret = next(line for line in made.output.splitlines() if line.startswith("blm_"))
    headers = {"Authorization": f"Bearer {secret}"}
    assert served.client.get("/api/v1/workspace", headers=headers).json()["name"] == "bob"
    assert [is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "10.0.0.2")] == [
        True, True, True, False, False,
    ]  # fmt: skip
    assert ServerConfig(db_url="sqlite://", host="0.0.0.0").keys_required
    assert ServerConfig(db_url="sqlite://", require_keys=True).keys_required
