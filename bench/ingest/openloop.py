"""Open-loop HTTP load: requests scheduled at a constant rate, latency from the scheduled time.

A closed-loop tool (wrk, or a client that waits for each answer) sends the next request only
after the previous one returned, so a slow server is offered less load and the queueing never
shows in its percentiles (coordinated omission). Here request ``i`` is due at ``t0 + i / rate``
whatever happened before; it goes out on an idle keep-alive connection (a new one is opened
while fewer than ``--connections`` exist, else it waits for one) and its latency is measured
from when it was due, so time spent waiting for the server or for a connection counts.
``send_lag`` (sent − due) shows whether this generator itself kept up.

    python bench/ingest/openloop.py --port 8001 --bodies bodies.tsv --rate 1000 --seconds 10

Bodies: a file of ``signature<TAB>json`` lines, one request each (cycled). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

import httptools
import uvloop


def requests_from(bodies: Path, path: str) -> list[bytes]:
    out = []
    for line in bodies.read_bytes().splitlines():
        signature, body = line.split(b"\t", 1)
        out.append(
            b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"x-ghl-signature: "
            + signature
            + b"\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )
    return out


class Connection(asyncio.Protocol):
    """One keep-alive connection carrying one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.done: asyncio.Future[int] | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport subclass

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._finish(exc)

    def on_message_complete(self) -> None:
        self._finish(self.parser.get_status_code())

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._finish(exc or ConnectionError("closed"))

    def _finish(self, outcome: int | BaseException) -> None:
        if self.done is not None and not self.done.done():
            if isinstance(outcome, int):
                self.done.set_result(outcome)
            else:
                self.done.set_exception(outcome)

    async def send(self, request: bytes) -> int:
        assert self.transport is not None
        self.done = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.done


class OpenLoop:
    def __init__(self, port: int, requests: list[bytes], rate: float, seconds: float, connections: int):
        self.port, self.requests, self.rate = port, requests, rate
        self.total = int(rate * seconds)
        self.max_connections = connections
        self.idle: asyncio.Queue[Connection] = asyncio.Queue()
        self.opened = 0
        self.latency: list[float] = []
        self.send_lag: list[float] = []
        self.statuses: dict[str, int] = {}
        self.errors = 0

    async def connection(self) -> Connection:
        if self.idle.empty() and self.opened < self.max_connections:
            self.opened += 1
            _, conn = await asyncio.get_running_loop().create_connection(Connection, "127.0.0.1", self.port)
            return conn
        return await self.idle.get()

    async def one(self, i: int, due: float) -> None:
        conn = await self.connection()
        self.send_lag.append(time.perf_counter() - due)
        try:
            status = await conn.send(self.requests[i % len(self.requests)])
            self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
        except Exception:
            self.errors += 1
        self.latency.append(time.perf_counter() - due)
        if conn.closed:
            self.opened -= 1
        else:
            self.idle.put_nowait(conn)

    async def run(self) -> dict[str, object]:
        # time.perf_counter, not loop.time(): uvloop's loop clock has millisecond resolution.
        loop = asyncio.get_running_loop()
        tasks: set[asyncio.Task[None]] = set()
        start = time.perf_counter() + 0.05
        sent = 0
        while sent < self.total:
            now = time.perf_counter()
            due_count = min(self.total, int((now - start) * self.rate) + 1) if now >= start else 0
            while sent < due_count:
                task = loop.create_task(self.one(sent, start + sent / self.rate))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                sent += 1
            await asyncio.sleep(max(0.0, start + sent / self.rate - time.perf_counter()))
        if tasks:
            await asyncio.wait(tasks, timeout=30)
        elapsed = time.perf_counter() - start
        return self.summary(elapsed)

    def summary(self, elapsed: float) -> dict[str, object]:
        lat = sorted(self.latency)
        lag = sorted(self.send_lag)

        def pct(values: list[float], p: float) -> float:
            return 1000 * values[min(len(values) - 1, int(p / 100 * len(values)))] if values else float("nan")

        ok = self.statuses.get("200", 0)
        return {
            "offered_per_s": self.rate,
            "completed": len(lat),
            "ok_per_s": ok / elapsed,
            "p50_ms": pct(lat, 50),
            "p90_ms": pct(lat, 90),
            "p99_ms": pct(lat, 99),
            "p999_ms": pct(lat, 99.9),
            "max_ms": 1000 * lat[-1] if lat else float("nan"),
            "send_lag_p99_ms": pct(lag, 99),
            "connections": self.opened,
            "statuses": self.statuses,
            "errors": self.errors + (self.total - len(lat)),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bodies", type=Path, required=True)
    parser.add_argument("--path", default="/webhooks/ghl")
    parser.add_argument("--rate", type=float, default=1000.0, help="requests per second, constant")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=256, help="most keep-alive connections")
    args = parser.parse_args()
    requests = requests_from(args.bodies, args.path)
    started = time.monotonic()
    result = uvloop.run(OpenLoop(args.port, requests, args.rate, args.seconds, args.connections).run())
    result["wall_s"] = time.monotonic() - started
    print(json.dumps(result))


if __name__ == "__main__":
    main()
