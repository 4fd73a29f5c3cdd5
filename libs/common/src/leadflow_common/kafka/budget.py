"""How long one poll's batch may take, and how long a partition whose records must wait is paused
(pure: no I/O; docs/decisions/0010-bounded-handling-and-partition-pause.md).

aiokafka measures ``max_poll_interval_ms`` between ``getmany`` calls: a member that does not poll
for that long leaves the group (its partitions move, the in-flight batch is applied twice). So a
batch, retries included, gets a share of that interval; what is not done by then is rewound and
read again after a poll, and a partition whose records keep failing is paused (fetching stops,
polling goes on) instead of being retried in process.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Clock = Callable[[], float]
K = TypeVar("K", bound=Hashable)


def handling_budget_s(max_poll_interval_ms: int, share: float) -> float:
    """The longest one batch may take: ``share`` of the poll interval (the rest covers the poll,
    decoding and a rebalance callback that waits for the batch)."""
    return max(max_poll_interval_ms, 1) / 1000 * min(max(share, 0.01), 0.95)


@dataclass
class Budget:
    """The deadline of one batch: every handler call and retry wait fits in what is left."""

    deadline: float
    clock: Clock = time.monotonic

    @classmethod
    def start(cls, seconds: float, clock: Clock = time.monotonic) -> Budget:
        return cls(clock() + seconds, clock)

    def remaining(self) -> float:
        return max(self.deadline - self.clock(), 0.0)

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def fits(self, wait_s: float) -> bool:
        """A retry that first waits ``wait_s`` still has time to run."""
        return self.remaining() > wait_s


@dataclass
class PauseBackoff(Generic[K]):
    """Per partition: the pause after each consecutive failure doubles from ``base_s`` up to
    ``cap_s``, with jitter on its upper half (replicas paused by one outage do not all come back
    in the same instant, and a pause never drops to nothing); a success resets it."""

    base_s: float
    cap_s: float
    rng: random.Random = field(default_factory=random.Random)
    _failures: dict[K, int] = field(default_factory=dict)

    def next(self, key: K) -> float:
        n = self._failures.get(key, 0)
        self._failures[key] = n + 1
        ceiling = min(self.cap_s, self.base_s * 2 ** min(n, 32))
        return float(ceiling / 2 + self.rng.uniform(0, ceiling / 2))

    def reset(self, key: K) -> None:
        self._failures.pop(key, None)

    def failures(self, key: K) -> int:
        return self._failures.get(key, 0)


@dataclass
class PollSize:
    """Records per poll: halved after a batch ran out of its budget (a batch too big to finish in
    time would otherwise be read, timed out and read again forever), doubled back after a batch
    that fitted, never above ``ceiling``."""

    ceiling: int
    current: int = 0

    def __post_init__(self) -> None:
        self.ceiling = max(self.ceiling, 1)
        self.current = self.current or self.ceiling

    def over_budget(self) -> int:
        self.current = max(self.current // 2, 1)
        return self.current

    def fitted(self) -> int:
        self.current = min(self.current * 2, self.ceiling)
        return self.current
