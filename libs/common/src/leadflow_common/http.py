"""Operational HTTP endpoints every service exposes: /healthz, /readyz, /metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

ReadinessCheck = Callable[[], Awaitable[object]]


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
                await asyncio.wait_for(check(), self._timeout_s)
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
