"""Contact reconciliation, pure: which time window of an intake account to list, how far the
watermark moves after a page, and the event that hands a recovered contact to the routing path.

A recovered contact becomes the same ``ContactCreate`` event a webhook would have produced, keyed
by its contact id (the lead id), so it takes the webhook's partition and the webhook's handler;
its event id is derived from the contact id, so listing it again is the same event
(docs/decisions/router-contact-reconciliation.md).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

RECONCILE_NAMESPACE = uuid.UUID("0b7e4c1a-6d2f-5a38-9e41-3c5d7f9a2b60")
RECOVERED_TYPE = "ContactCreate"
RECOVERED_MARK = "leadflowRecovered"  # in the payload, for people reading the topic


@dataclass(frozen=True, slots=True)
class ReconcilePolicy:
    overlap: timedelta  # a window starts this far before the watermark
    settle: timedelta  # and ends this far before now
    initial_lookback: timedelta  # the first window of an account (no watermark yet)


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime

    @property
    def empty(self) -> bool:
        return self.end <= self.start


def window_for(
    watermark: datetime | None, now: datetime, policy: ReconcilePolicy, resume_exact: bool = False
) -> Window:
    """The ``dateAdded`` range to list: from the watermark less the overlap (GHL's search index
    lags its writes by seconds, and clocks differ) to now less the settle time (a contact that
    young is left to its webhook, which almost always comes).

    ``resume_exact``: the last run stopped inside its window (page cap), so everything before the
    watermark was read in this very order; going back the overlap again would re-read the same
    pages, and a backlog denser than one run could never be worked off."""
    end = now - policy.settle
    if watermark is None:
        return Window(now - policy.initial_lookback, end)
    return Window(watermark if resume_exact else watermark - policy.overlap, end)


def advance(watermark: datetime | None, window: Window, last_added: datetime | None, done: bool) -> datetime:
    """The watermark after a page: the window's end once its last page is read, else the newest
    ``dateAdded`` examined (pages come oldest first). Never backwards: a run cut short inside the
    overlap must not pull the next window back over what was examined already."""
    reached = window.end if done or last_added is None else min(last_added, window.end)
    return reached if watermark is None else max(watermark, reached)


def parse_ghl_time(value: Any) -> datetime | None:
    """GHL's ``dateAdded`` (ISO-8601, ``Z``) or epoch milliseconds; None when unreadable."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def recovered_event_id(contact_id: str) -> uuid.UUID:
    """One id per contact, whichever run or replica lists it (the consumers' dedup key)."""
    return uuid.uuid5(RECONCILE_NAMESPACE, f"recovered:{contact_id}")


def recovered_body(contact: dict[str, Any], intake_location_id: str) -> dict[str, Any]:
    """The webhook body GHL would have sent: the contact's fields flat beside ``type``."""
    body = {k: v for k, v in contact.items() if k != "searchAfter"}
    body["locationId"] = body.get("locationId") or intake_location_id
    return {**body, "type": RECOVERED_TYPE, RECOVERED_MARK: True}
