"""US states (USPS codes): approximate centroid and main IANA timezone, from the shared table in
leadflow_common (the router geocodes with the same one)."""

from __future__ import annotations

from leadflow_common.us_states import US_STATES

# code: (lat, lon, timezone)
STATES: dict[str, tuple[float, float, str]] = {
    code: (s.lat, s.lon, s.timezone) for code, s in US_STATES.items()
}
