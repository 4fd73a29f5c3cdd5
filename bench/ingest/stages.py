"""Where a webhook request's CPU goes: py-spy samples of the server, attributed to stages.

Each sample is charged to the first stage (from the innermost frame outwards) whose pattern
one of its frames matches; the shares times the run's CPU µs per request give µs per stage.
py-spy comes from PyPI through uv (``uvx``), installed on first use.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("verify signature (Ed25519, libsodium)", ("SignatureVerifier.verify",)),
    ("parse + validate (orjson, pydantic)", ("build_webhook", "parse_ghl_event", "pydantic")),
    ("envelope + event id", ("encode_webhook_envelope", "envelope_headers", "event_id_for", "uuid.py")),
    ("Redis dedup (claim; confirm unawaited)", ("redis/", "redis_batch.py", "dedup.py")),
    ("Kafka produce (aiokafka, acks=all)", ("aiokafka/", "publisher.py")),
    ("tracing span", ("opentelemetry", "_server_span", "_traceparent")),
    ("metrics", ("prometheus_client",)),
    ("ingest glue (fast path, endpoint)", ("ingest/",)),
    ("HTTP server (uvicorn, httptools)", ("uvicorn/", "httptools")),
    ("framework (starlette, fastapi)", ("starlette/", "fastapi/")),
)
OTHER = "event loop, other"


def py_spy_command() -> list[str]:
    if shutil.which("py-spy"):
        return ["py-spy"]
    if shutil.which("uvx"):
        return ["uvx", "--from", "py-spy", "py-spy"]
    return ["uv", "tool", "run", "--from", "py-spy", "py-spy"]


def start_sampling(pid: int, seconds: int, out: Path) -> subprocess.Popen[bytes]:
    """Sample ``pid`` (non-idle threads only) for ``seconds`` into a collapsed-stack file."""
    command = [*py_spy_command(), "record", "--pid", str(pid), "--format", "raw", "--output", str(out)]
    command += ["--duration", str(seconds), "--rate", "200", "--nonblocking"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stage_shares(collapsed: Path) -> dict[str, float]:
    """Share of samples per stage (0..1), largest first."""
    counts: Counter[str] = Counter()
    for line in collapsed.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        counts[_stage(stack.split(";"))] += int(n)
    total = sum(counts.values()) or 1
    return {stage: n / total for stage, n in counts.most_common()}


def _stage(frames: list[str]) -> str:
    for frame in reversed(frames):
        for stage, patterns in STAGES:
            if any(pattern in frame for pattern in patterns):
                return stage
    return OTHER
