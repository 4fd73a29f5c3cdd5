"""The status API over the real router with an in-memory store."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from leadflow_common.events.onboarding import LocationDraft
from onboarding.api import build_router
from onboarding.domain.location import Location, StepRecord
from onboarding.domain.saga import SagaStatus, Step, StepStatus
from tests.unit.onboarding.fakes import FakeStore

DRAFT = LocationDraft(
    name="FitNation Austin #1", address="1 Main St", city="Austin", state="TX", postal_code="78701",
    phone="+15125550100", email="a@fitnation.example.com", manager_name="Ana Ruiz",
    manager_email="ana@fitnation.example.com", daily_capacity=40, franchise_code="FIT-0001",
)  # fmt: skip
AUTH = {"Authorization": "Bearer secret"}


def client() -> TestClient:
    store = FakeStore()
    loc = Location("FIT-0001", DRAFT, status=SagaStatus.FAILED, failed_step="snapshot", last_error="boom")
    loc.steps[Step.LOCATION_RECORD] = StepRecord(StepStatus.DONE, {"timezone": "America/Chicago"}, 1)
    store.locations["FIT-0001"] = loc
    store.locations["FIT-0002"] = Location(
        "FIT-0002", DRAFT.model_copy(update={"franchise_code": "FIT-0002"})
    )
    app = FastAPI()
    app.include_router(build_router(store, "secret"))
    return TestClient(app)


def test_requires_bearer_token() -> None:
    assert client().get("/onboarding/fit-0001").status_code == 401
    assert client().get("/onboarding", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_one_location_by_key_case_insensitive() -> None:
    body = client().get("/onboarding/fit-0001", headers=AUTH).json()
    assert body["status"] == "failed" and body["failed_step"] == "snapshot"
    assert body["steps"] == [
        {"step": "location_record", "status": "done", "attempts": 1, "error": None,
         "ghl_ids": {"timezone": "America/Chicago"}}
    ]  # fmt: skip
    assert client().get("/onboarding/nope", headers=AUTH).status_code == 404


def test_filter_by_status() -> None:
    c = client()
    assert [i["location_id"] for i in c.get("/onboarding?status=pending", headers=AUTH).json()["items"]] == [
        "FIT-0002"
    ]
    assert len(c.get("/onboarding", headers=AUTH).json()["items"]) == 2
    assert c.get("/onboarding?status=bogus", headers=AUTH).status_code == 422
