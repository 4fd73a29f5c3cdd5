"""The simulator's single mutable object: world state, limiter, faults, request log, webhook deliveries."""

from __future__ import annotations

import time
from dataclasses import dataclass

from fastapi import Request

from ghl_simulator.deliveries import DeliveryScheduler
from ghl_simulator.faults import Faults
from ghl_simulator.ratelimit import Limits, SlidingWindowLimiter
from ghl_simulator.requestlog import RequestLog
from ghl_simulator.settings import SimSettings
from ghl_simulator.state import World
from ghl_simulator.webhook_clock import WebhookClock
from ghl_simulator.webhooks import WebhookSigner


@dataclass(frozen=True)
class Principal:
    """Who a bearer token speaks for: the agency (company) or one location."""

    company_id: str
    location_id: str | None = None

    @property
    def is_agency(self) -> bool:
        return self.location_id is None


class Sim:
    def __init__(self, settings: SimSettings) -> None:
        self.settings = settings
        self.world = World(settings)
        self.limiter = SlidingWindowLimiter(
            Limits(settings.rate_limit_max, settings.rate_limit_interval_ms, settings.daily_limit)
        )
        self.faults = Faults()
        self.log = RequestLog(settings.request_log_size)
        self.deliveries = DeliveryScheduler(
            WebhookSigner.from_dir(),
            WebhookClock(
                interval_s=settings.webhook_retry_interval_s,
                max_retries=settings.webhook_max_retries,
                speedup=settings.webhook_clock_speedup,
            ),
            concurrency=settings.webhook_delivery_concurrency,
            history=settings.webhook_delivery_history,
        )

    def principal(self, token: str) -> Principal | None:
        if token == self.settings.agency_token:
            return Principal(self.settings.company_id)
        issued = self.world.tokens.get(token)
        if issued is None or issued.expires_at < time.time():
            return None
        return Principal(self.settings.company_id, issued.location_id)

    def reset(self) -> None:
        self.world = World(self.settings)
        self.limiter.reset()
        self.faults = Faults()
        self.log.clear()
        self.deliveries.reset()


# async: FastAPI runs a plain ``def`` dependency in its thread pool, a thread hop per request
async def get_sim(request: Request) -> Sim:
    sim: Sim = request.app.state.sim
    sim.world.settle()
    return sim


async def get_principal(request: Request) -> Principal:
    principal: Principal = request.scope["state"]["principal"]
    return principal
