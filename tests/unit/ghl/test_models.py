"""Response models tolerate GHL's variations: extra fields kept, alternative id keys, missing fields."""

from __future__ import annotations

from leadflow_common.ghl import GhlContact, GhlLocation, InstalledLocation, SnapshotPushStatus


def test_installed_location_accepts_underscore_id() -> None:
    row = InstalledLocation.model_validate({"_id": "L1", "name": "Fit", "isInstalled": True, "extra": 1})
    assert (row.location_id, row.is_installed) == ("L1", True)
    assert InstalledLocation.model_validate({"locationId": "L2"}).id == "L2"


def test_unknown_fields_are_kept_and_missing_ones_default() -> None:
    loc = GhlLocation.model_validate({"id": "L1", "companyId": "C", "settings": {"x": 1}})
    assert loc.company_id == "C" and loc.model_extra == {"settings": {"x": 1}}
    contact = GhlContact.model_validate({"id": "c1"})
    assert contact.tags == [] and contact.location_id is None
    assert (
        SnapshotPushStatus.model_validate({"status": "completed", "completedAt": "x"}).status == "completed"
    )
