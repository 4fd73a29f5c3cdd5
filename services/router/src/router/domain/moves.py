"""Why a person's reassignment is refused (typed; the API maps each to its status code)."""

from __future__ import annotations

AUTO = "auto"  # reassign target: run the routing decision again instead of naming a location


class MoveRefused(Exception):
    """A reassignment that cannot be done; ``field`` names the input it is about."""

    status_code = 409
    field = "location_id"


class LeadNotFound(MoveRefused):
    status_code = 404
    field = "lead_id"

    def __init__(self, lead_id: str) -> None:
        super().__init__(f"lead not found: no decision for {lead_id}")


class LocationNotFound(MoveRefused):
    status_code = 404

    def __init__(self, location_id: str) -> None:
        super().__init__(f"location not found: {location_id}")


class AlreadyAssignedThere(MoveRefused):
    def __init__(self, location_id: str) -> None:
        super().__init__(f"already assigned there: the lead is at {location_id}")


class LocationUnavailable(MoveRefused):
    def __init__(self, location_id: str, status: str) -> None:
        super().__init__(f"location {status}: {location_id} takes no leads")


class LocationFull(MoveRefused):
    def __init__(self, location_id: str, reserved: int | None, capacity: int | None) -> None:
        super().__init__(f"location full: {location_id} has {reserved} of {capacity} leads today")


class NoLocationAvailable(MoveRefused):
    def __init__(self, reason: str | None) -> None:
        super().__init__(f"no location available: {reason or 'unassigned'}")
