"""The saga's steps. Each returns the GHL ids to record; each is safe to run again after a crash."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_result,
    stop_before_delay,
    wait_exponential,
)

from onboarding.domain.errors import (
    LeaseLost,
    NameTaken,
    SnapshotPushFailed,
    SnapshotPushPending,
    StepError,
    UnknownOutcome,
)
from onboarding.domain.geo import geocode, location_timezone
from onboarding.domain.hours import describe_hours
from onboarding.domain.location import Location, StepRecord
from onboarding.domain.marker import new_marker, provisional_name
from onboarding.domain.saga import Step, StepStatus
from onboarding.saga.context import SagaContext

StepResult = dict[str, Any]
StepFunction = Callable[[SagaContext, Location], Awaitable[StepResult]]


async def location_record(ctx: SagaContext, loc: Location) -> StepResult:
    draft = loc.draft
    point = geocode(draft.postal_code, draft.state)
    loc.lat, loc.lon, loc.geocode_method = point.lat, point.lon, point.method
    loc.timezone = location_timezone(draft.timezone, point, draft.state, ctx.config.default_timezone)
    await ctx.store.save(loc)
    return {"geocode_method": point.method, "timezone": loc.timezone}


async def sub_account(ctx: SagaContext, loc: Location) -> StepResult:
    """Find this saga's sub-account by its marker, else create one (never adopt one by name).

    The first attempt creates straight away (the CSV import checked the name against GHL). A
    resumed or retried one looks first; a live sub-account with the same name that does not carry
    the marker is someone else's: the step fails (NameTaken) rather than take it over or create a
    look-alike next to it."""
    marker = await _marker(ctx, loc)
    previous = loc.step(Step.SUB_ACCOUNT)
    resumed = previous is not None  # an earlier attempt or runner may have created one already
    if resumed:
        lookup = await ctx.ghl.find_sub_accounts(loc.draft.name, marker)
        if lookup.ours:
            kept = await _keep_one(ctx, loc, lookup.ours)
            return await _record_sub_account(ctx, loc, kept, created=False, resumed=True)
        if lookup.others:
            raise NameTaken(
                f"GHL sub-account(s) {', '.join(lookup.others)} already named {loc.draft.name!r} "
                "were not created by this saga; rename it (or adopt it) and retry"
            )
    requested = StepRecord(
        StepStatus.REQUESTED, {"marker": marker}, attempts=previous.attempts if previous else 0
    )
    await ctx.store.save_step(loc.location_id, Step.SUB_ACCOUNT, requested)
    loc.steps[Step.SUB_ACCOUNT] = requested
    timezone = loc.timezone or ctx.config.default_timezone
    try:
        ghl_id = await ctx.ghl.create_sub_account(
            loc.draft, timezone, provisional_name(loc.draft.name, marker)
        )
    except UnknownOutcome:
        # The marker is in the name GHL stored, so what this request created is recognisable.
        found = (await ctx.ghl.find_sub_accounts(loc.draft.name, marker)).ours
        if not found:
            raise
        return await _record_sub_account(ctx, loc, await _keep_one(ctx, loc, found), False, resumed)
    return await _record_sub_account(ctx, loc, ghl_id, True, resumed)


async def _marker(ctx: SagaContext, loc: Location) -> str:
    if loc.saga_marker is None:  # a saga recorded before markers existed
        loc.saga_marker = new_marker(loc.location_id)
        await ctx.store.save(loc)
    return loc.saga_marker


async def _keep_one(ctx: SagaContext, loc: Location, ours: list[str]) -> str:
    """Several sub-accounts with this saga's marker (a stale runner's create landed too): keep the
    recorded one (else the first) and delete the others, which are provably this saga's."""
    recorded = recorded_sub_account(loc)
    keep = recorded if recorded in ours else ours[0]
    for extra in ours:
        if extra != keep:
            await ctx.ghl.delete_sub_account(extra)
    return keep


async def _record_sub_account(
    ctx: SagaContext, loc: Location, ghl_id: str, created: bool, resumed: bool
) -> StepResult:
    marker = loc.saga_marker or ""
    held = StepRecord(
        StepStatus.REQUESTED,
        {"marker": marker, "ghl_location_id": ghl_id},
        attempts=(loc.steps[Step.SUB_ACCOUNT].attempts if Step.SUB_ACCOUNT in loc.steps else 0),
    )
    try:
        await ctx.store.save_step(loc.location_id, Step.SUB_ACCOUNT, held)
    except LeaseLost:
        if created:
            await _drop_unrecorded(ctx, loc, ghl_id)
        raise
    loc.steps[Step.SUB_ACCOUNT] = held
    loc.ghl_location_id = ghl_id
    await ctx.ghl.mark_sub_account(ghl_id, loc.draft.name, marker)
    return {"ghl_location_id": ghl_id, "found_existing": not created, "marker": marker, "resumed": resumed}


