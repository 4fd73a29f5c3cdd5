"""Territories: a location may own zip codes exclusively. A lead whose zip is owned goes to the
owner while it is active with capacity; then the configured fallback (policies.TerritoryFallback)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from router.domain.geocoding import normalize_zip

# (zips to remove, zips to set, (zip, previous owner) of each zip taken from another location)
TerritoryChanges = tuple[list[str], list[str], list[tuple[str, str]]]
TERRITORY = "territory"
TERRITORY_FULL = "territory_full"
TERRITORY_OWNER_UNAVAILABLE = "territory_owner_unavailable"  # paused, offboarded, already had it


def owned_zips(values: Iterable[str]) -> tuple[str, ...]:
    """The 5-digit zips of a profile's ``territory_zips`` (sorted, unique); others are dropped
    (onboarding refuses them, so only a hand-written event can carry one)."""
    return tuple(sorted({z for v in values if (z := normalize_zip(v)) is not None}))


def territory_changes(
    location_id: str, old: Iterable[str], new: Iterable[str], owners: Mapping[str, str]
) -> TerritoryChanges:
    """What the zip → owner map needs when ``location_id`` moves from zips ``old`` to ``new``:
    (zips to remove — only those it still owns —, zips to set, (zip, previous owner) of every zip
    taken from another location, which validation should have prevented)."""
    new_set = set(new)
    removed = sorted(z for z in set(old) - new_set if owners.get(z) == location_id)
    taken = sorted((z, owners[z]) for z in new_set if owners.get(z) not in (None, location_id))
    return removed, sorted(new_set), taken
