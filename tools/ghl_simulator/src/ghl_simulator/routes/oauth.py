"""OAuth endpoints: installed locations of the app and agency -> location token exchange."""

from __future__ import annotations

import secrets
import time
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request

from ghl_simulator.errors import GhlHttpError
from ghl_simulator.routes.access import require_agency
from ghl_simulator.sim import Principal, Sim, get_principal, get_sim
from ghl_simulator.state import Json, LocationToken

router = APIRouter()
SimDep = Annotated[Sim, Depends(get_sim)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


@router.get("/oauth/installedLocations")
async def installed_locations(
    sim: SimDep,
    principal: PrincipalDep,
    companyId: str,
    appId: str,
    isInstalled: bool | None = None,
    skip: int = 0,
    limit: int = 500,
) -> Json:
    require_agency(principal, companyId)
    if appId != sim.settings.app_id:
        raise GhlHttpError(400, "App not found")
    rows = [
        {
            "_id": loc["id"],
            "name": loc["name"],
            "address": loc.get("address", ""),
            "isInstalled": loc["id"] in sim.world.installed,
        }
        for loc in sim.world.locations.values()
    ]
    if isInstalled is not None:
        rows = [r for r in rows if r["isInstalled"] == isInstalled]
    return {"locations": rows[skip : skip + limit], "count": len(rows), "installToFutureLocations": True}


@router.post("/oauth/locationToken")
async def location_token(request: Request, sim: SimDep, principal: PrincipalDep) -> Json:
    """Form-encoded like the real endpoint (parsed here so no multipart library is needed)."""
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
    companyId, locationId = form.get("companyId", ""), form.get("locationId", "")
    if not companyId or not locationId:
        raise GhlHttpError(422, ["companyId should not be empty", "locationId should not be empty"])
    require_agency(principal, companyId)
    if locationId not in sim.world.locations:
        raise GhlHttpError(400, "Location not found")
    if locationId not in sim.world.installed:
        raise GhlHttpError(400, "The app is not installed on this location")
    token = "sim-loc-" + secrets.token_urlsafe(24)
    ttl = sim.settings.location_token_ttl_s
    sim.world.tokens[token] = LocationToken(locationId, time.time() + ttl)
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": ttl,
        "scope": "contacts.write contacts.readonly opportunities.write opportunities.readonly",
        "userType": "Location",
        "companyId": companyId,
        "locationId": locationId,
        "traceId": secrets.token_hex(8),
    }
