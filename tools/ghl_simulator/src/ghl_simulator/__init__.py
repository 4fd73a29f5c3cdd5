"""A faithful GoHighLevel API v2 + webhook simulator for tests and demos."""

from ghl_simulator.app import create_app
from ghl_simulator.settings import SimSettings
from ghl_simulator.webhooks import WebhookSender, WebhookSigner

__all__ = ["SimSettings", "WebhookSender", "WebhookSigner", "create_app"]
