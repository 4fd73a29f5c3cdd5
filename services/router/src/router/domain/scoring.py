"""Lead score in [0, 100]: how valuable and how reachable a lead looks.

score = source weight (by the contact's ``source``, case-insensitive substring match, first hit)
      + completeness (points per present field: email, phone, name, postal code, address)
      + tags (points per known tag, e.g. ``hot``), capped at 100.
Weights are configuration (``ScoreWeights``); the defaults below are documented in the README.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from router.domain.lead import Lead

DEFAULT_SOURCE_POINTS: dict[str, float] = {
    "referral": 40.0,
    "website": 30.0,
    "google": 25.0,
    "facebook": 20.0,
    "instagram": 20.0,
    "walk": 30.0,
}
DEFAULT_TAG_POINTS: dict[str, float] = {"hot": 20.0, "vip": 15.0, "trial": 10.0, "cold": -10.0}
DEFAULT_FIELD_POINTS: dict[str, float] = {
    "email": 10.0,
    "phone": 15.0,
    "name": 5.0,
    "postal_code": 10.0,
    "address": 5.0,
}
MAX_SCORE = 100.0


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    source_points: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_SOURCE_POINTS))
    unknown_source_points: float = 10.0
    field_points: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_FIELD_POINTS))
    tag_points: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_TAG_POINTS))


def _present(value: str | None) -> bool:
    return value is not None and value.strip() != ""


def source_points(source: str | None, weights: ScoreWeights) -> float:
    if not _present(source):
        return 0.0
    lowered = (source or "").lower()
    for needle, points in weights.source_points.items():
        if needle.lower() in lowered:
            return points
    return weights.unknown_source_points


def completeness_points(lead: Lead, weights: ScoreWeights) -> float:
    present = {
        "email": _present(lead.email),
        "phone": _present(lead.phone),
        "name": _present(lead.first_name) or _present(lead.last_name),
        "postal_code": _present(lead.postal_code),
        "address": _present(lead.address1),
    }
    return sum(weights.field_points.get(name, 0.0) for name, ok in present.items() if ok)


def tag_points(tags: tuple[str, ...], weights: ScoreWeights) -> float:
    lowered = {t.strip().lower() for t in tags}
    return sum(points for tag, points in weights.tag_points.items() if tag.lower() in lowered)


def score_lead(lead: Lead, weights: ScoreWeights | None = None) -> float:
    w = weights or ScoreWeights()
    total = source_points(lead.source, w) + completeness_points(lead, w) + tag_points(lead.tags, w)
    return round(min(MAX_SCORE, max(0.0, total)), 2)
