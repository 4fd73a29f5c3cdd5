"""CPU seconds of a process and of the Postgres backends that serve it (Linux /proc).

A backend is found from the client side: the process's TCP sockets (its fds → socket inodes →
/proc/net/tcp local ports) are matched with ``pg_stat_activity.client_port``, so other users of
the same Postgres server are not counted."""

from __future__ import annotations

import os
from pathlib import Path

import asyncpg

from bench.support.cpu import cpu_seconds


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def local_ports(pid: int) -> set[int]:
    inodes, ports = _socket_inodes(pid), set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            parts = line.split()
            if parts[9] in inodes:
                ports.add(int(parts[1].rsplit(":", 1)[1], 16))
    return ports


async def backend_pids(admin_dsn: str, client_pid: int) -> list[int]:
    """Postgres backend pids whose client is ``client_pid``."""
    ports = local_ports(client_pid)
    conn = await asyncpg.connect(admin_dsn)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[])", sorted(ports)
        )
    finally:
        await conn.close()
    return [r["pid"] for r in rows]


def total_cpu(pids: list[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)  # a backend that closed counts 0 from then on
