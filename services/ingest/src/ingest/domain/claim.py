"""What the replay store says about a webhookId."""

from __future__ import annotations

import enum


class Claim(enum.Enum):
    CLAIMED = "claimed"  # ours: publish, then confirm or release
    PUBLISHED = "published"  # already on the topic: answer duplicate
    IN_FLIGHT = "in_flight"  # another request is producing it right now: ask GHL to retry
    UNAVAILABLE = "unavailable"  # store down: publish anyway, consumers dedup on event_id
