"""Response models: tolerant (unknown fields kept, most fields optional), snake_case with GHL aliases."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field


class GhlModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class GhlLocation(GhlModel):
    id: str
    name: str = ""
    company_id: str | None = Field(default=None, alias="companyId")
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = Field(default=None, alias="postalCode")
    country: str | None = None
    website: str | None = None
    timezone: str | None = None


class GhlContact(GhlModel):
    id: str
    location_id: str | None = Field(default=None, alias="locationId")
    email: str | None = None
    phone: str | None = None
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    tags: list[str] = Field(default_factory=list)
    assigned_to: str | None = Field(default=None, alias="assignedTo")


class CustomValue(GhlModel):
    id: str
    name: str
    value: str = ""
    field_key: str | None = Field(default=None, alias="fieldKey")


class Workflow(GhlModel):
    id: str
    name: str
    status: str = ""


class PipelineStage(GhlModel):
    id: str
    name: str


class Pipeline(GhlModel):
    id: str
    name: str
    stages: list[PipelineStage] = Field(default_factory=list)


class SnapshotPushStatus(GhlModel):
    status: str
    id: str | None = None
    location_id: str | None = Field(default=None, alias="locationId")


class InstalledLocation(GhlModel):
    id: str = Field(validation_alias=AliasChoices("_id", "id", "locationId"))
    name: str = ""
    is_installed: bool = Field(default=False, alias="isInstalled")

    @property
    def location_id(self) -> str:
        return self.id


class GhlUser(GhlModel):
    id: str
    email: str | None = None
    name: str | None = None
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    roles: dict[str, Any] = Field(default_factory=dict)


class Opportunity(GhlModel):
    id: str
    status: str = "open"
    name: str | None = None
    contact_id: str | None = Field(default=None, alias="contactId")
    pipeline_id: str | None = Field(default=None, alias="pipelineId")
    pipeline_stage_id: str | None = Field(default=None, alias="pipelineStageId")
    monetary_value: float | None = Field(default=None, alias="monetaryValue")
