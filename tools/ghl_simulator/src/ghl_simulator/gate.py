"""ASGI middleware in front of the API routes, in GHL's order: Version header, auth, faults, rate limit.

It also stamps the X-RateLimit-* headers on every API answer and logs each request.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import parse_qs

import orjson
from prometheus_client import Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ghl_simulator.errors import error_body
from ghl_simulator.faults import Action
from ghl_simulator.sim import Principal, Sim

UNGATED = ("/admin", "/healthz", "/readyz", "/metrics", "/docs", "/openapi.json")
REQUESTS = Counter(
    "ghlsim_requests_total", "API requests the simulator answered, by outcome", ["outcome", "status"]
)


def resource_of(path: str, query: dict[str, list[str]], principal: Principal) -> str:
    """The rate-limited resource: the location the request is about, else the company."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "locations" and parts[1] != "search":
        return parts[1]
    if "location" in parts and parts.index("location") + 1 < len(parts):
        return parts[parts.index("location") + 1]
    if query.get("locationId"):
        return query["locationId"][0]
    return principal.location_id or principal.company_id


class Gate:
    def __init__(self, app: ASGIApp, sim: Sim) -> None:
        self.app = app
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(UNGATED):
            await self.app(scope, receive, send)
            return
        sim, now = self.sim, time.time()
        method, path = scope["method"], scope["path"]
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}

        def log(resource: str, status: int, outcome: str) -> None:
            sim.log.add(now, method, path, resource, status, outcome)
            REQUESTS.labels(outcome, str(status)).inc()

        if headers.get("version") != sim.settings.version:
            log("", 400, "bad_request")
            await _reply(send, 400, error_body(400, "Version header was not found or is invalid"))
            return
        token = headers.get("authorization", "").removeprefix("Bearer ").strip()
        principal = sim.principal(token)
        if principal is None:
            log("", 401, "unauthorized")
            await _reply(send, 401, error_body(401, "Invalid JWT"))
            return
        revoked = sim.faults.revoked(principal.location_id)
        if revoked is not None:  # before the rate limit, like GHL's auth check
            log(principal.location_id or "", revoked, "revoked")
            message = "Invalid JWT" if revoked == 401 else "The token does not have access to this location"
            await _reply(send, revoked, error_body(revoked, message))
            return
        scope.setdefault("state", {})["principal"] = principal
        query = parse_qs(scope.get("query_string", b"").decode())
        resource = resource_of(path, query, principal)

        delay = sim.faults.latency_s()
        if delay:
            await asyncio.sleep(delay)
        if sim.faults.in_storm(time.time()):
            log(resource, 429, "storm")
            await _reply(send, 429, _too_many(), sim.limiter.exhausted_headers())
            return
        verdict = sim.limiter.check(resource)
        if not verdict.allowed:
            log(resource, 429, "rate_limited")
            await _reply(send, 429, _too_many(), verdict.headers)
            return
        action, status = sim.faults.decide(method, path)
        if action is Action.FAIL:
            log(resource, status, "fault")
            await _reply(send, status, error_body(status, "Internal server error"), verdict.headers)
            return
        if action is Action.CRASH:
            await self._crash(scope, receive, send)
            log(resource, 0, "crash")
            return
        status_seen: list[int] = []

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_seen.append(message["status"])
                extra = [(k.encode(), v.encode()) for k, v in verdict.headers.items()]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
        log(resource, status_seen[0] if status_seen else 0, "ok")

    async def _crash(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Apply the request for real, then start an answer and drop the connection mid-body."""
        started: list[Message] = []

        async def swallow(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.append(message)

        await self.app(scope, receive, swallow)
        head: Message = (
            started[0] if started else {"type": "http.response.start", "status": 200, "headers": []}
        )
        headers: list[tuple[bytes, bytes]] = list(head.get("headers", []))
        kept = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        await send({**head, "headers": [*kept, (b"content-length", b"4096")]})
        await send({"type": "http.response.body", "body": b'{"trunc', "more_body": True})
        # Returning with the body incomplete makes uvicorn close the connection: the answer is lost.


def _too_many() -> dict[str, Any]:
    return error_body(429, "Too Many Requests")


async def _reply(
    send: Send, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> None:
    payload = orjson.dumps(body)
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})
