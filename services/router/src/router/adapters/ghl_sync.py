"""Applying an assignment in GHL through the shared rate-limited client (the sync port)."""

from __future__ import annotations

from typing import Any

from leadflow_common.ghl import GhlClient, GhlContact

# Contact fields copied to the location's sub-account (GHL's upsert dedupes on email/phone).
COPIED_FIELDS = ("firstName", "lastName", "name", "email", "phone", "address1", "city", "state",
                 "postalCode", "country", "companyName", "website", "source", "tags")  # fmt: skip


def contact_copy(source: GhlContact) -> dict[str, Any]:
    data = source.model_dump(by_alias=True, exclude_none=True)
    return {k: data[k] for k in COPIED_FIELDS if k in data and data[k] not in ("", [])}


class GhlLeadSync:
    def __init__(self, client: GhlClient) -> None:
        self._client = client

    async def copy_contact(
        self, source_location_id: str, contact_id: str, target_ghl_location_id: str, tags: list[str]
    ) -> str:
        """Upsert the lead into the location's sub-account, tag the source contact; returns the
        contact id in the sub-account. Every call is idempotent, so the whole step can be retried."""
        source = await self._client.get_contact(source_location_id, contact_id)
        copied = await self._client.upsert_contact(target_ghl_location_id, contact_copy(source))
        await self._client.add_tags(source_location_id, contact_id, tags)
        return copied.id
