"""A realistic stream of GHL webhooks for the demo and the end-to-end tests.

Contacts arrive in the franchise's intake (corporate marketing) sub-account from across the US:
most near a franchise location (real zip codes within ~20 miles), some far from any, some with
only city and state, a few with no address at all; a share is delivered twice (GHL duplicate
delivery); later some opportunities are won or lost and appointments are booked.
"""

from __future__ import annotations

import csv
import math
import random
import uuid
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import zipcodes

FIRST = ["Ava", "Liam", "Mia", "Noah", "Emma", "Lucas", "Zoe", "Ethan", "Ivy", "Mason", "Aria", "Leo"]
LAST = ["Garcia", "Smith", "Nguyen", "Johnson", "Brown", "Lee", "Martinez", "Davis", "Clark", "Patel"]
SOURCES = ["Facebook Ad", "Google Ads", "Website Form", "Referral", "Instagram", "Walk-in"]
TAGS = ["trial-pass", "hiit", "yoga", "personal-training", "corporate", "student"]


@dataclass(frozen=True)
class Place:
    zip_code: str
    city: str
    state: str
    lat: float
    lon: float


@cache
def places_by_state() -> dict[str, list[Place]]:
    out: dict[str, list[Place]] = {}
    for z in zipcodes.list_all():  # type: ignore[no-untyped-call]
        if z.get("zip_code_type") != "STANDARD" or not z.get("lat"):
            continue
        place = Place(z["zip_code"], z["city"].title(), z["state"], float(z["lat"]), float(z["long"]))
        out.setdefault(place.state, []).append(place)
    return out


def miles(a: Place, b: Place) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 3958.8 * 2 * math.asin(math.sqrt(h))


def location_places(csv_paths: list[Path]) -> list[Place]:
    found: list[Place] = []
    for path in csv_paths:
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                match = zipcodes.matching(row["Zip Code"].strip())  # type: ignore[no-untyped-call]
                if match and match[0].get("lat"):
                    z = match[0]
                    found.append(
                        Place(z["zip_code"], z["city"].title(), z["state"], float(z["lat"]), float(z["long"]))
                    )
    return found


@dataclass
class LeadStream:
    intake_location_id: str
    anchors: list[Place]
    rng: random.Random = field(default_factory=lambda: random.Random(42))

    def nearby(self, anchor: Place, radius: float = 20.0) -> Place:
        candidates = [p for p in places_by_state().get(anchor.state, []) if miles(p, anchor) <= radius]
        return self.rng.choice(candidates or [anchor])

    def anywhere(self) -> Place:
        state = self.rng.choice(sorted(places_by_state()))
        return self.rng.choice(places_by_state()[state])

    def contact(self, index: int) -> dict[str, Any]:
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        roll = self.rng.random()
        place = self.nearby(self.rng.choice(self.anchors)) if roll < 0.8 else self.anywhere()
        body: dict[str, Any] = {
            "type": "ContactCreate",
            "locationId": self.intake_location_id,
            "id": f"ct{uuid.UUID(int=self.rng.getrandbits(128)).hex[:20]}",
            "firstName": first,
            "lastName": last,
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}{index}@example.com",
            "phone": f"+1{self.rng.randint(2012000000, 9899999999)}",
            "source": self.rng.choice(SOURCES),
            "tags": self.rng.sample(TAGS, k=self.rng.randint(0, 2)),
            "country": "US",
            "dateAdded": "2026-11-24T12:00:00.000Z",
        }
        if roll < 0.9:
            body.update(
                address1=f"{self.rng.randint(10, 9999)} Main St",
                city=place.city,
                state=place.state,
                postalCode=place.zip_code,
            )
        elif roll < 0.97:
            body.update(city=place.city, state=place.state)  # no zip: city+state geocoding
        return body

    def generate(
        self, count: int, duplicate_rate: float = 0.05
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(contact webhooks incl. duplicates, follow-up webhooks: opportunities and appointments)."""
        contacts = [self.contact(i) for i in range(count)]
        for body in contacts:
            # Unique per delivery attempt stream, never reproducible: ingest rightly drops a
            # webhookId it has seen before, even from an earlier run.
            body["webhookId"] = str(uuid.uuid4())
        deliveries = contacts + [dict(c) for c in contacts if self.rng.random() < duplicate_rate]
        follow_ups: list[dict[str, Any]] = []
        for body in contacts:
            roll = self.rng.random()
            if roll < 0.25:
                follow_ups.append(self.opportunity(body, "won"))
            elif roll < 0.35:
                follow_ups.append(self.opportunity(body, "lost"))
            if self.rng.random() < 0.3:
                follow_ups.append(self.appointment(body))
        return deliveries, follow_ups

    def opportunity(self, contact: dict[str, Any], status: str) -> dict[str, Any]:
        return {
            "type": "OpportunityStatusUpdate",
            "locationId": self.intake_location_id,
            "id": f"op{uuid.UUID(int=self.rng.getrandbits(128)).hex[:20]}",
            "contactId": contact["id"],
            "status": status,
            "monetaryValue": self.rng.choice([49, 79, 99, 149]),
            "name": f"Membership - {contact['name']}",
            "source": contact["source"],
        }

    def appointment(self, contact: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "AppointmentCreate",
            "locationId": self.intake_location_id,
            "appointment": {
                "id": f"ap{uuid.UUID(int=self.rng.getrandbits(128)).hex[:20]}",
                "contactId": contact["id"],
                "appointmentStatus": "confirmed",
                "title": "Intro session",
                "startTime": "2026-11-25T15:00:00Z",
                "endTime": "2026-11-25T16:00:00Z",
            },
        }
