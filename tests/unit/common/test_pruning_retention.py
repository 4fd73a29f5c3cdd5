"""The processed_events retention rule: at least the longest retention of the source topics and
their DLTs (compacted sources excepted) plus a margin; shorter is refused; for ever never prunes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadflow_common.kafka.admin import TopicDescription
from leadflow_common.pruning import Bound, RetentionTooShort, effective_retention, redelivery_bound
from leadflow_common.topics import DAY_MS, GHL_EVENTS, LOCATIONS

MARGIN = timedelta(hours=24)


def described(name: str, retention_ms: int, policy: str = "delete") -> TopicDescription:
    return TopicDescription(name, 1, {"retention.ms": str(retention_ms), "cleanup.policy": policy})


def test_the_broker_values_bound_it_and_name_the_topic() -> None:
    topics = {
        GHL_EVENTS.name: described(GHL_EVENTS.name, 7 * DAY_MS),
        GHL_EVENTS.dlt_name: described(GHL_EVENTS.dlt_name, 30 * DAY_MS),
    }
    assert redelivery_bound([GHL_EVENTS], topics) == Bound(timedelta(days=30), GHL_EVENTS.dlt_name)


def test_missing_topics_count_with_their_declared_retention() -> None:
    assert redelivery_bound([GHL_EVENTS], {}) == Bound(timedelta(days=400), GHL_EVENTS.name)


def test_a_compacted_source_does_not_bound_it_but_its_dlt_does() -> None:
    topics = {LOCATIONS.name: described(LOCATIONS.name, -1, "compact")}
    assert redelivery_bound([LOCATIONS], topics) == Bound(timedelta(days=30), LOCATIONS.dlt_name)


def test_a_topic_kept_for_ever_means_never_prune() -> None:
    topics = {GHL_EVENTS.name: described(GHL_EVENTS.name, -1)}
    bound = redelivery_bound([GHL_EVENTS], topics)
    assert bound == Bound(None, GHL_EVENTS.name)
    assert effective_retention(None, bound, MARGIN, "X") is None
    with pytest.raises(RetentionTooShort, match="keeps records for ever"):
        effective_retention(timedelta(days=5000), bound, MARGIN, "X")


def test_unset_means_the_bound_plus_margin_and_shorter_is_refused() -> None:
    bound = Bound(timedelta(days=30), "t.DLT")
    assert effective_retention(None, bound, MARGIN, "X") == timedelta(days=31)
    assert effective_retention(timedelta(days=40), bound, MARGIN, "X") == timedelta(days=40)
    with pytest.raises(RetentionTooShort, match=r"X=743h is shorter than t\.DLT's retention \(720h\)"):
        effective_retention(timedelta(hours=743), bound, MARGIN, "X")
