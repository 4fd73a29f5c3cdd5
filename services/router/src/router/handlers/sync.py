"""Applying assignments in GHL (consumer group ``router-sync`` on leads.assigned.v1).

Off the routing hot path: a slow or failing GHL never delays the next decision; a failure is
retried by the consumer policy (transient: backoff and re-read; the lag shows it) and the
assignment itself is already durable. A sub-account whose credentials GHL refuses (401/403 after
a token rotation or an uninstall) is not a bad lead: its leads wait on paused partitions, the
block is alerted (``sync_auth``) and they are synced once the credentials work again.

``handle_batch`` is the production path: per batch one read of assignments and syncs, the GHL
calls of every lead at once (the shared limiter paces each sub-account; calls on different
sub-accounts run side by side), one write, every ``LeadSynced`` sent before any ack is awaited.
``handle`` is the former one-record path (two calls on the intake sub-account per lead), kept as
the benchmark's in-run baseline.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadflow_common.db import transaction
from leadflow_common.events.envelope import Envelope
from leadflow_common.events.leads import LeadAssigned, LeadSynced
from leadflow_common.ghl import GhlCredentialsUnavailable
from leadflow_common.kafka.dead_letter import ConsumedRecord
from leadflow_common.kafka.errors import RetryLater
from leadflow_common.logging import get_logger
from leadflow_common.telemetry import continue_trace, traceparent_context
from leadflow_common.topics import LEADS_ASSIGNED
from router import metrics
from router.adapters import postgres as pg
from router.adapters import sync_store
from router.handlers.events import EVENT_NAMESPACE, synced_event_id
from router.handlers.ports import ContactCopy, LeadSync, Publisher
from router.handlers.sync_auth import AuthBlocks
from router.handlers.sync_errors import FailedLead, blocked_locations, raise_for_failures, sync_error
from router.handlers.sync_plan import SyncRow, plan_syncs

log = get_logger(__name__)


@dataclass
class SyncHandler:
    sessions: async_sessionmaker[AsyncSession]
    ghl: LeadSync
    publisher: Publisher
    tag_prefix: str = "routed"
    reassigned_tag: str = "sla-reassigned"
    reassigned_rule: str = "sla_reassign"
    tag_source: bool = True  # tag the source contact (the one call on the intake sub-account)
    auth: AuthBlocks = field(default_factory=AuthBlocks)  # sub-accounts whose credentials GHL refuses

    async def handle_batch(self, batch: list[tuple[ConsumedRecord, Envelope | None]]) -> None:
        assigned = [
            (LeadAssigned.model_validate(envelope.payload), envelope.trace)
            for _, envelope in batch
            if envelope is not None and envelope.event_type == LeadAssigned.EVENT_TYPE
        ]
        if not assigned:
            return
        events = [event for event, _ in assigned]
        traces = {event.lead_id: trace for event, trace in assigned}  # the last event's, like the plan
        started = time.perf_counter()
        lead_ids = list({e.lead_id for e in events})
        async with self.sessions() as session:
            current = await sync_store.current_locations(session, lead_ids)
            synced = await sync_store.sync_rows(session, lead_ids)
        plan = plan_syncs(events, current, synced)
        for event in plan.no_ghl_location:
            metrics.SYNCS.labels("skipped_no_ghl_location").inc()
            log.warning("sync_skipped", lead_id=event.lead_id, location_id=event.location_id)
        for event in plan.stale:
            metrics.SYNCS.labels("skipped_stale").inc()
            log.info("sync_skipped_stale", lead_id=event.lead_id, location_id=event.location_id)
        read_s = time.perf_counter() - started
        copies = (self._copy(e, traces.get(e.lead_id)) for e in plan.apply)
        outcomes = await asyncio.gather(*copies, return_exceptions=True)
        ghl_s = time.perf_counter() - started - read_s
        applied: list[tuple[LeadAssigned, SyncRow]] = []
        failed: list[FailedLead] = []
        for event, outcome in zip(plan.apply, outcomes, strict=True):
            if isinstance(outcome, SyncRow):
                applied.append((event, outcome))
            elif isinstance(outcome, Exception):
                failed.append(FailedLead(event.lead_id, outcome))
            else:
                raise outcome  # cancellation and the like: not a lead's failure
        # the calls went through: clear those blocks before the rows commit (whoever reads a row
        # synced must not still see its sub-account reported blocked)
        self.auth.working({loc for e, _ in applied for loc in self._reached(e)})
        stored: dict[str, SyncRow] = {}
        if applied:
            async with transaction(self.sessions) as session:
                stored = await sync_store.save_syncs(session, [row for _, row in applied])
            metrics.SYNCS.labels("ok").inc(len(applied))
        confirmed = plan.done + [(e, stored.get(e.lead_id, row)) for e, row in applied]
        await self._publish_all(self._synced(event, row) for event, row in confirmed)
        log.info(
            "sync_batch", records=len(batch), applied=len(applied), confirmed=len(plan.done),
            failed=len(failed), read_ms=round(read_s * 1000, 1), ghl_ms=round(ghl_s * 1000, 1),
            total_ms=round((time.perf_counter() - started) * 1000, 1),
        )  # fmt: skip
        if failed:
            metrics.SYNCS.labels("failed").inc(len(failed))
            retry_after: list[float] = []
            for location_id, leads in blocked_locations(failed).items():
                metrics.SYNCS.labels("waiting_credentials").inc(len(leads))
                retry_after.append(self.auth.refused(location_id, leads[0].error, len(leads)).retry_after_s)
            failed_ids = {f.lead_id for f in failed}
            waiting = [
                (r.topic, r.partition, r.offset)
                for r, envelope in batch
                if envelope is not None and envelope.payload.get("lead_id") in failed_ids
            ]
            after_s = min(retry_after, default=None)  # the first blocked sub-account due again
            raise_for_failures(failed, total=len(plan.apply), waiting=waiting, retry_after_s=after_s)

    def _reached(self, assigned: LeadAssigned) -> tuple[str, ...]:
        """The sub-accounts a successful copy called, whose credentials therefore work: the
        location's, and the intake's when the copy read or tagged the source contact."""
        target = (assigned.ghl_location_id,) if assigned.ghl_location_id else ()
        calls_source = self.tag_source or assigned.contact is None
        source = (assigned.source_location_id,) if calls_source and assigned.source_location_id else ()
        return target + source

    async def _copy(self, assigned: LeadAssigned, trace: str | None = None) -> SyncRow:
        """One lead's GHL calls, in the lead's own trace (its event's traceparent) when traced."""
        assert assigned.ghl_location_id and assigned.source_location_id
        copy = ContactCopy(
            source_location_id=assigned.source_location_id,
            contact_id=assigned.lead_id,
            target_ghl_location_id=assigned.ghl_location_id,
            contact=assigned.contact.model_dump(exclude_none=True) if assigned.contact else None,
            source_tags=tuple(self._tags(assigned)) if self.tag_source else (),
        )
        with continue_trace(traceparent_context(trace), "ghl.sync", lead_id=assigned.lead_id):
            location_contact_id = await self.ghl.apply(copy)
        return SyncRow(
            assigned.lead_id,
            assigned.location_id,
            assigned.ghl_location_id,
            location_contact_id,
            datetime.now(UTC),
        )

    async def _publish_all(self, items: Iterable[tuple[str, Envelope]]) -> None:
        """Every send is started before any ack is awaited (the producer batches them)."""
        sends: list[Awaitable[None]] = [
            asyncio.ensure_future(self.publisher.publish(LEADS_ASSIGNED, key, envelope))
            for key, envelope in items
        ]
        if sends:
            await asyncio.gather(*sends)

    def _synced(self, assigned: LeadAssigned, row: SyncRow) -> tuple[str, Envelope]:
        payload = LeadSynced(
            lead_id=assigned.lead_id,
            location_id=row.location_id,
            ghl_location_id=row.ghl_location_id,
            location_contact_id=row.location_contact_id,
            synced_at=row.synced_at,
        )
        event_id = synced_event_id(assigned.lead_id)
        if assigned.rule == self.reassigned_rule:
            event_id = uuid.uuid5(EVENT_NAMESPACE, f"synced:{assigned.lead_id}:{assigned.location_id}")
        return assigned.lead_id, self.publisher.envelope(payload, event_id=event_id)

    def _tags(self, assigned: LeadAssigned) -> list[str]:
        tags = [f"{self.tag_prefix}:{assigned.location_id}"]
        if assigned.rule == self.reassigned_rule:
            tags.append(self.reassigned_tag)
        return tags

    async def handle(self, record: ConsumedRecord, envelope: Envelope | None) -> None:
        """The former per-record path: the in-run baseline of bench/ghl_sync."""
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
            with continue_trace(traceparent_context(envelope.trace), "ghl.sync", lead_id=assigned.lead_id):
                synced = await self._apply_one(assigned)
        row = SyncRow(
            assigned.lead_id,
            str(synced["location_id"]),
            str(synced["ghl_location_id"]),
            str(synced["location_contact_id"]),
            synced["synced_at"],  # type: ignore[arg-type]
        )
        key, out = self._synced(assigned, row)
        await self.publisher.publish(LEADS_ASSIGNED, key, out)

    async def _apply_one(self, assigned: LeadAssigned) -> dict[str, object]:
        assert assigned.ghl_location_id and assigned.source_location_id
        try:
            contact_id = await self.ghl.copy_contact(
                assigned.source_location_id, assigned.lead_id, assigned.ghl_location_id, self._tags(assigned)
            )
        except Exception as exc:
            metrics.SYNCS.labels("failed").inc()
            typed = sync_error(assigned.lead_id, exc)
            if isinstance(exc, GhlCredentialsUnavailable) and isinstance(typed, RetryLater):
                typed.after_s = self.auth.refused(exc.location_id, exc, 1).retry_after_s
            if typed is exc:
                raise
            raise typed from exc
        values: dict[str, object] = {
            "lead_id": assigned.lead_id,
            "location_id": assigned.location_id,
            "ghl_location_id": assigned.ghl_location_id,
            "location_contact_id": contact_id,
            "synced_at": datetime.now(UTC),
        }
        self.auth.working({assigned.ghl_location_id, assigned.source_location_id})
        async with transaction(self.sessions) as session:
            await pg.save_sync(session, values)
            stored = await pg.sync_record(session, assigned.lead_id)
        metrics.SYNCS.labels("ok").inc()
        return stored or values
