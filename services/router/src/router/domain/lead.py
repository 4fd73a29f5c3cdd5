"""A lead as the router sees it: the contact fields that matter for scoring and geocoding."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Lead:
    lead_id: str
    source_location_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    address1: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    source: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
