"""Undoing what a failed saga created in GHL, so a retry starts clean and nothing half-built lingers."""

from __future__ import annotations

from onboarding.domain.errors import StepError
from onboarding.domain.location import Location, StepRecord
from onboarding.domain.saga import STEPS, Step, StepStatus
from onboarding.saga.context import SagaContext

# Steps whose effects live inside the sub-account: deleting it undoes them too.
_INSIDE_SUB_ACCOUNT = (Step.SNAPSHOT, Step.CUSTOM_VALUES, Step.INTEGRATIONS)


async def compensate(ctx: SagaContext, loc: Location) -> tuple[list[str], str | None]:
    """Returns the steps compensated and the compensation error, if any."""
    ghl_id = loc.ghl_location_id
    sub = loc.step(Step.SUB_ACCOUNT)
    if ghl_id is None and sub is not None:
        try:
            ghl_id = await ctx.ghl.find_sub_account(loc.draft.name)
        except StepError as exc:
            return [], f"could not look the sub-account up: {exc}"
    if ghl_id is None:
        return [], None
    try:
        await ctx.ghl.delete_sub_account(ghl_id)
    except StepError as exc:
        return [], f"could not delete sub-account {ghl_id}: {exc}"
    undone: list[str] = []
    for step in reversed(STEPS):
        record = loc.step(step)
        if record is None or (step not in _INSIDE_SUB_ACCOUNT and step is not Step.SUB_ACCOUNT):
            continue
        compensated = StepRecord(
            StepStatus.COMPENSATED, {**record.ghl_ids, "deleted": ghl_id}, record.attempts
        )
        await ctx.store.save_step(loc.location_id, step, compensated)
        loc.steps[step] = compensated
        undone.append(step.value)
    loc.ghl_location_id = None
    return undone, None
