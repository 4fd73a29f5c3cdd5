"""Names of every Redis key the router owns, all under one configurable prefix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RedisKeys:
    prefix: str

    @property
    def ready(self) -> str:
        """Present while the Redis directory is loaded; decisions refuse to run without it."""
        return f"{self.prefix}:ready"

    @property
    def rebuild_lock(self) -> str:
        return f"{self.prefix}:rebuild-lock"

    @property
    def geo(self) -> str:
        return f"{self.prefix}:geo"

    @property
    def timezones(self) -> str:
        return f"{self.prefix}:tzs"

    def state_geo(self, state: str) -> str:
        return f"{self.prefix}:geo:state:{state}"

    def location(self, location_id: str) -> str:
        return f"{self.prefix}:loc:{location_id}"

    def zip(self, postal_code: str) -> str:
        return f"{self.prefix}:zip:{postal_code}"

    def counter(self, location_id: str, day: str) -> str:
        return f"{self.prefix}:cap:{location_id}:{day}"

    def reservation(self, lead_id: str) -> str:
        return f"{self.prefix}:lead:{lead_id}"

    @property
    def pattern(self) -> str:
        return f"{self.prefix}:*"
