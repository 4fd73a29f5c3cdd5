"""Refused GHL credentials during the saga: the step is parked, not counted, not compensated,
and resumes by itself; adoption still quarantines a CSV-given id its own credentials refuse."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Any

import pytest
from prometheus_client import REGISTRY

from leadflow_common.events.onboarding import AdoptLocation, OnboardLocation
from leadflow_common.ghl import GhlAgencyAuthError, GhlAuthError, GhlCredentialsUnavailable, GhlNotFound
from onboarding.adapters.ghl import GhlAdapter
from onboarding.domain.errors import CredentialsBlocked, GhlUnavailable
from onboarding.domain.location import Location
from onboarding.domain.saga import (
    CREDENTIALS_WAIT_SINCE,
    CredentialsWait,
    Lease,
    SagaStatus,
    Step,
    StepStatus,
    waiting_for_credentials,
)
from onboarding.handlers import handle_command
from onboarding.saga import blocking
from onboarding.saga.fencing import FencedStore
from onboarding.saga.runner import run_saga
from onboarding.saga.scheduler import SagaScheduler
from tests.unit.onboarding.fakes import FakeGhl, FakeStore
from tests.unit.onboarding.test_saga import DRAFT, make_ctx, onboard


def gauge(location_id: str, scope: str) -> float | None:
    return REGISTRY.get_sample_value(
        "onboarding_ghl_credentials_blocked", {"location_id": location_id, "scope": scope}
    )


def refused(n: int, agency: bool = True) -> list[Exception]:
    return [CredentialsBlocked("GhlAgencyAuthError: 401 Invalid JWT", agency=agency) for _ in range(n)]


def test_the_wait_doubles_from_the_first_and_is_capped() -> None:
    wait = CredentialsWait(first_s=2.0, cap_s=300.0)
    assert 1.6 <= wait.delay(0.0) <= 2.0
    assert 8.0 <= wait.delay(10.0) <= 10.0  # as long as it has waited so far
    assert 240.0 <= wait.delay(3600.0) <= 300.0


async def test_a_refused_step_is_parked_without_burning_attempts_and_resumes() -> None:
    ctx, store, ghl, events = make_ctx()
    ghl.fail["custom_value"] = refused(12)  # more than max_attempts (5) runs in a row
    assert await onboard(ctx) is SagaStatus.RUNNING
    for _ in range(11):  # what the scheduler does each time the park is over
        assert await run_saga(ctx, "FIT-0001") is SagaStatus.RUNNING
    loc = store.locations["FIT-0001"]
    record = loc.steps[Step.CUSTOM_VALUES]
    assert record.attempts == 0 and record.status is StepStatus.FAILED
    assert CREDENTIALS_WAIT_SINCE in record.ghl_ids and "waiting for GHL credentials" in (record.error or "")
    assert waiting_for_credentials(loc.last_error) and "(agency)" in (loc.last_error or "")
    assert "delete" not in ghl.calls and "ghl1" in ghl.accounts  # nothing compensated
    assert "OnboardingFailed" not in events.kinds() and "StepFailed" not in events.kinds()
    assert gauge("FIT-0001", "agency") == 1.0
    assert await run_saga(ctx, "FIT-0001") is SagaStatus.ACTIVE  # the credentials work again
    loc = store.locations["FIT-0001"]
    assert loc.steps[Step.CUSTOM_VALUES].attempts == 1 and loc.last_error is None
    assert gauge("FIT-0001", "agency") is None


async def test_a_real_failure_after_a_wait_still_counts_only_its_own_attempts() -> None:
    ctx, store, ghl, _ = make_ctx()
    ghl.fail["load_snapshot"] = [*refused(2, agency=False), GhlUnavailable("503")]
    assert await onboard(ctx) is SagaStatus.RUNNING
    assert await run_saga(ctx, "FIT-0001") is SagaStatus.RUNNING
    assert gauge("FIT-0001", "location") == 1.0
    assert await run_saga(ctx, "FIT-0001") is SagaStatus.ACTIVE  # one retryable failure, then done
    assert store.locations["FIT-0001"].steps[Step.SNAPSHOT].attempts == 2


async def test_the_park_keeps_the_lease_for_the_wait_which_grows_with_the_time_waited() -> None:
    ctx, store, ghl, _ = make_ctx()
    ctx = replace(ctx, config=replace(ctx.config, credentials_wait=CredentialsWait(2.0, 300.0)))
    ghl.fail["custom_value"] = refused(2)
    await handle_command(ctx, OnboardLocation(location=DRAFT), lambda: None)
    fenced = FencedStore(store, store.claim("FIT-0001"))
    assert await run_saga(ctx, "FIT-0001", fenced) is SagaStatus.RUNNING
    assert fenced.parked_s is not None and 1.6 <= fenced.parked_s <= 2.0
    record = store.locations["FIT-0001"].steps[Step.CUSTOM_VALUES]
    record.ghl_ids[CREDENTIALS_WAIT_SINCE] = time.time() - 60  # blocked for a minute by now
    fenced = FencedStore(store, store.claim("FIT-0001"))
    assert await run_saga(ctx, "FIT-0001", fenced) is SagaStatus.RUNNING
    assert fenced.parked_s is not None and 48.0 <= fenced.parked_s <= 61.0


def test_a_gauge_left_by_a_park_another_replica_resumed_is_dropped() -> None:
    blocking._gauges["FIT-0999"] = ("agency", time.time() - 2 * blocking.GAUGE_GRACE_S)
    blocking.metrics.CREDENTIALS_BLOCKED.labels("FIT-0999", "agency").set(1)
    blocking.forget_expired()
    assert gauge("FIT-0999", "agency") is None


async def test_adoption_waits_when_the_agency_token_is_refused() -> None:
    ctx, _, ghl, _ = make_ctx()
    ghl.accounts["live-1"] = DRAFT.name
    ghl.fail["reachable"] = refused(1)
    await handle_command(ctx, AdoptLocation(location=DRAFT, ghl_location_id="live-1"), lambda: None)
    assert await run_saga(ctx, "FIT-0001") is SagaStatus.RUNNING  # not quarantined
    assert await run_saga(ctx, "FIT-0001") is SagaStatus.ACTIVE


async def test_adoption_still_quarantines_an_id_whose_app_is_not_installed() -> None:
    ctx, _, ghl, _ = make_ctx(FakeGhl(installed=False))
    ghl.accounts["live-1"] = DRAFT.name
    await handle_command(ctx, AdoptLocation(location=DRAFT, ghl_location_id="live-1"), lambda: None)
    assert await run_saga(ctx, "FIT-0001") is SagaStatus.QUARANTINED


class _Client:
    """The two calls reachability_problems makes, each failing as told."""

    def __init__(self, by_agency: Exception | None, by_location: Exception | None) -> None:
        self._agency, self._location = by_agency, by_location

    async def get_location(self, location_id: str) -> Any:
        if self._agency:
            raise self._agency
        return None

    async def get_location_with_its_token(self, location_id: str) -> Any:
        if self._location:
            raise self._location
        return None


def adapter(by_agency: Exception | None = None, by_location: Exception | None = None) -> GhlAdapter:
    return GhlAdapter(_Client(by_agency, by_location))  # type: ignore[arg-type]


NOT_INSTALLED = GhlCredentialsUnavailable(
    "oauth.location_token: 400 The app is not installed on this location", "live-1", 400
)
AGENCY_EXCHANGE = GhlCredentialsUnavailable(
    "oauth.location_token: 401 Invalid JWT", "live-1", 401, agency=True
)


async def test_adapter_a_sub_accounts_own_refusal_is_a_problem_of_the_given_id() -> None:
    assert "installed" in (await adapter(by_location=NOT_INSTALLED).reachability_problems("live-1"))[0]
    # a 403 on one location's resource (another agency's id) is not agency-level
    forbidden = GhlAuthError("locations.get: 403 no access to this location", 403)
    assert (await adapter(by_agency=forbidden).reachability_problems("live-1"))[0].startswith(
        "GHL sub-account"
    )
    assert await adapter(by_agency=GhlNotFound("400 Location not found", 400)).reachability_problems("x")


@pytest.mark.parametrize(
    "failure",
    [
        {"by_agency": GhlAgencyAuthError("locations.get: 401 Invalid JWT", 401)},
        {"by_location": AGENCY_EXCHANGE},
    ],
)
async def test_adapter_an_agency_refusal_blocks_instead(failure: dict[str, Exception]) -> None:
    with pytest.raises(CredentialsBlocked) as blocked:
        await adapter(**failure).reachability_problems("live-1")
    assert blocked.value.agency


class _LeaseSpy(FakeStore):
    def __init__(self) -> None:
        super().__init__()
        self.renewals: list[float] = []
        self.releases = 0

    async def renew(self, lease: Lease, lease_s: float) -> bool:
        self.renewals.append(lease_s)
        return await super().renew(lease, lease_s)

    async def release(self, lease: Lease) -> None:
        self.releases += 1
        await super().release(lease)


async def test_the_scheduler_keeps_a_parked_sagas_lease_for_the_wait_instead_of_releasing_it() -> None:
    ctx, _, ghl, _ = make_ctx()
    store = _LeaseSpy()
    ctx = replace(ctx, store=store, config=replace(ctx.config, credentials_wait=CredentialsWait(40.0, 60.0)))
    ghl.fail["custom_value"] = refused(1)
    await store.create(Location("FIT-0001", DRAFT))
    scheduler = SagaScheduler(ctx, concurrency=1, lease_s=30, poll_s=0.01)
    scheduler.start()
    try:
        for _ in range(500):
            if store.renewals and not scheduler.running:
                break
            await asyncio.sleep(0.01)
    finally:
        await scheduler.stop()
    assert store.releases == 0 and len(store.renewals) == 1 and 32.0 <= store.renewals[0] <= 40.0
    assert store.locations["FIT-0001"].status is SagaStatus.RUNNING  # parked, still runnable
