"""In-memory stand-ins for the replay store and the publisher (unit tests only)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.domain.claim import Claim
from ingest.domain.errors import BrokerUnavailable
from ingest.domain.webhook import Webhook


@dataclass
class FakeReplayStore:
    state: dict[str, str] = field(default_factory=dict)
    unavailable: bool = False

    async def claim(self, webhook_id: str) -> Claim:
        if self.unavailable:
            return Claim.UNAVAILABLE
        if webhook_id in self.state:
            return Claim.IN_FLIGHT if self.state[webhook_id] == "inflight" else Claim.PUBLISHED
        self.state[webhook_id] = "inflight"
        return Claim.CLAIMED

    def confirm(self, webhook_id: str) -> None:
        self.state[webhook_id] = "published"

    async def release(self, webhook_id: str) -> None:
        self.state.pop(webhook_id, None)


@dataclass
class FakePublisher:
    published: list[Webhook] = field(default_factory=list)
    traces: list[str | None] = field(default_factory=list)
    down: bool = False

    async def publish(self, webhook: Webhook, trace: str | None) -> None:
        if self.down:
            raise BrokerUnavailable("broker down")
        self.published.append(webhook)
        self.traces.append(trace)
