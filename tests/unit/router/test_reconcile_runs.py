"""The reconciler's run over pages, with in-memory store, GHL search and publisher: what it
publishes, how far the watermark moves per page, the page cap, dry runs and held leases."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from leadflow_common.events.envelope import Envelope, EventPayload, OutgoingEvent
from leadflow_common.ghl import GhlContact
from leadflow_common.ghl.contacts_api import ContactPage, ghl_time
from leadflow_common.topics import GHL_EVENTS, TopicSpec
from router.adapters.reconcile_store import ReconcileStore, Watermark
from router.domain.reconcile import recovered_event_id
from router.handlers.reconcile import ContactReconciler
from router.settings import RouterSettings

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
INTAKE = "INTAKE"


@dataclass
class MemoryStore:
    watermark: Watermark = field(default_factory=lambda: Watermark(None))
    held_by_other: bool = False
    decided_ids: set[str] = field(default_factory=set)
    saves: list[Watermark] = field(default_factory=list)

    async def lease(self, ids: Sequence[str]) -> dict[str, Watermark]:
        return {} if self.held_by_other else {i: self.watermark for i in ids}

    async def watermarks(self, ids: Sequence[str]) -> dict[str, Watermark]:
        return {i: self.watermark for i in ids}

    async def save(self, location_id: str, mark: Watermark) -> None:
        self.saves.append(mark)
        self.watermark = mark

    async def release(self, location_id: str) -> None:
        return None

    async def decided(self, ids: Sequence[str]) -> set[str]:
        return self.decided_ids & set(ids)


@dataclass
class Search:
    contacts: list[dict[str, Any]]
    windows: list[tuple[datetime, datetime]] = field(default_factory=list)

    async def contacts_added_between(
        self, location_id: str, start: datetime, end: datetime, *, page_limit: int = 100
    ) -> AsyncGenerator[ContactPage, None]:
        self.windows.append((start, end))
        hits = [c for c in self.contacts if start <= datetime.fromisoformat(c["dateAdded"]) <= end]
        for i in range(0, len(hits) + 1, page_limit):
            chunk = hits[i : i + page_limit]
            full = len(chunk) == page_limit
            cursor = [chunk[-1]["dateAdded"], chunk[-1]["id"]] if full else None
            yield ContactPage([GhlContact.model_validate(c) for c in chunk], len(hits), cursor)
            if not full:
                return


@dataclass
class Recorder:
    events: list[OutgoingEvent] = field(default_factory=list)

    def envelope(self, payload: EventPayload, **kwargs: object) -> Envelope:
        raise NotImplementedError

    async def publish(self, topic: TopicSpec, key: str, envelope: Envelope) -> None:
        raise NotImplementedError

    async def publish_many(self, topic: TopicSpec, items: Iterable[tuple[str, Envelope]]) -> None:
        raise NotImplementedError

    async def publish_events(self, topic: TopicSpec, events: Iterable[OutgoingEvent]) -> None:
        assert topic is GHL_EVENTS
        self.events.extend(events)


def contacts(count: int) -> list[dict[str, Any]]:
    return [
        {"id": f"c{i}", "locationId": INTAKE, "postalCode": "80202",
         "dateAdded": ghl_time(NOW - timedelta(minutes=50 - i))}
        for i in range(count)
    ]  # fmt: skip


def reconciler(store: MemoryStore, search: Search, recorder: Recorder, **settings: Any) -> ContactReconciler:
    values: dict[str, Any] = {"intake_location_ids": [INTAKE], "contact_reconcile_page_size": 2} | settings
    fake: Any = store  # the store's interface, in memory
    typed: ReconcileStore = fake
    return ContactReconciler(RouterSettings(**values), typed, search, recorder, clock=lambda: NOW)


async def test_undecided_contacts_are_published_as_contact_create_keyed_by_contact_id() -> None:
    store, search, recorder = MemoryStore(decided_ids={"c1"}), Search(contacts(5)), Recorder()
    [report] = await reconciler(store, search, recorder).run_once()
    assert report.outcome == "ok" and report.examined == 5 and report.pages == 3
    assert [e.key for e in recorder.events] == ["c0", "c2", "c3", "c4"]
    assert all(
        e.event_type == "ContactCreate" and e.event_id == recovered_event_id(e.key) for e in recorder.events
    )
    assert all(e.payload["locationId"] == INTAKE and e.payload["id"] == e.key for e in recorder.events)
    # after each page: the newest contact so far, then the window's end
    assert [m.until for m in store.saves[:2]] == [
        datetime.fromisoformat(c["dateAdded"]) for c in contacts(5)[1:4:2]
    ]
    assert store.saves[-1] == Watermark(NOW - timedelta(seconds=120), complete=True)


async def test_a_capped_run_leaves_the_rest_to_the_next_which_resumes_at_the_watermark() -> None:
    store, search, recorder = MemoryStore(), Search(contacts(5)), Recorder()
    run = reconciler(store, search, recorder, contact_reconcile_max_pages=1)
    [first] = await run.run_once()
    assert first.outcome == "partial" and [e.key for e in recorder.events] == ["c0", "c1"]
    assert store.watermark == Watermark(datetime.fromisoformat(contacts(5)[1]["dateAdded"]), complete=False)
    outcomes = [first.outcome]
    while outcomes[-1] == "partial" and len(outcomes) < 10:
        store.decided_ids |= {e.key for e in recorder.events}  # routed meanwhile
        resumed_at = store.watermark.until
        [report] = await run.run_once()
        assert search.windows[-1][0] == resumed_at  # exactly where it stopped: no overlap re-read
        outcomes.append(report.outcome)
    assert outcomes[-1] == "ok" and store.watermark.complete
    assert sorted(e.key for e in recorder.events) == ["c0", "c1", "c2", "c3", "c4"]  # each once
    store.decided_ids |= {e.key for e in recorder.events}
    await run.run_once()  # after a complete window the next one goes back the overlap
    assert search.windows[-1][0] == NOW - timedelta(seconds=120) - timedelta(seconds=900)
    assert len(recorder.events) == 5


async def test_a_dry_run_publishes_nothing_and_moves_no_watermark() -> None:
    store, search, recorder = MemoryStore(), Search(contacts(3)), Recorder()
    [report] = await reconciler(store, search, recorder).run_once(dry_run=True)
    assert report.outcome == "dry_run" and report.recovered == ["c0", "c1", "c2"]
    assert recorder.events == [] and store.saves == [] and store.watermark == Watermark(None)


async def test_an_account_another_replica_holds_is_skipped() -> None:
    store, search, recorder = MemoryStore(held_by_other=True), Search(contacts(3)), Recorder()
    assert await reconciler(store, search, recorder).run_once() == []
    assert search.windows == [] and recorder.events == []
