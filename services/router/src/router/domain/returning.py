"""Returning leads: a contact whose normalised e-mail or phone matches an earlier assigned lead goes
back to that location (when it is active with capacity) within a window of days.

The Redis map is keyed by a digest of the normalised value, so the router's Redis holds no
addresses or numbers in clear (a key only answers "was this contact routed, and where")."""

from __future__ import annotations

import hashlib
import re

RETURNING = "returning"
_NON_DIGITS = re.compile(r"\D+")
MIN_PHONE_DIGITS = 7  # shorter is an extension or garbage, never a contact


def normalize_email(value: str | None) -> str | None:
    cleaned = (value or "").strip().casefold()
    return cleaned if "@" in cleaned.strip("@") else None


def normalize_phone(value: str | None) -> str | None:
    """Digits only; a North-American number with its country code ('+1 (303) 555-0100') and
    without ('303.555.0100') are the same contact."""
    digits = _NON_DIGITS.sub("", value or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) >= MIN_PHONE_DIGITS else None


def _digest(kind: str, value: str) -> str:
    return f"{kind}:{hashlib.blake2b(value.encode(), digest_size=16).hexdigest()}"


def contact_keys(email: str | None, phone: str | None) -> tuple[str, ...]:
    """The map keys of a contact (e-mail first); none when it has neither."""
    keys = []
    if (e := normalize_email(email)) is not None:
        keys.append(_digest("e", e))
    if (p := normalize_phone(phone)) is not None:
        keys.append(_digest("p", p))
    return tuple(keys)


def within_window(assigned_at_s: float, now_s: float, window_days: float) -> bool:
    return window_days > 0 and now_s - assigned_at_s <= window_days * 86400
