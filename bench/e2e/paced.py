"""openloop.py's generator (bench/ingest) that also prints when each request was due, as epoch
milliseconds: the end-to-end benchmark counts each lead's latency from that time to its decision's
broker timestamp. Run in its own process so the benchmark's own work (tailing topics) cannot delay
a send: the load stays open loop whatever the benchmark process is doing.

    python bench/e2e/paced.py --port 8001 --bodies bodies.tsv --rate 200 --seconds 10
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))

from openloop import OpenLoop, requests_from


class Paced(OpenLoop):  # type: ignore[misc]  # imported by path: untyped here
    def __init__(self, port: int, requests: list[bytes], rate: float, seconds: float, connections: int):
        super().__init__(port, requests, rate, seconds, connections)
        # perf_counter (the generator's clock) -> epoch, read once so every due time shares it.
        self.epoch_offset = time.time() - time.perf_counter()
        self.due_epoch_ms = [0.0] * self.total

    async def one(self, i: int, due: float) -> None:
        self.due_epoch_ms[i] = (due + self.epoch_offset) * 1000
        await super().one(i, due)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bodies", type=Path, required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    paced = Paced(args.port, requests_from(args.bodies, "/webhooks/ghl"), args.rate, args.seconds,
                  args.connections)  # fmt: skip
    result = uvloop.run(paced.run())
    result["due_epoch_ms"] = paced.due_epoch_ms
    print(json.dumps(result))


if __name__ == "__main__":
    main()
