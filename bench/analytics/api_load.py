"""Open-loop GET load on the dashboard API: requests due at a constant rate, at most
``--connections`` in flight (the concurrent clients), latency from each request's due time.

Runs as its own process (the load must not share the server's event loop) on the open-loop engine
of bench/ingest/openloop.py; prints one JSON line.

    python bench/analytics/api_load.py --port 8004 --token T --rate 100 --seconds 10 --connections 20 PATH...
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2])]

import uvloop  # noqa: E402

from bench.ingest.openloop import OpenLoop  # noqa: E402


def get_request(path: str, token: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n".encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    requests = [get_request(p, args.token) for p in args.paths]
    started = time.monotonic()
    result = uvloop.run(OpenLoop(args.port, requests, args.rate, args.seconds, args.connections).run())
    result["wall_s"] = time.monotonic() - started
    print(json.dumps(result))


if __name__ == "__main__":
    main()
