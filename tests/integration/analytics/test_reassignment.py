"""A re-routed lead counts once, at the location it was moved to (real Kafka, Postgres, Redis).

LeadReassigned and the LeadAssigned that follows it move the lead's count (leads, score) from the
old location's hour and day to the new one, exactly once: redeliveries, a republished older
decision change nothing; conversions attributed through the lead follow it, whichever topic is
applied first."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.settings import AnalyticsSettings
from leadflow_common.events import Envelope, LeadAssigned, LeadReassigned
from leadflow_common.topics import GHL_EVENTS, LEADS_ASSIGNED, LOCATIONS
from tests.integration.analytics.event_stream import Item, ghl, profile, stream_start, window
from tests.integration.analytics.service import produce_items, running_app, wait_for_applied
from tests.integration.analytics.snapshot import counters, snapshot
from tests.support.infra import Infra

SEED = 88
T0 = stream_start(SEED)
A, B, C = (profile(f"S{SEED}", n) for n in (1, 2, 3))


def assigned(lead: str, location: str, minutes: int, score: float = 40.0) -> Item:
    payload = LeadAssigned(
        lead_id=lead,
        source_location_id="ghl-intake",
        location_id=location,
        rule="radius_25" if minutes == 0 else "sla_reassign",
        score=score,
        geocode_method="postal_code",
        capacity_date=date(2026, 1, 1),
        decided_at=T0 + timedelta(minutes=minutes),
    )
    return Item(LEADS_ASSIGNED.name, lead, Envelope.wrap(payload, source="router"))


def reassigned(lead: str, old: str, new: str, minutes: int, score: float | None = 40.0) -> Item:
    payload = LeadReassigned(
        lead_id=lead,
        from_location_id=old,
        to_location_id=new,
        reason="sla_breach: not worked within 15 business minutes",
        attempt=1,
        score=score,
        decided_at=T0 + timedelta(minutes=minutes),
    )
    return Item(LEADS_ASSIGNED.name, lead, Envelope.wrap(payload, source="router"))


def won(lead: str, minutes: int) -> Item:
    body = {"locationId": "ghl-intake", "id": f"opp-{lead}", "contactId": lead, "status": "won"}
    return Item(GHL_EVENTS.name, lead, ghl("OpportunityStatusUpdate", T0 + timedelta(minutes=minutes), body))


def leads_at(rows: dict[tuple[str, object], dict[str, float]], location: str) -> tuple[float, float, float]:
    mine = [v for k, v in rows.items() if k[0] == location]
    return tuple(sum(v.get(n, 0.0) for v in mine) for n in ("leads", "score_sum", "won"))  # type: ignore[return-value]


async def test_reassignment_moves_the_lead_once(
    infra: Infra, settings: AnalyticsSettings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    directory = [
        Item(LOCATIONS.name, p.location_id, Envelope.wrap(p, source="onboarding")) for p in (A, B, C)
    ]
    lead, chained, scoreless = "r88-moved", "r88-twice", "r88-noscore"
    # the conversion (intake account, after the re-route) is applied before leads.assigned.v1 says
    # the lead moved, so it is first counted at A; the move then takes it along to B
    early = [assigned(lead, A.location_id, 0), won(lead, 300)]
    history = [
        reassigned(lead, A.location_id, B.location_id, 20),
        assigned(lead, B.location_id, 20),
        # moved twice: A → B → C; the count ends at C
        assigned(chained, A.location_id, 0, score=70),
        reassigned(chained, A.location_id, B.location_id, 20, score=70),
        assigned(chained, B.location_id, 20, score=70),
        reassigned(chained, B.location_id, C.location_id, 140, score=70),
        assigned(chained, C.location_id, 140, score=70),
        # a LeadReassigned without a score: the LeadAssigned that follows moves the count
        assigned(scoreless, A.location_id, 0, score=10),
        reassigned(scoreless, A.location_id, B.location_id, 30, score=None),
        assigned(scoreless, B.location_id, 30, score=10),
    ]
    async with running_app(settings.model_copy(update={"cache_ttl_s": 0.0})) as client:
        await produce_items(infra.kafka, directory + early)
        await wait_for_applied(client, len(directory) + len(early), settled=settings)
        assert leads_at(await counters(sessions), A.location_id) == (1.0, 40.0, 1.0)
        await produce_items(infra.kafka, history)
        applied = len(directory) + len(early) + len(history)
        await wait_for_applied(client, applied, settled=settings)
        hourly, daily = await counters(sessions), await counters(sessions, daily=True)
        for rows in (hourly, daily):
            assert leads_at(rows, A.location_id) == (0.0, 0.0, 0.0)
            assert leads_at(rows, B.location_id) == (2.0, 50.0, 1.0)
            assert leads_at(rows, C.location_id) == (1.0, 70.0, 0.0)
        # the move lands in the new decision's hour; the old hour keeps only the SLA counters
        assert hourly[(B.location_id, T0)]["leads"] == 2.0
        assert hourly[(A.location_id, T0)] == {"sla_breaches": 3.0, "reassignments": 3.0}

        metrics = (await client.get(f"/locations/{B.location_id}/metrics", params=window(SEED))).json()
        assert metrics["location"]["conversion_rate"] == 0.5
        before = await snapshot(sessions)

        # redelivery of everything (same event ids), then older decisions republished (new ids)
        await produce_items(infra.kafka, early + history)
        republished = [
            assigned(lead, A.location_id, 0),
            assigned(chained, B.location_id, 20, score=70),
        ]
        await produce_items(infra.kafka, republished)
        await wait_for_applied(client, applied + len(republished), settled=settings)
        assert await snapshot(sessions) == before
