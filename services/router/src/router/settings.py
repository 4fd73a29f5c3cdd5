"""Router settings (env prefix ``ROUTER_``); every one is documented in the service README."""

from __future__ import annotations

import enum

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from leadflow_common.settings import ServiceSettings
from router.domain.open_rank import HoursRule
from router.domain.policies import TerritoryFallback, TiePolicy
from router.domain.policy import RoutingPolicyDocument, WeightsDocument
from router.domain.rules import RoutingPolicy
from router.domain.scoring import ScoreWeights

ROUTING_GROUP = "router"
DIRECTORY_GROUP = "router-directory"
SYNC_GROUP = "router-sync"


class ConsumerMode(enum.StrEnum):
    BATCH = "batch"  # a poll's records decided together (the design)
    RECORD = "record"  # one record at a time (the benchmarks' baseline)


class RouterSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ROUTER_", extra="ignore", env_nested_delimiter="__")

    service_name: str = "router"
    http_port: int = 8002
    database_url: str = "postgresql+asyncpg://router:router@127.0.0.1:5432/leadflow"
    db_schema: str = "router"
    redis_prefix: str = Field(default="router", description="prefix of every Redis key the router owns")
    api_token: str | None = Field(
        default=None, description="bearer token of the internal APIs; none = open (refused in production)"
    )

    consumer_mode: ConsumerMode = Field(default=ConsumerMode.BATCH, description="batch | record")
    batch_max_records: int = Field(default=1000, ge=1, description="contact events decided per batch")
    read_ahead: bool = Field(
        default=True,
        description="keep polling while a batch is decided, so what arrives meanwhile is in the next "
        "batch (kafka-batch-consumer.md; off: one poll per batch)",
    )
    sync_batch_max_records: int = Field(default=500, ge=1, description="assignments applied in GHL per batch")

    intake_location_ids: list[str] = Field(default_factory=list)
    accept_all_locations: bool = Field(default=False, description="route contacts of any sub-account (demos)")

    radii_miles: list[float] = Field(default_factory=lambda: [25.0, 50.0, 100.0])
    candidate_count: int = 5
    capacity_threshold: float = 0.9
    tie_miles: float = 1.0
    state_candidate_count: int = 50
    priority_score: float = 80.0
    tie_policy: TiePolicy = Field(
        default=TiePolicy.NEAREST, description="nearest | round_robin | weighted_capacity | weighted"
    )
    fair_band_miles: float = Field(
        default=5.0,
        ge=0,
        description="the fair tie policies choose among the eligible within this of the nearest",
    )
    territory_fallback: TerritoryFallback = Field(
        default=TerritoryFallback.NEAREST, description="territory owner full or paused: nearest | pool"
    )
    returning_enabled: bool = Field(
        default=False, description="send a returning contact back to its location"
    )
    returning_window_days: float = Field(
        default=90.0, gt=0, description="how long a contact counts as returning"
    )

    source_points: dict[str, float] | None = None
    tag_points: dict[str, float] | None = None
    field_points: dict[str, float] | None = None
    unknown_source_points: float = 10.0

    reservation_ttl_s: int = 7 * 24 * 3600
    counter_ttl_s: int = 48 * 3600
    reconcile_interval_s: float = 3600.0
    directory_watch_interval_s: float = 2.0
    policy_poll_interval_s: float = Field(
        default=1.0, gt=0, description="how often a replica looks for a new routing policy version"
    )
    routing_enabled: bool = Field(
        default=True,
        description="route contacts (the router group, SLA and pool timers); false: a sync-only "
        "process (docs/decisions/0016)",
    )
    sync_enabled: bool = Field(default=True, description="apply assignments in GHL (router-sync group)")
    sync_tag_prefix: str = "routed"
    sync_tag_source: bool = Field(
        default=True, description="tag the source contact <prefix>:<location> (one intake call per lead)"
    )

    contact_reconcile_enabled: bool = Field(
        default=True, description="list recent intake contacts in GHL and route those without a decision"
    )
    contact_reconcile_interval_s: float = Field(default=300.0, gt=0, description="time between two runs")
    contact_reconcile_overlap_s: float = Field(
        default=900.0, ge=0, description="each window starts this long before the watermark"
    )
    contact_reconcile_settle_s: float = Field(
        default=120.0, ge=0, description="contacts younger than this are left to their webhook"
    )
    contact_reconcile_initial_lookback_s: float = Field(
        default=3600.0, ge=0, description="window of the first run of an intake account (no watermark)"
    )
    contact_reconcile_page_size: int = Field(default=100, ge=1, le=500, description="contacts per GHL call")
    contact_reconcile_max_pages: int = Field(
        default=50, ge=1, description="GHL calls per intake account and run; the rest waits for the next"
    )
    contact_reconcile_lease_s: float = Field(
        default=120.0, gt=0, description="how long a replica owns an intake account's run without progress"
    )

    hours_rule: HoursRule = Field(default=HoursRule.PREFER_OPEN, description="prefer_open | ignore")
    hours_band_miles: float = Field(default=5.0, ge=0, description="distance band the hours rule re-ranks in")
    sla_enabled: bool = Field(default=True, description="start SLA timers and run the SLA worker")
    sla_minutes: float = Field(default=15.0, gt=0, description="business minutes to the first touch")
    sla_minutes_by_region: dict[str, float] = Field(default_factory=dict)
    sla_max_reassignments: int = Field(default=2, ge=0)
    sla_poll_interval_s: float = Field(default=5.0, gt=0)
    sla_batch_size: int = Field(default=20, gt=0)
    sla_tag: str = Field(default="sla-reassigned", description="tag put on a re-routed source contact")
    # processed_events pruning: leadflow_common.pruning, docs/decisions/dead-letter-replay-and-pruning.md
    processed_events_retention_h: float | None = Field(
        default=None, gt=0, description="prune dedup rows older than this; unset: topics' retention + margin"
    )
    processed_events_retention_margin_h: float = Field(default=24.0, ge=0, description="above the topics'")
    processed_events_prune_interval_s: float = Field(default=3600.0, gt=0, description="between two runs")
    processed_events_prune_batch: int = Field(default=5000, ge=1, description="rows per DELETE statement")

    @model_validator(mode="after")
    def _routes_something_in_production(self) -> RouterSettings:
        # An empty intake list routes no lead at all: in production that is a misconfiguration.
        routes_nothing = not self.intake_location_ids and not self.accept_all_locations
        if self.environment == "production" and routes_nothing:
            raise ValueError("ROUTER_INTAKE_LOCATION_IDS is required when LEADFLOW_ENV=production")
        return self

    def sla_minutes_for(self, region: str | None) -> float:
        return self.sla_minutes_by_region.get(region or "", self.sla_minutes)

    def routing_policy(self) -> RoutingPolicy:
        """The decider's parameters from these settings (the bootstrap policy document's)."""
        return self.policy_document().routing_policy()

    def score_weights(self) -> ScoreWeights:
        defaults = ScoreWeights()
        return ScoreWeights(
            source_points=self.source_points if self.source_points is not None else defaults.source_points,
            unknown_source_points=self.unknown_source_points,
            field_points=self.field_points if self.field_points is not None else defaults.field_points,
            tag_points=self.tag_points if self.tag_points is not None else defaults.tag_points,
        )

    def policy_document(self) -> RoutingPolicyDocument:
        """The bootstrap routing policy (version 0): these settings, used while none is stored."""
        w = self.score_weights()
        return RoutingPolicyDocument(
            radii_miles=list(self.radii_miles), candidate_count=self.candidate_count,
            capacity_threshold=self.capacity_threshold, priority_score=self.priority_score,
            tie_miles=self.tie_miles, state_candidate_count=self.state_candidate_count,
            tie_policy=self.tie_policy, fair_band_miles=self.fair_band_miles,
            territory_fallback=self.territory_fallback, returning_enabled=self.returning_enabled,
            returning_window_days=self.returning_window_days,
            weights=WeightsDocument(source_points=w.source_points, field_points=w.field_points,
                                    tag_points=w.tag_points, unknown_source_points=w.unknown_source_points),
        )  # fmt: skip

    def routes_location(self, location_id: str | None) -> bool:
        if self.accept_all_locations:
            return True
        return location_id is not None and location_id in self.intake_location_ids
