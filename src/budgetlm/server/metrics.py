"""Prometheus metrics: one registry per app, an ASGI middleware that times every request, and
``GET /metrics``.

With several worker processes (``budgetlm serve --workers N``), ``PROMETHEUS_MULTIPROC_DIR`` is
set for all of them: each process writes its samples to files there and ``/metrics`` adds up
every process's (``prometheus_client.multiprocess``), whichever worker answers the scrape.

Requests are labelled by their route template (``/api/v1/transactions/{id}``), never the raw
path, so ids do not multiply the series; a request no route matched is ``unmatched``. Labels
never carry query strings or ledger text.
"""

from __future__ import annotations

import os
import re
import time

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
)
from prometheus_client.exposition import generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"
"""The route label of a request no route matched (404s, probes of random paths)."""

_PARAMETER = re.compile(r"\{(\w+)(?::\w+)?\}")
"""A path parameter in a route template: ``{id}`` or ``{id:int}``."""
MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
"""Where worker processes share their samples (set by ``budgetlm serve --workers N``)."""
_MODEL_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class ServerMetrics:
    """The server's counters and histograms, in their own ``CollectorRegistry``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.requests = Counter(
            "budgetlm_http_requests", "HTTP requests answered.",
            ("method", "route", "status"), registry=registry,
        )  # fmt: skip
        self.request_latency = Histogram(
            "budgetlm_http_request_duration_seconds", "Time to answer a request.",
            ("route",), registry=registry,
        )  # fmt: skip
        self.model_latency = Histogram(
            "budgetlm_model_latency_seconds", "Time of assistant model calls, by outcome.",
            ("outcome",), buckets=_MODEL_BUCKETS, registry=registry,
        )  # fmt: skip
        self.cache_hits = Counter(
            "budgetlm_cache_hits", "Responses served from the cache.", registry=registry
        )
        self.cache_misses = Counter(
            "budgetlm_cache_misses", "Cacheable responses computed afresh.", registry=registry
        )
        # Set by each worker for its own cache; /metrics adds up the live workers' values.
        self.cache_entries = Gauge(
            "budgetlm_cache_entries", "Responses held in the response cache.",
            registry=registry, multiprocess_mode="livesum",
        )  # fmt: skip
        self.cache_bytes = Gauge(
            "budgetlm_cache_retained_bytes",
            "Memory the cached responses keep alive (estimated by walking them).",
            registry=registry, multiprocess_mode="livesum",
        )  # fmt: skip
        self.fallbacks = Counter(
            "budgetlm_assistant_fallbacks",
            "Questions answered without the model (it failed, was slow, or the breaker is open).",
            ("reason",), registry=registry,
        )  # fmt: skip
        self.rate_limited = Counter(
            "budgetlm_rate_limited", "Requests refused with 429.", registry=registry
        )

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format (every worker's, summed, when the
        server runs several)."""
        if os.environ.get(MULTIPROCESS_VARIABLE):
            every = CollectorRegistry()
            multiprocess.MultiProcessCollector(every)  # type: ignore[no-untyped-call]
            return generate_latest(every)
        return generate_latest(self.registry)


def route_template(scope: Scope) -> str:
    """The matched route's full path template (``/api/v1/transactions/{id}``), or
    ``UNMATCHED``.

    FastAPI keeps an included router's routes with their own paths (``/transactions/{id}``)
    and the prefix elsewhere, so the prefix is what the request's path has before the part
    the route matched.
    """
    template = getattr(scope.get("route"), "path", None)
    if not isinstance(template, str):
        return UNMATCHED
    params = scope.get("path_params", {})
    matched = _PARAMETER.sub(lambda m: str(params.get(m.group(1), m.group(0))), template)
    path: str = scope.get("path", "")
    prefix = path[: len(path) - len(matched)] if path.endswith(matched) else ""
    return prefix + template


class MetricsMiddleware:
    """Counts and times every HTTP request (to the end of its body, streams included).

    Args:
        app: The wrapped application.
        metrics: Where to record.
    """

    def __init__(self, app: ASGIApp, metrics: ServerMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception before the response started is answered 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = route_template(scope)
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.request_latency.labels(route).observe(time.perf_counter() - started)


router = APIRouter(tags=["system"])


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus scrape endpoint (counts and timings only: no ledger data)."""
    found: ServerMetrics = request.app.state.metrics
    return Response(found.exposition(), media_type=CONTENT_TYPE_LATEST)
