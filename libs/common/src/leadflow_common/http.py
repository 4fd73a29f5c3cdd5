"""Operational HTTP endpoints every service exposes: /healthz, /readyz, /metrics, and the HTTP
request metrics of its API (``instrument_http``)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ReadinessCheck = Callable[[], Awaitable[object]]
bearer_scheme = HTTPBearer(auto_error=False)
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def require_bearer(credentials: HTTPAuthorizationCredentials | None, token: str | None) -> None:
    """401 unless ``token`` is unset (open API, development only: the settings refuse an unset
    token in production) or the request carries it (constant-time compare)."""
    if not token:
        return
    if credentials is None or not secrets.compare_digest(credentials.credentials.encode(), token.encode()):
        raise HTTPException(401, "missing or invalid bearer token", headers={"WWW-Authenticate": "Bearer"})


def bearer_guard(token: str | None) -> Callable[[HTTPAuthorizationCredentials | None], None]:
    """A route dependency checking the internal APIs' bearer token."""

    def authorised(credentials: BearerCredentials) -> None:
        require_bearer(credentials, token)

    return authorised


class Readiness:
    """Ready only while started and not draining, and while every dependency answers."""

    def __init__(self, checks: Mapping[str, ReadinessCheck], timeout_s: float = 2.0) -> None:
        self._checks = dict(checks)
        self._timeout_s = timeout_s
        self.started = False
        self.draining = False

    def add_check(self, name: str, check: ReadinessCheck) -> None:
        self._checks[name] = check

    async def report(self) -> tuple[bool, dict[str, str]]:
        results: dict[str, str] = {}
        if not self.started:
            results["service"] = "starting"
        elif self.draining:
            results["service"] = "draining"

        async def run(name: str, check: ReadinessCheck) -> None:
            try:
                async with asyncio.timeout(self._timeout_s):  # wait_for can swallow a cancel on 3.11
                    await check()
                results[name] = "ok"
            except Exception as exc:
                results[name] = f"failed: {type(exc).__name__}: {exc}"[:300]

        await asyncio.gather(*(run(n, c) for n, c in self._checks.items()))
        ok = self.started and not self.draining and all(v == "ok" for v in results.values())
        return ok, results


def ops_router(readiness: Readiness, registry: CollectorRegistry = REGISTRY) -> APIRouter:
    router = APIRouter(tags=["ops"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        """Readiness: started, not draining, and Kafka/Postgres/Redis reachable."""
        ok, checks = await readiness.report()
        return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED_ROUTE = "<unmatched>"  # 404s: never the raw path, which would explode the label set


class HttpMetrics:
    """The two HTTP metrics of a service's API, labelled by route *template* (``/leads/{lead_id}``),
    method and status; label children are bound once per combination and then reused, so a request
    costs two dict lookups, a counter increment and a histogram observation."""

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time from request to the end of the response, by route template and method",
            ["route", "method"],
            buckets=HTTP_BUCKETS,
            registry=registry,
        )
        self._counters: dict[tuple[str, str, int], Counter] = {}
        self._histograms: dict[tuple[str, str], Histogram] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        counter = self._counters.get((route, method, status))
        if counter is None:
            counter = self._counters[(route, method, status)] = self.requests.labels(
                route, method, str(status)
            )
        histogram = self._histograms.get((route, method))
        if histogram is None:
            histogram = self._histograms[(route, method)] = self.duration.labels(route, method)
        counter.inc()
        histogram.observe(seconds)


class HttpMetricsMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware: no extra task or body buffering per request). The route
    template is what the router matched, read from the scope after the app ran; /metrics itself is
    not counted (scrapes would dominate the numbers)."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics, skip_paths: frozenset[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.skip_paths = skip_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.skip_paths:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception before the response started is answered 500 by Starlette

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED_ROUTE
            self.metrics.observe(template, scope["method"], status, time.perf_counter() - started)


_SHARED_METRICS: dict[int, HttpMetrics] = {}


def instrument_http(
    app: FastAPI, registry: CollectorRegistry = REGISTRY, skip_paths: frozenset[str] = frozenset({"/metrics"})
) -> HttpMetrics:
    """Count and time every request of ``app``'s routes (``http_requests_total``,
    ``http_request_duration_seconds``). One metric family per registry, shared by every app built
    in the process (tests build several apps against the default registry)."""
    metrics = _SHARED_METRICS.get(id(registry))
    if metrics is None:
        metrics = _SHARED_METRICS[id(registry)] = HttpMetrics(registry)
    app.add_middleware(HttpMetricsMiddleware, metrics=metrics, skip_paths=skip_paths)
    return metrics
