"""Reading what the system did: the leads.assigned.v1 stream and the services' APIs and metrics."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from aiokafka import AIOKafkaConsumer

from leadflow_common.topics import LEADS_ASSIGNED

# Rules of decisions that move a lead after its first one (the unassigned pool's re-drive, a
# person's reassignment, an SLA re-route): not a second routing (router/domain/pool.py MOVE_RULES).
MOVE_RULES = frozenset({"pool_redrive", "manual", "reassigned", "sla_reassign"})


@dataclass
class RoutingOutcome:
    assigned: dict[str, str] = field(default_factory=dict)  # lead id -> location id
    unassigned: dict[str, str] = field(default_factory=dict)  # lead id -> reason
    synced: dict[str, str] = field(default_factory=dict)  # lead id -> contact id in the sub-account
    rules: Counter[str] = field(default_factory=Counter)
    decisions_per_lead: Counter[str] = field(default_factory=Counter)  # routings; moves not counted

    @property
    def decided(self) -> int:
        return len(self.assigned) + len(self.unassigned)


async def read_routing(bootstrap: str, until_decided: int, timeout_s: float) -> RoutingOutcome:
    """Read leads.assigned.v1 from the beginning until ``until_decided`` leads have a decision."""
    outcome = RoutingOutcome()
    consumer = AIOKafkaConsumer(
        LEADS_ASSIGNED.name,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    if record.value:
                        apply(outcome, orjson.loads(record.value))
            if outcome.decided >= until_decided and not batch:
                break
        return outcome
    finally:
        await consumer.stop()


def apply(outcome: RoutingOutcome, envelope: dict[str, Any]) -> None:
    payload = envelope.get("payload", {})
    lead = payload.get("lead_id", "")
    kind = envelope.get("event_type")
    if kind == "LeadAssigned":
        outcome.assigned[lead] = payload["location_id"]
        rule = payload.get("rule", "?")
        outcome.rules[rule] += 1
        if rule in MOVE_RULES:  # the lead's latest place; a pooled lead leaves the pool
            outcome.unassigned.pop(lead, None)
        else:
            outcome.decisions_per_lead[lead] += 1
    elif kind == "LeadUnassigned":
        outcome.unassigned[lead] = payload.get("reason", "?")
        outcome.rules["unassigned: " + payload.get("reason", "?")] += 1
        outcome.decisions_per_lead[lead] += 1
    elif kind == "LeadSynced":
        outcome.synced[lead] = payload.get("location_contact_id", "")


def histogram_quantile(metrics_text: str, name: str, q: float) -> float | None:
    """The q-quantile upper bound of a Prometheus histogram from its /metrics text."""
    buckets: list[tuple[float, float]] = []
    for line in metrics_text.splitlines():
        if line.startswith(f"{name}_bucket"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets.append((float("inf") if bound == "+Inf" else float(bound), float(line.rsplit(" ", 1)[1])))
    if not buckets or buckets[-1][1] == 0:
        return None
    merged: dict[float, float] = {}
    for upper, count in buckets:
        merged[upper] = merged.get(upper, 0.0) + count
    ordered = sorted(merged.items())
    total = ordered[-1][1]
    for upper, count in ordered:
        if count >= q * total:
            return upper
    return None


async def get_json(url: str, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(url, headers=headers)
        response.raise_for_status()
        return response.json()


async def get_text(url: str) -> str:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(url)
        response.raise_for_status()
        return response.text
