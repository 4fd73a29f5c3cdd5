"""The offline gazetteer behind the geocoder: US postal codes and cities from ``zipcodes``."""

from __future__ import annotations

import functools

import zipcodes

from router.domain.geocoding import Place


class ZipcodesGazetteer:
    """Indexes the package's data once (its own filters scan the whole list on every call)."""

    def __init__(self) -> None:
        self._by_zip: dict[str, Place] = {}
        self._by_city: dict[tuple[str, str], Place] = {}
        for row in zipcodes.list_all():  # type: ignore[no-untyped-call]
            try:
                place = Place(float(row["lat"]), float(row["long"]), row["state"])
            except (KeyError, TypeError, ValueError):
                continue
            self._by_zip[row["zip_code"]] = place
            self._by_city.setdefault((row["city"].lower(), row["state"]), place)

    def by_postal_code(self, zip5: str) -> Place | None:
        return self._by_zip.get(zip5)

    def by_city(self, city: str, state: str) -> Place | None:
        return self._by_city.get((city.lower(), state.upper()))


@functools.cache
def default_gazetteer() -> ZipcodesGazetteer:
    return ZipcodesGazetteer()
