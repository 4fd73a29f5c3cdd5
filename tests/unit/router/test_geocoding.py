from __future__ import annotations

import pytest

from router.domain.geocoding import GeocodeMethod, Place, geocode, normalize_zip
from router.domain.lead import Lead
from router.domain.states import STATE_CENTROIDS, normalize_state


class Gazetteer:
    def by_postal_code(self, zip5: str) -> Place | None:
        return Place(30.27, -97.74, "TX") if zip5 == "78701" else None

    def by_city(self, city: str, state: str) -> Place | None:
        return Place(29.42, -98.49, state) if (city.lower(), state) == ("san antonio", "TX") else None


@pytest.mark.parametrize(("raw", "expected"), [("78701", "78701"), ("78701-1234", "78701"),
                                               ("2115", "02115"), ("abcde", None), (None, None)])  # fmt: skip
def test_normalize_zip(raw: str | None, expected: str | None) -> None:
    assert normalize_zip(raw) == expected


def test_state_names_and_codes_normalize() -> None:
    assert normalize_state(" texas ") == "TX"
    assert normalize_state("tx") == "TX"
    assert normalize_state("Atlantis") is None


def test_postal_code_first() -> None:
    result = geocode(Lead("c", postal_code="78701", city="San Antonio", state="TX"), Gazetteer())
    assert (result.method, result.lat, result.state) == (GeocodeMethod.POSTAL_CODE, 30.27, "TX")


def test_unknown_zip_falls_back_to_city_then_state_centroid() -> None:
    city = geocode(Lead("c", postal_code="00000", city="San Antonio", state="Texas"), Gazetteer())
    assert city.method == GeocodeMethod.CITY_STATE
    centroid = geocode(Lead("c", city="Nowhere", state="TX"), Gazetteer())
    assert centroid.method == GeocodeMethod.STATE_CENTROID
    assert (centroid.lat, centroid.lon) == STATE_CENTROIDS["TX"]


def test_nothing_usable_is_unroutable() -> None:
    result = geocode(Lead("c", city="Springfield"), Gazetteer())
    assert result.method == GeocodeMethod.UNROUTABLE
    assert not result.routable
