"""GHL's retry-on-429 policy on a compressible clock (pure: no I/O, no time source of its own).

GHL answers a 429 by sending the same body again about ``interval_s`` later, up to ``max_retries``
times. ``speedup`` compresses only the waits between attempts (a 600 s wait sleeps
600 / speedup real seconds); an attempt itself takes the time the receiver takes.

The body's ``timestamp`` is signed at the first send, so every attempt reaches the receiver
with the same stamp, and the receiver judges its age by its own (real) clock. With compressed
waits a 60-minute-late retry would arrive seconds after its stamp, so the simulator stamps the
body ``stamp_lag_s`` in the past: the waits' share that the compression removed, for all
retries. The receiver then sees every attempt at least as old as GHL's would be, and the last
retry exactly as old (docs/decisions/ghl-simulator-webhook-retries.md).
"""

from __future__ import annotations

from dataclasses import dataclass

RETRY_STATUS = 429  # the only answer GHL retries; anything else (2xx, 4xx, 5xx, no answer) is final


@dataclass(frozen=True)
class WebhookClock:
    interval_s: float = 600.0  # simulated seconds from a 429 answer to the next attempt
    max_retries: int = 6
    speedup: float = 1.0  # 1: real GHL timing; 300: a 10-minute wait lasts 2 s

    def __post_init__(self) -> None:
        if self.interval_s < 0 or self.max_retries < 0:
            raise ValueError("interval_s and max_retries must not be negative")
        if self.speedup < 1:
            # a slowed clock would need a stamp in the future, which no GHL delivery carries
            raise ValueError("speedup must be at least 1")

    @property
    def wait_s(self) -> float:
        """Real seconds to wait after a 429 before the next attempt."""
        return self.interval_s / self.speedup

    @property
    def stamp_lag_s(self) -> float:
        """How far behind the wall clock a new delivery's ``timestamp`` is put (0 at speedup 1)."""
        return self.max_retries * (self.interval_s - self.wait_s)

    def stamp_time(self, wall_now: float) -> float:
        """The epoch time GHL would have stamped on a delivery first sent at ``wall_now``."""
        return wall_now - self.stamp_lag_s

    def sim_elapsed_s(self, real_elapsed_s: float, waits: int) -> float:
        """Time since the first send on GHL's clock, after ``waits`` compressed waits: the
        attempts themselves take real time, each wait counts as ``interval_s``."""
        return real_elapsed_s + waits * (self.interval_s - self.wait_s)

    def retries_after(self, status: int, attempts_made: int) -> bool:
        """Whether GHL sends the body again after this answer."""
        return status == RETRY_STATUS and attempts_made <= self.max_retries
