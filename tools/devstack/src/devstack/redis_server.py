"""Redis from Debian packages, on a free local port with data in .devstack/."""

from __future__ import annotations

import shutil
import subprocess

from devstack.errors import DevstackError
from devstack.paths import state_dir
from devstack.procs import (
    apt_install,
    free_port,
    pid_alive,
    port_accepts,
    running_from_runfile,
    stop_pid,
    wait_for_daemon,
)
from devstack.state import ServerState


def binary() -> str:
    path = shutil.which("redis-server")
    if not path:
        apt_install("redis-server")
        path = shutil.which("redis-server")
    if not path:
        raise DevstackError("redis-server not found after install", "apt-get install -y redis-server")
    return path


def start(state: ServerState) -> ServerState:
    home = state_dir() / "redis"
    home.mkdir(parents=True, exist_ok=True)
    if state.managed and pid_alive(state.pid) and port_accepts(state.port):
        return state
    if found := running_from_runfile(home):
        port_found = int(found["port"])
        return ServerState(
            port=port_found, pid=int(found["pid"]), managed=True, url=f"redis://127.0.0.1:{port_found}/0"
        )
    port = free_port(state.port or 6379)
    log = home / "redis.log"
    pidfile = home / "redis.pid"
    pidfile.unlink(missing_ok=True)  # one left by a killed run would be read as the new server's
    res = subprocess.run(
        [
            binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(home),
            "--daemonize",
            "yes",
            "--pidfile",
            str(pidfile),
            "--logfile",
            str(log),
            "--appendonly",
            "yes",
            "--save",
            "",
            "--protected-mode",
            "yes",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        raise DevstackError(f"redis-server failed to start: {res.stderr[-500:]}", f"see {log}")
    pid = wait_for_daemon(port, pidfile, "Redis", log)
    return ServerState(port=port, pid=pid, managed=True, url=f"redis://127.0.0.1:{port}/0")


def stop(state: ServerState) -> None:
    if state.managed:
        stop_pid(state.pid)
