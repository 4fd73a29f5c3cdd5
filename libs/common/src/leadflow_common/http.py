"""Operational HTTP endpoints every service exposes: /healthz, /readyz, /metrics."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

ReadinessCheck = Callable[[], Awaitable[object]]
bearer_scheme = HTTPBearer(auto_error=False)
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def require_bearer(credentials: HTTPAuthorizationCredentials | None, token: str | None) -> None:
    """401 unless ``token`` is unset (open API) or the request carries it (constant-time compare)."""
    if token is None:
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
