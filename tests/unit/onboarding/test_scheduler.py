"""The scheduler never drives more sagas at once than its concurrency."""

from __future__ import annotations

import asyncio

from leadflow_common.events.onboarding import LocationDraft
from onboarding.domain.location import Location
from onboarding.domain.saga import SagaStatus
from onboarding.saga.scheduler import SagaScheduler
from tests.unit.onboarding.fakes import FakeGhl
from tests.unit.onboarding.test_saga import DRAFT, make_ctx


class SlowGhl(FakeGhl):
    """Counts concurrent sub-account creations."""

    def __init__(self) -> None:
        super().__init__()
        self.active = 0
        self.peak = 0

    async def create_sub_account(self, draft: LocationDraft, timezone: str, name: str) -> str:
        self.active += 1
        self.peak = max(self.peak, self.active)
        await asyncio.sleep(0.02)
        self.active -= 1
        return await super().create_sub_account(draft, timezone, name)


async def test_concurrency_is_bounded_and_all_sagas_finish() -> None:
    ghl = SlowGhl()
    ctx, store, _, _ = make_ctx(ghl)
    for i in range(12):
        code = f"FIT-{i:04d}"
        draft = DRAFT.model_copy(update={"franchise_code": code, "name": f"Gym {i}"})
        await store.create(Location(code, draft))
    scheduler = SagaScheduler(ctx, concurrency=3, lease_s=5, poll_s=0.01)
    scheduler.start()
    try:
        for _ in range(500):
            if all(loc.status is SagaStatus.ACTIVE for loc in store.locations.values()):
                break
            await asyncio.sleep(0.01)
    finally:
        await scheduler.stop()
    assert all(loc.status is SagaStatus.ACTIVE for loc in store.locations.values())
    assert ghl.peak == 3
    assert len(ghl.accounts) == 12
