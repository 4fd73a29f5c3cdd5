"""Names of every Redis key the router owns, all under one configurable prefix and one hash tag.

Every key is ``<prefix>:{<prefix>}:<name>``: it still starts with the configured prefix (SCAN MATCH
``<prefix>:*``, ACL key patterns and dashboards keep working), and the ``{<prefix>}`` hash tag puts
all of them in ONE Redis Cluster slot. A decision touches keys it only discovers while it runs
(each candidate's profile hash and capacity counter); sharing the slot is what lets decide.lua do
that atomically on a cluster. A prefix that already carries a hash tag (``{router}``, ``a{b}c``) is
used as it is: ``<prefix>:<name>``. See docs/decisions/router-redis-hash-tag.md.
"""

from __future__ import annotations

from dataclasses import dataclass


def has_hash_tag(name: str) -> bool:
    """Redis Cluster's rule: the first ``{``, then the first ``}`` after it, something in between."""
    opening = name.find("{")
    return opening >= 0 and name.find("}", opening + 1) > opening + 1


@dataclass(frozen=True, slots=True)
class RedisKeys:
    prefix: str

    def __post_init__(self) -> None:
        if ("{" in self.prefix or "}" in self.prefix) and not has_hash_tag(self.prefix):
            # e.g. "a{}b": Redis would hash each whole key, scattering one decision's keys
            raise ValueError(f"Redis prefix {self.prefix!r} has braces but no valid hash tag")

    @property
    def base(self) -> str:
        """What every key name starts with; the scripts get it to build the keys they discover."""
        return self.prefix if has_hash_tag(self.prefix) else f"{self.prefix}:{{{self.prefix}}}"

    @property
    def ready(self) -> str:
        """Present while the Redis directory is loaded; decisions refuse to run without it."""
        return f"{self.base}:ready"

    @property
    def rebuild_lock(self) -> str:
        return f"{self.base}:rebuild-lock"

    @property
    def geo(self) -> str:
        return f"{self.base}:geo"

    @property
    def timezones(self) -> str:
        return f"{self.base}:tzs"

    def state_geo(self, state: str) -> str:
        return f"{self.base}:geo:state:{state}"

    def location(self, location_id: str) -> str:
        return f"{self.base}:loc:{location_id}"

    def zip(self, postal_code: str) -> str:
        return f"{self.base}:zip:{postal_code}"

    def counter(self, location_id: str, day: str) -> str:
        return f"{self.base}:cap:{location_id}:{day}"

    @property
    def territories(self) -> str:
        """Hash zip → the location owning it (territories), kept with the directory."""
        return f"{self.base}:territory"

    @property
    def fair_passes(self) -> str:
        """Hash location → its pass of the fair tie policies (round robin and the weighted ones)."""
        return f"{self.base}:fair"

    def contact(self, contact_key: str) -> str:
        """A contact's last assignment ``<location>|<epoch s>`` (returning leads; TTL = window)."""
        return f"{self.base}:contact:{contact_key}"

    def reservation(self, lead_id: str) -> str:
        return f"{self.base}:lead:{lead_id}"

    def released(self, reservation_id: str) -> str:
        """Marker that a reservation's slot was given back once (SLA re-route)."""
        return f"{self.base}:released:{reservation_id}"

    def match(self, glob: str) -> str:
        """A SCAN MATCH pattern for key names ``glob`` (e.g. ``loc:*``) of this prefix."""
        return f"{self.base}:{glob}"

    @property
    def pattern(self) -> str:
        """Every key of this prefix."""
        return f"{self.prefix}:*"
