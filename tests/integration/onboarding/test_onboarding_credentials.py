"""The agency token is refused (the simulator's revoked-agency fault, as after a rotation) while a
location is onboarded: the saga is parked, not failed or compensated, whatever the attempt limit;
the gauge shows it; once the token works again the saga resumes by itself and goes live with one
sub-account."""

from __future__ import annotations

import asyncpg
import pytest
from prometheus_client import REGISTRY

from leadflow_common.events.onboarding import OnboardLocation
from leadflow_common.topics import ONBOARDING_EVENTS
from onboarding.handlers import handle_command
from onboarding.main import build_service
from tests.integration.onboarding.support import events_for, onboarding_settings, wait_statuses, wait_until
from tests.integration.onboarding.test_onboarding_failures import draft
from tests.support.ghl import GhlSim
from tests.support.infra import Infra

pytestmark = pytest.mark.integration
CODE, NAME = "FIT-0911", "FitNation Boulder Rotated"


def gauge() -> float | None:
    labels = {"location_id": CODE, "scope": "agency"}
    return REGISTRY.get_sample_value("onboarding_ghl_credentials_blocked", labels)


async def location_row(infra: Infra, schema: str) -> tuple[str, str | None]:
    conn = await asyncpg.connect(infra.admin_db_url)
    try:
        row = await conn.fetchrow(
            f'SELECT status, last_error FROM "{schema}".locations WHERE location_id = $1', CODE
        )
    finally:
        await conn.close()
    return (row["status"], row["last_error"]) if row else ("", None)


async def test_a_refused_agency_token_parks_the_saga_until_it_works_again(
    infra: Infra, schema: str, sim: GhlSim
) -> None:
    since = int(sim.requests()[-1]["seq"]) if sim.requests() else 0
    settings = onboarding_settings(infra, schema, f"unused-{CODE}", step_max_attempts=2)
    service = build_service(settings, sim.settings())
    await service.broker.connect()
    sim.faults(revoked_agency=True)
    try:
        service.scheduler.start()
        await handle_command(service.ctx, OnboardLocation(location=draft(CODE, NAME)), service.scheduler.wake)

        async def parked_past_the_attempt_limit() -> bool:
            refused = [r for r in sim.requests(since) if r["outcome"] == "revoked"]
            status, error = await location_row(infra, schema)
            waiting = status == "running" and (error or "").startswith("waiting for GHL credentials")
            return waiting and len(refused) >= 3  # more refusals than attempts allowed (2)

        await wait_until(parked_past_the_attempt_limit, 20, "the saga parked on the refused agency token")
        assert gauge() == 1.0
        sim.clear_faults()  # the agency token works again
        await wait_statuses(infra, schema, [CODE], {"active"}, timeout_s=25)
    finally:
        sim.clear_faults()
        await service.stop()
    status, error = await location_row(infra, schema)
    assert (status, error) == ("active", None) and gauge() is None
    assert [loc["name"] for loc in sim.state()["locations"]].count(NAME) == 1  # one sub-account
    events = await events_for(infra, ONBOARDING_EVENTS.name, {CODE}, expected=6)
    kinds = [v["event_type"] for _, v in events]
    assert "OnboardingFailed" not in kinds and "StepFailed" not in kinds
