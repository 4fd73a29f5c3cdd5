"""One supervised child process: started with its own env and log file, awaited on an HTTP
readiness URL, stopped gracefully (SIGTERM) or killed (SIGKILL) for fault tests."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx


class ProcessFailed(RuntimeError):
    pass


@dataclass
class ServiceProcess:
    name: str
    argv: list[str]
    env: dict[str, str]
    ready_url: str
    log_path: Path
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.argv,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        last = ""
        while time.monotonic() < deadline:
            if not self.running:
                raise ProcessFailed(
                    f"{self.name} exited with {self.proc and self.proc.returncode}\n{self.log_tail()}"
                )
            try:
                response = httpx.get(self.ready_url, timeout=2.0)
                if response.status_code == 200:
                    return
                last = response.text[:300]
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.3)
        raise ProcessFailed(f"{self.name} not ready after {timeout_s:.0f}s: {last}\n{self.log_tail()}")

    def stop(self, timeout_s: float = 20.0) -> None:
        if not self.running or self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def kill9(self) -> None:
        if self.running and self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)

    def log_tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def run_cli(
    argv: list[str], env: dict[str, str], timeout_s: float = 300.0
) -> subprocess.CompletedProcess[str]:
    """Run a one-shot command (migrate, import) to completion with the system's env."""
    return subprocess.run(
        argv, env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout_s, check=False
    )
