"""A saga step whose GHL credentials are refused: parked, not failed.

The step is not counted as an attempt and nothing is compensated: the location's saga stays
runnable (RUNNING), its lease is kept until the wait is over so no replica claims it before, and
it tries the same step again by itself; the first success ends the wait. The wait follows the
time already waited (``CredentialsWait``), read from the step's record, so a replica that resumes
a saga another one parked continues the same backoff."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from leadflow_common.logging import get_logger
from onboarding import metrics
from onboarding.domain.errors import CredentialsBlocked
from onboarding.domain.location import Location, StepRecord
from onboarding.domain.saga import (
    CREDENTIALS_WAIT_SINCE,
    WAITING_FOR_CREDENTIALS,
    Step,
    StepStatus,
    waiting_for_credentials,
)
from onboarding.saga.context import SagaContext
from onboarding.saga.fencing import FencedStore

log = get_logger(__name__)

# The gauges this process set: location id -> (scope, parked until). Another replica may resume
# the saga, so a gauge whose park ended more than GAUGE_GRACE_S ago is dropped here
# (``forget_expired``); while still blocked, whoever retried it has set it again by then.
_gauges: dict[str, tuple[str, float]] = {}
GAUGE_GRACE_S = 60.0


async def park(ctx: SagaContext, loc: Location, step: Step, exc: CredentialsBlocked) -> float:
    """Record the wait on the step (same attempts) and the location, and park the saga; the
    seconds it waits."""
    now = time.time()
    current = loc.step(step)
    ids = dict(current.ghl_ids) if current else {}
    since = float(ids.get(CREDENTIALS_WAIT_SINCE, now))
    delay = ctx.config.credentials_wait.delay(now - since)
    ids[CREDENTIALS_WAIT_SINCE] = since
    # REQUESTED stays REQUESTED: whether that GHL call was made is still unknown
    status = current.status if current and current.status is StepStatus.REQUESTED else StepStatus.FAILED
    attempts = current.attempts if current else 0
    record = StepRecord(status, ids, attempts, f"{WAITING_FOR_CREDENTIALS}: {exc}"[:500])
    await ctx.store.save_step(loc.location_id, step, record)
    loc.steps[step] = record
    first = not waiting_for_credentials(loc.last_error)
    started = datetime.fromtimestamp(since, UTC).isoformat(timespec="seconds")
    loc.last_error = f"{WAITING_FOR_CREDENTIALS} ({exc.scope}) since {started}, step {step.value}: {exc}"
    await ctx.store.save(loc)
    previous = _gauges.get(loc.location_id)
    if previous is not None and previous[0] != exc.scope:
        metrics.CREDENTIALS_BLOCKED.remove(loc.location_id, previous[0])
    metrics.CREDENTIALS_BLOCKED.labels(loc.location_id, exc.scope).set(1)
    _gauges[loc.location_id] = (exc.scope, now + delay)
    if isinstance(ctx.store, FencedStore):
        ctx.store.park(delay)
    fields = {
        "location_id": loc.location_id,
        "step": step.value,
        "scope": exc.scope,
        "ghl_location_id": loc.ghl_location_id,
        "waited_s": round(now - since, 1),
        "retry_in_s": round(delay, 1),
        "error": str(exc),
    }
    if first:
        action = "fix the agency token" if exc.agency else "reinstall the app on the sub-account"
        log.error("onboarding_credentials_blocked", action=f"the saga waits: {action}", **fields)
    else:
        log.warning("onboarding_credentials_still_blocked", **fields)
    return delay


async def restored(ctx: SagaContext, loc: Location, step: Step) -> None:
    """A step of a saga that was waiting for credentials succeeded: the wait is over."""
    if waiting_for_credentials(loc.last_error):
        loc.last_error = None
        await ctx.store.save(loc)
    _drop_gauge(loc.location_id)
    log.info("onboarding_credentials_restored", location_id=loc.location_id, step=step.value)


def forget_expired(now: float | None = None) -> None:
    """Drop the gauges of parks that ended long ago (another replica resumed those sagas)."""
    now = time.time() if now is None else now
    for location_id, (_, until) in list(_gauges.items()):
        if now > until + GAUGE_GRACE_S:
            _drop_gauge(location_id)


def _drop_gauge(location_id: str) -> None:
    entry = _gauges.pop(location_id, None)
    if entry is not None:
        metrics.CREDENTIALS_BLOCKED.remove(location_id, entry[0])
