"""The store as one runner sees it: every write carries the runner's lease token (fencing)."""

from __future__ import annotations

from onboarding.domain.errors import LeaseLost
from onboarding.domain.location import Location, StepRecord
from onboarding.domain.saga import Lease, SagaStatus, Step
from onboarding.ports import SagaStore


class FencedStore:
    """A SagaStore whose writes of ``lease``'s saga are conditional on the lease generation.

    ``lost`` is set by the first refused write (or by the heartbeat when a renewal is refused);
    ``check()`` then raises LeaseLost before the runner makes another GHL call."""

    def __init__(self, store: SagaStore, lease: Lease) -> None:
        self._store = store
        self.lease = lease
        self.lost = False
        # set when the saga is parked (credentials refused): the scheduler then keeps the lease
        # for this long instead of releasing it, so no replica claims the saga before
        self.parked_s: float | None = None

    def park(self, seconds: float) -> None:
        self.parked_s = seconds

    def check(self) -> None:
        if self.lost:
            raise LeaseLost(f"{self.lease.location_id}: lease {self.lease.token} lost")

    def _fence(self, location_id: str) -> int | None:
        return self.lease.token if location_id == self.lease.location_id else None

    async def save(self, location: Location, fence: int | None = None) -> None:
        self.check()
        try:
            await self._store.save(location, self._fence(location.location_id))
        except LeaseLost:
            self.lost = True
            raise

    async def save_step(
        self, location_id: str, step: Step, record: StepRecord, fence: int | None = None
    ) -> None:
        self.check()
        try:
            await self._store.save_step(location_id, step, record, self._fence(location_id))
        except LeaseLost:
            self.lost = True
            raise

    async def create(self, location: Location) -> bool:
        return await self._store.create(location)

    async def get(self, location_id: str) -> Location | None:
        return await self._store.get(location_id)

    async def reset_steps(self, location_id: str, steps: list[Step]) -> None:
        await self._store.reset_steps(location_id, steps)

    async def list_locations(self, status: SagaStatus | None, limit: int) -> list[Location]:
        return await self._store.list_locations(status, limit)

    async def known(self) -> tuple[list[str], list[str]]:
        return await self._store.known()

    async def claim_runnable(self, owner: str, limit: int, lease_s: float) -> list[Lease]:
        return await self._store.claim_runnable(owner, limit, lease_s)

    async def renew(self, lease: Lease, lease_s: float) -> bool:
        return await self._store.renew(lease, lease_s)

    async def release(self, lease: Lease) -> None:
        await self._store.release(lease)
