from __future__ import annotations

from router.domain.lead import Lead
from router.domain.scoring import ScoreWeights, score_lead


def test_empty_lead_scores_zero() -> None:
    assert score_lead(Lead("c1")) == 0.0


def test_source_completeness_and_tags_add_up() -> None:
    lead = Lead("c1", first_name="Ann", email="a@x.io", phone="+15125550100", postal_code="78701",
                source="Website form", tags=("hot",))  # fmt: skip
    # website 30 + email 10 + phone 15 + name 5 + zip 10 + hot 20
    assert score_lead(lead) == 90.0


def test_unknown_source_gets_default_points_and_score_is_capped() -> None:
    weights = ScoreWeights(unknown_source_points=7.0, tag_points={"vip": 500.0})
    assert score_lead(Lead("c1", source="billboard"), weights) == 7.0
    assert score_lead(Lead("c1", tags=("VIP",)), weights) == 100.0


def test_negative_tags_never_go_below_zero() -> None:
    assert score_lead(Lead("c1", tags=("cold",))) == 0.0
