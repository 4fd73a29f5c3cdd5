"""One US state table: codes, names, centroids and timezones, shared by router and onboarding."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from leadflow_common.us_states import US_STATES, normalize_state
from onboarding.domain.us_states import STATES
from router.domain.states import STATE_CENTROIDS


def test_fifty_states_dc_and_puerto_rico_with_valid_timezones_and_centroids() -> None:
    assert len(US_STATES) == 52
    for code, state in US_STATES.items():
        assert state.code == code and len(code) == 2
        ZoneInfo(state.timezone)
        assert 17 < state.lat < 72 and -180 < state.lon < -64, code


def test_both_services_read_the_shared_table() -> None:
    assert STATE_CENTROIDS["TX"] == (US_STATES["TX"].lat, US_STATES["TX"].lon)
    assert STATES["WY"] == (US_STATES["WY"].lat, US_STATES["WY"].lon, "America/Denver")
    assert STATES.keys() == STATE_CENTROIDS.keys() == US_STATES.keys()


def test_normalize_state() -> None:
    assert normalize_state(" tx ") == "TX"
    assert normalize_state("District of Columbia") == "DC"
    assert normalize_state("new york") == "NY"
    assert normalize_state("Atlantis") is None
    assert normalize_state(None) is None
