"""Dead-letter records: filters, progress names, replay headers, time arguments, topic choice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadflow_common.kafka.dlt_cli import list_lines, parse_when, replay_lines
from leadflow_common.kafka.dlt_records import (
    REPLAYED_FROM,
    DeadLetter,
    ReplayFilter,
    Summary,
    progress_group,
    replay_headers,
    replay_value,
)
from leadflow_common.kafka.replay import ReplayError, ScanResult, replayable, resolve_topics
from leadflow_common.topics import GHL_EVENTS, LEADS_ASSIGNED, LOCATIONS

AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def dead(
    error_class: str = "builtins.ValueError",
    message: str = "poison payload",
    at: datetime = AT,
    value: bytes | None = b'{"event_id": "e1"}',
    extra: tuple[tuple[str, bytes], ...] = (),
) -> DeadLetter:
    headers = (
        ("traceparent", b"00-abc-def-01"),
        ("content-type", b""),
        ("correlation_id", b"c1"),
        ("error.class", error_class.encode()),
        ("error.message", message.encode()),
        ("original.topic", b"ns.ghl.events.v1"),
        ("original.partition", b"3"),
        ("original.offset", b"41"),
        *extra,
    )
    return DeadLetter("ns.ghl.events.v1.DLT", 5, 7, at, b"contact-1", value, headers)


def test_error_class_matches_full_name_or_last_part_only() -> None:
    assert ReplayFilter(error_class="ValueError").selects_error(dead())
    assert ReplayFilter(error_class="builtins.ValueError").selects_error(dead())
    assert not ReplayFilter(error_class="Value").selects_error(dead())
    assert not ReplayFilter(error_class="TypeError").selects_error(dead())


def test_message_filter_is_a_case_insensitive_substring() -> None:
    assert ReplayFilter(message_contains="POISON").selects_error(dead())
    assert not ReplayFilter(message_contains="timeout").selects_error(dead())
    assert not ReplayFilter("ValueError", "timeout").selects_error(dead())


def test_time_bounds() -> None:
    window = ReplayFilter(since=AT - timedelta(hours=1), until=AT + timedelta(hours=1))
    assert not window.too_old(dead()) and not window.too_new(dead())
    assert window.too_old(dead(at=AT - timedelta(hours=2)))
    assert window.too_new(dead(at=AT + timedelta(hours=2)))


def test_progress_group_depends_on_the_content_filter_only() -> None:
    assert progress_group(ReplayFilter()) == "leadflow-dlt-replay.all"
    by_class = progress_group(ReplayFilter(error_class="ValueError"))
    assert by_class == progress_group(ReplayFilter(error_class="ValueError", since=AT))
    assert by_class != progress_group(ReplayFilter(error_class="TypeError"))
    assert by_class != progress_group(ReplayFilter(message_contains="ValueError"))


def test_replay_headers_keep_the_original_ones_and_mark_the_origin() -> None:
    headers = replay_headers(dead(extra=((REPLAYED_FROM, b"ns.ghl.events.v1.DLT/0/1"),)))
    assert headers == [("traceparent", b"00-abc-def-01"), (REPLAYED_FROM, b"ns.ghl.events.v1.DLT/5/7")]


def test_a_dead_lettered_tombstone_goes_back_as_one() -> None:
    assert replay_value(dead(value=b"")) is None
    assert replay_value(dead()) == b'{"event_id": "e1"}'


def test_record_fields() -> None:
    record = dead()
    assert record.origin == "ns.ghl.events.v1/3/41"
    assert record.event_id == "e1"
    assert dead(value=b"not json").event_id is None
    bare = DeadLetter("ns.leads.assigned.v1.DLT", 0, 0, AT, None, b"[]", ())
    assert bare.original_topic == "ns.leads.assigned.v1" and bare.error_class == "?" and bare.event_id is None


def test_summary_groups_by_topic_and_error_class() -> None:
    summary = Summary(keep=2)
    summary.extend([dead(), dead(at=AT + timedelta(minutes=5)), dead("x.Bad", "bad contract")])
    groups = summary.by_count()
    assert [(g.error_class, g.count) for g in groups] == [("builtins.ValueError", 2), ("x.Bad", 1)]
    assert groups[0].first == AT and groups[0].last == AT + timedelta(minutes=5)
    assert summary.total == 3 and len(summary.first) == 2


def test_dry_run_report_says_nothing_was_sent() -> None:
    summary = Summary()
    summary.add(dead())
    lines = replay_lines(ScanResult(summary, scanned=4, group="leadflow-dlt-replay.all"))
    assert lines[0].startswith("dry run: 1 of 4 dead letter(s) read would be replayed (nothing sent)")
    assert any("key=contact-1" in line and "event=e1" in line for line in lines)


def test_parse_when() -> None:
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert parse_when("2h", now) == now - timedelta(hours=2)
    assert parse_when("1.5d", now) == now - timedelta(days=1.5)
    assert parse_when("2026-12-01T10:00", now) == AT
    assert parse_when("2026-12-01T11:00+01:00", now) == AT
    assert parse_when(None, now) is None
    with pytest.raises(ReplayError, match="cannot read the time"):
        parse_when("yesterday", now)


def test_topics_resolved_against_what_the_service_reads() -> None:
    consumed = (GHL_EVENTS, LEADS_ASSIGNED, LOCATIONS)
    assert resolve_topics(consumed, None) == list(consumed)
    assert resolve_topics(consumed, ["leads.assigned.v1"]) == [LEADS_ASSIGNED]
    with pytest.raises(ReplayError, match=r"unknown topic x\.v1: this service consumes ghl\.events\.v1"):
        resolve_topics(consumed, ["x.v1"])


def test_compacted_topics_left_out_by_default_and_refused_when_named() -> None:
    consumed = [GHL_EVENTS, LOCATIONS]
    assert replayable(consumed, allow_compacted=False, named=False) == [GHL_EVENTS]
    assert replayable(consumed, allow_compacted=True, named=True) == consumed
    with pytest.raises(ReplayError, match=r"locations\.v1 is compacted"):
        replayable(consumed, allow_compacted=False, named=True)


def test_list_shows_the_first_records_only_when_asked() -> None:
    summary = Summary(keep=0)
    summary.add(dead())
    assert len(list_lines(ScanResult(summary, topics=["ghl.events.v1"]))) == 3  # head, table header, 1 row
    shown = Summary(keep=1)
    shown.add(dead())
    lines = list_lines(ScanResult(shown, topics=["ghl.events.v1"]))
    assert lines[0] == "1 dead letter(s) in the DLTs of ghl.events.v1"
    assert lines[-2] == "first 1:" and "from=ns.ghl.events.v1/3/41" in lines[-1]


def test_the_original_traceparent_wins_over_the_dead_letter_writes() -> None:
    written = dead(extra=(("original.traceparent", b"00-original-span-01"),))
    assert replay_headers(written)[0] == ("traceparent", b"00-original-span-01")
