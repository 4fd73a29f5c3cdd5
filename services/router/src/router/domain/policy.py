"""The routing policy as data: one validated document holding every knob an operator tunes
(radius steps, utilisation threshold, tie policy, territory fallback, returning window, score
weights). Stored versioned (adapters/policy_store.py), hot-reloaded by every replica
(policy_reload.py); the settings only give the bootstrap document (version 0) used while none is
stored, so a router without a stored policy behaves as before.

Pure: the document converts to the decision's ``rules.RoutingPolicy`` and the scorer's
``ScoreWeights``; its content hash identifies what it says whatever its version.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator

from router.domain.policies import TerritoryFallback, TiePolicy
from router.domain.rules import RoutingPolicy
from router.domain.scoring import (
    DEFAULT_FIELD_POINTS,
    DEFAULT_SOURCE_POINTS,
    DEFAULT_TAG_POINTS,
    MAX_SCORE,
    ScoreWeights,
)

BOOTSTRAP_VERSION = 0  # the settings' document: no policy stored yet
KNOWN_FIELDS = frozenset(DEFAULT_FIELD_POINTS)


class WeightsDocument(BaseModel):
    """Score weights (scoring.py). Source and field points are rewards (>= 0); tag points may be
    a penalty (the default ``cold`` is -10), so they only have to lie within +-100."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source_points: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_SOURCE_POINTS))
    unknown_source_points: float = Field(default=10.0, ge=0, le=MAX_SCORE)
    field_points: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_FIELD_POINTS))
    tag_points: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_TAG_POINTS))

    @field_validator("source_points")
    @classmethod
    def _sources(cls, value: dict[str, float]) -> dict[str, float]:
        for name, points in value.items():
            if not name.strip():
                raise ValueError("a source needs a non-empty name")
            if not 0 <= points <= MAX_SCORE:
                raise ValueError(f"{name!r}: points must be within 0..{MAX_SCORE:g}")
        return value

    @field_validator("field_points")
    @classmethod
    def _fields(cls, value: dict[str, float]) -> dict[str, float]:
        for name, points in value.items():
            if name not in KNOWN_FIELDS:
                raise ValueError(f"{name!r} is not a scored field ({', '.join(sorted(KNOWN_FIELDS))})")
            if not 0 <= points <= MAX_SCORE:
                raise ValueError(f"{name!r}: points must be within 0..{MAX_SCORE:g}")
        return value

    @field_validator("tag_points")
    @classmethod
    def _tags(cls, value: dict[str, float]) -> dict[str, float]:
        for name, points in value.items():
            if not name.strip():
                raise ValueError("a tag needs a non-empty name")
            if not -MAX_SCORE <= points <= MAX_SCORE:
                raise ValueError(f"{name!r}: points must be within -{MAX_SCORE:g}..{MAX_SCORE:g}")
        return value


class RoutingPolicyDocument(BaseModel):
    """What an operator stores (``PUT /policy``). A field left out takes the built-in default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    radii_miles: list[float] = Field(
        default_factory=lambda: [25.0, 50.0, 100.0], min_length=1, max_length=10,
        description="radius steps, whole miles, strictly increasing",
    )  # fmt: skip
    candidate_count: int = Field(default=5, ge=1, le=100, description="nearest looked at first per step")
    capacity_threshold: float = Field(
        default=0.9, gt=0, le=1, description="share of daily capacity a normal lead may fill"
    )
    priority_score: float = Field(
        default=80.0, ge=0, le=MAX_SCORE, description="from this score a lead may use the full capacity"
    )
    tie_miles: float = Field(default=1.0, ge=0, le=100)
    state_candidate_count: int = Field(default=50, ge=1, le=500)
    tie_policy: TiePolicy = TiePolicy.NEAREST
    fair_band_miles: float = Field(default=5.0, ge=0, le=100)
    territory_fallback: TerritoryFallback = TerritoryFallback.NEAREST
    returning_enabled: bool = False
    returning_window_days: float = Field(default=90.0, gt=0, le=3650)
    weights: WeightsDocument = Field(default_factory=WeightsDocument)

    @field_validator("radii_miles")
    @classmethod
    def _radii(cls, value: list[float]) -> list[float]:
        for miles in value:
            # the Redis script searches in whole miles: 12.5 would silently become 12
            if miles <= 0 or miles != int(miles):
                raise ValueError(f"{miles:g}: a radius step is a positive whole number of miles")
        if any(b <= a for a, b in itertools.pairwise(value)):
            raise ValueError("radius steps must be strictly increasing")
        return value

    def content_hash(self) -> str:
        """sha256 of the canonical JSON (sorted keys): equal documents, equal hash."""
        canonical = orjson.dumps(self.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(canonical).hexdigest()[:16]

    def routing_policy(self) -> RoutingPolicy:
        """The decision's parameters (report/examine bounds stay the code's)."""
        return RoutingPolicy(
            radii_miles=tuple(self.radii_miles),
            count=self.candidate_count,
            threshold=self.capacity_threshold,
            tie_miles=self.tie_miles,
            state_count=self.state_candidate_count,
            priority_score=self.priority_score,
            tie_policy=self.tie_policy,
            fair_band_miles=self.fair_band_miles,
            territory_fallback=self.territory_fallback,
            returning_window_days=self.returning_window_days if self.returning_enabled else 0.0,
        )

    def score_weights(self) -> ScoreWeights:
        w = self.weights
        return ScoreWeights(
            source_points=dict(w.source_points),
            unknown_source_points=w.unknown_source_points,
            field_points=dict(w.field_points),
            tag_points=dict(w.tag_points),
        )


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    """One stored version (rows are immutable: a change is a new version)."""

    version: int
    document: RoutingPolicyDocument
    created_at: datetime | None = None
    created_by: str | None = None
    comment: str | None = None

    @property
    def content_hash(self) -> str:
        return self.document.content_hash()

    def as_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "hash": self.content_hash,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "created_by": self.created_by,
            "comment": self.comment,
            "policy": self.document.model_dump(mode="json"),
        }


class StaleVersion(Exception):
    """``expected_version`` is not the current one: someone changed the policy meanwhile."""

    def __init__(self, expected: int, current: int) -> None:
        super().__init__(f"expected version {expected}, the current one is {current}")
        self.expected = expected
        self.current = current
