"""Fault injection chosen through the admin API: latency, 5xx rate, 429 storms, failing endpoints, crashes,
and webhooks GHL never sends."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from enum import Enum

from pydantic import BaseModel, Field


class EndpointFault(BaseModel):
    """Matches requests by method (``*`` for any) and path prefix; ``count`` None means forever."""

    method: str = "*"
    path_prefix: str
    status: int = 500
    count: int | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method == "*" or self.method.upper() == method) and path.startswith(self.path_prefix)


class FaultConfig(BaseModel):
    latency_ms: int = 0
    latency_jitter_ms: int = 0
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0, description="share of requests answered 5xx")
    error_status: int = 503
    storm_seconds: float = Field(default=0.0, description="answer 429 to everything for this long from now")
    storm_rate: float = Field(default=1.0, ge=0.0, le=1.0, description="share of requests refused in a storm")
    failing: list[EndpointFault] = Field(default_factory=list)
    crash: list[EndpointFault] = Field(
        default_factory=list, description="apply the request, then drop the connection before answering"
    )
    fail_snapshot_pushes: bool = False
    revoked_locations: list[str] = Field(
        default_factory=list,
        description="refuse every call made with a token of these sub-accounts (revoked access, "
        "a rotated or uninstalled app) with ``revoked_status`` until cleared; exchanging a new "
        "token still works, using it does not",
    )
    revoked_status: int = Field(default=401, description="401 (token rejected) or 403 (no access)")
    revoked_agency: bool = Field(
        default=False,
        description="refuse every call made with the agency token (rotated or revoked) with 401 "
        "until cleared, the token exchange included; location tokens already issued keep working",
    )
    drop_webhooks: int = Field(
        default=0, ge=0, description="the next N contacts created get no webhook at all (GHL never sends it)"
    )
    drop_webhook_rate: float = Field(default=0.0, ge=0.0, le=1.0, description="share of webhooks never sent")


class Action(Enum):
    PASS = "pass"
    STORM = "storm"
    FAIL = "fail"
    CRASH = "crash"


@dataclass
class Faults:
    config: FaultConfig = field(default_factory=FaultConfig)
    storm_until: float = 0.0
    webhooks_to_drop: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def configure(self, config: FaultConfig) -> None:
        self.config = config
        self.storm_until = time.time() + config.storm_seconds if config.storm_seconds > 0 else 0.0
        self.webhooks_to_drop = config.drop_webhooks

    def drop_webhook(self) -> bool:
        """Whether the webhook of an event that just happened is never sent (consumes the count)."""
        if self.webhooks_to_drop > 0:
            self.webhooks_to_drop -= 1
            return True
        return bool(self.config.drop_webhook_rate and self.rng.random() < self.config.drop_webhook_rate)

    def latency_s(self) -> float:
        jitter = self.rng.uniform(0, self.config.latency_jitter_ms) if self.config.latency_jitter_ms else 0.0
        return (self.config.latency_ms + jitter) / 1000

    def in_storm(self, now: float) -> bool:
        return now < self.storm_until and self.rng.random() < self.config.storm_rate

    def revoked(self, location_id: str | None) -> int | None:
        """The status refusing a location token of ``location_id`` (None: the agency token), if
        its access is revoked."""
        if location_id is None:
            return 401 if self.config.revoked_agency else None
        if location_id in self.config.revoked_locations:
            return self.config.revoked_status
        return None

    def decide(self, method: str, path: str) -> tuple[Action, int]:
        """After the rate limit: a failing endpoint, a random 5xx, or a crash."""
        for fault in self.config.failing:
            if fault.matches(method, path) and _consume(fault):
                return Action.FAIL, fault.status
        if self.config.error_rate and self.rng.random() < self.config.error_rate:
            return Action.FAIL, self.config.error_status
        for fault in self.config.crash:
            if fault.matches(method, path) and _consume(fault):
                return Action.CRASH, 0
        return Action.PASS, 0


def _consume(fault: EndpointFault) -> bool:
    if fault.count is None:
        return True
    if fault.count <= 0:
        return False
    fault.count -= 1
    return True
