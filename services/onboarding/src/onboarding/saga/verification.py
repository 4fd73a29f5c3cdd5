"""The last step: check the sub-account is complete, then go live or quarantine."""

from __future__ import annotations

from onboarding.domain.location import Location
from onboarding.domain.saga import SagaStatus, VerificationFacts, verification_problems
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


async def verify_and_finish(ctx: SagaContext, loc: Location) -> list[str]:
    """Publish first, then record the final status: a crash in between re-verifies and
    re-publishes (consumers dedupe LocationActivated by its deterministic event id)."""
    problems = verification_problems(await gather_facts(ctx, loc))
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
