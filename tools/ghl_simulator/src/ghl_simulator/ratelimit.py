"""GHL's per (app, resource) limits: a strict sliding window burst limit plus a daily quota."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limits:
    max: int
    interval_ms: int
    daily: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    headers: dict[str, str]


@dataclass
class SlidingWindowLimiter:
    """Counts accepted requests only; a rejected (429) request consumes nothing."""

    limits: Limits
    _recent: dict[str, deque[float]] = field(default_factory=dict)
    _daily: dict[tuple[str, str], int] = field(default_factory=dict)

    def check(self, resource: str, now: float | None = None) -> Verdict:
        now = time.time() if now is None else now
        window = self._recent.setdefault(resource, deque())
        horizon = now - self.limits.interval_ms / 1000
        while window and window[0] <= horizon:
            window.popleft()
        day_key = (resource, time.strftime("%Y-%m-%d", time.gmtime(now)))
        used_today = self._daily.get(day_key, 0)
        allowed = len(window) < self.limits.max and used_today < self.limits.daily
        if allowed:
            window.append(now)
            used_today += 1
            self._daily[day_key] = used_today
        return Verdict(allowed, self._headers(len(window), used_today))

    def _headers(self, in_window: int, used_today: int) -> dict[str, str]:
        return {
            "x-ratelimit-limit-daily": str(self.limits.daily),
            "x-ratelimit-daily-remaining": str(max(0, self.limits.daily - used_today)),
            "x-ratelimit-interval-milliseconds": str(self.limits.interval_ms),
            "x-ratelimit-max": str(self.limits.max),
            "x-ratelimit-remaining": str(max(0, self.limits.max - in_window)),
        }

    def exhausted_headers(self) -> dict[str, str]:
        return self._headers(self.limits.max, 0)

    def reset(self, limits: Limits | None = None) -> None:
        if limits is not None:
            self.limits = limits
        self._recent.clear()
        self._daily.clear()
