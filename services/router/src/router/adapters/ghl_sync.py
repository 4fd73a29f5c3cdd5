"""Applying an assignment in GHL through the shared rate-limited client (the sync port)."""

from __future__ import annotations

from typing import Any

from leadflow_common.ghl import GhlClient, GhlContact
from router.handlers.ports import ContactCopy

# Contact fields copied to the location's sub-account (GHL's upsert dedupes on email/phone).
COPIED_FIELDS = ("firstName", "lastName", "name", "email", "phone", "address1", "city", "state",
                 "postalCode", "country", "companyName", "website", "source", "tags")  # fmt: skip


def copied_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The fields the location's sub-account gets, from GHL-named contact data (empty ones dropped)."""
    return {k: data[k] for k in COPIED_FIELDS if data.get(k) not in (None, "", [])}


def contact_copy(source: GhlContact) -> dict[str, Any]:
    return copied_fields(source.model_dump(by_alias=True, exclude_none=True))


class GhlLeadSync:
    def __init__(self, client: GhlClient) -> None:
        self._client = client

    async def copy_contact(
        self, source_location_id: str, contact_id: str, target_ghl_location_id: str, tags: list[str]
    ) -> str:
        """The per-record path (kept as the benchmark's baseline): read the source contact, upsert
        it into the location's sub-account, tag the source: two calls on the intake sub-account."""
        source = await self._client.get_contact(source_location_id, contact_id)
        copied = await self._client.upsert_contact(target_ghl_location_id, contact_copy(source))
        await self._client.add_tags(source_location_id, contact_id, tags)
        return copied.id

    async def apply(self, copy: ContactCopy) -> str:
        """Upsert the lead into the location's sub-account from the event's contact data (read from
        the intake sub-account only when the event has none), then tag the source contact when
        tags are asked for; returns the contact id in the sub-account. Every call is idempotent
        (upsert by email/phone, adding a tag twice), so a failed lead is simply applied again."""
        if copy.contact is not None:
            fields = copied_fields(copy.contact)
        else:
            fields = contact_copy(await self._client.get_contact(copy.source_location_id, copy.contact_id))
        copied = await self._client.upsert_contact(copy.target_ghl_location_id, fields)
        if copy.source_tags:
            await self._client.add_tags(copy.source_location_id, copy.contact_id, list(copy.source_tags))
        return copied.id
