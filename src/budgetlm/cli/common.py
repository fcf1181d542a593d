"""Options every command shares, opening the ledger, and printing tables or JSON."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from budgetlm import settings
from budgetlm.errors import InputError
from budgetlm.ledger.repository import Ledger
from budgetlm.ledger.store import DEFAULT_WORKSPACE, Store
from budgetlm.money import parse_amount

console = Console()
err_console = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar=settings.ENV_DB,
        help="Database URL (sqlite:///…, postgresql+psycopg://…) or a SQLite file path.",
        show_default="SQLite file in the XDG data directory",
    ),
]
TodayOption = Annotated[
    str | None,
    typer.Option(
        "--today",
        envvar=settings.ENV_TODAY,
        help="Treat this date (YYYY-MM-DD) as today.",
        show_default="the real date",
    ),
]
WorkspaceOption = Annotated[
    str,
    typer.Option("--workspace", "-w", envvar=settings.ENV_WORKSPACE, help="Workspace name."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@dataclass(frozen=True)
class Context:
    """What a command runs against."""

    store: Store
    workspace_id: int
    today: date


def open_context(
    db: str | None,
    today: str | None,
    workspace: str = DEFAULT_WORKSPACE,
    *,
    default_file: str = "budgetlm.db",
) -> Context:
    """Open (and migrate) the database and resolve the workspace and today."""
    day = settings.resolve_today(today)
    store = Store(settings.resolve_db_url(db, default_file))
    _open_stores.append(store)
    return Context(store=store, workspace_id=store.workspace_id(workspace), today=day)


_open_stores: list[Store] = []
"""Stores opened by the running command; ``close_stores`` releases them when it ends."""


def close_stores() -> None:
    """Release the connections of every store the command opened."""
    while _open_stores:
        _open_stores.pop().close()


@contextmanager
def ledger_session(context: Context) -> Iterator[Ledger]:
    """A workspace-scoped ledger in one committed unit of work."""
    with context.store.session() as session:
        yield Ledger(session, context.workspace_id)


def to_jsonable(value: Any) -> Any:
    """Decimals become strings (exact), dates ISO strings; containers recursively."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def print_json(value: Any) -> None:
    """Write ``value`` as JSON to stdout."""
    sys.stdout.write(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False) + "\n")


def print_table(
    title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, right: Sequence[str] = ()
) -> None:
    """A Rich table; ``right`` names the columns to right-align (amounts)."""
    table = Table(title=Text(title), title_justify="left", min_width=len(title) + 2)
    for column in columns:
        table.add_column(column, justify="right" if column in right else "left")
    for row in rows:
        table.add_row(*(Text("" if cell is None else str(cell)) for cell in row))
    console.print(table)


def emit(as_json: bool, data: Any, render: Callable[[], None]) -> None:
    """Print ``data`` as JSON, or call ``render`` to draw it for people."""
    if as_json:
        print_json(data)
    else:
        render()


def parse_date(value: str, option: str) -> date:
    """A ``YYYY-MM-DD`` date typed for ``option``."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{value!r} is not a date like 2026-10-31", source=option) from None


def parse_month(value: str | None, today: date) -> date:
    """``YYYY-MM`` (or a full date) as the first day of that month; None means this month."""
    if not value:
        return today.replace(day=1)
    try:
        if len(value) == 7:
            return date.fromisoformat(value + "-01")
        return date.fromisoformat(value).replace(day=1)
    except ValueError:
        raise InputError(f"{value!r} is not a month like 2026-10", source="--month") from None


def parse_decimal(value: str, option: str) -> Decimal:
    """An amount typed on the command line (``1,200.50``, ``$45``)."""
    try:
        return parse_amount(value, decimal_comma=False)
    except ValueError as exc:
        raise InputError(str(exc), source=option) from None


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a crash never leaves a half-written file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", newline="", dir=path.parent, delete=False, suffix=".tmp"
        ) as handle:
            handle.write(text)
        os.replace(handle.name, path)
    except OSError as exc:
        raise InputError(f"cannot write the file: {exc.strerror}", source=str(path)) from exc
