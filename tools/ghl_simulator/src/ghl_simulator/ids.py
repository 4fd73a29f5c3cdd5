"""Identifiers shaped like GoHighLevel's (20 alphanumerics for most entities)."""

from __future__ import annotations

import secrets
import string
import uuid

_ALPHABET = string.ascii_letters + string.digits


def ghl_id(length: int = 20) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def trace_id() -> str:
    return str(uuid.uuid4())
