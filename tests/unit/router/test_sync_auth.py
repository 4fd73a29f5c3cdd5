"""Refused GHL credentials: the failed leads wait (RetryLater, never a dead letter), the block is
a gauge that is set once and removed when the sub-account answers again, its retries back off,
and ``GET /sync/status`` lists it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from prometheus_client import REGISTRY

from leadflow_common.ghl import GhlAuthError, GhlCredentialsUnavailable, GhlNotFound, GhlServerError
from leadflow_common.kafka.errors import RetryLater, is_permanent, is_transient
from router.api import sync_status
from router.handlers.sync_auth import AuthBlocks
from router.handlers.sync_errors import CredentialsUnavailable, FailedLead, raise_for_failures, sync_error


def refused(location_id: str, status: int = 401) -> GhlCredentialsUnavailable:
    return GhlCredentialsUnavailable.of(location_id, GhlAuthError("Invalid JWT", status, "contacts.upsert"))


def gauge(location_id: str) -> float | None:
    return REGISTRY.get_sample_value("leadflow_ghl_auth_blocked", {"location_id": location_id})


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_wait_instead_of_being_rejected(status: int) -> None:
    typed = sync_error("lead1", refused("LOC-A", status))
    assert isinstance(typed, CredentialsUnavailable) and isinstance(typed, RetryLater)
    assert is_transient(typed) and not is_permanent(typed)
    assert typed.location_ids == ("LOC-A",)


def test_a_refusal_makes_every_failed_lead_wait_even_next_to_rejections() -> None:
    failed = [
        FailedLead("a", refused("LOC-A")),
        FailedLead("b", GhlNotFound("no such location", 404)),
        FailedLead("c", GhlServerError("503", 503)),
    ]
    waiting = [("leads", 0, 5), ("leads", 2, 9)]
    with pytest.raises(CredentialsUnavailable) as raised:
        raise_for_failures(failed, total=10, waiting=waiting)
    assert raised.value.records == frozenset(waiting)
    assert raised.value.after_s is None  # none given: the consumer's own backoff


def test_the_block_is_a_gauge_set_once_and_removed_when_calls_work_again() -> None:
    now = [1000.0]
    blocks = AuthBlocks(clock=lambda: now[0])
    blocks.refused("LOCgauge01", refused("LOCgauge01"), leads=3)
    now[0] += 30
    block = blocks.refused("LOCgauge01", refused("LOCgauge01"), leads=1)
    assert gauge("LOCgauge01") == 1.0
    assert (block.since, block.last_seen, block.refusals) == (1000.0, 1030.0, 2)
    assert [b.location_id for b in blocks.blocked()] == ["LOCgauge01"]
    blocks.working(["LOCother", "LOCgauge01"])
    assert gauge("LOCgauge01") is None and blocks.blocked() == []


def test_a_blocked_sub_account_is_retried_later_and_later_up_to_the_cap() -> None:
    blocks = AuthBlocks(first_retry_s=2.0, max_retry_s=16.0)
    waits = [blocks.refused("LOCbackoff", refused("LOCbackoff"), 1).retry_after_s for _ in range(6)]
    for n, wait in enumerate(waits):
        ceiling = min(16.0, 2.0 * 2**n)
        assert ceiling / 2 <= wait <= ceiling
    blocks.working(["LOCbackoff"])
    assert blocks.refused("LOCbackoff", refused("LOCbackoff"), 1).retry_after_s <= 2.0
    blocks.working(["LOCbackoff"])


def test_the_pause_asked_for_is_the_soonest_retry_of_the_blocked_sub_accounts() -> None:
    failed = [FailedLead("a", refused("LOC-A"))]
    with pytest.raises(CredentialsUnavailable) as raised:
        raise_for_failures(failed, total=1, waiting=[("leads", 0, 1)], retry_after_s=4.0)
    assert raised.value.after_s == 4.0


async def test_the_status_endpoint_lists_the_blocks_of_this_replica() -> None:
    blocks = AuthBlocks(clock=lambda: 50.0)
    blocks.refused("LOCstatus1", refused("LOCstatus1"), 2)
    svc = SimpleNamespace(sync=SimpleNamespace(auth=blocks))
    status = await sync_status(svc)  # type: ignore[arg-type]
    assert status["enabled"] is True
    [block] = status["auth_blocked"]
    assert (block["location_id"], block["since"], block["refusals"]) == ("LOCstatus1", 50.0, 1)
    assert "Invalid JWT" in block["error"]
    assert await sync_status(SimpleNamespace(sync=None)) == {"enabled": False, "auth_blocked": []}  # type: ignore[arg-type]
    blocks.working(["LOCstatus1"])
