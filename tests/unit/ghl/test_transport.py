"""Retry and error rules of one GHL exchange, with a scripted HTTP transport and a recording limiter."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pytest

from leadflow_common.ghl import (
    GhlAuthError,
    GhlNotFound,
    GhlRateLimited,
    GhlServerError,
    GhlSettings,
    GhlUnknownOutcome,
    GhlValidationError,
)
from leadflow_common.ghl.transport import Call, Transport

SETTINGS = GhlSettings(
    base_url="http://ghl", agency_token="t", company_id="c", app_id="a", backoff_initial_s=0, backoff_max_s=0
)


class RecordingLimiter:
    def __init__(self) -> None:
        self.acquired: list[str] = []
        self.observed: list[str] = []
        self.paused: list[str] = []

    async def acquire(self, resource: str, endpoint: str = "") -> str:
        self.acquired.append(resource)
        return f"slot{len(self.acquired)}"

    async def observe(self, resource: str, headers: Mapping[str, str], slot: str = "") -> int:
        self.observed.append(slot)
        return 0

    async def pause(self, resource: str) -> None:
        self.paused.append(resource)


Step = int | type[Exception]


def scripted(
    steps: list[Step], body: dict[str, Any] | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    remaining = list(steps)

    def handle(request: httpx.Request) -> httpx.Response:
        step = remaining.pop(0)
        if isinstance(step, type):
            raise step("scripted failure")
        return httpx.Response(step, json=body or {"ok": True, "message": "Location not found"})

    return handle


def transport(steps: list[Step], body: dict[str, Any] | None = None) -> tuple[Transport, RecordingLimiter]:
    limiter = RecordingLimiter()
    http = httpx.AsyncClient(base_url="http://ghl", transport=httpx.MockTransport(scripted(steps, body)))
    return Transport(SETTINGS, limiter, http), limiter  # type: ignore[arg-type]


def call(idempotent: bool = True) -> Call:
    return Call("POST", "/x", "test.call", "L1", "token", idempotent=idempotent)


async def test_429_pauses_the_resource_and_retries_through_the_limiter() -> None:
    t, limiter = transport([429, 429, 200], {"id": "x"})
    assert await t.send(call(idempotent=False)) == {"id": "x"}  # a 429 was never applied: safe to retry
    assert limiter.paused == ["L1", "L1"]
    assert limiter.acquired == ["L1"] * 3
    assert limiter.observed == ["slot1", "slot2", "slot3"]


async def test_idempotent_calls_retry_5xx_and_dropped_connections() -> None:
    t, _ = transport([503, httpx.RemoteProtocolError, httpx.ReadTimeout, 200])
    assert await t.send(call()) == {"ok": True, "message": "Location not found"}


async def test_creates_are_not_retried_once_they_may_have_reached_ghl() -> None:
    for failure in (500, httpx.ReadTimeout, httpx.RemoteProtocolError):
        t, limiter = transport([failure, 200])
        with pytest.raises(GhlUnknownOutcome):
            await t.send(call(idempotent=False))
        assert len(limiter.acquired) == 1


async def test_creates_retry_when_the_request_never_left() -> None:
    t, _ = transport([httpx.ConnectError, 201], {"id": "new"})
    assert await t.send(call(idempotent=False)) == {"id": "new"}


async def test_retries_are_bounded() -> None:
    t, limiter = transport([502] * (SETTINGS.max_retries + 1))
    with pytest.raises(GhlServerError):
        await t.send(call())
    assert len(limiter.acquired) == SETTINGS.max_retries + 1
    t, _ = transport([429] * (SETTINGS.max_retries + 1))
    with pytest.raises(GhlRateLimited):
        await t.send(call())


@pytest.mark.parametrize(
    ("status", "message", "error"),
    [
        (401, "Invalid JWT", GhlAuthError),
        (403, "no access", GhlAuthError),
        (404, "nope", GhlNotFound),
        (400, "Contact not found", GhlNotFound),
        (400, "bad phone", GhlValidationError),
        (422, ["name should not be empty"], GhlValidationError),
    ],
)
async def test_client_errors_are_typed_and_not_retried(
    status: int, message: Any, error: type[Exception]
) -> None:
    t, limiter = transport([status, 200], {"statusCode": status, "message": message})
    with pytest.raises(error):
        await t.send(call())
    assert len(limiter.acquired) == 1
