"""What a policy change would do, before it goes live (pure): the same leads replayed through the
reference ladder (ladder.py, the script's twin) under two policy documents, each from an empty day
of counters, then compared: assignment rate, distance percentiles, load per location, and the
leads that land somewhere else."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from router.domain.directory import InMemoryDirectory
from router.domain.geocoding import Geocode
from router.domain.ladder import route
from router.domain.lead import Lead
from router.domain.policy import RoutingPolicyDocument
from router.domain.scoring import score_lead
from router.domain.simulation import SimulationReport

PERCENTILES = (50, 90, 99)


@dataclass(frozen=True, slots=True)
class ReplayLead:
    """One historic lead. ``lead``: the contact (CSV), re-scored under each policy's weights;
    without it (decision log) the stored ``score`` is used under both. ``was``: where it went."""

    lead_id: str
    day: str
    geo: Geocode
    lead: Lead | None = None
    score: float | None = None
    zip5: str | None = None
    was: str | None = None


@dataclass
class Replay:
    report: SimulationReport = field(default_factory=SimulationReport)
    placed: dict[str, str | None] = field(default_factory=dict)  # lead -> location (None: pool)

    @property
    def assigned(self) -> int:
        return self.report.leads - self.report.unassigned

    @property
    def assignment_rate(self) -> float:
        return self.assigned / self.report.leads if self.report.leads else 0.0


def replay(leads: Sequence[ReplayLead], directory: InMemoryDirectory, document: RoutingPolicyDocument,
           territories: Mapping[str, str] | None = None) -> Replay:  # fmt: skip
    """``leads`` in arrival order; counters restart every ``day``, fair-share turns do not."""
    policy, weights = document.routing_policy(), document.score_weights()
    out = Replay()
    reserved_by_day: dict[str, dict[str, int]] = {}
    passes: dict[str, float] = {}
    for lead in leads:
        score = score_lead(lead.lead, weights) if lead.lead is not None else (lead.score or 0.0)
        reserved = reserved_by_day.setdefault(lead.day, {})
        outcome = route(lead.geo, score, directory, reserved, policy, zip5=lead.zip5,
                        territories=territories, passes=passes)  # fmt: skip
        report = out.report
        report.leads += 1
        report.by_rule[outcome.rule] += 1
        out.placed[lead.lead_id] = outcome.location_id
        if outcome.location_id is None:
            report.unassigned_reasons[outcome.reason or "unknown"] += 1
        else:
            report.by_location[outcome.location_id] += 1
            if outcome.distance_miles is not None:
                report.distances.append(outcome.distance_miles)
    return out


@dataclass(frozen=True, slots=True)
class LoadChange:
    location_id: str
    before: int
    after: int

    @property
    def delta(self) -> int:
        return self.after - self.before


@dataclass(frozen=True, slots=True)
class Moved:
    lead_id: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class PolicyDiff:
    before: Replay
    after: Replay

    @property
    def moved(self) -> list[Moved]:
        """Leads whose location (or pool) differs, in arrival order."""
        a, b = self.before.placed, self.after.placed
        return [Moved(lead, a[lead], b.get(lead)) for lead in a if a[lead] != b.get(lead)]

    def load_changes(self, top: int | None = None) -> list[LoadChange]:
        """Locations whose lead count changes, biggest change first (then by id)."""
        a, b = self.before.report.by_location, self.after.report.by_location
        changes = [LoadChange(loc, a.get(loc, 0), b.get(loc, 0)) for loc in sorted(set(a) | set(b))]
        changes = [c for c in changes if c.delta != 0]
        changes.sort(key=lambda c: (-abs(c.delta), c.location_id))
        return changes[:top] if top is not None else changes

    def as_json(self, top: int = 20) -> dict[str, Any]:
        def side(r: Replay) -> dict[str, Any]:
            return {
                "leads": r.report.leads,
                "assigned": r.assigned,
                "assignment_rate": round(r.assignment_rate, 4),
                **{f"distance_p{p}": r.report.distance_percentile(p) for p in PERCENTILES},
                "by_rule": dict(r.report.by_rule), "unassigned_reasons": dict(r.report.unassigned_reasons),
            }  # fmt: skip

        return {
            "before": side(self.before),
            "after": side(self.after),
            "load_changes": [
                {"location_id": c.location_id, "before": c.before, "after": c.after, "delta": c.delta}
                for c in self.load_changes(top)
            ],
            "moved": len(self.moved),
            "moved_sample": [
                {"lead_id": m.lead_id, "before": m.before, "after": m.after} for m in self.moved[:top]
            ],
        }


def diff(
    leads: Sequence[ReplayLead],
    directory: InMemoryDirectory,
    before: RoutingPolicyDocument,
    after: RoutingPolicyDocument,
    territories: Mapping[str, str] | None = None,
) -> PolicyDiff:
    return PolicyDiff(
        replay(leads, directory, before, territories), replay(leads, directory, after, territories)
    )


def _miles(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "-"


def format_diff(d: PolicyDiff | dict[str, Any], labels: tuple[str, str] = ("before", "after"),
                top: int = 10) -> str:  # fmt: skip
    """The difference table of a diff or of its ``as_json`` (what ``POST /policy/preview`` answers)."""
    j = d.as_json(top) if isinstance(d, PolicyDiff) else d
    a, b = j["before"], j["after"]
    rows = [
        ("leads", str(a["leads"]), str(b["leads"]), ""),
        ("assigned", str(a["assigned"]), str(b["assigned"]), f"{b['assigned'] - a['assigned']:+d}"),
        ("assignment rate", f"{a['assignment_rate']:.1%}", f"{b['assignment_rate']:.1%}",
         f"{(b['assignment_rate'] - a['assignment_rate']) * 100:+.1f} pp"),
    ]  # fmt: skip
    for p in PERCENTILES:
        pa, pb = a[f"distance_p{p}"], b[f"distance_p{p}"]
        change = f"{pb - pa:+.1f}" if pa is not None and pb is not None else ""
        rows.append((f"distance p{p} mi", _miles(pa), _miles(pb), change))
    for rule in sorted(set(a["by_rule"]) | set(b["by_rule"])):
        x, y = a["by_rule"].get(rule, 0), b["by_rule"].get(rule, 0)
        rows.append((f"rule {rule}", str(x), str(y), f"{y - x:+d}"))
    width = max(14, *(len(label) for label in labels))
    lines = [f"{'':<20} {labels[0]:>{width}} {labels[1]:>{width}} {'change':>10}"]
    lines += [f"{name:<20} {x:>{width}} {y:>{width}} {c:>10}" for name, x, y, c in rows]
    changes = j["load_changes"][:top]
    lines.append(f"\nper-location load (top {top} changes)")
    lines += [f"{c['location_id']:<26} {c['before']:>6} -> {c['after']:<6} {c['delta']:+d}" for c in changes]
    if not changes:
        lines.append("(no location's load changes)")
    lines.append(f"\nleads that change location: {j['moved']}")
    lines += [f"{m['lead_id']:<26} {m['before'] or 'pool':>16} -> {m['after'] or 'pool'}"
              for m in j["moved_sample"][:top]]  # fmt: skip
    return "\n".join(lines)
