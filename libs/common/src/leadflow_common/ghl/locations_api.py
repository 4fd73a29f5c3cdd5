"""Agency-side calls: sub-accounts, snapshots, custom values, workflows, app installs, users, pipelines."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, cast

from leadflow_common.ghl.base import GhlClientBase
from leadflow_common.ghl.errors import GhlAuthError, GhlNotFound, GhlUnknownOutcome, GhlValidationError
from leadflow_common.ghl.models import (
    CustomValue,
    GhlLocation,
    GhlUser,
    InstalledLocation,
    Pipeline,
    SnapshotPushStatus,
    Workflow,
)


class LocationsApi(GhlClientBase):
    async def create_location(
        self,
        name: str,
        phone: str | None = None,
        address: str | None = None,
        city: str | None = None,
        state: str | None = None,
        postal_code: str | None = None,
        country: str = "US",
        website: str | None = None,
        timezone: str | None = None,
        email: str | None = None,
        **extra: Any,
    ) -> GhlLocation:
        """Not retried once it may have reached GHL: raises GhlUnknownOutcome, so search first."""
        fields = {"phone": phone, "address": address, "city": city, "state": state, "postalCode": postal_code}
        fields |= {"country": country, "website": website, "timezone": timezone, "email": email, **extra}
        body = {"name": name, "companyId": self.settings.company_id} | {k: v for k, v in fields.items() if v}
        data = await self._agency("POST", "/locations/", "locations.create", json=body, idempotent=False)
        return GhlLocation.model_validate(data.get("location", data))

    async def search_locations(self, name: str | None = None, email: str | None = None) -> list[GhlLocation]:
        params = {"companyId": self.settings.company_id, "limit": 1000, "name": name, "email": email}
        data = await self._agency("GET", "/locations/search", "locations.search", params=_present(params))
        return [GhlLocation.model_validate(row) for row in data.get("locations", [])]

    async def get_location(self, location_id: str) -> GhlLocation:
        data = await self._agency("GET", f"/locations/{location_id}", "locations.get", location_id)
        return GhlLocation.model_validate(data.get("location", data))

    async def update_location(self, location_id: str, **fields: Any) -> GhlLocation:
        """``PUT /locations/{id}`` with the given fields (e.g. ``name``); safe to repeat."""
        body = {"companyId": self.settings.company_id, **fields}
        data = await self._agency(
            "PUT", f"/locations/{location_id}", "locations.update", location_id, json=body
        )
        return GhlLocation.model_validate(data.get("location", data))

    async def get_location_with_its_token(self, location_id: str) -> GhlLocation:
        """``GET /locations/{id}`` with the location's own token: proves the token exchange works
        (the app is installed there) and the token is accepted."""
        path = f"/locations/{location_id}"
        data = await self._location(location_id, "GET", path, "locations.get_as_location")
        return GhlLocation.model_validate(data.get("location", data))

    async def load_snapshot(self, location_id: str, snapshot_id: str, override: bool = False) -> None:
        body = {"companyId": self.settings.company_id, "snapshot": {"id": snapshot_id, "override": override}}
        await self._agency(
            "PUT", f"/locations/{location_id}", "locations.load_snapshot", location_id, json=body
        )

    async def snapshot_push_status(self, snapshot_id: str, location_id: str) -> SnapshotPushStatus:
        path = f"/snapshots/snapshot-status/{snapshot_id}/location/{location_id}"
        data = await self._agency("GET", path, "snapshots.push_status", location_id)
        row = data.get("data", data)
        if isinstance(row, list):
            if not row:
                raise GhlNotFound(f"no push of {snapshot_id} to {location_id}", 404, "snapshots.push_status")
            row = row[-1]
        return SnapshotPushStatus.model_validate(row)

    async def delete_location(self, location_id: str) -> None:
        """Idempotent: a location that is already gone counts as deleted."""
        try:
            await self._agency(
                "DELETE", f"/locations/{location_id}", "locations.delete", location_id,
                params={"deleteTwilioAccount": "false"},
            )  # fmt: skip
        except GhlNotFound:
            return

    async def list_custom_values(self, location_id: str) -> list[CustomValue]:
        path = f"/locations/{location_id}/customValues"
        data = await self._agency("GET", path, "custom_values.list", location_id)
        return [CustomValue.model_validate(row) for row in data.get("customValues", [])]

    async def upsert_custom_value(self, location_id: str, name: str, value: str) -> CustomValue:
        """Finds the value by name and updates it, else creates it (safe to repeat)."""
        return (await self.upsert_custom_values(location_id, {name: value}))[name]

    async def upsert_custom_values(
        self, location_id: str, values: Mapping[str, str]
    ) -> dict[str, CustomValue]:
        """Each named value updated when the location has it, else created: one list, then the
        updates and creates concurrently. Safe to repeat: a create is never resent blindly (GHL
        refuses a second value of the same name), its lost answer is GhlUnknownOutcome and the
        retry lists again. Every call finishes before a failure is raised (the one that says
        most about what to do: ``failure_rank``), so a retry sees what this attempt left."""
        path = f"/locations/{location_id}/customValues"
        existing: dict[str, CustomValue] = {}
        for cv in await self.list_custom_values(location_id):
            existing.setdefault(cv.name, cv)  # the first of a duplicated name, as readers take it

        async def upsert(name: str, value: str) -> CustomValue:
            body = {"name": name, "value": value}
            if (found := existing.get(name)) is not None:
                data = await self._agency(
                    "PUT", f"{path}/{found.id}", "custom_values.update", location_id, json=body
                )
            else:
                data = await self._agency(
                    "POST", path, "custom_values.create", location_id, json=body, idempotent=False
                )
            return CustomValue.model_validate(data.get("customValue", data))

        settled = await asyncio.gather(*(upsert(n, v) for n, v in values.items()), return_exceptions=True)
        failures = [result for result in settled if isinstance(result, BaseException)]
        if failures:
            raise min(failures, key=failure_rank)
        return {name: cast(CustomValue, result) for name, result in zip(values, settled, strict=True)}

    async def list_workflows(self, location_id: str) -> list[Workflow]:
        params = {"locationId": location_id}
        data = await self._agency("GET", "/workflows/", "workflows.list", location_id, params=params)
        return [Workflow.model_validate(row) for row in data.get("workflows", [])]

    async def installed_locations(self, app_id: str | None = None) -> list[InstalledLocation]:
        params = {
            "companyId": self.settings.company_id,
            "appId": app_id or self.settings.app_id,
            "limit": 500,
        }
        data = await self._agency(
            "GET", "/oauth/installedLocations", "oauth.installed_locations", params=params
        )
        return [InstalledLocation.model_validate(row) for row in data.get("locations", [])]

    async def search_users(self, location_id: str) -> list[GhlUser]:
        params = {"companyId": self.settings.company_id, "locationId": location_id}
        data = await self._agency("GET", "/users/search", "users.search", location_id, params=params)
        return [GhlUser.model_validate(row) for row in data.get("users", [])]

    async def create_user(
        self, location_id: str, first_name: str, last_name: str, email: str, role: str = "admin", **extra: Any
    ) -> GhlUser:
        """Not retried once it may have reached GHL: raises GhlUnknownOutcome, so search first."""
        body: dict[str, Any] = {"companyId": self.settings.company_id, "firstName": first_name}
        body |= {
            "lastName": last_name,
            "email": email,
            "type": "account",
            "role": role,
            "locationIds": [location_id],
            **extra,
        }
        data = await self._agency("POST", "/users/", "users.create", json=body, idempotent=False)
        return GhlUser.model_validate(data.get("user", data))

    async def list_pipelines(self, location_id: str) -> list[Pipeline]:
        params = {"locationId": location_id}
        data = await self._agency(
            "GET", "/opportunities/pipelines", "pipelines.list", location_id, params=params
        )
        return [Pipeline.model_validate(row) for row in data.get("pipelines", [])]


def _present(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


# Of several concurrent calls' failures, the one raised: refused credentials (the caller waits for
# them), then a refusal of the request, then an outcome not known, then the rest (transient).
_FAILURE_ORDER: tuple[type[BaseException], ...] = (GhlAuthError, GhlValidationError, GhlNotFound,
                                                   GhlUnknownOutcome)  # fmt: skip


def failure_rank(exc: BaseException) -> int:
    return next((i for i, kind in enumerate(_FAILURE_ORDER) if isinstance(exc, kind)), len(_FAILURE_ORDER))
