"""In-memory stand-ins for the saga's ports, for pure unit tests of the real handlers."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from leadflow_common.events.onboarding import LocationDraft
from onboarding.domain.errors import GhlUnavailable, LeaseLost, UnknownOutcome
from onboarding.domain.location import Location, StepRecord
from onboarding.domain.marker import MARKER_CUSTOM_VALUE, carries_marker
from onboarding.domain.saga import RUNNABLE, Lease, SagaStatus, Step
from onboarding.ports import SubAccountLookup


class FakeStore:
    """Fenced like the Postgres store: a claim moves the generation on, a fenced write of an older
    generation raises LeaseLost. Leases never expire here: ``claim`` is a claim after an expiry."""

    def __init__(self) -> None:
        self.locations: dict[str, Location] = {}
        self.generations: dict[str, int] = {}
        self.held: set[str] = set()
        self.refused = 0

    def _check(self, location_id: str, fence: int | None) -> None:
        if fence is not None and self.generations.get(location_id, 0) != fence:
            self.refused += 1
            raise LeaseLost(f"{location_id}: {fence} is stale")

    async def create(self, location: Location) -> bool:
        if location.location_id in self.locations:
            return False
        self.locations[location.location_id] = copy.deepcopy(location)
        return True

    async def get(self, location_id: str) -> Location | None:
        loc = self.locations.get(location_id)
        return copy.deepcopy(loc) if loc else None

    async def save(self, location: Location, fence: int | None = None) -> None:
        self._check(location.location_id, fence)
        steps = self.locations[location.location_id].steps
        saved = copy.deepcopy(location)
        saved.steps = steps
        self.locations[location.location_id] = saved

    async def save_step(
        self, location_id: str, step: Step, record: StepRecord, fence: int | None = None
    ) -> None:
        self._check(location_id, fence)
        self.locations[location_id].steps[step] = copy.deepcopy(record)

    async def reset_steps(self, location_id: str, steps: list[Step]) -> None:
        for step in steps:
            self.locations[location_id].steps.pop(step, None)

    async def list_locations(self, status: SagaStatus | None, limit: int) -> list[Location]:
        return [copy.deepcopy(v) for v in self.locations.values() if status is None or v.status is status][
            :limit
        ]

    async def known(self) -> tuple[list[str], list[str]]:
        return [v.draft.name for v in self.locations.values()], list(self.locations)

    def claim(self, location_id: str) -> Lease:
        self.generations[location_id] = self.generations.get(location_id, 0) + 1
        return Lease(location_id, self.generations[location_id])

    async def claim_runnable(self, owner: str, limit: int, lease_s: float) -> list[Lease]:
        ids = [k for k, v in self.locations.items() if v.status in RUNNABLE and k not in self.held][:limit]
        self.held.update(ids)
        return [self.claim(k) for k in ids]

    async def renew(self, lease: Lease, lease_s: float) -> bool:
        return self.generations.get(lease.location_id) == lease.token

    async def release(self, lease: Lease) -> None:
        if self.generations.get(lease.location_id) == lease.token:
            self.held.discard(lease.location_id)


@dataclass
class FakeGhl:
    """A GHL with programmable failures: ``fail[method] = [exc, exc, ...]`` raised in order."""

    accounts: dict[str, str] = field(default_factory=dict)  # id -> name
    fail: dict[str, list[Exception]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    push_statuses: list[str] = field(default_factory=lambda: ["processing", "completed"])
    installed: bool = True
    workflows: list[str] = field(default_factory=lambda: ["Welcome", "New Lead Nurture"])
    pipelines: list[str] = field(default_factory=lambda: ["Lead Pipeline"])
    custom_values: dict[str, dict[str, str]] = field(default_factory=dict)
    create_applies_before_unknown: bool = True
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def _call(self, name: str) -> None:
        self.calls.append(name)
        queue = self.fail.get(name)
        if queue:
            raise queue.pop(0)

    async def create_sub_account(self, draft: LocationDraft, timezone: str, name: str) -> str:
        new_id = f"ghl{next(self._ids)}"
        try:
            self._call("create")
        except UnknownOutcome:
            if self.create_applies_before_unknown:
                self.accounts[new_id] = name
            raise
        self.accounts[new_id] = name
        return new_id

    async def find_sub_accounts(self, name: str, marker: str) -> SubAccountLookup:
        self._call("find")
        ours = [k for k, v in self.accounts.items() if carries_marker(v, self._marker(k), marker)]
        others = [k for k, v in self.accounts.items() if v == name and k not in ours]
        return SubAccountLookup(ours, others)

    def _marker(self, ghl_id: str) -> str | None:
        return self.custom_values.get(ghl_id, {}).get(MARKER_CUSTOM_VALUE)

    async def carries_marker(self, ghl_location_id: str, marker: str) -> bool | None:
        self._call("carries_marker")
        if ghl_location_id not in self.accounts:
            return None
        return carries_marker(self.accounts[ghl_location_id], self._marker(ghl_location_id), marker)

    async def mark_sub_account(self, ghl_location_id: str, name: str, marker: str) -> None:
        self._call("mark")
        self.custom_values.setdefault(ghl_location_id, {})[MARKER_CUSTOM_VALUE] = marker
        self.accounts[ghl_location_id] = name

    async def reachability_problems(self, ghl_location_id: str) -> list[str]:
        self._call("reachable")
        if ghl_location_id not in self.accounts:
            return [f"GHL sub-account {ghl_location_id} is not reachable with the agency token"]
        return [] if self.installed else [f"no working location token for {ghl_location_id}"]

    async def sub_account_exists(self, ghl_location_id: str) -> bool:
        self._call("exists")
        return ghl_location_id in self.accounts

    async def delete_sub_account(self, ghl_location_id: str) -> None:
        self._call("delete")
        self.accounts.pop(ghl_location_id, None)

    async def load_snapshot(self, ghl_location_id: str, snapshot_id: str, override: bool) -> None:
        self._call("load_snapshot")

    async def snapshot_status(self, ghl_location_id: str, snapshot_id: str) -> str:
        self._call("snapshot_status")
        return self.push_statuses.pop(0) if len(self.push_statuses) > 1 else self.push_statuses[0]

    async def upsert_custom_values(self, ghl_location_id: str, values: Mapping[str, str]) -> dict[str, str]:
        self._call("custom_value")
        self.custom_values.setdefault(ghl_location_id, {}).update(values)
        return {name: f"cv-{name}" for name in values}

    async def app_installed(self, ghl_location_id: str) -> bool:
        self._call("app_installed")
        return self.installed

    async def ensure_manager_user(self, ghl_location_id: str, name: str, email: str) -> str:
        self._call("user")
        return "user-1"

    async def workflow_names(self, ghl_location_id: str) -> list[str]:
        self._call("workflows")
        return list(self.workflows)

    async def pipeline_names(self, ghl_location_id: str) -> list[str]:
        self._call("pipelines")
        return list(self.pipelines)


def unavailable(n: int) -> list[Exception]:
    return [GhlUnavailable("503") for _ in range(n)]


class RecordingEvents:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, Any]] = []

    def kinds(self) -> list[str]:
        return [k for k, _, _ in self.events]

    async def step_completed(self, location: Location, step: Step) -> None:
        self.events.append(("StepCompleted", location.location_id, step.value))

    async def step_failed(
        self, location: Location, step: Step, error: str, attempt: int, will_retry: bool
    ) -> None:
        self.events.append(("StepFailed", location.location_id, (step.value, attempt, will_retry)))

    async def activated(self, location: Location) -> None:
        self.events.append(("LocationActivated", location.location_id, location.ghl_location_id))

    async def quarantined(self, location: Location, reasons: list[str]) -> None:
        self.events.append(("Quarantined", location.location_id, reasons))

    async def failed(self, location: Location, step: Step, reason: str, compensated: list[str]) -> None:
        self.events.append(("OnboardingFailed", location.location_id, (step.value, compensated)))

    async def profile(self, location: Location) -> None:
        self.events.append(("LocationProfile", location.location_id, location.status.value))

    async def tombstone(self, location_id: str) -> None:
        self.events.append(("Tombstone", location_id, None))
