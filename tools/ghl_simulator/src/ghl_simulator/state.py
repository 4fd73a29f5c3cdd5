"""The simulator's in-memory world: entities as GHL-shaped JSON dicts, keyed by id."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ghl_simulator.catalog import SnapshotContent, empty_snapshot, master_snapshot
from ghl_simulator.ids import ghl_id
from ghl_simulator.settings import SimSettings

Json = dict[str, Any]


def iso_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


@dataclass
class SnapshotPush:
    id: str
    snapshot_id: str
    location_id: str
    started_at: float
    delay_s: float
    fail: bool = False
    applied: bool = False

    def status(self, now: float) -> str:
        elapsed = now - self.started_at
        if elapsed >= self.delay_s:
            return "failed" if self.fail else "completed"
        return "processing" if elapsed >= self.delay_s / 2 else "pending"


@dataclass
class LocationToken:
    location_id: str
    expires_at: float


@dataclass
class World:
    settings: SimSettings
    snapshots: dict[str, SnapshotContent] = field(default_factory=dict)
    locations: dict[str, Json] = field(default_factory=dict)
    custom_values: dict[str, dict[str, Json]] = field(default_factory=dict)
    workflows: dict[str, list[Json]] = field(default_factory=dict)
    pipelines: dict[str, list[Json]] = field(default_factory=dict)
    installed: set[str] = field(default_factory=set)
    pushes: dict[tuple[str, str], SnapshotPush] = field(default_factory=dict)
    tokens: dict[str, LocationToken] = field(default_factory=dict)
    contacts: dict[str, Json] = field(default_factory=dict)
    # (location id, "email" | "phone", value) -> the first contact with it: GHL's duplicate rule
    # looked up in O(1) (a scan of every contact made a 10,000-lead run quadratic)
    contact_keys: dict[tuple[str, str, str], str] = field(default_factory=dict)
    opportunities: dict[str, Json] = field(default_factory=dict)
    users: dict[str, Json] = field(default_factory=dict)
    fail_snapshot_pushes: bool = False

    def __post_init__(self) -> None:
        master = master_snapshot(self.settings.snapshot_id)
        blank = empty_snapshot("sNapBlank00000000001")
        self.snapshots = {master.id: master, blank.id: blank}

    def settle(self, now: float | None = None) -> None:
        """Apply the content of every snapshot push that has completed by ``now``."""
        now = time.time() if now is None else now
        for push in self.pushes.values():
            if not push.applied and push.status(now) == "completed":
                self._apply_snapshot(push.location_id, self.snapshots[push.snapshot_id])
                push.applied = True

    def _apply_snapshot(self, location_id: str, snap: SnapshotContent) -> None:
        if location_id not in self.locations:
            return
        self.workflows[location_id] = [
            {
                "id": ghl_id(36),
                "name": name,
                "status": "published",
                "version": 1,
                "createdAt": iso_now(),
                "updatedAt": iso_now(),
                "locationId": location_id,
            }
            for name in snap.workflows
        ]
        self.pipelines[location_id] = [
            {
                "id": ghl_id(),
                "name": name,
                "locationId": location_id,
                "showInFunnel": True,
                "showInPieChart": True,
                "stages": [{"id": ghl_id(36), "name": s, "position": i} for i, s in enumerate(stages)],
            }
            for name, stages in snap.pipelines.items()
        ]
        values = self.custom_values.setdefault(location_id, {})
        existing = {cv["name"] for cv in values.values()}
        for name in snap.custom_values:
            if name not in existing:
                cv = custom_value(location_id, name, "")
                values[cv["id"]] = cv

    def contacts_in(self, location_id: str) -> list[Json]:
        return [c for c in self.contacts.values() if c["locationId"] == location_id]

    def add_contact(self, contact: Json) -> None:
        self.contacts[contact["id"]] = contact
        self.index_contact(contact)

    def index_contact(self, contact: Json) -> None:
        """Call after a contact's email or phone may have changed."""
        for kind, value in _match_keys(contact.get("email"), contact.get("phone")):
            self.contact_keys.setdefault((contact["locationId"], kind, value), contact["id"])

    def duplicate_of(self, location_id: str, email: str | None, phone: str | None) -> Json | None:
        """The contact GHL's duplicate rule matches: same email (any case) or same phone."""
        keys = _match_keys(email, phone)
        for kind, value in keys:
            found = self.contacts.get(self.contact_keys.get((location_id, kind, value), ""))
            if found is not None and (kind, value) in _match_keys(found.get("email"), found.get("phone")):
                return found
        if any((location_id, kind, value) in self.contact_keys for kind, value in keys):
            # the indexed contact's email or phone changed since: look the slow way
            for contact in self.contacts_in(location_id):
                if set(keys) & set(_match_keys(contact.get("email"), contact.get("phone"))):
                    return contact
        return None

    def summary(self) -> Json:
        return {
            "locations": len(self.locations),
            "contacts": len(self.contacts),
            "opportunities": len(self.opportunities),
            "users": len(self.users),
            "installed": sorted(self.installed),
            "pushes": len(self.pushes),
        }


def _match_keys(email: str | None, phone: str | None) -> list[tuple[str, str]]:
    keys = [("email", email.lower())] if email else []
    return keys + ([("phone", phone)] if phone else [])


def custom_value(location_id: str, name: str, value: str) -> Json:
    key = name.strip().lower().replace(" ", "_")
    return {
        "id": ghl_id(),
        "name": name,
        "fieldKey": f"{{{{ custom_values.{key} }}}}",
        "value": value,
        "locationId": location_id,
    }
