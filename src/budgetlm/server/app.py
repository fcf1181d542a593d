"""The FastAPI application: ``create_app(config)`` wires the store, the routers and the error
handlers. ``budgetlm serve`` runs it with uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from budgetlm import __version__
from budgetlm.errors import BudgetlmError, InputError, NotFoundError
from budgetlm.ledger.store import Store
from budgetlm.server.config import ServerConfig
from budgetlm.server.routers import system
from budgetlm.server.service import AssistantService

API_PREFIX = "/api/v1"
"""Versioned prefix of the budget API."""


def create_app(config: ServerConfig, *, store: Store | None = None) -> FastAPI:
    """The server application.

    Args:
        config: Settings.
        store: An open ledger store to use (tests); by default one is opened from
            ``config.db_url`` when the app starts and closed when it stops.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = store or Store(config.db_url)
        app.state.store = opened
        app.state.default_workspace_id = opened.workspace_id(config.default_workspace)
        try:
            yield
        finally:
            if store is None:
                opened.close()

    app = FastAPI(
        title="budgetlm",
        version=__version__,
        description="Private budgeting intelligence: the budget API and an OpenAI-compatible "
        "endpoint over your own ledger.",
        lifespan=lifespan,
    )
    app.state.config = config
    app.state.assistant = AssistantService(config)
    app.include_router(system.router)

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, error: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=404)

    @app.exception_handler(InputError)
    async def bad_input(request: Request, error: InputError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=422)

    @app.exception_handler(BudgetlmError)
    async def refused(request: Request, error: BudgetlmError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=400)

    return app
