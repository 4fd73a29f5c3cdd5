"""Validators of single CSV cells: each returns the clean value or raises FieldError."""

from __future__ import annotations

import functools
import re
import zoneinfo
from datetime import date, datetime

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from onboarding.domain.geo import zip_info
from onboarding.domain.us_states import STATES

_ZIP = re.compile(r"^\d{5}(-\d{4})?$")


class FieldError(ValueError):
    """One cell is invalid; the message says why."""


def email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise FieldError(f"invalid email {value!r}: {exc}") from None


def phone(value: str) -> str:
    """A valid US (NANP) number, returned as E.164."""
    try:
        parsed = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException:
        raise FieldError(f"invalid phone number {value!r}") from None
    if not phonenumbers.is_valid_number(parsed):
        raise FieldError(f"invalid phone number {value!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def state(value: str) -> str:
    code = value.strip().upper()
    if code not in STATES:
        raise FieldError(f"unknown US state {value!r} (use the two-letter USPS code)")
    return code


def postal_code(value: str, state_code: str | None) -> str:
    code = value.strip()
    if len(code) == 4 and code.isdigit():
        code = "0" + code  # spreadsheets drop the leading zero of New England zips
    if not _ZIP.match(code):
        raise FieldError(f"invalid US zip code {value!r} (expected 12345 or 12345-6789)")
    info = zip_info(code)
    if info is None:
        raise FieldError(f"zip code {code} does not exist")
    if state_code and info["state"] != state_code:
        raise FieldError(f"zip code {code} is in {info['state']}, not {state_code}")
    return code


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def timezone(value: str) -> str:
    zone = value.strip()
    if zone not in _zones():
        raise FieldError(f"unknown IANA timezone {value!r} (e.g. America/Chicago)")
    return zone


def opening_date(value: str) -> date:
    text = value.strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise FieldError(f"invalid date {value!r} (expected YYYY-MM-DD or MM/DD/YYYY)")


def capacity(value: str) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise FieldError(f"capacity must be a whole number, got {value!r}") from None
    if number <= 0:
        raise FieldError(f"capacity must be positive, got {number}")
    return number


def franchise_code(value: str) -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z0-9][A-Z0-9_-]{1,39}", code):
        raise FieldError(f"invalid franchise code {value!r} (letters, digits, - and _)")
    return code


def website(value: str) -> str:
    text = value.strip()
    if not re.fullmatch(r"(https?://)?[\w.-]+\.[a-z]{2,}(/\S*)?", text, flags=re.IGNORECASE):
        raise FieldError(f"invalid website {value!r}")
    return text if text.startswith("http") else f"https://{text}"


def specialties(value: str) -> list[str]:
    return [s.strip() for s in re.split(r"[;,|]", value) if s.strip()]
