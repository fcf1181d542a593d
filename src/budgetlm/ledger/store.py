"""The ledger database: engine, sessions, schema migrations and workspaces.

This is the only module that creates database connections. SQLite (a file under the user's data
directory) is the default; any SQLAlchemy URL works, and ``postgresql+psycopg://`` is tested.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from budgetlm.errors import BudgetlmError
from budgetlm.ledger.migrations import HEAD_REVISION
from budgetlm.ledger.models import Category, Workspace
from budgetlm.ledger.taxonomy import default_categories

if TYPE_CHECKING:
    from alembic.config import Config

DEFAULT_WORKSPACE = "default"
"""Workspace used when none is named: one household needs no more."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config() -> Config:
    """Alembic configuration pointing at the migrations inside the package."""
    from alembic.config import Config

    config = Config()
    script_location = resources.files("budgetlm.ledger").joinpath("migrations")
    config.set_main_option("script_location", str(script_location))
    return config


def _current_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    revision: str | None = connection.execute(
        text("SELECT version_num FROM alembic_version")
    ).scalar()
    return revision


class Store:
    """A ledger database.

    Args:
        url: SQLAlchemy URL, e.g. ``sqlite:////home/me/.local/share/budgetlm/budgetlm.db`` or
            ``postgresql+psycopg://user:pw@localhost/budgetlm``.
        migrate: Bring the schema up to date on open (the default).
    """

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise BudgetlmError(f"not a database URL: {url!r}") from exc
        self.url = parsed
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = create_engine(parsed)
        except (ModuleNotFoundError, NoSuchModuleError) as exc:
            hint = " (pip install 'budgetlm[postgres]')" if "postgres" in parsed.drivername else ""
            raise BudgetlmError(f"no database driver for {parsed.drivername}{hint}: {exc}") from exc
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            self.migrate()

    def migrate(self) -> None:
        """Upgrade the schema to the newest migration (a no-op when it is current)."""
        try:
            with self.engine.begin() as connection:
                if _current_revision(connection) == HEAD_REVISION:
                    return
                # Alembic loads only when there is something to do: it costs every command
                # about 0.1 s of start-up otherwise.
                from alembic import command

                config = alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except OperationalError as exc:
            raise BudgetlmError(f"cannot open the database {self.url!r}: {exc.orig}") from exc

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back if it raises."""
        with self._sessions.begin() as session:
            yield session

    def workspace_id(self, name: str = DEFAULT_WORKSPACE, *, create: bool = True) -> int:
        """Id of the workspace called ``name``, creating it with default categories if asked."""
        with self.session() as session:
            found = session.scalar(select(Workspace.id).where(Workspace.name == name))
            if found is not None:
                return found
            if not create:
                raise BudgetlmError(f"no workspace named {name!r}")
            workspace = Workspace(name=name, ledger_version=0)
            session.add(workspace)
            session.flush()
            session.add_all(
                Category(
                    workspace_id=workspace.id,
                    name=spec.name,
                    group=spec.group,
                    plaid_code=spec.plaid_code,
                    is_default=True,
                )
                for spec in default_categories()
            )
            return workspace.id

    def delete_workspace(self, name: str) -> bool:
        """Delete a workspace and everything in it; returns whether it existed."""
        with self.session() as session:
            workspace = session.scalar(select(Workspace).where(Workspace.name == name))
            if workspace is None:
                return False
            session.delete(workspace)
            return True

    def close(self) -> None:
        """Release all pooled connections."""
        self.engine.dispose()
