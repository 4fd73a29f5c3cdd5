"""Undoing what a failed saga created in GHL, so a retry starts clean and nothing half-built lingers.

Only sub-accounts that carry this saga's marker are deleted: one the saga merely holds an id of
(a mistake, an operator's edit) is left alone and named in the failure reason."""

from __future__ import annotations

from onboarding.domain.errors import StepError
from onboarding.domain.location import Location, StepRecord
from onboarding.domain.saga import STEPS, Step, StepStatus
from onboarding.saga.context import SagaContext
from onboarding.saga.steps import recorded_sub_account

# Steps whose effects live inside the sub-account: deleting it undoes them too.
_INSIDE_SUB_ACCOUNT = (Step.SNAPSHOT, Step.CUSTOM_VALUES, Step.INTEGRATIONS)


async def compensate(ctx: SagaContext, loc: Location) -> tuple[list[str], str | None]:
    """Returns the steps compensated and a note (an error, or what was left alone), if any."""
    marker = loc.saga_marker
    if loc.step(Step.SUB_ACCOUNT) is None or marker is None:
        return [], None
    held = recorded_sub_account(loc)
    deleted: list[str] = []
    left_alone: list[str] = []
    try:
        found = (await ctx.ghl.find_sub_accounts(loc.draft.name, marker)).ours
        for ghl_id in dict.fromkeys([*([held] if held else []), *found]):
            owned = await ctx.ghl.carries_marker(ghl_id, marker)
            if owned is None:
                continue  # already gone
            if not owned:
                left_alone.append(ghl_id)
                continue
            await ctx.ghl.delete_sub_account(ghl_id)
            deleted.append(ghl_id)
    except StepError as exc:
        return [], f"could not delete sub-account {held or 'of this saga'}: {exc}"
    note = f"left sub-account {', '.join(left_alone)} alone: not created by this saga" if left_alone else None
    if not deleted:
        return [], note
    undone: list[str] = []
    for step in reversed(STEPS):
        record = loc.step(step)
        if record is None or (step not in _INSIDE_SUB_ACCOUNT and step is not Step.SUB_ACCOUNT):
            continue
        compensated = StepRecord(
            StepStatus.COMPENSATED, {**record.ghl_ids, "deleted": ",".join(deleted)}, record.attempts
        )
        await ctx.store.save_step(loc.location_id, step, compensated)
        loc.steps[step] = compensated
        undone.append(step.value)
    loc.ghl_location_id = None
    return undone, note
