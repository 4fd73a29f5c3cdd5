"""The saga's steps. Each returns the GHL ids to record; each is safe to run again after a crash."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from onboarding.domain.errors import SnapshotPushFailed, SnapshotPushPending, UnknownOutcome
from onboarding.domain.geo import geocode, location_timezone
from onboarding.domain.hours import describe_hours
from onboarding.domain.location import Location, StepRecord
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
    previous = loc.step(Step.SUB_ACCOUNT)
    if previous is not None:
        # An earlier attempt may have created it (crash, timeout): look before creating again.
        found = await ctx.ghl.find_sub_account(loc.draft.name)
        if found is not None:
            return _sub_account_found(loc, found, reused=True)
    requested = StepRecord(StepStatus.REQUESTED, attempts=previous.attempts if previous else 0)
    await ctx.store.save_step(loc.location_id, Step.SUB_ACCOUNT, requested)
    loc.steps[Step.SUB_ACCOUNT] = requested
    try:
        ghl_id = await ctx.ghl.create_sub_account(loc.draft, loc.timezone or ctx.config.default_timezone)
    except UnknownOutcome:
        found = await ctx.ghl.find_sub_account(loc.draft.name)
        if found is None:
            raise
        return _sub_account_found(loc, found, reused=True)
    return _sub_account_found(loc, ghl_id, reused=False)


def _sub_account_found(loc: Location, ghl_id: str, reused: bool) -> StepResult:
    loc.ghl_location_id = ghl_id
    return {"ghl_location_id": ghl_id, "found_existing": reused}


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


async def wait_for_push(ctx: SagaContext, ghl_id: str, snapshot_id: str) -> str:
    """Poll the push status with exponential backoff until it settles or the budget runs out."""
    cfg = ctx.config
    deadline = time.monotonic() + cfg.push_poll_budget_s
    delay = cfg.push_poll_initial_s
    while True:
        status = await ctx.ghl.snapshot_status(ghl_id, snapshot_id)
        if status in ("completed", "failed"):
            return status
        if time.monotonic() + delay > deadline:
            raise SnapshotPushPending(f"snapshot push still {status} after {cfg.push_poll_budget_s:.0f}s")
        await asyncio.sleep(delay)
        delay = min(delay * 2, cfg.push_poll_max_s)


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
    ghl_id = _ghl_id(loc)
    ids = {}
    for name, value in custom_values_for(loc).items():
        ids[name] = await ctx.ghl.upsert_custom_value(ghl_id, name, value)
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
