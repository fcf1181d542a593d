"""Shared fixtures: a fresh ledger on SQLite, and on PostgreSQL when one is configured.

PostgreSQL tests run when ``BUDGETLM_TEST_POSTGRES_URL`` points at a server where the user may
create databases (``.ci/run`` starts one). With ``BUDGETLM_REQUIRE_POSTGRES=1`` a missing server
fails the run instead of skipping, so CI cannot silently stop testing it.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from budgetlm.cli import main
from budgetlm.ledger.repository import Ledger
from budgetlm.ledger.store import Store

POSTGRES_URL = os.environ.get("BUDGETLM_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = os.environ.get("BUDGETLM_REQUIRE_POSTGRES") == "1"
DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep every test away from the real user's data directory and settings."""
    home = tmp_path_factory.mktemp("xdg")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    for name in ("BUDGETLM_DB", "BUDGETLM_TODAY", "BUDGETLM_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def postgres_store() -> Iterator[Store]:
    """A migrated store in a throwaway PostgreSQL database, shared by the session."""
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("BUDGETLM_REQUIRE_POSTGRES=1 but BUDGETLM_TEST_POSTGRES_URL is not set")
        pytest.skip("set BUDGETLM_TEST_POSTGRES_URL to test PostgreSQL")
    admin_url = make_url(POSTGRES_URL)
    name = f"budgetlm_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    store = Store(admin_url.set(database=name).render_as_string(hide_password=False))
    try:
        yield store
    finally:
        store.close()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty store on each backend."""
    if request.param == "postgres":
        yield request.getfixturevalue("postgres_store")
        return
    sqlite = Store(f"sqlite:///{tmp_path / 'ledger.db'}")
    yield sqlite
    sqlite.close()


@pytest.fixture
def workspace(store: Store) -> int:
    """A new workspace with a unique name (PostgreSQL tests share one database)."""
    return store.workspace_id(f"ws-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def ledger(store: Store, workspace: int) -> Iterator[Ledger]:
    """A ledger on a fresh workspace inside one committed session."""
    with store.session() as session:
        yield Ledger(session, workspace)


class Cli:
    """Runs ``budgetlm`` in-process against one database file."""

    def __init__(
        self, db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ):
        self.db, self.capsys, self.monkeypatch = db, capsys, monkeypatch

    def __call__(self, *args: str, code: int = 0) -> tuple[str, str]:
        self.monkeypatch.setattr(sys, "argv", ["budgetlm", *args, "--db", str(self.db)])
        with pytest.raises(SystemExit) as exited:
            main()
        out, err = self.capsys.readouterr()
        assert exited.value.code == code, f"exit {exited.value.code}\nstdout:{out}\nstderr:{err}"
        return out, err

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json")[0])


@pytest.fixture
def cli_at(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[[Path | str], Cli]:
    """Makes a ``Cli`` for a database path or URL."""
    monkeypatch.setenv("COLUMNS", "200")
    return lambda db: Cli(db, capsys, monkeypatch)


@pytest.fixture
def cli(tmp_path: Path, cli_at: Callable[[Path | str], Cli]) -> Cli:
    """``budgetlm`` against a fresh SQLite file."""
    return cli_at(tmp_path / "ledger.db")
