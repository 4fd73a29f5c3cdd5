"""The real saga runner and command handlers against in-memory ports."""

from __future__ import annotations

from leadflow_common.events.locations import LocationStatus
from leadflow_common.events.onboarding import (
    AdoptLocation,
    LocationDraft,
    OffboardLocation,
    OnboardLocation,
    RetryOnboarding,
    UpdateLocation,
)
from onboarding.domain.errors import RejectedByGhl, UnknownOutcome
from onboarding.domain.location import StepRecord
from onboarding.domain.marker import provisional_name
from onboarding.domain.saga import RetryPolicy, SagaStatus, Step, StepStatus
from onboarding.handlers import handle_command
from onboarding.saga.context import SagaConfig, SagaContext
from onboarding.saga.runner import run_saga
from tests.unit.onboarding.fakes import FakeGhl, FakeStore, RecordingEvents, unavailable

DRAFT = LocationDraft(
    name="FitNation Austin #1",
    address="1 Main St",
    city="Austin",
    state="TX",
    postal_code="78701",
    phone="+15125550100",
    email="a@fitnation.example.com",
    manager_name="Ana Ruiz",
    manager_email="ana@fitnation.example.com",
    daily_capacity=40,
    franchise_code="fit-0001",
)


def make_ctx(ghl: FakeGhl | None = None) -> tuple[SagaContext, FakeStore, FakeGhl, RecordingEvents]:
    store, events = FakeStore(), RecordingEvents()
    ghl = ghl or FakeGhl()
    config = SagaConfig(
        snapshot_id="snap-master",
        retry=RetryPolicy(max_attempts=5, base_s=0.0, cap_s=0.0),
        push_poll_initial_s=0.0,
        push_poll_max_s=0.0,
        push_poll_budget_s=1.0,
    )
    return SagaContext(store, ghl, events, config), store, ghl, events


async def onboard(ctx: SagaContext) -> SagaStatus | None:
    await handle_command(ctx, OnboardLocation(location=DRAFT), lambda: None)
    return await run_saga(ctx, "FIT-0001")


async def test_happy_path_activates_and_publishes_profile() -> None:
    ctx, store, ghl, events = make_ctx()
    assert await onboard(ctx) is SagaStatus.ACTIVE
    loc = store.locations["FIT-0001"]
    assert loc.ghl_location_id == "ghl1" and loc.geocode_method == "zip"
    assert loc.timezone == "America/Chicago"  # from the zip: the CSV gave none
    assert all(r.status is StepStatus.DONE and r.published for r in loc.steps.values())
    assert events.kinds()[-3:] == ["LocationActivated", "LocationProfile", "StepCompleted"]
    assert events.kinds().count("StepCompleted") == 6
    assert ghl.custom_values["ghl1"]["daily_capacity"] == "40"


async def test_redelivered_command_creates_nothing_twice() -> None:
    ctx, _, ghl, _ = make_ctx()
    await onboard(ctx)
    assert await handle_command(ctx, OnboardLocation(location=DRAFT), lambda: None) == "duplicate"
    await run_saga(ctx, "FIT-0001")
    assert ghl.calls.count("create") == 1


async def test_unknown_outcome_looks_up_instead_of_creating_again() -> None:
    ghl = FakeGhl(fail={"create": [UnknownOutcome("connection dropped")]})
    ctx, store, ghl, _ = make_ctx(ghl)
    assert await onboard(ctx) is SagaStatus.ACTIVE
    assert ghl.calls.count("create") == 1 and len(ghl.accounts) == 1
    assert store.locations["FIT-0001"].steps[Step.SUB_ACCOUNT].ghl_ids["found_existing"] is True


