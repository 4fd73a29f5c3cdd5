"""Nothing destroyed: the saga matches sub-accounts on its marker only, never deletes one it did not
create, and a runner that lost its lease writes nothing more (and drops what it created late)."""

from __future__ import annotations

import pytest

from leadflow_common.events.onboarding import AdoptLocation, LocationDraft, OnboardLocation, RetryOnboarding
from onboarding.domain.errors import LeaseLost, UnknownOutcome
from onboarding.domain.marker import MARKER_CUSTOM_VALUE, provisional_name
from onboarding.domain.saga import SagaStatus, Step, StepStatus
from onboarding.handlers import handle_command
from onboarding.saga.compensation import compensate
from onboarding.saga.fencing import FencedStore
from onboarding.saga.runner import run_saga
from tests.unit.onboarding.fakes import FakeGhl, FakeStore, unavailable
from tests.unit.onboarding.test_saga import DRAFT, make_ctx


async def test_unknown_outcome_never_takes_over_a_same_named_sub_account() -> None:
    # Someone else's live sub-account has the name; our create's outcome is unknown and it did
    # not apply. Matching by name would take the stranger's sub-account (and delete it on failure).
    ghl = FakeGhl(fail={"create": [UnknownOutcome("dropped")]}, create_applies_before_unknown=False)
    ghl.accounts["stranger"] = DRAFT.name
    ctx, store, ghl, _ = make_ctx(ghl)
    await handle_command(ctx, OnboardLocation(location=DRAFT), lambda: None)
    assert await run_saga(ctx, "FIT-0001") is SagaStatus.FAILED
    loc = store.locations["FIT-0001"]
    assert loc.ghl_location_id is None
    assert "stranger" in (loc.last_error or "") and "not created by this saga" in (loc.last_error or "")
    assert ghl.accounts == {"stranger": DRAFT.name}  # untouched, and no look-alike created
    assert "delete" not in ghl.calls


async def test_unknown_outcome_that_applied_is_found_by_its_marker_and_renamed() -> None:
    ghl = FakeGhl(fail={"create": [UnknownOutcome("dropped")]})
    ghl.accounts["stranger"] = "FitNation Austin #1 (old)"
    ctx, store, ghl, _ = make_ctx(ghl)
    await handle_command(ctx, OnboardLocation(location=DRAFT), lambda: None)
    assert await run_saga(ctx, "FIT-0001") is SagaStatus.ACTIVE
    loc = store.locations["FIT-0001"]
    assert loc.ghl_location_id == "ghl1" and ghl.accounts["ghl1"] == DRAFT.name
    assert ghl.custom_values["ghl1"][MARKER_CUSTOM_VALUE] == loc.saga_marker
    assert loc.steps[Step.SUB_ACCOUNT].ghl_ids["found_existing"] is True


async def test_compensation_deletes_only_a_sub_account_carrying_the_marker() -> None:
    ctx, store, ghl, _ = make_ctx(FakeGhl(fail={"load_snapshot": unavailable(5)}))
    await handle_command(ctx, OnboardLocation(location=DRAFT), lambda: None)
    assert await run_saga(ctx, "FIT-0001") is SagaStatus.FAILED
    assert ghl.accounts == {}  # ours, marked: deleted

    # A saga that holds the id of a sub-account it did not create (an operator's edit, a bug).
    ghl.accounts["stranger"] = DRAFT.name
    loc = store.locations["FIT-0001"]
    loc.ghl_location_id = "stranger"
    loc.steps[Step.SUB_ACCOUNT].status = StepStatus.DONE
    compensated, note = await compensate(ctx, loc)
    assert compensated == [] and note is not None and "stranger" in note
    assert ghl.accounts == {"stranger": DRAFT.name}


async def test_a_runner_that_lost_its_lease_writes_nothing_more() -> None:
    ctx, store, _, _ = make_ctx()
    await handle_command(ctx, OnboardLocation(location=DRAFT), lambda: None)
    stale = FencedStore(store, store.claim("FIT-0001"))
    store.claim("FIT-0001")  # another runner claimed the saga after the first one's lease expired
    with pytest.raises(LeaseLost):
        await run_saga(ctx, "FIT-0001", stale)
    assert store.locations["FIT-0001"].status is SagaStatus.PENDING
    assert store.locations["FIT-0001"].steps == {} and store.refused == 1
    assert stale.lost


class TakenDuringCreate(FakeGhl):
    """The create outlasts the lease: another runner claims the saga while it is in flight."""

    store: FakeStore | None = None

    async def create_sub_account(self, draft: LocationDraft, timezone: str, name: str) -> str:
        assert self.store is not None
        self.store.claim("FIT-0001")
        return await super().create_sub_account(draft, timezone, name)


async def test_a_stale_create_is_deleted_by_the_runner_that_made_it() -> None:
    ctx, store, _, _ = make_ctx(TakenDuringCreate())
    slow = ctx.ghl
    assert isinstance(slow, TakenDuringCreate)
    slow.store = store
    await handle_command(ctx, OnboardLocation(location=DRAFT), lambda: None)
    with pytest.raises(LeaseLost):
        await run_saga(ctx, "FIT-0001", FencedStore(store, store.claim("FIT-0001")))
    assert slow.calls.count("create") == 1 and slow.accounts == {}  # created, then deleted by its maker


async def test_adopted_location_is_verified_quarantined_and_retried_after_a_fix() -> None:
    ghl = FakeGhl(installed=False)
    ghl.accounts["live-1"] = DRAFT.name
    ctx, store, ghl, events = make_ctx(ghl)
    await handle_command(ctx, AdoptLocation(location=DRAFT, ghl_location_id="live-1"), lambda: None)
    assert await run_saga(ctx, "FIT-0001") is SagaStatus.QUARANTINED
    assert "location token" in (store.locations["FIT-0001"].last_error or "")
    assert "LocationActivated" not in events.kinds() and "LocationProfile" not in events.kinds()

    ghl.installed = True  # the operator installs the app on the sub-account
    assert await handle_command(ctx, RetryOnboarding(location_id="FIT-0001"), lambda: None) == "retrying"
    assert await run_saga(ctx, "FIT-0001") is SagaStatus.ACTIVE
    assert events.kinds()[-3:] == ["LocationActivated", "LocationProfile", "StepCompleted"]


async def test_adopting_a_missing_sub_account_quarantines() -> None:
    ctx, store, _, _ = make_ctx()
    await handle_command(ctx, AdoptLocation(location=DRAFT, ghl_location_id="typo-1"), lambda: None)
    assert await run_saga(ctx, "FIT-0001") is SagaStatus.QUARANTINED
    assert "typo-1" in (store.locations["FIT-0001"].last_error or "")


def test_provisional_name_carries_the_marker() -> None:
    assert provisional_name("Gym", "lf-FIT-0001-abc") == "Gym [lf-FIT-0001-abc]"
