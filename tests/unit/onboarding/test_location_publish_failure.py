"""A change the broker does not take: the directory entries already sent are put back as they
were and the error reaches the caller (whose transaction then rolls back: all or nothing)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError

from leadflow_common.events.onboarding import LocationDraft
from onboarding.directory.service import ChangeRequest, LocationDirectory, plan
from onboarding.domain.location import Location
from onboarding.domain.location_changes import Action, Edit
from onboarding.domain.saga import SagaStatus


class RecordingSession:
    """Takes the statements (their effect is the database's business, not this test's)."""

    async def execute(self, *args: Any, **kwargs: Any) -> None:
        return None


class FailingSink:
    """Times out on its ``fail_at``-th profile (1-based), like a broker that went away for a moment;
    acknowledges the others. Tombstones always time out."""

    def __init__(self, fail_at: int) -> None:
        self.fail_at = fail_at
        self.calls = 0
        self.sent: list[tuple[str, str, int]] = []

    async def profile(self, location: Location) -> None:
        self.calls += 1
        if self.calls == self.fail_at:
            raise KafkaTimeoutError()
        self.sent.append((location.location_id, location.status.value, location.draft.daily_capacity))

    async def tombstone(self, location_id: str) -> None:
        raise KafkaTimeoutError()


def location(code: str) -> Location:
    draft = LocationDraft(
        name=code, address="1 Main St", city="Austin", state="TX", postal_code="78701", phone="+15125550100",
        email="a@fitnation.example.com", manager_name="Ana", manager_email="ana@fitnation.example.com",
        daily_capacity=40, franchise_code=code,
    )  # fmt: skip
    return Location(code, draft, status=SagaStatus.ACTIVE)


async def test_a_failed_publish_puts_back_what_was_sent_and_raises() -> None:
    sink = FailingSink(fail_at=2)  # FIT-0001 is sent, FIT-0002 times out
    directory = LocationDirectory(None, sink)  # type: ignore[arg-type]  # write() uses the caller's session
    items = [
        (plan(location(code), Action.UPDATE, Edit(daily_capacity=5)), ChangeRequest(code, Action.UPDATE))
        for code in ("FIT-0001", "FIT-0002")
    ]
    session: Any = RecordingSession()
    with pytest.raises(KafkaTimeoutError):
        await directory.write(session, items, uuid.uuid4(), "ops")
    # FIT-0001's new entry went out, then its entry as before the change: the directory is back
    assert sink.sent == [("FIT-0001", "active", 5), ("FIT-0001", "active", 40)]


async def test_a_failed_offboard_publish_raises_and_restores_nothing_unsent() -> None:
    sink = FailingSink(fail_at=99)
    directory = LocationDirectory(None, sink)  # type: ignore[arg-type]
    item = plan(location("FIT-0003"), Action.OFFBOARD, Edit())
    session: Any = RecordingSession()
    with pytest.raises(KafkaTimeoutError):
        await directory.write(
            session, [(item, ChangeRequest("FIT-0003", Action.OFFBOARD))], uuid.uuid4(), "ops"
        )
    assert sink.sent == []  # nothing was sent, so nothing is put back
