"""What every service's ``dlt list`` / ``dlt replay`` command shares, except typer itself: the
time arguments, the run and the lines printed. A service CLI declares the options and calls
``dlt_list`` / ``dlt_replay`` with its consumed topics; a ``ReplayError`` is its one line."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from leadflow_common.cli_errors import EXIT_CODE, infra_errors
from leadflow_common.kafka.dlt_records import ReplayFilter, Summary
from leadflow_common.kafka.replay import (
    ReplayError,
    ScanResult,
    list_dead_letters,
    replay_dead_letters,
    replayable,
    resolve_topics,
)
from leadflow_common.settings import KafkaSettings
from leadflow_common.topics import TopicSpec

_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
MESSAGE_WIDTH = 120


def parse_when(text: str | None, now: datetime | None = None) -> datetime | None:
    """``2h`` / ``30m`` / ``7d`` ago, or an ISO 8601 time (UTC when it names no zone)."""
    if text is None:
        return None
    relative = _RELATIVE.match(text.strip())
    if relative:
        amount, unit = relative.groups()
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[unit]: float(amount)})
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        example = "2h, 30m, 7d or 2026-12-01T10:00"
        raise ReplayError(f"cannot read the time {text!r}: use e.g. {example}") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _short(text: str, width: int = MESSAGE_WIDTH) -> str:
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1] + "…"


def _at(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ") if when is not None else "-"


def summary_lines(summary: Summary) -> list[str]:
    if not summary.groups:
        return ["no dead letters"]
    lines = [f"{'count':>7}  {'topic':<28} {'error class':<44} {'first':<20} {'last':<20} sample message"]
    for g in summary.by_count():
        lines.append(
            f"{g.count:>7}  {g.original_topic:<28} {g.error_class:<44} {_at(g.first):<20} "
            f"{_at(g.last):<20} {_short(g.sample_message, 60)}"
        )
    return lines


def record_lines(summary: Summary) -> list[str]:
    lines = []
    for d in summary.first:
        key = d.key.decode("utf-8", "replace") if d.key is not None else "-"
        lines.append(
            f"  {d.position}  {_at(d.timestamp)}  key={key}  event={d.event_id or '-'}  from={d.origin}  "
            f"{d.error_class}: {_short(d.error_message)}"
        )
    return lines


def _incomplete(result: ScanResult) -> list[str]:
    if result.complete:
        return []
    return ["stopped at the deadline before the end of every partition: run it again to continue"]


def list_lines(result: ScanResult) -> list[str]:
    head = f"{result.selected.total} dead letter(s) in the DLTs of {', '.join(result.topics)}"
    first = result.selected.first
    records = [f"first {len(first)}:", *record_lines(result.selected)] if first else []
    return [head, *summary_lines(result.selected), *records, *_incomplete(result)]


def replay_lines(result: ScanResult) -> list[str]:
    total = result.selected.total
    if result.dry_run:
        head = f"dry run: {total} of {result.scanned} dead letter(s) read would be replayed (nothing sent)"
    else:
        head = f"replayed {result.replayed} of {result.scanned} dead letter(s) read"
    lines = [f"{head}; progress group {result.group}"]
    if total:
        lines += summary_lines(result.selected)
        lines.append(f"first {len(result.selected.first)}:")
        lines += record_lines(result.selected)
    return lines + _incomplete(result)


def dlt_list(
    settings: KafkaSettings,
    consumed: Sequence[TopicSpec],
    topics: Sequence[str] | None,
    since: str | None,
    keep: int,
    timeout_s: float,
) -> list[str]:
    chosen = resolve_topics(consumed, topics)
    result = asyncio.run(list_dead_letters(settings, chosen, parse_when(since), keep, timeout_s))
    return list_lines(result)


def dlt_replay(
    settings: KafkaSettings,
    consumed: Sequence[TopicSpec],
    topics: Sequence[str] | None,
    *,
    error_class: str | None,
    message_contains: str | None,
    since: str | None,
    until: str | None,
    dry_run: bool,
    from_beginning: bool,
    allow_compacted: bool,
    keep: int,
    timeout_s: float,
) -> list[str]:
    now = datetime.now(UTC)
    selection = ReplayFilter(error_class, message_contains, parse_when(since, now), parse_when(until, now))
    if selection.since and selection.until and selection.since > selection.until:
        raise ReplayError("--since is after --until: nothing can match")
    chosen = replayable(resolve_topics(consumed, topics), allow_compacted, named=bool(topics))
    if not chosen:
        raise ReplayError("no topic to replay (compacted topics need --allow-compacted)")
    result = asyncio.run(
        replay_dead_letters(
            settings, chosen, selection, dry_run=dry_run, from_beginning=from_beginning, keep=keep,
            timeout_s=timeout_s,
        )
    )  # fmt: skip
    return replay_lines(result)


def run(service: str, command: Callable[[], list[str]]) -> None:
    """Run a dlt command and print its lines; an unreachable Kafka or a refused request is one
    line on stderr and exit code 2 (leadflow_common.cli_errors)."""
    with infra_errors(service):
        try:
            lines = command()
        except ReplayError as exc:
            print(f"{service}: {exc}", file=sys.stderr)
            raise SystemExit(EXIT_CODE) from None
    for line in lines:
        print(line)
