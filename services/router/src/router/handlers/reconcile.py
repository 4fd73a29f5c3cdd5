"""The contact reconciler: lists each intake sub-account's recent contacts in GHL and hands every
one without a decision to the routing path, as the ContactCreate event its lost webhook would have
been (same topic, same key, same handler), so the lead is routed exactly once whichever comes first.

One run per intake account: take its lease, list the window after its watermark page by page
(oldest first, through the shared rate-limited GHL client), publish the undecided contacts and
await the acks, then move the watermark; a crash repeats at most one page, with the same event ids.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from prometheus_client import Counter

from leadflow_common.events.envelope import OutgoingEvent
from leadflow_common.ghl.contacts_api import ContactPage
from leadflow_common.logging import get_logger
from leadflow_common.topics import GHL_EVENTS
from router.adapters.reconcile_store import LeaseLost, ReconcileStore, Watermark
from router.domain.reconcile import (
    RECOVERED_TYPE,
    ReconcilePolicy,
    advance,
    parse_ghl_time,
    recovered_body,
    recovered_event_id,
    window_for,
)
from router.handlers.ports import Publisher
from router.settings import RouterSettings

log = get_logger(__name__)
EXAMINED = Counter(
    "router_reconcile_contacts_examined_total", "Intake contacts the reconciler listed in GHL", ["intake"]
)
RECOVERED = Counter(
    "router_reconcile_leads_recovered_total",
    "Intake contacts without a decision the reconciler handed to routing",
    ["intake"],
)
RUNS = Counter("router_reconcile_runs_total", "Reconciler runs per intake account by outcome", ["outcome"])


class ContactSearch(Protocol):
    def contacts_added_between(
        self, location_id: str, start: datetime, end: datetime, *, page_limit: int = 100
    ) -> AsyncGenerator[ContactPage, None]: ...


@dataclass
class AccountReport:
    intake_location_id: str
    window_start: datetime | None = None
    window_end: datetime | None = None
    resumed_from: datetime | None = None  # the stored watermark the run started at
    pages: int = 0
    examined: int = 0
    recovered: list[str] = field(default_factory=list)
    watermark: datetime | None = None
    outcome: str = "ok"  # ok | empty | partial | lease_lost | failed | dry_run

    def as_log(self) -> dict[str, Any]:
        return {
            "intake": self.intake_location_id,
            "window_start": self.window_start.isoformat() if self.window_start else None,
            "window_end": self.window_end.isoformat() if self.window_end else None,
            "resumed_from": self.resumed_from.isoformat() if self.resumed_from else None,
            "pages": self.pages,
            "examined": self.examined,
            "recovered": len(self.recovered),
            "watermark": self.watermark.isoformat() if self.watermark else None,
            "outcome": self.outcome,
        }


def utcnow() -> datetime:
    return datetime.now(UTC)


def policy_of(settings: RouterSettings) -> ReconcilePolicy:
    return ReconcilePolicy(
        overlap=timedelta(seconds=settings.contact_reconcile_overlap_s),
        settle=timedelta(seconds=settings.contact_reconcile_settle_s),
        initial_lookback=timedelta(seconds=settings.contact_reconcile_initial_lookback_s),
    )


@dataclass
class ContactReconciler:
    settings: RouterSettings
    store: ReconcileStore
    ghl: ContactSearch
    publisher: Publisher
    clock: Callable[[], datetime] = field(default=utcnow)

    async def run_once(self, dry_run: bool = False) -> list[AccountReport]:
        """One pass over the intake accounts this replica can lease (all of them when alone).
        ``dry_run``: list and report, publish nothing, move no watermark, take no lease."""
        started = time.perf_counter()
        intake = self.settings.intake_location_ids
        reports, skipped = [], []
        for location_id in intake:
            # one account leased at a time: a lease is renewed only while its own pages are read
            leased = await (self.store.watermarks if dry_run else self.store.lease)([location_id])
            if location_id not in leased:
                skipped.append(location_id)  # another replica is on it
                continue
            watermark = leased[location_id]
            report = AccountReport(location_id)
            try:
                await self._reconcile(report, watermark, dry_run)
            except LeaseLost:
                report.outcome = "lease_lost"
            except Exception as exc:
                report.outcome = "failed"
                log.warning("contact_reconcile_failed", intake=location_id, error=repr(exc))
            finally:
                if not dry_run:
                    await self.store.release(location_id)
            RUNS.labels(report.outcome).inc()
            reports.append(report)
        log.info("contact_reconcile_run", accounts=[r.as_log() for r in reports],
                 skipped=skipped, dry_run=dry_run,
                 examined=sum(r.examined for r in reports), recovered=sum(len(r.recovered) for r in reports),
                 duration_ms=round((time.perf_counter() - started) * 1000, 1))  # fmt: skip
        return reports

    async def _reconcile(self, report: AccountReport, stored: Watermark, dry_run: bool) -> None:
        s = self.settings
        window = window_for(stored.until, self.clock(), policy_of(s), resume_exact=not stored.complete)
        report.window_start, report.window_end = window.start, window.end
        report.resumed_from = report.watermark = stored.until
        if window.empty:
            report.outcome = "empty"
            return
        location_id = report.intake_location_id
        pages = self.ghl.contacts_added_between(
            location_id, window.start, window.end, page_limit=s.contact_reconcile_page_size
        )
        async with aclosing(pages):
            async for page in pages:
                report.pages += 1
                done = page.search_after is None
                last_added = await self._page(report, page, dry_run)
                report.watermark = advance(report.watermark, window, last_added, done)
                capped = not done and report.pages >= s.contact_reconcile_max_pages
                if not dry_run:
                    await self.store.save(location_id, Watermark(report.watermark, complete=not capped))
                if done:
                    break
                if capped:
                    report.outcome = "partial"  # the next run continues exactly at the watermark
                    break
        if dry_run:
            report.outcome = "dry_run"

    async def _page(self, report: AccountReport, page: ContactPage, dry_run: bool) -> datetime | None:
        """Publish the page's undecided contacts (acks awaited); returns its newest ``dateAdded``."""
        location_id = report.intake_location_id
        contacts = [c.model_dump(by_alias=True, exclude_none=True) for c in page.contacts]
        report.examined += len(contacts)
        EXAMINED.labels(location_id).inc(len(contacts))
        decided = await self.store.decided([c["id"] for c in contacts])
        missing = [c for c in contacts if c["id"] not in decided]
        if missing and not dry_run:
            await self.publisher.publish_events(GHL_EVENTS, [_event(c, location_id) for c in missing])
            RECOVERED.labels(location_id).inc(len(missing))
        report.recovered += [c["id"] for c in missing]
        added = [t for c in contacts if (t := parse_ghl_time(c.get("dateAdded"))) is not None]
        return max(added) if added else None


def _event(contact: dict[str, Any], location_id: str) -> OutgoingEvent:
    """Keyed by the contact id like ingest's ContactCreate (same partition, so one consumer sees
    both in order and the second finds the first's decision)."""
    body = recovered_body(contact, location_id)
    occurred = parse_ghl_time(contact.get("dateAdded"))
    return OutgoingEvent(
        contact["id"], RECOVERED_TYPE, body, recovered_event_id(contact["id"]), occurred_at=occurred
    )
