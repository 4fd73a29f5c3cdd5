"""The last step: check the sub-account is complete (or, adopted, reachable), then go live or
quarantine with the reasons."""

from __future__ import annotations

from onboarding.domain.location import Location
from onboarding.domain.saga import SagaStatus, Step, VerificationFacts, verification_problems
from onboarding.saga.context import SagaContext


async def gather_facts(ctx: SagaContext, loc: Location) -> VerificationFacts:
    ghl_id = loc.ghl_location_id
    if ghl_id is None or not await ctx.ghl.sub_account_exists(ghl_id):
        return VerificationFacts(sub_account_exists=False, snapshot_status="unknown")
    return VerificationFacts(
        sub_account_exists=True,
        snapshot_status=await ctx.ghl.snapshot_status(ghl_id, ctx.config.snapshot_id),
        workflows=await ctx.ghl.workflow_names(ghl_id),
        app_installed=await ctx.ghl.app_installed(ghl_id),
        pipelines=await ctx.ghl.pipeline_names(ghl_id),
    )


async def sweep_duplicates(ctx: SagaContext, loc: Location) -> list[str]:
    """A create whose outcome was unknown, or a stale runner's create, may have landed after the
    sub-account step chose its sub-account: delete every other one carrying this saga's marker.
    Only when the step was resumed (a clean first create cannot have left one)."""
    record = loc.step(Step.SUB_ACCOUNT)
    if loc.saga_marker is None or record is None or not record.ghl_ids.get("resumed"):
        return []
    ours = (await ctx.ghl.find_sub_accounts(loc.draft.name, loc.saga_marker)).ours
    extras = [ghl_id for ghl_id in ours if ghl_id != loc.ghl_location_id]
    for ghl_id in extras:
        await ctx.ghl.delete_sub_account(ghl_id)
    return extras


async def verify_and_finish(ctx: SagaContext, loc: Location) -> list[str]:
    """Publish first, then record the final status: a crash in between re-verifies and
    re-publishes (consumers dedupe LocationActivated by its deterministic event id)."""
    await sweep_duplicates(ctx, loc)
    return await _finish(ctx, loc, verification_problems(await gather_facts(ctx, loc)))


async def verify_adoption(ctx: SagaContext, loc: Location) -> list[str]:
    """An adopted sub-account goes live only when the agency sees it and its location token works."""
    if loc.ghl_location_id is None:
        return await _finish(ctx, loc, ["no GHL Location Id given"])
    return await _finish(ctx, loc, await ctx.ghl.reachability_problems(loc.ghl_location_id))


async def _finish(ctx: SagaContext, loc: Location, problems: list[str]) -> list[str]:
    if problems:
        loc.status = SagaStatus.QUARANTINED
        loc.last_error = "; ".join(problems)
        await ctx.events.quarantined(loc, problems)
    else:
        loc.status = SagaStatus.ACTIVE
        loc.last_error = None
        await ctx.events.activated(loc)
        await ctx.events.profile(loc)
    await ctx.store.save(loc)
    return problems
