"""HTTP API of the routing policy (same bearer token as api.py): read the current document and its
history, replace it (validated; ``expected_version`` for optimistic concurrency), and preview what
a document would change on the last decisions before it goes live.

Invalid documents answer 422 with FastAPI's own ``{loc, msg, type}`` errors naming the field; a
stale ``expected_version`` answers 409."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query
from pydantic import BaseModel, Field

from leadflow_common.db import transaction
from leadflow_common.logging import get_logger
from router.adapters import policy_store
from router.api import Services, authorized
from router.domain.directory import InMemoryDirectory
from router.domain.policy import RoutingPolicyDocument, StaleVersion
from router.domain.policy_diff import diff
from router.policy_reload import policy_of

log = get_logger(__name__)
policy_api = APIRouter(dependencies=[Depends(authorized)])


class PolicyChange(BaseModel):
    policy: RoutingPolicyDocument
    expected_version: int | None = Field(
        default=None, ge=0, description="refuse (409) unless this is still the current version"
    )
    actor: str | None = Field(default=None, min_length=1, max_length=200, description="who (else X-Actor)")
    comment: str | None = Field(default=None, max_length=500, description="why: kept with the version")


class PolicyPreview(BaseModel):
    policy: RoutingPolicyDocument
    leads: int = Field(default=1000, ge=1, le=50_000, description="the last N decisions replayed")
    top: int = Field(default=10, ge=1, le=200, description="location changes and moved leads listed")


def _error(status: int, field: str, message: str, kind: str) -> HTTPException:
    return HTTPException(status, detail=[{"loc": ["body", field], "msg": message, "type": kind}])


@policy_api.get("/policy")
async def current_policy(svc: Services) -> dict[str, Any]:
    """The stored current version (version 0 = the settings' document: none stored yet) and the
    version this replica decides with."""
    reloader = policy_of(svc)
    async with transaction(svc.sessions) as session:
        stored = await policy_store.current(session)
    return (stored or reloader.bootstrap).as_json() | {"active_version": reloader.current.version}


@policy_api.get("/policy/versions")
async def policy_versions(svc: Services, limit: Annotated[int, Query(ge=1, le=500)] = 50) -> dict[str, Any]:
    """Stored versions, newest first."""
    async with transaction(svc.sessions) as session:
        versions = await policy_store.history(session, limit)
    return {"versions": [v.as_json() for v in versions]}


@policy_api.put("/policy")
async def replace_policy(
    body: PolicyChange, svc: Services, x_actor: Annotated[str | None, Header(max_length=200)] = None
) -> dict[str, Any]:
    """Store ``policy`` as the next version; every replica decides with it within ~2 s."""
    actor = body.actor or x_actor
    if not actor:
        raise _error(
            422, "actor", "who changes the policy: actor in the body or the X-Actor header", "missing"
        )
    try:
        async with transaction(svc.sessions) as session:
            stored = await policy_store.store(
                session, body.policy, actor, body.comment, body.expected_version
            )
    except StaleVersion as exc:
        raise _error(409, "expected_version", str(exc), "stale_version") from exc
    log.info("routing_policy_stored", version=stored.version, hash=stored.content_hash, actor=actor)
    await policy_of(svc).reload()  # this replica at once; the others at their next poll
    return stored.as_json()


@policy_api.post("/policy/preview")
async def preview_policy(body: PolicyPreview, svc: Services) -> dict[str, Any]:
    """Replay the last ``leads`` decisions under the current policy and under ``policy`` (the
    reference ladder, fresh counters; stored scores) and answer the difference."""
    reloader = policy_of(svc)
    async with transaction(svc.sessions) as session:
        leads = await policy_store.recent_leads(session, body.leads)
        entries = await policy_store.directory_entries(session)
        stored = await policy_store.current(session)
    before = (stored or reloader.bootstrap).document
    result = await asyncio.to_thread(diff, leads, InMemoryDirectory(entries), before, body.policy)
    return {"current_version": (stored or reloader.bootstrap).version} | result.as_json(body.top)
