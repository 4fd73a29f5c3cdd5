"""Why a webhook is refused; the API maps each class to one HTTP status."""

from __future__ import annotations


class WebhookRejected(Exception):
    """Base: the request can never be accepted as sent."""


class UnsupportedContentType(WebhookRejected):
    pass


class BodyTooLarge(WebhookRejected):
    pass


class SignatureRejected(WebhookRejected):
    """Missing or invalid signature; ``reason`` is a short metric label."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class StaleTimestamp(WebhookRejected):
    pass


class MalformedWebhook(WebhookRejected):
    """Not JSON, not an object, no ``type``, or a known type with malformed fields."""


class RetryLater(Exception):
    """Not refused, not taken now: the sender must retry (429, the only status GHL retries)."""


class ConcurrentDelivery(RetryLater):
    """The same webhookId is being produced by another request right now."""


class BrokerUnavailable(RetryLater):
    """Kafka did not acknowledge in time (broker down, timeout, buffer full)."""