def recorded_sub_account(loc: Location) -> str | None:
    """The sub-account the saga holds: on the location once the step is done, before that in the
    step's record (between the create's answer and the step's completion)."""
    if loc.ghl_location_id is not None:
        return loc.ghl_location_id
    record = loc.step(Step.SUB_ACCOUNT)
    found = record.ghl_ids.get("ghl_location_id") if record else None
    return found if isinstance(found, str) else None


async def _drop_unrecorded(ctx: SagaContext, loc: Location, ghl_id: str) -> None:
    """This runner lost its lease while creating: unless the new holder already recorded the
    sub-account this request made, it is a duplicate nobody will track, so delete it now."""
    current = await ctx.store.get(loc.location_id)
    if current is not None and recorded_sub_account(current) == ghl_id:
        return
    with contextlib.suppress(StepError):  # the new holder's verify step sweeps what is left
        await ctx.ghl.delete_sub_account(ghl_id)


def _ghl_id(loc: Location) -> str:
    if loc.ghl_location_id is None:
        raise RuntimeError(f"{loc.location_id}: no sub-account recorded before a GHL step")
    return loc.ghl_location_id


async def snapshot(ctx: SagaContext, loc: Location) -> StepResult:
    ghl_id, snapshot_id = _ghl_id(loc), ctx.config.snapshot_id
    previous = loc.step(Step.SNAPSHOT)
    already_loaded = previous is not None and previous.ghl_ids.get("load_requested")
    last_failed = previous is not None and previous.ghl_ids.get("push_status") == "failed"
    if not already_loaded or last_failed:
        await ctx.ghl.load_snapshot(ghl_id, snapshot_id, override=bool(last_failed))
        record = StepRecord(
            StepStatus.REQUESTED,
            {"snapshot_id": snapshot_id, "load_requested": True},
            attempts=previous.attempts if previous else 0,
        )
        await ctx.store.save_step(loc.location_id, Step.SNAPSHOT, record)
        loc.steps[Step.SNAPSHOT] = record
    status = await wait_for_push(ctx, ghl_id, snapshot_id)
    if status == "failed":
        loc.steps[Step.SNAPSHOT].ghl_ids["push_status"] = "failed"
        await ctx.store.save_step(loc.location_id, Step.SNAPSHOT, loc.steps[Step.SNAPSHOT])
        raise SnapshotPushFailed(f"snapshot {snapshot_id} push failed")
    return {"snapshot_id": snapshot_id, "load_requested": True, "push_status": status}


_SETTLED = frozenset({"completed", "failed"})


async def wait_for_push(ctx: SagaContext, ghl_id: str, snapshot_id: str) -> str:
    """Poll the push status with exponential backoff until it settles or the budget runs out."""
    cfg = ctx.config

    def still_pending(state: RetryCallState) -> NoReturn:
        status = state.outcome.result() if state.outcome else "unknown"
        raise SnapshotPushPending(f"snapshot push still {status} after {cfg.push_poll_budget_s:.0f}s")

    # stop_before_delay: never sleep past the budget (give up instead of oversleeping it);
    # wait_exponential doubles from push_poll_initial_s up to push_poll_max_s, without jitter.
    poll = AsyncRetrying(
        retry=retry_if_result(lambda status: status not in _SETTLED),
        stop=stop_before_delay(cfg.push_poll_budget_s),
        wait=wait_exponential(multiplier=cfg.push_poll_initial_s, max=cfg.push_poll_max_s),
        sleep=asyncio.sleep,
        retry_error_callback=still_pending,
    )
    status: str = await poll(ctx.ghl.snapshot_status, ghl_id, snapshot_id)
    return status


def custom_values_for(loc: Location) -> dict[str, str]:
    """The custom values the snapshot's automations and templates read."""
    d = loc.draft
    return {
        "location_name": d.name,
        "location_phone": d.phone,
        "location_address": f"{d.address}, {d.city}, {d.state} {d.postal_code}",
        "manager_name": d.manager_name,
        "manager_email": d.manager_email,
        "business_hours": describe_hours(d.business_hours),
        "daily_capacity": str(d.daily_capacity),
    }


async def custom_values(ctx: SagaContext, loc: Location) -> StepResult:
    # one list of the location's values, then every update or create at once
    ids = await ctx.ghl.upsert_custom_values(_ghl_id(loc), custom_values_for(loc))
    return {"custom_values": ids}


async def integrations(ctx: SagaContext, loc: Location) -> StepResult:
    ghl_id = _ghl_id(loc)
    installed = await ctx.ghl.app_installed(ghl_id)
    user_id = await ctx.ghl.ensure_manager_user(ghl_id, loc.draft.manager_name, loc.draft.manager_email)
    return {"app_installed": installed, "manager_user_id": user_id}


STEP_FUNCTIONS: dict[Step, StepFunction] = {
    Step.LOCATION_RECORD: location_record,
    Step.SUB_ACCOUNT: sub_account,
    Step.SNAPSHOT: snapshot,
    Step.CUSTOM_VALUES: custom_values,
    Step.INTEGRATIONS: integrations,
}
