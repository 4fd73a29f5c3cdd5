"""Kafka plumbing: the one broker factory, the event publisher, reliable consumption, admin, lag."""
