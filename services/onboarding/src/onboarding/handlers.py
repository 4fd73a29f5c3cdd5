"""Command handlers: each turns one onboarding command into recorded state (and events)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from leadflow_common.events.envelope import EventPayload
from leadflow_common.events.locations import LocationStatus
from leadflow_common.events.onboarding import (
    AdoptLocation,
    OffboardLocation,
    OnboardLocation,
    RetryOnboarding,
    UpdateLocation,
)
from leadflow_common.logging import get_logger
from onboarding import metrics
from onboarding.domain.geo import geocode, location_timezone
from onboarding.domain.location import Location, StepRecord, location_key
from onboarding.domain.marker import new_marker
from onboarding.domain.saga import SagaStatus, Step, StepStatus
from onboarding.saga.context import SagaContext

log = get_logger(__name__)
Wake = Callable[[], None]


async def onboard(ctx: SagaContext, cmd: OnboardLocation, wake: Wake) -> str:
    """Record the saga as pending (once: a redelivered command changes nothing) and wake a runner."""
    key = location_key(cmd.location.franchise_code)
    loc = Location(key, cmd.location, saga_marker=new_marker(key))
    created = await ctx.store.create(loc)
    wake()
    return "accepted" if created else "duplicate"


async def adopt(ctx: SagaContext, cmd: AdoptLocation, wake: Wake) -> str:
    """Register a live sub-account; a runner verifies it exists and is reachable (agency token,
    location token) before it goes live, and quarantines it with the reason otherwise. Nothing is
    created in GHL."""
    draft = cmd.location
    point = geocode(draft.postal_code, draft.state)
    loc = Location(
        location_key(draft.franchise_code),
        draft,
        status=SagaStatus.PENDING,
        adopted=True,
        ghl_location_id=cmd.ghl_location_id,
        lat=point.lat,
        lon=point.lon,
        geocode_method=point.method,
        timezone=location_timezone(draft.timezone, point, draft.state, ctx.config.default_timezone),
    )
    if not await ctx.store.create(loc):
        wake()  # a redelivery: the runner finishes whatever the first delivery started
        return "duplicate"
    await ctx.store.save_step(
        loc.location_id, Step.LOCATION_RECORD, StepRecord(StepStatus.DONE, {"adopted": True}, 1, None, True)
    )
    wake()
    return "adopted"


_PAUSABLE = {SagaStatus.ACTIVE, SagaStatus.PAUSED}


async def update(ctx: SagaContext, cmd: UpdateLocation, wake: Wake) -> str:
    loc = await ctx.store.get(location_key(cmd.location_id))
    if loc is None or loc.status is SagaStatus.OFFBOARDED:
        return "unknown_location"
    changes: dict[str, object] = {}
    if cmd.daily_capacity is not None:
        changes["daily_capacity"] = cmd.daily_capacity
    if cmd.business_hours is not None:
        changes["business_hours"] = cmd.business_hours
    if changes:
        loc.draft = loc.draft.model_copy(update=changes)
    if cmd.status is LocationStatus.PAUSED and loc.status in _PAUSABLE:
        loc.status = SagaStatus.PAUSED
    elif cmd.status is LocationStatus.ACTIVE and loc.status in _PAUSABLE:
        loc.status = SagaStatus.ACTIVE
    await ctx.store.save(loc)
    if loc.status in _PAUSABLE:
        await ctx.events.profile(loc)
    return "updated"


_RETRYABLE = {SagaStatus.FAILED, SagaStatus.QUARANTINED}


async def retry(ctx: SagaContext, cmd: RetryOnboarding, wake: Wake) -> str:
    """Restart a failed saga from its first step not done (compensated steps run again), or
    verify a quarantined location again (after the operator fixed it in GHL)."""
    loc = await ctx.store.get(location_key(cmd.location_id))
    if loc is None or loc.status not in _RETRYABLE:
        return "not_retryable"
    redo = [Step.VERIFY] if loc.status is SagaStatus.QUARANTINED else []
    await ctx.store.reset_steps(loc.location_id, [s for s in Step if s not in loc.done_steps() or s in redo])
    loc.status = SagaStatus.PENDING
    loc.failed_step = None
    loc.last_error = None
    await ctx.store.save(loc)
    wake()
    return "retrying"


async def offboard(ctx: SagaContext, cmd: OffboardLocation, wake: Wake) -> str:
    """Out of routing: a tombstone on locations.v1. The GHL sub-account is left alone."""
    loc = await ctx.store.get(location_key(cmd.location_id))
    if loc is None:
        return "unknown_location"
    loc.status = SagaStatus.OFFBOARDED
    loc.last_error = cmd.reason
    await ctx.store.save(loc)
    await ctx.events.tombstone(loc.location_id)
    return "offboarded"


Handler = Callable[[SagaContext, EventPayload, Wake], Awaitable[str]]
HANDLERS: dict[type[EventPayload], Handler] = {
    OnboardLocation: onboard,  # type: ignore[dict-item]
    AdoptLocation: adopt,  # type: ignore[dict-item]
    UpdateLocation: update,  # type: ignore[dict-item]
    RetryOnboarding: retry,  # type: ignore[dict-item]
    OffboardLocation: offboard,  # type: ignore[dict-item]
}


async def handle_command(ctx: SagaContext, command: EventPayload, wake: Wake) -> str:
    """Dispatch one command; unknown payload types are a no-op."""
    handler = HANDLERS.get(type(command))
    if handler is None:
        log.info("command_ignored", event_type=command.EVENT_TYPE)
        return "ignored"
    outcome = await handler(ctx, command, wake)
    metrics.COMMANDS.labels(command.EVENT_TYPE, outcome).inc()
    log.info("command_handled", event_type=command.EVENT_TYPE, outcome=outcome)
    return outcome
