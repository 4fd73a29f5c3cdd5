"""The GhlPort on top of the shared, rate-limited GHL client; client errors become saga errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from leadflow_common.events.onboarding import LocationDraft
from leadflow_common.ghl import (
    GhlAgencyAuthError,
    GhlAuthError,
    GhlClient,
    GhlCredentialsUnavailable,
    GhlError,
    GhlNotFound,
    GhlUnknownOutcome,
    GhlValidationError,
)
from onboarding.adapters.installed import InstalledLocationsCache
from onboarding.domain.errors import CredentialsBlocked, GhlUnavailable, RejectedByGhl, UnknownOutcome
from onboarding.domain.marker import MARKER_CUSTOM_VALUE, carries_marker
from onboarding.ports import SubAccountLookup


def agency_level(exc: GhlAuthError) -> bool:
    """The agency token itself is refused (every agency call fails alike), not one sub-account."""
    return isinstance(exc, GhlAgencyAuthError) or (isinstance(exc, GhlCredentialsUnavailable) and exc.agency)


@asynccontextmanager
async def _mapped_errors() -> AsyncIterator[None]:
    try:
        yield
    except GhlUnknownOutcome as exc:
        raise UnknownOutcome(str(exc)) from exc
    except GhlAuthError as exc:
        # 401/403 (after a token renewal), or the app not installed on the sub-account: the
        # credentials, not the request, are wrong, and they come back
        # (docs/decisions/onboarding-credentials-wait.md)
        raise CredentialsBlocked(f"{type(exc).__name__}: {exc}", agency=agency_level(exc)) from exc
    except (GhlValidationError, GhlNotFound) as exc:
        raise RejectedByGhl(f"{type(exc).__name__}: {exc}") from exc
    except (GhlError, OSError) as exc:
        raise GhlUnavailable(f"{type(exc).__name__}: {exc}") from exc


EXISTING_USER = "existing-agency-user"


class GhlAdapter:
    def __init__(self, client: GhlClient, app_id: str | None = None) -> None:
        self._client = client
        self._app_id = app_id
        self._installed = InstalledLocationsCache(self._installed_ids)

    async def create_sub_account(self, draft: LocationDraft, timezone: str, name: str) -> str:
        async with _mapped_errors():
            created = await self._client.create_location(
                name=name,
                phone=draft.phone,
                address=draft.address,
                city=draft.city,
                state=draft.state,
                postal_code=draft.postal_code,
                country="US",
                website=draft.website,
                timezone=timezone,
                email=draft.email,
            )
        return created.id

    async def find_sub_accounts(self, name: str, marker: str) -> SubAccountLookup:
        """Sub-accounts with the provisional name carrying ``marker``, or the real name and the
        marker custom value, are ours; the others with the real name are someone else's."""
        async with _mapped_errors():
            found = await self._client.search_locations(name=name)
        ours: list[str] = []
        others: list[str] = []
        wanted = name.casefold()
        for loc in found:
            if carries_marker(loc.name, None, marker):
                ours.append(loc.id)
            elif loc.name.casefold() == wanted:
                owned = carries_marker(loc.name, await self._marker_value(loc.id), marker)
                (ours if owned else others).append(loc.id)
        return SubAccountLookup(ours, others)

    async def carries_marker(self, ghl_location_id: str, marker: str) -> bool | None:
        try:
            async with _mapped_errors():
                loc = await self._client.get_location(ghl_location_id)
        except RejectedByGhl as exc:
            if isinstance(exc.__cause__, GhlNotFound):
                return None
            raise
        if carries_marker(loc.name, None, marker):
            return True
        return carries_marker(loc.name, await self._marker_value(ghl_location_id), marker)

    async def _marker_value(self, ghl_location_id: str) -> str | None:
        async with _mapped_errors():
            values = await self._client.list_custom_values(ghl_location_id)
        return next((cv.value for cv in values if cv.name == MARKER_CUSTOM_VALUE), None)

    async def mark_sub_account(self, ghl_location_id: str, name: str, marker: str) -> None:
        """Marker first, rename second: at every moment the sub-account carries the marker in its
        name or in its custom value."""
        async with _mapped_errors():
            await self._client.upsert_custom_value(ghl_location_id, MARKER_CUSTOM_VALUE, marker)
            await self._client.update_location(ghl_location_id, name=name)

    async def reachability_problems(self, ghl_location_id: str) -> list[str]:
        """Why an adopted (CSV-given) id cannot go live. A refusal about that sub-account (no
        access, app not installed there, its token refused) is the given id's problem: reported,
        so the location is quarantined. The agency token refused is nobody's id: CredentialsBlocked
        propagates and the saga waits."""
        try:
            async with _mapped_errors():
                await self._client.get_location(ghl_location_id)
        except CredentialsBlocked as exc:
            if exc.agency:
                raise
            return [f"GHL sub-account {ghl_location_id} is not reachable with the agency token ({exc})"]
        except RejectedByGhl as exc:
            return [f"GHL sub-account {ghl_location_id} is not reachable with the agency token ({exc})"]
        try:
            async with _mapped_errors():
                await self._client.get_location_with_its_token(ghl_location_id)
        except CredentialsBlocked as exc:
            if exc.agency:
                raise
            return [
                f"no working location token for {ghl_location_id} "
                f"(is the Marketplace app installed there?) ({exc})"
            ]
        except RejectedByGhl as exc:
            return [f"no working location token for {ghl_location_id} ({exc})"]
        return []

    async def sub_account_exists(self, ghl_location_id: str) -> bool:
        try:
            async with _mapped_errors():
                await self._client.get_location(ghl_location_id)
        except RejectedByGhl as exc:
            if isinstance(exc.__cause__, GhlNotFound):
                return False
            raise
        return True

    async def delete_sub_account(self, ghl_location_id: str) -> None:
        async with _mapped_errors():
            await self._client.delete_location(ghl_location_id)

    async def load_snapshot(self, ghl_location_id: str, snapshot_id: str, override: bool) -> None:
        async with _mapped_errors():
            await self._client.load_snapshot(ghl_location_id, snapshot_id, override=override)

    async def snapshot_status(self, ghl_location_id: str, snapshot_id: str) -> str:
        try:
            async with _mapped_errors():
                status = await self._client.snapshot_push_status(snapshot_id, ghl_location_id)
        except RejectedByGhl as exc:
            if isinstance(exc.__cause__, GhlNotFound):
                return "not_started"
            raise
        return status.status

    async def upsert_custom_values(self, ghl_location_id: str, values: Mapping[str, str]) -> dict[str, str]:
        async with _mapped_errors():
            upserted = await self._client.upsert_custom_values(ghl_location_id, values)
        return {name: value.id for name, value in upserted.items()}

    async def app_installed(self, ghl_location_id: str) -> bool:
        return await self._installed.is_installed(ghl_location_id)

    async def _installed_ids(self) -> set[str]:
        async with _mapped_errors():
            installed = await self._client.installed_locations(self._app_id)
        return {loc.id for loc in installed if loc.is_installed}

    async def ensure_manager_user(self, ghl_location_id: str, name: str, email: str) -> str:
        """Look before creating, and look again when the create's outcome is unknown."""
        existing = await self._find_user(ghl_location_id, email)
        if existing is not None:
            return existing
        first, _, last = name.strip().partition(" ")
        try:
            async with _mapped_errors():
                user = await self._client.create_user(
                    ghl_location_id, first, last or first, email, role="admin"
                )
        except UnknownOutcome:
            found = await self._find_user(ghl_location_id, email)
            if found is None:
                raise
            return found
        except RejectedByGhl as exc:
            # GHL user emails are unique agency-wide: a manager of two locations already has a user.
            if "already exists" in str(exc):
                return EXISTING_USER
            raise
        return user.id

    async def _find_user(self, ghl_location_id: str, email: str) -> str | None:
        async with _mapped_errors():
            users = await self._client.search_users(ghl_location_id)
        wanted = email.casefold()
        return next((u.id for u in users if (u.email or "").casefold() == wanted), None)

    async def workflow_names(self, ghl_location_id: str) -> list[str]:
        async with _mapped_errors():
            return [w.name for w in await self._client.list_workflows(ghl_location_id)]

    async def pipeline_names(self, ghl_location_id: str) -> list[str]:
        async with _mapped_errors():
            return [p.name for p in await self._client.list_pipelines(ghl_location_id)]
