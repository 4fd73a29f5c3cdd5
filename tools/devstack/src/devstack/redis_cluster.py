"""A local Redis Cluster of N masters (default 3, no replicas) from the Debian redis-server.

Each node is ``redis-server --cluster-enabled yes`` on a free port with its own free cluster-bus
port (``--cluster-port``: the default port + 10000 may be out of range or taken), data and
nodes.conf in ``<home>/<port>/``; then ``redis-cli --cluster create ... --cluster-replicas 0
--cluster-yes`` assigns the 16384 slots. The cluster is ready when every node reports
``cluster_state:ok``. Clients use ``redis+cluster://127.0.0.1:<first port>`` (leadflow_common.redis).

For a test: ``with running_cluster(tmp_dir) as cluster: ...`` (stopped and left on disk after).
By hand: ``devstack redis-cluster up`` / ``down`` (home ``.devstack/redis-cluster``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from devstack.errors import DevstackError
from devstack.paths import state_dir
from devstack.procs import (
    apt_install,
    free_port,
    pid_alive,
    port_accepts,
    stop_pid,
    wait_for_daemon,
    wait_until,
)
from devstack.redis_server import binary as server_binary

RUNFILE = "cluster.json"


@dataclass(frozen=True)
class RedisClusterState:
    home: str
    ports: tuple[int, ...]
    pids: tuple[int, ...]

    @property
    def url(self) -> str:
        """What REDIS_URL should be for make_redis to build a cluster client (any node seeds it)."""
        return f"redis+cluster://127.0.0.1:{self.ports[0]}"

    def alive(self) -> bool:
        return all(pid_alive(pid) for pid in self.pids) and all(port_accepts(p) for p in self.ports)


def cli_binary() -> str:
    path = shutil.which("redis-cli")
    if not path:
        apt_install("redis-tools")
        path = shutil.which("redis-cli")
    if not path:
        raise DevstackError("redis-cli not found after install", "apt-get install -y redis-tools")
    return path


def _cli(*args: str, timeout_s: float = 60) -> str:
    res = subprocess.run(
        [cli_binary(), *args], capture_output=True, text=True, timeout=timeout_s, check=False
    )
    if res.returncode != 0:
        raise DevstackError(f"redis-cli {' '.join(args)} failed: {(res.stderr or res.stdout)[-500:]}",
                            "see the node logs in the cluster home")  # fmt: skip
    return res.stdout


def _start_node(home: Path, port: int, bus_port: int) -> int:
    node = home / str(port)
    node.mkdir(parents=True, exist_ok=True)
    pidfile, log = node / "redis.pid", node / "redis.log"
    (node / "nodes.conf").unlink(missing_ok=True)  # a stale nodes.conf would rejoin an old cluster
    pidfile.unlink(missing_ok=True)  # one left by a killed run would be read as the new node's
    options = {
        "port": port, "bind": "127.0.0.1", "protected-mode": "yes", "cluster-enabled": "yes",
        "cluster-config-file": node / "nodes.conf", "cluster-port": bus_port, "cluster-node-timeout": 5000,
        "dir": node, "daemonize": "yes", "pidfile": pidfile, "logfile": log, "save": "", "appendonly": "no",
    }  # fmt: skip
    args = [part for name, value in options.items() for part in (f"--{name}", str(value))]
    res = subprocess.run([server_binary(), *args], capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise DevstackError(f"redis-server (cluster node :{port}) failed: {res.stderr[-500:]}", f"see {log}")
    return wait_for_daemon(port, pidfile, f"Redis cluster node :{port}", log)


def _cluster_ok(port: int) -> bool:
    try:
        return "cluster_state:ok" in _cli("-p", str(port), "cluster", "info", timeout_s=5)
    except (DevstackError, subprocess.TimeoutExpired):
        return False


def start(home: Path, masters: int = 3) -> RedisClusterState:
    """Start ``masters`` fresh nodes under ``home`` and create the cluster over them."""
    home.mkdir(parents=True, exist_ok=True)
    ports: list[int] = []
    pids: list[int] = []
    try:
        for _ in range(masters):
            port = free_port()
            bus = free_port()
            while bus == port or bus in ports:
                bus = free_port()
            pids.append(_start_node(home, port, bus))
            ports.append(port)
        _cli(
            "--cluster",
            "create",
            *(f"127.0.0.1:{p}" for p in ports),
            "--cluster-replicas",
            "0",
            "--cluster-yes",
        )
        # every node must have learned the slot map (gossip), not only the one we asked
        wait_until(
            lambda: all(_cluster_ok(p) for p in ports),
            60,
            "Redis cluster state ok",
            home / f"{ports[0]}" / "redis.log",
        )
    except BaseException:
        for pid in pids:
            stop_pid(pid)
        raise
    state = RedisClusterState(str(home), tuple(ports), tuple(pids))
    (home / RUNFILE).write_text(json.dumps(asdict(state)))
    return state


def stop(state: RedisClusterState) -> None:
    for pid in state.pids:
        stop_pid(pid)
    (Path(state.home) / RUNFILE).unlink(missing_ok=True)


def _runfile(home: Path) -> RedisClusterState | None:
    try:
        info = json.loads((home / RUNFILE).read_text())
    except (OSError, ValueError):
        return None
    return RedisClusterState(info["home"], tuple(info["ports"]), tuple(info["pids"]))


def recorded(home: Path) -> RedisClusterState | None:
    """The cluster recorded under ``home`` if all its nodes still run."""
    state = _runfile(home)
    return state if state is not None and state.alive() else None


def default_home() -> Path:
    return state_dir() / "redis-cluster"


def up(home: Path | None = None, masters: int = 3) -> RedisClusterState:
    """The running cluster of ``home`` (default .devstack/redis-cluster), started if needed."""
    home = home or default_home()
    found = recorded(home)
    if found is not None:
        return found
    return start(home, masters)


def down(home: Path | None = None) -> bool:
    """Stop the nodes recorded under ``home`` (those still alive); False when none was recorded."""
    found = _runfile(home or default_home())
    if found is None:
        return False
    stop(found)
    return True


@contextmanager
def running_cluster(home: Path, masters: int = 3) -> Iterator[RedisClusterState]:
    state = start(home, masters)
    try:
        yield state
    finally:
        stop(state)
