"""Small process and port helpers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from devstack.errors import DevstackError


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def port_accepts(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port(preferred: int | None = None) -> int:
    if preferred and port_is_free(preferred):
        return preferred
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is not alive for our purposes.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.split()[2] != "Z"
    except OSError:
        return True


def pid_written(pidfile: Path) -> int | None:
    """The pid in a daemon's pidfile; None while the file is missing or still empty (redis-server
    creates it before it writes the pid: read in between, it held '' and failed `devstack up`)."""
    try:
        text = pidfile.read_text().strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() else None


def wait_for_daemon(port: int, pidfile: Path, what: str, log: Path | None, timeout_s: float = 30) -> int:
    """Wait until a daemon that forked itself accepts on ``port`` and has written its pid; the pid.
    (redis-server creates the pidfile before it writes the pid into it.)"""
    wait_until(lambda: port_accepts(port) and pid_written(pidfile) is not None, timeout_s, what, log)
    pid = pid_written(pidfile)
    assert pid is not None  # wait_until returned
    return pid


def stop_pid(pid: int | None, timeout_s: float = 20.0) -> None:
    if not pid_alive(pid):
        return
    assert pid is not None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.2)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)


def wait_until(check: Callable[[], bool], timeout_s: float, what: str, log: Path | None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    tail = ""
    if log and log.exists():
        tail = "\n    " + "\n    ".join(log.read_text(errors="replace").splitlines()[-15:])
    raise DevstackError(f"{what} did not become ready in {timeout_s:.0f}s{tail}", f"see {log}")


def require_binary(name: str, fix: str) -> str:
    path = shutil.which(name)
    if not path:
        raise DevstackError(f"'{name}' not found on PATH", fix)
    return path


def apt_install(*packages: str) -> None:
    """Install Debian packages (as root); raises DevstackError with the fix when impossible."""
    if not shutil.which("apt-get"):
        raise DevstackError(
            f"{', '.join(packages)} missing and apt-get is not available",
            f"install {' '.join(packages)} with your package manager, or set the *_URL variables",
        )
    if os.geteuid() != 0:
        raise DevstackError(
            f"{', '.join(packages)} missing and devstack is not root",
            f"run: sudo apt-get install -y {' '.join(packages)}",
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", *packages]):
        result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise DevstackError(
                f"{' '.join(cmd)} failed: {result.stderr.strip()[-500:]}",
                "check the network to the Debian mirror and retry",
            )


def write_runfile(home: Path, pid: int, port: int, **extra: int | str) -> None:
    """Record which process serves ``home`` on which port, next to its data."""
    (home / "devstack-run.json").write_text(json.dumps({"pid": pid, "port": port, **extra}))


def running_from_runfile(home: Path) -> dict[str, int | str] | None:
    """The server recorded in ``home`` if it is still alive and listening, else None.

    This is what makes `up` safe when the state file is lost or was written by a run that used
    external servers: the server owning a data directory is found from the directory itself."""
    try:
        info: dict[str, int | str] = json.loads((home / "devstack-run.json").read_text())
    except (OSError, ValueError):
        return None
    pid, port = int(info.get("pid", 0)), int(info.get("port", 0))
    if pid_alive(pid) and port and port_accepts(port):
        return info
    return None
