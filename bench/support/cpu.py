"""CPU time of the processes a benchmark involves, read from /proc (Linux): the services it
starts and the infrastructure servers (Kafka, PostgreSQL, Redis) they talk to."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
INFRA = {"kafka": "kafka.Kafka", "postgres": "postgres", "redis": "redis-server"}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def pids_matching(needle: str) -> list[int]:
    """Processes whose command line contains ``needle`` (postgres: the server and its backends)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if needle in cmdline and "pytest" not in cmdline:
            out.append(int(entry.name))
    return out


@dataclass
class CpuMeter:
    """CPU seconds per named group of processes between ``start()`` and ``stop()``."""

    groups: dict[str, list[int]]

    @classmethod
    def with_infra(cls, services: dict[str, list[int]]) -> CpuMeter:
        return cls({**services, **{name: pids_matching(n) for name, n in INFRA.items()}})

    def _sample(self) -> dict[str, float]:
        if "postgres" in self.groups:  # backends come and go: look them up again
            self.groups["postgres"] = pids_matching(INFRA["postgres"])
        return {name: sum(cpu_seconds(p) for p in pids) for name, pids in self.groups.items()}

    def start(self) -> None:
        self._started = self._sample()

    def stop(self) -> dict[str, float]:
        ended = self._sample()
        return {name: max(0.0, ended[name] - self._started.get(name, 0.0)) for name in ended}
