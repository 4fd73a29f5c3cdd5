"""Sub-accounts whose GHL credentials are refused: the syncs to them wait (their partitions are
paused and retried with backoff, never dead-lettered) and the block is visible: the gauge
``leadflow_ghl_auth_blocked{location_id}`` (alert: deploy/k8s/base/alerts.yaml), one structured
error log when a block starts and one when it ends, and ``GET /sync/status``
(docs/decisions/0011-ghl-auth-errors-pause-the-sync.md)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from prometheus_client import Gauge

from leadflow_common.kafka.budget import PauseBackoff
from leadflow_common.logging import get_logger

log = get_logger(__name__)

AUTH_BLOCKED = Gauge(
    "leadflow_ghl_auth_blocked",
    "1 while GHL refuses this sub-account's credentials (401/403): its syncs wait, nothing is dead-lettered",
    ["location_id"],
)
# Retries of a blocked sub-account: a reinstall takes minutes, not seconds, and each retry costs a
# token exchange and a refused call per waiting lead; the cap bounds how late a fix is noticed.
FIRST_RETRY_S = 2.0
MAX_RETRY_S = 180.0


@dataclass
class Block:
    location_id: str  # the GHL sub-account id
    since: float  # epoch seconds of the first refusal
    last_seen: float
    refusals: int
    error: str
    retry_after_s: float = 0.0  # the pause before its leads are tried again

    def as_dict(self) -> dict[str, Any]:
        return {
            "location_id": self.location_id,
            "since": self.since,
            "last_seen": self.last_seen,
            "refusals": self.refusals,
            "error": self.error,
            "retry_after_s": round(self.retry_after_s, 1),
        }


class AuthBlocks:
    """The sub-accounts blocked now, in this process (each replica reports its own partitions)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        first_retry_s: float = FIRST_RETRY_S,
        max_retry_s: float = MAX_RETRY_S,
    ) -> None:
        self._clock = clock
        self._blocks: dict[str, Block] = {}
        self._backoff: PauseBackoff[str] = PauseBackoff(first_retry_s, max_retry_s)

    def refused(self, location_id: str, error: BaseException, leads: int) -> Block:
        now = self._clock()
        text = f"{type(error).__name__}: {error}"[:300]
        block = self._blocks.get(location_id)
        if block is None:
            block = self._blocks[location_id] = Block(location_id, now, now, 0, text)
            AUTH_BLOCKED.labels(location_id).set(1)
            log.error("ghl_auth_blocked", location_id=location_id, leads=leads, error=text,
                      action="its syncs wait: reinstall the app there or fix the token")  # fmt: skip
        else:
            log.warning("ghl_auth_still_blocked", location_id=location_id, leads=leads,
                        refusals=block.refusals + 1, blocked_s=round(now - block.since, 1))  # fmt: skip
        block.refusals += 1
        block.last_seen = now
        block.error = text
        block.retry_after_s = self._backoff.next(location_id)
        return block

    def working(self, location_ids: Iterable[str]) -> None:
        """Calls on these sub-accounts went through: their credentials work (again)."""
        for location_id in location_ids:
            block = self._blocks.pop(location_id, None)
            if block is None:
                continue
            self._backoff.reset(location_id)
            AUTH_BLOCKED.remove(location_id)
            log.info("ghl_auth_restored", location_id=location_id, refusals=block.refusals,
                     blocked_s=round(self._clock() - block.since, 1))  # fmt: skip

    def blocked(self) -> list[Block]:
        return sorted(self._blocks.values(), key=lambda b: b.since)

    def is_blocked(self, location_id: str) -> bool:
        return location_id in self._blocks
