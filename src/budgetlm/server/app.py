"""The FastAPI application: ``create_app(config)`` wires the store, the routers and the error
handlers. ``budgetlm serve`` runs it with uvicorn."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from budgetlm import __version__
from budgetlm.errors import BudgetlmError, InputError, NotFoundError
from budgetlm.ledger.store import Store
from budgetlm.server import logs
from budgetlm.server.audit import AuditLog
from budgetlm.server.cache import ResponseCache
from budgetlm.server.config import ServerConfig
from budgetlm.server.limits import BodyLimit
from budgetlm.server.metrics import MetricsMiddleware, ServerMetrics
from budgetlm.server.metrics import router as metrics_router
from budgetlm.server.ratelimit import RateLimiter, enforce_rate_limit
from budgetlm.server.responses import FiniteJSONResponse
from budgetlm.server.routers import (
    analytics,
    assistant,
    categorize,
    coach,
    ledger,
    openai_compat,
    system,
    web,
)
from budgetlm.server.service import AssistantService

API_PREFIX = "/api/v1"
"""Versioned prefix of the budget API."""
CONFIG_VARIABLE = "BUDGETLM_SERVER_CONFIG"
"""The environment variable through which ``budgetlm serve --workers N`` passes its settings
(``ServerConfig.to_json``) to each worker process's :func:`app_from_environment`."""


def app_from_environment() -> FastAPI:
    """The app of one worker process (uvicorn's factory for ``--workers``), with the settings
    that ``budgetlm serve`` put in ``BUDGETLM_SERVER_CONFIG``; the worker stops if the
    supervisor that started it dies (``orphans``), and its malloc keeps large blocks apart
    (``allocator``)."""
    from budgetlm.server.allocator import fix_mmap_threshold
    from budgetlm.server.orphans import stop_when_orphaned

    fix_mmap_threshold()
    stop_when_orphaned()
    return create_app(ServerConfig.from_json(os.environ[CONFIG_VARIABLE]))


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
        audit = app.state.audit = app.state.assistant.audit_log = AuditLog(opened)
        logs.install()  # again: uvicorn configures logging after create_app
        if config.load_model_at_start:
            app.state.assistant.warm_up(config.today or date.today())
            categorize.default_model()  # else the first requests all wait for its load
        try:
            yield
        finally:
            audit.close()
            if store is None:
                opened.close()

    app = FastAPI(
        title="budgetlm",
        version=__version__,
        description="Private budgeting intelligence: the budget API and an OpenAI-compatible "
        "endpoint over your own ledger.",
        lifespan=lifespan,
        default_response_class=FiniteJSONResponse,
        dependencies=[Depends(enforce_rate_limit)],  # every route; probes exempt
    )
    app.state.config = config
    # Protections (issue 7.3-7.4): metrics, rate limit, response cache, log hygiene.
    logs.install()
    metrics = app.state.metrics = ServerMetrics()
    app.state.rate_limiter = RateLimiter(config.rate_limit_per_minute)
    app.state.cache = ResponseCache(config.cache_entries, metrics, max_bytes=config.cache_bytes)
    app.state.assistant = AssistantService(config, metrics)
    app.state.categorizers = categorize.CategorizerCache()
    app.include_router(metrics_router)
    app.include_router(system.router)
    app.include_router(openai_compat.router)
    for area in (ledger, analytics, categorize, assistant, coach):
        app.include_router(area.router, prefix=API_PREFIX)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=web.WEB_DIRECTORY), name="static")
    app.add_middleware(BodyLimit, max_bytes=config.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)  # outermost: sees every answer

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's own handler echoes the input back, and ``threshold=inf`` parses to an
        # infinite Decimal that plain JSON cannot hold: it turned a 422 into a 500.
        return FiniteJSONResponse({"detail": jsonable_encoder(error.errors())}, status_code=422)

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
