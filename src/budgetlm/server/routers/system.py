"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import text

from budgetlm import __version__
from budgetlm.ledger.models import Workspace
from budgetlm.server.deps import CallerDep

router = APIRouter(tags=["system"])


@router.get("/health")
def health() -> dict[str, Any]:
    """The process is up (no dependency is checked)."""
    return {"status": "ok", "version": __version__}


@router.get("/ready")
def ready(request: Request) -> dict[str, Any]:
    """The database answers; 503 otherwise."""
    try:
        with request.app.state.store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any driver error means not ready
        raise HTTPException(503, f"database not reachable: {type(error).__name__}") from None
    return {"status": "ready", "database": request.app.state.store.engine.dialect.name}


@router.get("/api/v1/workspace", tags=["ledger"])
def workspace(who: CallerDep, request: Request) -> dict[str, Any]:
    """The caller's workspace: its name and ledger version (bumped by every write)."""
    with request.app.state.store.session() as session:
        found = session.get(Workspace, who.workspace_id)
        assert found is not None  # keys cascade with their workspace
        return {"name": found.name, "ledger_version": found.ledger_version, "key": who.key_prefix}
