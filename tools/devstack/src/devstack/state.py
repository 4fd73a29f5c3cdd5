"""The devstack state file: which servers it started, on which ports, with which pids."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from devstack.paths import state_dir


@dataclass
class ServerState:
    port: int = 0
    pid: int | None = None
    managed: bool = False  # started by devstack (down stops only these)
    url: str = ""
    extra: dict[str, int | str] = field(default_factory=dict)


@dataclass
class StackState:
    kafka: ServerState = field(default_factory=ServerState)
    postgres: ServerState = field(default_factory=ServerState)
    redis: ServerState = field(default_factory=ServerState)

    @staticmethod
    def path() -> Path:
        return state_dir() / "state.json"

    @classmethod
    def load(cls) -> StackState:
        try:
            raw = json.loads(cls.path().read_text())
        except (OSError, ValueError):
            return cls()
        return cls(**{k: ServerState(**v) for k, v in raw.items() if k in ("kafka", "postgres", "redis")})

    def save(self) -> None:
        tmp = self.path().with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2))
        tmp.replace(self.path())
