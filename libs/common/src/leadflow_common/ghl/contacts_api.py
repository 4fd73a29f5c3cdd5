"""Location-side calls with the location's token: contacts, tags, opportunities."""

from __future__ import annotations

from typing import Any

from leadflow_common.ghl.base import GhlClientBase
from leadflow_common.ghl.models import GhlContact, Opportunity


class ContactsApi(GhlClientBase):
    async def upsert_contact(self, location_id: str, contact: dict[str, Any]) -> GhlContact:
        """Idempotent by email/phone in the location (GHL's duplicate rules), hence retried."""
        body = {**contact, "locationId": location_id}
        data = await self._location(location_id, "POST", "/contacts/upsert", "contacts.upsert", json=body)
        return GhlContact.model_validate(data["contact"])

    async def get_contact(self, location_id: str, contact_id: str) -> GhlContact:
        data = await self._location(location_id, "GET", f"/contacts/{contact_id}", "contacts.get")
        return GhlContact.model_validate(data["contact"])

    async def update_contact(self, location_id: str, contact_id: str, fields: dict[str, Any]) -> GhlContact:
        """Note: ``tags`` in ``fields`` replace all tags; use add_tags/remove_tags to change some."""
        path = f"/contacts/{contact_id}"
        data = await self._location(location_id, "PUT", path, "contacts.update", json=fields)
        if "contact" in data:
            return GhlContact.model_validate(data["contact"])
        return await self.get_contact(location_id, contact_id)

    async def add_tags(self, location_id: str, contact_id: str, tags: list[str]) -> None:
        path = f"/contacts/{contact_id}/tags"
        await self._location(location_id, "POST", path, "contacts.add_tags", json={"tags": tags})

    async def remove_tags(self, location_id: str, contact_id: str, tags: list[str]) -> None:
        path = f"/contacts/{contact_id}/tags"
        await self._location(location_id, "DELETE", path, "contacts.remove_tags", json={"tags": tags})

    async def create_opportunity(
        self,
        location_id: str,
        pipeline_id: str,
        contact_id: str,
        name: str,
        status: str = "open",
        pipeline_stage_id: str | None = None,
        monetary_value: float | None = None,
        **extra: Any,
    ) -> Opportunity:
        """Not retried once it may have reached GHL: raises GhlUnknownOutcome, so search first."""
        body: dict[str, Any] = {"locationId": location_id, "pipelineId": pipeline_id, "contactId": contact_id}
        body |= {"name": name, "status": status, **extra}
        if pipeline_stage_id:
            body["pipelineStageId"] = pipeline_stage_id
        if monetary_value is not None:
            body["monetaryValue"] = monetary_value
        data = await self._location(
            location_id, "POST", "/opportunities/", "opportunities.create", json=body, idempotent=False
        )
        return Opportunity.model_validate(data.get("opportunity", data))

    async def update_opportunity_status(self, location_id: str, opportunity_id: str, status: str) -> None:
        path = f"/opportunities/{opportunity_id}/status"
        await self._location(location_id, "PUT", path, "opportunities.status", json={"status": status})
