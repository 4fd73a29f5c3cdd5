"""US state codes and approximate centroids (lat, lon), from the shared table in leadflow_common.

The centroid is the geocoder's last resort before "unroutable": good enough to pick the right
state's locations, never used for radius rules (see rules.py).
"""

from __future__ import annotations

from leadflow_common.us_states import US_STATES, normalize_state

STATE_CENTROIDS: dict[str, tuple[float, float]] = {code: (s.lat, s.lon) for code, s in US_STATES.items()}

__all__ = ["STATE_CENTROIDS", "normalize_state"]
