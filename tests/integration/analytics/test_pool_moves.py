"""A lead a person (or the pool re-drive) moves out of the unassigned pool counts once, at its new
location (real Kafka, Postgres, Redis): the router's LeadReassigned (``from_location_id`` empty,
rule ``manual``) and LeadAssigned take the count from the pool to the location (redeliveries:
test_reassignment.py)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.domain.facts import UNASSIGNED
from analytics.settings import AnalyticsSettings
from leadflow_common.events import Envelope, LeadAssigned, LeadReassigned, LeadUnassigned
from leadflow_common.topics import LEADS_ASSIGNED, LOCATIONS
from tests.integration.analytics.event_stream import Item, profile, stream_start
from tests.integration.analytics.service import produce_items, running_app, wait_for_applied
from tests.integration.analytics.snapshot import counters
from tests.support.infra import Infra

SEED = 91
T0 = stream_start(SEED)
A, B = (profile(f"S{SEED}", n) for n in (1, 2))


def lead_item(payload: LeadAssigned | LeadReassigned | LeadUnassigned) -> Item:
    return Item(LEADS_ASSIGNED.name, payload.lead_id, Envelope.wrap(payload, source="router"))


def moved(lead: str, old: str, new: str, minutes: int, rule: str) -> list[Item]:
    at = T0 + timedelta(minutes=minutes)
    return [
        lead_item(
            LeadReassigned(
                lead_id=lead,
                from_location_id=old,
                to_location_id=new,
                reason=f"{rule}: ops",
                attempt=1,
                score=30.0,
                decided_at=at,
                rule=rule,
                actor="ops@x",
            )
        ),
        lead_item(
            LeadAssigned(
                lead_id=lead,
                source_location_id="ghl-intake",
                location_id=new,
                rule=rule,
                score=30.0,
                geocode_method="postal_code",
                capacity_date=date(2026, 1, 1),
                decided_at=at,
            )
        ),
    ]


def total(rows: dict[tuple[str, object], dict[str, float]], location: str, name: str) -> float:
    return sum(v.get(name, 0.0) for k, v in rows.items() if k[0] == location)


async def test_a_lead_moved_out_of_the_pool_counts_at_its_new_location_once(
    infra: Infra, settings: AnalyticsSettings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    directory = [Item(LOCATIONS.name, p.location_id, Envelope.wrap(p, source="onboarding")) for p in (A, B)]
    pooled = LeadUnassigned(
        lead_id="p91-pooled", source_location_id="ghl-intake", reason="no_location_in_range", score=30.0,
        geocode_method="postal_code", decided_at=T0,
    )  # fmt: skip
    history = [lead_item(pooled), *moved("p91-pooled", "", A.location_id, 10, "manual")]
    history += moved("p91-pooled", A.location_id, B.location_id, 70, "manual")  # and once more, A -> B
    async with running_app(settings.model_copy(update={"cache_ttl_s": 0.0})) as client:
        await produce_items(infra.kafka, directory + history)
        await wait_for_applied(client, len(directory) + len(history), settled=settings)
        for rows in (await counters(sessions), await counters(sessions, daily=True)):
            assert total(rows, UNASSIGNED, "unassigned") == 0.0
            assert total(rows, A.location_id, "leads") == 0.0
            assert (total(rows, B.location_id, "leads"), total(rows, B.location_id, "score_sum")) == (
                1.0,
                30.0,
            )
            assert total(rows, "", "reassignments") == 0.0  # the pool move is the pool's, not a location ""
            assert (
                total(rows, UNASSIGNED, "reassignments") + total(rows, A.location_id, "reassignments") == 2.0
            )
            assert total(rows, A.location_id, "sla_breaches") == 0.0  # a person's move is no SLA breach