async def test_crash_after_create_requested_resumes_without_second_sub_account() -> None:
    ctx, store, ghl, _ = make_ctx()
    await handle_command(ctx, OnboardLocation(location=DRAFT), lambda: None)
    # Simulate: the create went through in GHL, then the process died before recording it.
    marker = store.locations["FIT-0001"].saga_marker or ""
    await ghl.create_sub_account(DRAFT, "America/Chicago", provisional_name(DRAFT.name, marker))
    await store.save_step("FIT-0001", Step.SUB_ACCOUNT, StepRecord(StepStatus.REQUESTED, {"marker": marker}))
    assert await run_saga(ctx, "FIT-0001") is SagaStatus.ACTIVE
    assert ghl.calls.count("create") == 1 and len(ghl.accounts) == 1


async def test_transient_failures_retry_then_succeed() -> None:
    ctx, _, _, events = make_ctx(FakeGhl(fail={"custom_value": unavailable(3)}))
    assert await onboard(ctx) is SagaStatus.ACTIVE
    failed = [p for k, _, p in events.events if k == "StepFailed"]
    assert failed == [("custom_values", 1, True), ("custom_values", 2, True), ("custom_values", 3, True)]


async def test_exhausted_retries_compensate_and_fail_then_retry_resumes() -> None:
    ctx, store, ghl, events = make_ctx(FakeGhl(fail={"load_snapshot": unavailable(5)}))
    assert await onboard(ctx) is SagaStatus.FAILED
    assert ghl.accounts == {}  # the sub-account was deleted
    assert events.events[-1] == ("OnboardingFailed", "FIT-0001", ("snapshot", ["snapshot", "sub_account"]))
    loc = store.locations["FIT-0001"]
    assert loc.failed_step == "snapshot" and loc.steps[Step.LOCATION_RECORD].status is StepStatus.DONE

    assert await handle_command(ctx, RetryOnboarding(location_id="fit-0001"), lambda: None) == "retrying"
    assert await run_saga(ctx, "FIT-0001") is SagaStatus.ACTIVE
    assert len(ghl.accounts) == 1


async def test_rejected_request_fails_at_once() -> None:
    ctx, _, ghl, _ = make_ctx(FakeGhl(fail={"create": [RejectedByGhl("422 bad phone")]}))
    assert await onboard(ctx) is SagaStatus.FAILED
    assert ghl.calls.count("create") == 1


async def test_failed_verification_quarantines_without_profile() -> None:
    ctx, _, _, events = make_ctx(FakeGhl(workflows=["Other"], installed=False))
    assert await onboard(ctx) is SagaStatus.QUARANTINED
    kind, _, reasons = events.events[-2]
    assert kind == "Quarantined"
    assert reasons == ["Welcome workflow missing", "Marketplace app not installed on the location"]
    assert "LocationProfile" not in events.kinds()


async def test_snapshot_push_failure_is_retried_with_override() -> None:
    ghl = FakeGhl(push_statuses=["failed", "completed"])
    ctx, _, ghl, _ = make_ctx(ghl)
    assert await onboard(ctx) is SagaStatus.ACTIVE
    assert ghl.calls.count("load_snapshot") == 2


async def test_adopt_update_pause_and_offboard() -> None:
    ctx, store, ghl, events = make_ctx()
    ghl.accounts["live-1"] = DRAFT.name
    assert (
        await handle_command(ctx, AdoptLocation(location=DRAFT, ghl_location_id="live-1"), lambda: None)
        == "adopted"
    )
    assert await run_saga(ctx, "FIT-0001") is SagaStatus.ACTIVE
    assert ghl.calls == ["reachable"]  # nothing created in GHL, only checked
    assert events.kinds() == ["LocationActivated", "LocationProfile", "StepCompleted"]
    await handle_command(ctx, UpdateLocation(location_id="FIT-0001", daily_capacity=70), lambda: None)
    await handle_command(
        ctx, UpdateLocation(location_id="FIT-0001", status=LocationStatus.PAUSED), lambda: None
    )
    assert store.locations["FIT-0001"].status is SagaStatus.PAUSED
    assert store.locations["FIT-0001"].draft.daily_capacity == 70
    await handle_command(ctx, OffboardLocation(location_id="FIT-0001"), lambda: None)
    assert events.kinds()[-1] == "Tombstone"
    assert store.locations["FIT-0001"].status is SagaStatus.OFFBOARDED
