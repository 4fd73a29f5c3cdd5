"""Applying assignments in GHL (consumer group ``router-sync`` on leads.assigned.v1).

Off the routing hot path: a slow or failing GHL never delays the next decision; a failure is
retried by the consumer policy (transient: backoff and re-read; the lag shows it) and the
assignment itself is already durable.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow_common.db import transaction
from leadflow_common.events.envelope import Envelope
from leadflow_common.events.leads import LeadAssigned, LeadSynced
from leadflow_common.kafka.dead_letter import ConsumedRecord
from leadflow_common.kafka.errors import PermanentError, TransientError
from leadflow_common.logging import get_logger
from leadflow_common.topics import LEADS_ASSIGNED
from router import metrics
from router.adapters import postgres as pg
from router.handlers.events import EVENT_NAMESPACE, synced_event_id
from router.handlers.ports import LeadSync, Publisher

log = get_logger(__name__)


@dataclass
class SyncHandler:
    sessions: async_sessionmaker[AsyncSession]
    ghl: LeadSync
    publisher: Publisher
    tag_prefix: str = "routed"
    reassigned_tag: str = "sla-reassigned"
    reassigned_rule: str = "sla_reassign"

    async def handle(self, record: ConsumedRecord, envelope: Envelope | None) -> None:
        if envelope is None or envelope.event_type != LeadAssigned.EVENT_TYPE:
            return
        assigned = LeadAssigned.model_validate(envelope.payload)
        if not assigned.ghl_location_id or not assigned.source_location_id:
            metrics.SYNCS.labels("skipped_no_ghl_location").inc()
            log.warning("sync_skipped", lead_id=assigned.lead_id, location_id=assigned.location_id)
            return
        async with self.sessions() as session:
            current = await pg.assignment(session, assigned.lead_id)
            synced = await pg.sync_record(session, assigned.lead_id)
        if current is not None and current["location_id"] != assigned.location_id:
            log.info("sync_skipped_stale", lead_id=assigned.lead_id, location_id=assigned.location_id)
            return  # an SLA re-route moved the lead on since: only its LeadAssigned is applied
        if synced is None or synced["location_id"] != assigned.location_id:
            synced = await self._apply(assigned)
        payload = LeadSynced(
            lead_id=assigned.lead_id,
            location_id=synced["location_id"],
            ghl_location_id=synced["ghl_location_id"],
            location_contact_id=synced["location_contact_id"],
            synced_at=synced["synced_at"],
        )
        event_id = synced_event_id(assigned.lead_id)
        if assigned.rule == self.reassigned_rule:
            event_id = uuid.uuid5(EVENT_NAMESPACE, f"synced:{assigned.lead_id}:{assigned.location_id}")
        out = self.publisher.envelope(payload, event_id=event_id)
        await self.publisher.publish(LEADS_ASSIGNED, assigned.lead_id, out)

    async def _apply(self, assigned: LeadAssigned) -> dict[str, object]:
        assert assigned.ghl_location_id and assigned.source_location_id
        tags = [f"{self.tag_prefix}:{assigned.location_id}"]
        if assigned.rule == self.reassigned_rule:
            tags.append(self.reassigned_tag)
        try:
            contact_id = await self.ghl.copy_contact(
                assigned.source_location_id, assigned.lead_id, assigned.ghl_location_id, tags
            )
        except Exception as exc:
            metrics.SYNCS.labels("failed").inc()
            if _is_retryable(exc):
                raise TransientError(f"GHL sync of {assigned.lead_id} failed: {exc}") from exc
            if _is_rejected(exc):
                raise PermanentError(f"GHL rejected the sync of {assigned.lead_id}: {exc}") from exc
            raise
        values: dict[str, object] = {
            "lead_id": assigned.lead_id,
            "location_id": assigned.location_id,
            "ghl_location_id": assigned.ghl_location_id,
            "location_contact_id": contact_id,
            "synced_at": datetime.now(UTC),
        }
        async with transaction(self.sessions) as session:
            await pg.save_sync(session, values)
            stored = await pg.sync_record(session, assigned.lead_id)
        metrics.SYNCS.labels("ok").inc()
        return stored or values


def _is_retryable(exc: Exception) -> bool:
    from leadflow_common.ghl import GhlRateLimited, GhlServerError, GhlUnknownOutcome

    return isinstance(
        exc, GhlRateLimited | GhlServerError | GhlUnknownOutcome | ConnectionError | TimeoutError
    )


def _is_rejected(exc: Exception) -> bool:
    from leadflow_common.ghl import GhlAuthError, GhlNotFound, GhlValidationError

    return isinstance(exc, GhlNotFound | GhlValidationError | GhlAuthError)
