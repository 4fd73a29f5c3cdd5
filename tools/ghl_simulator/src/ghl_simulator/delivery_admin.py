"""Admin API of the webhook delivery queue: start deliveries in the background, read their attempts."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, model_validator

from ghl_simulator.errors import GhlHttpError
from ghl_simulator.sim import Sim, get_sim
from ghl_simulator.state import Json
from ghl_simulator.webhooks import DeliveryState, Scheme

router = APIRouter(prefix="/admin/webhooks", tags=["admin"])
SimDep = Annotated[Sim, Depends(get_sim)]


class DeliveriesBody(BaseModel):
    """One delivery per payload (a payload's own ``timestamp``/``webhookId`` are kept: the same
    event twice is two deliveries with one ``webhookId``)."""

    url: str
    payload: dict[str, Any] | None = None
    payloads: list[dict[str, Any]] = Field(default_factory=list)
    scheme: Scheme = "ed25519"
    retry_interval_s: float | None = Field(
        default=None, ge=0, description="simulated seconds; default GHLSIM_WEBHOOK_RETRY_INTERVAL_S"
    )
    max_retries: int | None = Field(default=None, ge=0, description="default GHLSIM_WEBHOOK_MAX_RETRIES")

    @model_validator(mode="after")
    def _some_payload(self) -> DeliveriesBody:
        if self.payload is None and not self.payloads:
            raise ValueError("give payload or payloads")
        return self

    def all_payloads(self) -> list[dict[str, Any]]:
        return ([self.payload] if self.payload is not None else []) + self.payloads


def _clock_view(sim: Sim) -> Json:
    clock = sim.deliveries.clock
    return {
        "interval_s": clock.interval_s,
        "max_retries": clock.max_retries,
        "speedup": clock.speedup,
        "wait_s": clock.wait_s,
        "stamp_lag_s": clock.stamp_lag_s,
    }


@router.post("/deliveries", status_code=202)
async def start_deliveries(body: DeliveriesBody, sim: SimDep) -> Json:
    """Sign each payload and deliver it in the background (retried on 429 only, on the sim clock)."""
    scheduler = sim.deliveries
    clock = dataclasses.replace(
        scheduler.clock,
        interval_s=scheduler.clock.interval_s if body.retry_interval_s is None else body.retry_interval_s,
        max_retries=scheduler.clock.max_retries if body.max_retries is None else body.max_retries,
    )
    started = [scheduler.enqueue(body.url, p, body.scheme, clock) for p in body.all_payloads()]
    return {
        "deliveries": [{"id": d.id, "webhook_id": d.webhook_id, "timestamp": d.timestamp} for d in started]
    }


@router.get("/deliveries")
async def list_deliveries(
    sim: SimDep,
    since: int = 0,
    webhook_id: str | None = None,
    state: DeliveryState | None = None,
    body: bool = False,
) -> Json:
    """Deliveries with an id above ``since`` (every attempt: time, status, age seen, GHL time)."""
    rows = sim.deliveries.since(since, webhook_id, state)
    return {
        "deliveries": [d.as_dict(with_body=body) for d in rows],
        "summary": sim.deliveries.summary(),
        "clock": _clock_view(sim),
    }


@router.get("/deliveries/{delivery_id}")
async def one_delivery(delivery_id: int, sim: SimDep) -> Json:
    delivery = sim.deliveries.get(delivery_id)
    if delivery is None:
        raise GhlHttpError(404, "Delivery not found")
    return delivery.as_dict(with_body=True)
