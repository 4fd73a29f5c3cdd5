"""Tagging pool leads in GHL (consumer group ``router-pool-tags`` on leads.assigned.v1): the source
contact of a ``LeadUnassigned`` gets the pool tag; a lead moved out of the pool (a ``LeadAssigned``
of a move rule) loses it. Both calls are idempotent in GHL, so a retried batch repeats them safely.
Its own group, apart from ``router-sync``: a pool lead has no location to copy it to."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from leadflow_common.events.envelope import Envelope
from leadflow_common.events.leads import LeadAssigned, LeadUnassigned
from leadflow_common.kafka.dead_letter import ConsumedRecord
from leadflow_common.logging import get_logger
from router.domain.pool import MOVE_RULES
from router.handlers.secondary_decode import Decoder, secondary_decoder

log = get_logger(__name__)
TAGGED_TYPES = frozenset({LeadUnassigned.EVENT_TYPE, LeadAssigned.EVENT_TYPE})


class SourceTags(Protocol):
    async def add_tags(self, location_id: str, contact_id: str, tags: list[str]) -> None: ...

    async def remove_tags(self, location_id: str, contact_id: str, tags: list[str]) -> None: ...


@dataclass
class PoolTagger:
    ghl: SourceTags
    tag: str = "leadflow:unassigned"

    async def handle_batch(self, batch: list[tuple[ConsumedRecord, Envelope | None]]) -> None:
        latest: dict[str, tuple[str, bool]] = {}  # lead -> (source account, in the pool)
        for _, envelope in batch:
            if envelope is None:
                continue
            if envelope.event_type == LeadUnassigned.EVENT_TYPE:
                pooled = LeadUnassigned.model_validate(envelope.payload)
                if pooled.source_location_id:
                    latest[pooled.lead_id] = (pooled.source_location_id, True)
            elif (
                envelope.event_type == LeadAssigned.EVENT_TYPE and envelope.payload.get("rule") in MOVE_RULES
            ):
                moved = LeadAssigned.model_validate(envelope.payload)
                if moved.source_location_id:
                    latest[moved.lead_id] = (moved.source_location_id, False)
        if not latest:
            return
        calls = [self._apply(lead, source, pooled) for lead, (source, pooled) in latest.items()]
        failures = [
            r for r in await asyncio.gather(*calls, return_exceptions=True) if isinstance(r, BaseException)
        ]
        log.info("pool_tags", leads=len(latest), failed=len(failures))
        if failures:
            raise failures[0]  # the consumer policy retries (transient) or dead-letters (rejected)

    async def _apply(self, lead_id: str, source: str, pooled: bool) -> None:
        if pooled:
            await self.ghl.add_tags(source, lead_id, [self.tag])
        else:
            await self.ghl.remove_tags(source, lead_id, [self.tag])


def tag_event_decoder(decode: Decoder) -> Decoder:
    """Decode only the event types the tagger acts on (by the ``ce_type`` header, when present);
    see secondary_decode for why a poison record is skipped here."""
    return secondary_decoder(decode, TAGGED_TYPES, "router-pool-tags")
