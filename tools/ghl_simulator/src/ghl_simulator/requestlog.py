"""Every API request the simulator saw, with its resource and outcome, for tests to inspect."""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class LoggedRequest:
    seq: int
    t: float
    method: str
    path: str
    resource: str
    status: int
    outcome: str  # ok | rate_limited | storm | fault | crash | unauthorized | bad_request


class RequestLog:
    def __init__(self, size: int) -> None:
        self._entries: deque[LoggedRequest] = deque(maxlen=size)
        self._seq = 0

    def add(self, t: float, method: str, path: str, resource: str, status: int, outcome: str) -> None:
        self._seq += 1
        self._entries.append(LoggedRequest(self._seq, t, method, path, resource, status, outcome))

    def since(self, seq: int = 0) -> list[dict[str, Any]]:
        return [asdict(e) for e in self._entries if e.seq > seq]

    def clear(self) -> None:
        self._entries.clear()
