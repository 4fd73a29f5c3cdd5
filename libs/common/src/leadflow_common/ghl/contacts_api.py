"""Location-side calls with the location's token: contacts, tags, opportunities, contact search."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from leadflow_common.ghl.base import GhlClientBase
from leadflow_common.ghl.models import GhlContact, Opportunity

SEARCH_PAGE_LIMIT_MAX = 500  # GHL's cap on pageLimit
BY_DATE_ADDED = [{"field": "dateAdded", "direction": "asc"}]


@dataclass(frozen=True)
class ContactPage:
    """One page of ``POST /contacts/search``; ``search_after`` is the next page's cursor (None: last)."""

    contacts: list[GhlContact]
    total: int | None
    search_after: list[Any] | None


def ghl_time(at: datetime) -> str:
    """ISO-8601 in UTC with milliseconds and ``Z``, as GHL writes ``dateAdded``."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def added_between(start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The search filter of contacts whose ``dateAdded`` is in [start, end] (both ends included)."""
    bounds = {"gte": ghl_time(start), "lte": ghl_time(end)}
    return [{"field": "dateAdded", "operator": "range", "value": bounds}]


def next_cursor(raw: list[dict[str, Any]], page_limit: int) -> list[Any] | None:
    """The cursor after a page sorted by ``dateAdded`` asc: None when the page was not full.

    GHL puts each hit's cursor in its ``searchAfter``; when it is missing the cursor is rebuilt
    from what it is made of for this sort (``dateAdded`` in epoch ms, then the id).
    """
    if len(raw) < page_limit or not raw:
        return None
    last = raw[-1]
    cursor = last.get("searchAfter")
    if isinstance(cursor, list) and cursor:
        return cursor
    added = last.get("dateAdded")
    if not isinstance(added, str):
        raise ValueError("a full search page whose last contact has neither searchAfter nor dateAdded")
    millis = int(datetime.fromisoformat(added.replace("Z", "+00:00")).timestamp() * 1000)
    return [millis, last["id"]]


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

    async def search_contacts(
        self,
        location_id: str,
        *,
        page_limit: int = 100,
        filters: list[dict[str, Any]] | None = None,
        sort: list[dict[str, Any]] | None = None,
        search_after: list[Any] | None = None,
    ) -> ContactPage:
        """One page of GHL's advanced search (a read, so retried). Pages by ``searchAfter`` rather
        than ``page``: GHL caps page x pageLimit at 10,000 records, a cursor reads any depth."""
        limit = min(page_limit, SEARCH_PAGE_LIMIT_MAX)
        body: dict[str, Any] = {"locationId": location_id, "pageLimit": limit}
        body |= {"filters": filters or [], "sort": sort or BY_DATE_ADDED}
        if search_after is not None:
            body["searchAfter"] = search_after
        data = await self._location(location_id, "POST", "/contacts/search", "contacts.search", json=body)
        raw: list[dict[str, Any]] = list(data.get("contacts") or [])
        total = data.get("total")
        return ContactPage(
            contacts=[GhlContact.model_validate(c) for c in raw],
            total=int(total) if isinstance(total, int | float) else None,
            search_after=next_cursor(raw, limit),
        )

    async def contacts_added_between(
        self,
        location_id: str,
        start: datetime,
        end: datetime,
        *,
        page_limit: int = 100,
        search_after: list[Any] | None = None,
    ) -> AsyncGenerator[ContactPage, None]:
        """Pages of the location's contacts added in [start, end], oldest first; each call is one
        rate-limited request on the location. The caller decides how many pages to read."""
        cursor = search_after
        while True:
            page = await self.search_contacts(
                location_id, page_limit=page_limit, filters=added_between(start, end), search_after=cursor
            )
            yield page
            if page.search_after is None:
                return
            cursor = page.search_after
