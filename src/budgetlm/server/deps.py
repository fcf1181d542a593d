"""What every request needs: its workspace (from its API key), a ledger session scoped to that
workspace, and today's date.

Without ``Authorization: Bearer KEY`` a request acts in the default workspace, and only when the
server does not require keys (bound to loopback). With a key it always acts in the key's
workspace, so no query can reach another one: every ledger query is scoped by
``Ledger.workspace_id``.

Dependencies that do no I/O are ``async def``: FastAPI runs a plain ``def`` dependency in its
thread pool, and each such hand-off costs more than the dependency itself. A key's lookup (a
query) still runs in the pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool

from budgetlm.ledger.repository import Ledger
from budgetlm.ledger.store import Store
from budgetlm.server.audit import AuditLog
from budgetlm.server.config import ServerConfig
from budgetlm.server.keys import workspace_of
from budgetlm.server.service import AssistantService


@dataclass(frozen=True)
class Caller:
    """Who is asking: the workspace and the key (None for the loopback user)."""

    workspace_id: int
    key_prefix: str | None


def _config(request: Request) -> ServerConfig:
    config: ServerConfig = request.app.state.config
    return config


def _store(request: Request) -> Store:
    opened: Store = request.app.state.store
    return opened


async def server_config(request: Request) -> ServerConfig:
    """The running server's settings."""
    return _config(request)


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, message, headers={"WWW-Authenticate": "Bearer"}
    )


def _key_workspace(request: Request, secret: str) -> int | None:
    with _store(request).session() as session:
        return workspace_of(session, secret)


async def caller(request: Request) -> Caller:
    """The caller's workspace, from its API key or, key-less on loopback, the default one.

    Raises:
        HTTPException: 401 for a missing key where keys are required, a malformed header, or
            an unknown or revoked key.
    """
    cached: Caller | None = getattr(request.state, "caller", None)
    if cached is not None:
        return cached
    header = request.headers.get("authorization")
    if header is None:
        if _config(request).keys_required:
            raise _unauthorized("an API key is required: Authorization: Bearer KEY")
        found = Caller(request.app.state.default_workspace_id, None)
    else:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise _unauthorized("the Authorization header must be: Bearer KEY")
        workspace_id = await run_in_threadpool(_key_workspace, request, secret.strip())
        if workspace_id is None:
            raise _unauthorized("unknown or revoked API key")
        found = Caller(workspace_id, secret.strip()[:12])
    request.state.caller = found
    return found


async def assistant(request: Request) -> AssistantService:
    """The process' assistant service."""
    service: AssistantService = request.app.state.assistant
    return service


async def audit_log(request: Request) -> AuditLog:
    """Where the app's predictions are audited."""
    found: AuditLog = request.app.state.audit
    return found


async def today(request: Request) -> date:
    """The server's today (fixed by its config, or read from the clock per request)."""
    fixed = _config(request).today
    return fixed if fixed is not None else date.today()


@contextmanager
def workspace_ledger(request: Request, who: Caller) -> Iterator[Ledger]:
    """A ledger scoped to ``who``'s workspace in one unit of work (committed when the block
    ends, rolled back if it raises), for a route that opens it itself in its one thread-pool
    call instead of taking ``LedgerDep`` (whose set-up and tear-down are two more)."""
    with _store(request).session() as session:
        yield Ledger(session, who.workspace_id)


def ledger(request: Request, who: Annotated[Caller, Depends(caller)]) -> Iterator[Ledger]:
    """A ledger scoped to the caller's workspace, in one unit of work (committed at the end of
    the request, rolled back if it fails)."""
    with workspace_ledger(request, who) as scoped:
        yield scoped


CallerDep = Annotated[Caller, Depends(caller)]
LedgerDep = Annotated[Ledger, Depends(ledger, scope="function")]
"""Committed before the response is sent, so a client that reads after a write sees it."""
TodayDep = Annotated[date, Depends(today)]
ConfigDep = Annotated[ServerConfig, Depends(server_config)]
AssistantDep = Annotated[AssistantService, Depends(assistant)]
AuditDep = Annotated[AuditLog, Depends(audit_log)]
