"""Log hygiene: the server's logs carry methods, route paths, statuses and timings, never request
bodies, query strings or ledger text (descriptions, payees, amounts, questions).

The server's own code logs no request data (only reasons such as ``timeout`` and exception type
names). What remains is uvicorn's access log, whose line holds the path *with its query string*
(``/api/v1/transactions?payee=…``): ``RedactQuery`` cuts the query from it, and from any record
of the server's loggers that carries a URL. uvicorn never logs bodies (even at ``trace`` level it
logs only their sizes).

``install()`` puts the filter on the loggers (idempotent; ``create_app`` calls it, and again when
the app starts, after uvicorn has configured logging). ``uvicorn_log_config()`` is uvicorn's
default configuration with the filter on its handlers, for ``uvicorn.run(log_config=...)``.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error", "fastapi", "budgetlm")
"""Loggers filtered by ``install``."""
_QUERY = re.compile(r"(/[^\s?\"']*)\?[^\s\"']*")
"""A path followed by a query string, up to whitespace or a quote."""


def strip_query(text: str) -> str:
    """``text`` with the query string of every URL path in it cut (``/a?b=c`` -> ``/a?…``)."""
    return _QUERY.sub(r"\1?…", text)


def _strip_argument(value: object) -> object:
    """A URL or path argument (uvicorn's access line has the path alone) cut at its ``?``,
    whatever follows (even unencoded spaces); other arguments through ``strip_query``."""
    if not isinstance(value, str):
        return value
    if value.startswith("/") or "://" in value:
        path, mark, _ = value.partition("?")
        return f"{path}?…" if mark else path
    return strip_query(value)


class RedactQuery(logging.Filter):
    """Cuts query strings from a record's message and string arguments; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite ``record`` in place; always True (the record is logged, redacted)."""
        if isinstance(record.msg, str):
            record.msg = strip_query(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_strip_argument(a) for a in record.args)
        return True


def install() -> None:
    """Put one ``RedactQuery`` on each of ``LOGGERS`` (and their handlers) unless there is one."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for target in (logger, *logger.handlers):
            if not any(isinstance(f, RedactQuery) for f in target.filters):
                target.addFilter(RedactQuery())


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration with ``RedactQuery`` on every handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_query"] = {"()": RedactQuery}
    for handler in config.get("handlers", {}).values():
        handler.setdefault("filters", []).append("redact_query")
    return config
