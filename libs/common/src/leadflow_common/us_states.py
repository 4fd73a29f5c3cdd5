"""US states and territories (USPS codes): name, approximate geographic centroid, main IANA timezone.

One table for every service: the router geocodes to a state centroid as its last resort before
"unroutable"; onboarding validates CSV state codes and picks a location's timezone from it.
Centroids are approximate (good enough to find the right state's locations, never used for
radius rules).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UsState:
    code: str
    name: str
    lat: float
    lon: float
    timezone: str


US_STATES: dict[str, UsState] = {
    state.code: state
    for state in (
        UsState("AL", "Alabama", 32.8067, -86.7911, "America/Chicago"),
        UsState("AK", "Alaska", 61.3707, -152.4044, "America/Anchorage"),
        UsState("AZ", "Arizona", 33.7298, -111.4312, "America/Phoenix"),
        UsState("AR", "Arkansas", 34.9697, -92.3731, "America/Chicago"),
        UsState("CA", "California", 36.1162, -119.6816, "America/Los_Angeles"),
        UsState("CO", "Colorado", 39.0598, -105.3111, "America/Denver"),
        UsState("CT", "Connecticut", 41.5978, -72.7554, "America/New_York"),
        UsState("DE", "Delaware", 39.3185, -75.5071, "America/New_York"),
        UsState("DC", "District of Columbia", 38.8974, -77.0268, "America/New_York"),
        UsState("FL", "Florida", 27.7663, -81.6868, "America/New_York"),
        UsState("GA", "Georgia", 33.0406, -83.6431, "America/New_York"),
        UsState("HI", "Hawaii", 21.0943, -157.4983, "Pacific/Honolulu"),
        UsState("ID", "Idaho", 44.2405, -114.4788, "America/Boise"),
        UsState("IL", "Illinois", 40.3495, -88.9861, "America/Chicago"),
        UsState("IN", "Indiana", 39.8494, -86.2583, "America/Indiana/Indianapolis"),
        UsState("IA", "Iowa", 42.0115, -93.2105, "America/Chicago"),
        UsState("KS", "Kansas", 38.5266, -96.7265, "America/Chicago"),
        UsState("KY", "Kentucky", 37.6681, -84.6701, "America/New_York"),
        UsState("LA", "Louisiana", 31.1695, -91.8678, "America/Chicago"),
        UsState("ME", "Maine", 44.6939, -69.3819, "America/New_York"),
        UsState("MD", "Maryland", 39.0639, -76.8021, "America/New_York"),
        UsState("MA", "Massachusetts", 42.2302, -71.5301, "America/New_York"),
        UsState("MI", "Michigan", 43.3266, -84.5361, "America/Detroit"),
        UsState("MN", "Minnesota", 45.6945, -93.9002, "America/Chicago"),
        UsState("MS", "Mississippi", 32.7416, -89.6787, "America/Chicago"),
        UsState("MO", "Missouri", 38.4561, -92.2884, "America/Chicago"),
        UsState("MT", "Montana", 46.9219, -110.4544, "America/Denver"),
        UsState("NE", "Nebraska", 41.1254, -98.2681, "America/Chicago"),
        UsState("NV", "Nevada", 38.3135, -117.0554, "America/Los_Angeles"),
        UsState("NH", "New Hampshire", 43.4525, -71.5639, "America/New_York"),
        UsState("NJ", "New Jersey", 40.2989, -74.5210, "America/New_York"),
        UsState("NM", "New Mexico", 34.8405, -106.2485, "America/Denver"),
        UsState("NY", "New York", 42.1657, -74.9481, "America/New_York"),
        UsState("NC", "North Carolina", 35.6301, -79.8064, "America/New_York"),
        UsState("ND", "North Dakota", 47.5289, -99.7840, "America/Chicago"),
        UsState("OH", "Ohio", 40.3888, -82.7649, "America/New_York"),
        UsState("OK", "Oklahoma", 35.5653, -96.9289, "America/Chicago"),
        UsState("OR", "Oregon", 44.5720, -122.0709, "America/Los_Angeles"),
        UsState("PA", "Pennsylvania", 40.5908, -77.2098, "America/New_York"),
        UsState("RI", "Rhode Island", 41.6809, -71.5118, "America/New_York"),
        UsState("SC", "South Carolina", 33.8569, -80.9450, "America/New_York"),
        UsState("SD", "South Dakota", 44.2998, -99.4388, "America/Chicago"),
        UsState("TN", "Tennessee", 35.7478, -86.6923, "America/Chicago"),
        UsState("TX", "Texas", 31.0545, -97.5635, "America/Chicago"),
        UsState("UT", "Utah", 40.1500, -111.8624, "America/Denver"),
        UsState("VT", "Vermont", 44.0459, -72.7107, "America/New_York"),
        UsState("VA", "Virginia", 37.7693, -78.1700, "America/New_York"),
        UsState("WA", "Washington", 47.4009, -121.4905, "America/Los_Angeles"),
        UsState("WV", "West Virginia", 38.4912, -80.9545, "America/New_York"),
        UsState("WI", "Wisconsin", 44.2685, -89.6165, "America/Chicago"),
        UsState("WY", "Wyoming", 42.7560, -107.3025, "America/Denver"),
        UsState("PR", "Puerto Rico", 18.2208, -66.5901, "America/Puerto_Rico"),
    )
}
_BY_NAME = {state.name.lower(): code for code, state in US_STATES.items()}


def normalize_state(value: str | None) -> str | None:
    """'tx', 'Texas', ' TX ' → 'TX'; anything unknown → None."""
    if value is None:
        return None
    cleaned = value.strip()
    if cleaned.upper() in US_STATES:
        return cleaned.upper()
    return _BY_NAME.get(cleaned.lower())
