"""Where budgetlm keeps its data and how ``--db`` / ``--today`` are resolved.

Environment variables: ``BUDGETLM_DB`` (database URL or SQLite file path), ``BUDGETLM_TODAY``
(``YYYY-MM-DD``, for reproducible runs), ``BUDGETLM_WORKSPACE``. The SQLite file lives under the
XDG data directory (``$XDG_DATA_HOME/budgetlm``, usually ``~/.local/share/budgetlm``).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import platformdirs

from budgetlm.errors import InputError

ENV_DB = "BUDGETLM_DB"
ENV_TODAY = "BUDGETLM_TODAY"
ENV_WORKSPACE = "BUDGETLM_WORKSPACE"


def data_dir() -> Path:
    """The directory holding budgetlm's databases (not created here)."""
    return platformdirs.user_data_path("budgetlm", appauthor=False)


def sqlite_url(path: Path) -> str:
    """SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path.expanduser().resolve()}"


def resolve_db_url(value: str | None, default_file: str = "budgetlm.db") -> str:
    """The database URL to use: ``value`` if given (a URL or a SQLite file path), else the
    default SQLite file ``default_file`` in the data directory."""
    if not value:
        return sqlite_url(data_dir() / default_file)
    return value if "://" in value else sqlite_url(Path(value))


def resolve_today(value: str | None) -> date:
    """``value`` as a date, or the real today when not given (the only clock read)."""
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{value!r} is not a date like 2026-10-31", source="--today") from None
