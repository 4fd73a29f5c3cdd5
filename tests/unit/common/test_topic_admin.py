"""Topic configs: with three or more replicas an acknowledged write is on at least two."""

from __future__ import annotations

from leadflow_common.kafka.admin import topic_config
from leadflow_common.topics import GHL_EVENTS, LOCATIONS


def test_min_insync_replicas_two_from_three_replicas() -> None:
    assert topic_config(GHL_EVENTS, 3)["min.insync.replicas"] == "2"
    assert topic_config(LOCATIONS, 5)["cleanup.policy"] == "compact"  # declared config kept


def test_no_min_insync_below_three_replicas() -> None:
    assert "min.insync.replicas" not in topic_config(GHL_EVENTS, 1)
    assert topic_config(GHL_EVENTS, 1) == GHL_EVENTS.config()
