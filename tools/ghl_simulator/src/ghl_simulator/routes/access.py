"""Token scoping rules shared by the routes: agency-only calls and calls about one location."""

from __future__ import annotations

from ghl_simulator.errors import GhlHttpError
from ghl_simulator.sim import Principal, Sim
from ghl_simulator.state import Json


def require_agency(principal: Principal, company_id: str | None = None) -> None:
    if not principal.is_agency:
        raise GhlHttpError(401, "This route is not yet supported by the Location Access Token")
    if company_id is not None and company_id != principal.company_id:
        raise GhlHttpError(403, "The token does not have access to this company")


def require_location(principal: Principal, location_id: str) -> None:
    if principal.location_id != location_id:
        raise GhlHttpError(403, "The token does not have access to this location")


def existing_location(sim: Sim, location_id: str) -> Json:
    location = sim.world.locations.get(location_id)
    if location is None:
        raise GhlHttpError(400, "Location not found")
    return location
