"""The Redis side of the location directory: GEO index of active locations (global and per
state), profile hashes, zip → locations sets, the territory map (zip → owning location), and the
capacity counters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from leadflow_common.events.locations import LocationProfile, LocationStatus
from leadflow_common.logging import get_logger
from leadflow_common.redis import AnyRedis
from router.adapters.keys import RedisKeys
from router.domain.hours import encode
from router.domain.territory import TerritoryChanges, owned_zips, territory_changes
from router.profile_hours import from_business_hours

log = get_logger(__name__)

# Counters only ever move up on reconciliation: a live counter is ahead of Postgres (the
# reservation comes before the commit), so taking the max never loses an in-flight booking.
RAISE_COUNTERS = """
for i = 1, #KEYS do
  local want = tonumber(ARGV[i + 1])
  if want > tonumber(redis.call('GET', KEYS[i]) or '0') then
    redis.call('SET', KEYS[i], want, 'EX', ARGV[1])
  end
end
return #KEYS
"""


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


class RedisDirectory:
    def __init__(self, redis: AnyRedis, keys: RedisKeys, counter_ttl_s: int) -> None:
        self._redis = redis
        self._keys = keys
        self._counter_ttl_s = counter_ttl_s
        self._raise_counters = redis.register_script(RAISE_COUNTERS)

    async def apply(self, profile: LocationProfile) -> None:
        """Make Redis reflect ``profile``: only active, geocoded locations are searchable."""
        k = self._keys
        location_id = profile.location_id
        old_state, old_zip, old_terr = await self._redis.hmget(
            k.location(location_id), ["state", "zip", "terr"]
        )
        lat, lon = profile.lat, profile.lon
        # an offboarded location gives its territory up; a paused one keeps it (its leads fall back)
        zips = owned_zips(profile.territory_zips) if profile.status != LocationStatus.OFFBOARDED else ()
        old_zips = [z for z in (_text(old_terr) or "").split(",") if z]
        removed, owned, taken = await self._territory_changes(location_id, old_zips, zips)
        for zip5, previous in taken:
            log.warning("territory_conflict", zip=zip5, owner=location_id, previous_owner=previous)
        async with self._redis.pipeline(transaction=True) as pipe:
            self._unindex(pipe, location_id, _text(old_state), _text(old_zip))
            if removed:
                pipe.hdel(k.territories, *removed)
            if owned:
                pipe.hset(k.territories, mapping=dict.fromkeys(owned, location_id))
            if profile.status == LocationStatus.ACTIVE and lat is not None and lon is not None:
                point = (lon, lat, location_id)
                pipe.geoadd(k.geo, point)
                if profile.state:
                    pipe.geoadd(k.state_geo(profile.state), point)
                if profile.postal_code:
                    pipe.sadd(k.zip(profile.postal_code), location_id)
            pipe.hset(
                k.location(location_id),
                mapping={
                    "status": profile.status.value,
                    "cap": profile.daily_capacity,
                    "tz": profile.timezone,
                    "state": profile.state or "",
                    "zip": profile.postal_code or "",
                    "ghl": profile.ghl_location_id or "",
                    "name": profile.name,
                    "hours": encode(from_business_hours(profile.business_hours)),
                    "w": repr(profile.routing_weight),
                    # its own reach ('' = none): decide.lua reads it with status and cap
                    "rmax": ""
                    if profile.radius_override_miles is None
                    else repr(profile.radius_override_miles),
                    "terr": ",".join(zips),
                },
            )
            pipe.sadd(k.timezones, profile.timezone)
            await pipe.execute()

    async def remove(self, location_id: str) -> None:
        """Tombstone: the location leaves the index and its profile hash is deleted."""
        k = self._keys
        old_state, old_zip, old_terr = await self._redis.hmget(
            k.location(location_id), ["state", "zip", "terr"]
        )
        removed, _, _ = await self._territory_changes(location_id, (_text(old_terr) or "").split(","), ())
        async with self._redis.pipeline(transaction=True) as pipe:
            self._unindex(pipe, location_id, _text(old_state), _text(old_zip))
            if removed:
                pipe.hdel(k.territories, *removed)
            pipe.delete(k.location(location_id))
            await pipe.execute()

    async def _territory_changes(
        self, location_id: str, old: Iterable[str], new: Iterable[str]
    ) -> TerritoryChanges:
        zips = sorted({z for z in (*old, *new) if z})
        if not zips:
            return [], [], []
        current = await self._redis.hmget(self._keys.territories, zips)
        owners = {z: o for z, v in zip(zips, current, strict=True) if (o := _text(v)) is not None}
        return territory_changes(location_id, old, new, owners)

    async def territory_owner(self, zip5: str) -> str | None:
        return _text(await self._redis.hget(self._keys.territories, zip5))

    def _unindex(self, pipe: object, location_id: str, state: str | None, postal_code: str | None) -> None:
        k = self._keys
        pipe.zrem(k.geo, location_id)  # type: ignore[attr-defined]
        if state:
            pipe.zrem(k.state_geo(state), location_id)  # type: ignore[attr-defined]
        if postal_code:
            pipe.srem(k.zip(postal_code), location_id)  # type: ignore[attr-defined]

    async def is_loaded(self) -> bool:
        return bool(await self._redis.exists(self._keys.ready))

    async def mark_loaded(self) -> None:
        await self._redis.set(self._keys.ready, "1")

    async def clear_index(self) -> None:
        """Drop index, profiles, zip sets and the territory map (not counters, reservations, fair
        passes or returning contacts: state, not directory) before a full rebuild."""
        await self._redis.delete(self._keys.territories)  # one known key: no SCAN pass of its own
        for pattern in ("geo*", "loc:*", "zip:*"):
            batch: list[bytes] = []
            async for key in self._redis.scan_iter(match=self._keys.match(pattern), count=1000):
                batch.append(key)
            if batch:
                await self._redis.delete(*batch)

    async def set_counters(self, counts: Iterable[tuple[str, date, int]], only_raise: bool) -> int:
        """Counters from Postgres. ``only_raise``: live reconciliation (never lowers a counter)."""
        items = [(self._keys.counter(loc, day.isoformat()), n) for loc, day, n in counts]
        if not items:
            return 0
        if only_raise:
            await self._raise_counters(
                keys=[k for k, _ in items], args=[self._counter_ttl_s] + [n for _, n in items]
            )
        else:
            async with self._redis.pipeline(transaction=True) as pipe:
                for key, n in items:
                    pipe.set(key, n, ex=self._counter_ttl_s)
                await pipe.execute()
        return len(items)

    async def reserved(self, location_id: str, day: date) -> int:
        value = await self._redis.get(self._keys.counter(location_id, day.isoformat()))
        return int(value or 0)

    async def try_lock_rebuild(self, ttl_s: int = 30) -> bool:
        return bool(await self._redis.set(self._keys.rebuild_lock, "1", nx=True, ex=ttl_s))

    async def unlock_rebuild(self) -> None:
        await self._redis.delete(self._keys.rebuild_lock)
