"""How the client classifies refused credentials against the simulator: an uninstalled
sub-account (the exchange answers 400 "not installed") and a refused agency token are
GhlCredentialsUnavailable (waited on), a malformed exchange or an unknown location is not."""

from __future__ import annotations

import pytest

from leadflow_common.ghl import (
    GhlAgencyAuthError,
    GhlClient,
    GhlCredentialsUnavailable,
    GhlNotFound,
    GhlValidationError,
)
from tests.support.ghl import GhlSim

pytestmark = pytest.mark.integration


async def test_uninstalled_sub_account_is_credentials_unavailable_until_reinstalled(
    client: GhlClient, ghl_sim: GhlSim
) -> None:
    loc = await client.create_location(name="Fit uninstall")
    await client.upsert_contact(loc.id, {"email": "a@example.com"})  # a token is cached now
    ghl_sim.admin.post(f"/locations/{loc.id}/uninstall").raise_for_status()
    with pytest.raises(GhlCredentialsUnavailable) as refused:
        await client.upsert_contact(loc.id, {"email": "b@example.com"})
    assert refused.value.location_id == loc.id and refused.value.status == 400
    assert not refused.value.agency
    ghl_sim.admin.post(f"/locations/{loc.id}/install").raise_for_status()
    assert (await client.upsert_contact(loc.id, {"email": "b@example.com"})).id


async def test_a_malformed_exchange_and_an_unknown_location_stay_rejections(client: GhlClient) -> None:
    with pytest.raises(GhlValidationError) as malformed:
        await client.location_token("")  # GHL: 422 "locationId should not be empty"
    assert not isinstance(malformed.value, GhlCredentialsUnavailable)
    with pytest.raises(GhlNotFound):
        await client.location_token("NOSUCHloc00000000000")


async def test_a_refused_agency_token_is_agency_level(client: GhlClient, ghl_sim: GhlSim) -> None:
    loc = await client.create_location(name="Fit agency rotated")
    ghl_sim.faults(revoked_agency=True)
    try:
        with pytest.raises(GhlAgencyAuthError):
            await client.get_location(loc.id)
        with pytest.raises(GhlCredentialsUnavailable) as exchange:
            await client.upsert_contact(loc.id, {"email": "c@example.com"})
        assert exchange.value.agency and exchange.value.location_id == loc.id
    finally:
        ghl_sim.clear_faults()
    assert (await client.get_location(loc.id)).id == loc.id
