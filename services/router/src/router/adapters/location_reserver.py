"""Booking a slot of one named location (reserve.lua) for a person's reassignment: the same
eligibility and replay rule as a routing decision, atomic in one script, and its undo."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadflow_common.redis import AnyRedis
from router.adapters.keys import RedisKeys

SCRIPT = (Path(__file__).with_name("reserve.lua")).read_text()


class Booking(enum.StrEnum):
    BOOKED = "booked"
    REPLAYED = "replayed"  # this reservation id already holds a slot there (a retried move)
    FULL = "full"
    INACTIVE = "inactive"  # paused, quarantined, offboarded...
    MISSING = "missing"  # not in the Redis directory (unknown, removed, or Redis lost)


@dataclass(frozen=True, slots=True)
class BookingResult:
    outcome: Booking
    reserved: int | None = None
    daily_capacity: int | None = None
    status: str | None = None

    @property
    def holds_slot(self) -> bool:
        return self.outcome in (Booking.BOOKED, Booking.REPLAYED)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class LocationReserver:
    def __init__(self, redis: AnyRedis, keys: RedisKeys, reservation_ttl_s: int, counter_ttl_s: int) -> None:
        self._keys = keys
        self._ttls = (str(reservation_ttl_s), str(counter_ttl_s))
        self._script = redis.register_script(SCRIPT)

    def _keys_of(self, reservation_id: str, location_id: str, day: str) -> list[str]:
        k = self._keys
        return [k.reservation(reservation_id), k.location(location_id), k.counter(location_id, day)]

    async def reserve(self, reservation_id: str, location_id: str, day: str, ratio: float,
                      distance_miles: float | None, rule: str) -> BookingResult:  # fmt: skip
        """One slot of ``location_id`` on its local ``day`` while reserved < ``ratio`` x capacity."""
        stored = f"{location_id}|{distance_miles if distance_miles is not None else 0.0}|{day}|{rule}"
        args = [self._keys.base, location_id, day, repr(ratio), *self._ttls, stored, "reserve"]
        reply = await self._script(keys=self._keys_of(reservation_id, location_id, day), args=args)
        kind = Booking(_text(reply[0]))
        if kind in (Booking.BOOKED, Booking.FULL):
            return BookingResult(kind, int(reply[1]), int(reply[2]))
        if kind == Booking.INACTIVE:
            return BookingResult(kind, status=_text(reply[1]))
        return BookingResult(kind)

    async def undo(self, reservation_id: str, location_id: str, day: str) -> bool:
        """Give back a booking this reservation id holds at ``location_id`` (its move was not stored)."""
        args = [self._keys.base, location_id, day, "1", *self._ttls, "", "undo"]
        reply = await self._script(keys=self._keys_of(reservation_id, location_id, day), args=args)
        return _text(reply[0]) == "undone"
