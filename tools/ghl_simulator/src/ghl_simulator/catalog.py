"""What the agency's snapshots contain: workflows, pipelines and custom values they bring along."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SnapshotContent:
    id: str
    name: str
    workflows: tuple[str, ...]
    pipelines: dict[str, tuple[str, ...]] = field(default_factory=dict)
    custom_values: tuple[str, ...] = ()


def master_snapshot(snapshot_id: str) -> SnapshotContent:
    return SnapshotContent(
        id=snapshot_id,
        name="Franchise Master Snapshot",
        workflows=("Welcome", "New Lead Nurture", "Appointment Reminder", "Missed Call Text Back"),
        pipelines={"Lead Pipeline": ("New Lead", "Contacted", "Appointment Booked", "Won", "Lost")},
        custom_values=(
            "location_name",
            "location_phone",
            "location_address",
            "manager_name",
            "business_hours",
        ),
    )


def empty_snapshot(snapshot_id: str) -> SnapshotContent:
    return SnapshotContent(id=snapshot_id, name="Blank", workflows=())
