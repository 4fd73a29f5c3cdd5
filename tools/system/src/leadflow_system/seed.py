"""What exists in GHL before the platform sees it, put into the simulator: the franchise's intake
(corporate marketing) sub-account, the already-live locations to adopt, and the contacts that
forms and ads create there (GHL sends ContactCreate for each)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import httpx

CONTACT_FIELDS = (
    "id",
    "locationId",
    "firstName",
    "lastName",
    "name",
    "email",
    "phone",
    "address1",
    "city",
    "state",
    "postalCode",
    "country",
    "source",
    "tags",
    "dateAdded",
)


def seed(
    sim_url: str, locations: list[dict[str, Any]] | None = None, contacts: list[dict[str, Any]] | None = None
) -> None:
    response = httpx.post(
        f"{sim_url}/admin/seed", json={"locations": locations or [], "contacts": contacts or []}, timeout=60
    )
    response.raise_for_status()


def intake_location(location_id: str) -> dict[str, Any]:
    return {"id": location_id, "name": "FitNation Corporate Marketing", "country": "US"}


def existing_locations(csv_path: Path) -> list[dict[str, Any]]:
    """The live sub-accounts named by an adopt CSV's `GHL Location Id` column."""
    with csv_path.open(newline="") as handle:
        return [
            {
                "id": row["GHL Location Id"].strip(),
                "name": row["Location Name"].strip(),
                "address": row["Address"].strip(),
                "city": row["City"].strip(),
                "state": row["State"].strip(),
                "postalCode": row["Zip Code"].strip(),
                "country": "US",
                "timezone": (row.get("Timezone") or "").strip() or None,
            }
            for row in csv.DictReader(handle)
        ]


def contacts_of(webhooks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The GHL contacts behind ContactCreate webhooks (one per contact id)."""
    unique = {w["id"]: w for w in webhooks if w.get("type") == "ContactCreate"}
    return [{k: w[k] for k in CONTACT_FIELDS if k in w} for w in unique.values()]
