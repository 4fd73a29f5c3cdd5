"""US state codes, names and a small table of approximate state centroids (lat, lon).

The centroid is the geocoder's last resort before "unroutable": good enough to pick the right
state's locations, never used for radius rules (see rules.py).
"""

from __future__ import annotations

STATE_CENTROIDS: dict[str, tuple[float, float]] = {
    "AL": (32.8067, -86.7911), "AK": (61.3707, -152.4044), "AZ": (33.7298, -111.4312),
    "AR": (34.9697, -92.3731), "CA": (36.1162, -119.6816), "CO": (39.0598, -105.3111),
    "CT": (41.5978, -72.7554), "DE": (39.3185, -75.5071), "DC": (38.8974, -77.0268),
    "FL": (27.7663, -81.6868), "GA": (33.0406, -83.6431), "HI": (21.0943, -157.4983),
    "ID": (44.2405, -114.4788), "IL": (40.3495, -88.9861), "IN": (39.8494, -86.2583),
    "IA": (42.0115, -93.2105), "KS": (38.5266, -96.7265), "KY": (37.6681, -84.6701),
    "LA": (31.1695, -91.8678), "ME": (44.6939, -69.3819), "MD": (39.0639, -76.8021),
    "MA": (42.2302, -71.5301), "MI": (43.3266, -84.5361), "MN": (45.6945, -93.9002),
    "MS": (32.7416, -89.6787), "MO": (38.4561, -92.2884), "MT": (46.9219, -110.4544),
    "NE": (41.1254, -98.2681), "NV": (38.3135, -117.0554), "NH": (43.4525, -71.5639),
    "NJ": (40.2989, -74.5210), "NM": (34.8405, -106.2485), "NY": (42.1657, -74.9481),
    "NC": (35.6301, -79.8064), "ND": (47.5289, -99.7840), "OH": (40.3888, -82.7649),
    "OK": (35.5653, -96.9289), "OR": (44.5720, -122.0709), "PA": (40.5908, -77.2098),
    "RI": (41.6809, -71.5118), "SC": (33.8569, -80.9450), "SD": (44.2998, -99.4388),
    "TN": (35.7478, -86.6923), "TX": (31.0545, -97.5635), "UT": (40.1500, -111.8624),
    "VT": (44.0459, -72.7107), "VA": (37.7693, -78.1700), "WA": (47.4009, -121.4905),
    "WV": (38.4912, -80.9545), "WI": (44.2685, -89.6165), "WY": (42.7560, -107.3025),
    "PR": (18.2208, -66.5901),
}  # fmt: skip

STATE_NAMES: dict[str, str] = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC",
    "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL",
    "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
    "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI", "minnesota": "MN",
    "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY",
    "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR",
    "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC", "south dakota": "SD",
    "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA",
    "washington": "WA", "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY",
    "puerto rico": "PR",
}  # fmt: skip


def normalize_state(value: str | None) -> str | None:
    """'tx', 'Texas', ' TX ' → 'TX'; anything unknown → None."""
    if value is None:
        return None
    cleaned = value.strip()
    if cleaned.upper() in STATE_CENTROIDS:
        return cleaned.upper()
    return STATE_NAMES.get(cleaned.lower())
