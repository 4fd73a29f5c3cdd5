"""The marker that proves a GHL sub-account was created by this platform's saga for one location.

GHL's ``POST /locations/`` takes no idempotency key and no custom values, so the marker travels in
the one field the create does take and the search returns: the sub-account is created under a
provisional name carrying the marker, marked with a custom value, then renamed (see
docs/decisions/onboarding-marker-and-fencing.md). Matching is on the marker only, never the name."""

from __future__ import annotations

import uuid

MARKER_CUSTOM_VALUE = "leadflow_onboarding_marker"


def new_marker(location_id: str) -> str:
    """Unique per location's saga (kept across retries, so a retry finds what an earlier run made)."""
    return f"lf-{location_id}-{uuid.uuid4().hex[:12]}"


def provisional_name(name: str, marker: str) -> str:
    return f"{name} [{marker}]"


def carries_marker(sub_account_name: str, marker_value: str | None, marker: str) -> bool:
    """True when the sub-account is provably this saga's: its provisional name or its custom value."""
    return f"[{marker}]" in sub_account_name or marker_value == marker
