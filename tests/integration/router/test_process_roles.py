"""A router process started with ROUTER_ROUTING_ENABLED=false (a sync-only process, decision 0016)
does not join the routing group, so another process's routing is never shared with GHL calls."""

from __future__ import annotations

from router.settings import DIRECTORY_GROUP, ROUTING_GROUP
from tests.integration.router.harness import running_router
from tests.support.infra import Infra


async def test_a_router_without_routing_consumes_no_contact_events(infra: Infra, router_schema: str) -> None:
    async with running_router(infra, router_schema, routing_enabled=False) as router:
        assert router.services is not None
        groups = {consumer.group_id for consumer in router.services.broker.consumers}
        assert groups == {DIRECTORY_GROUP}  # sync off here (the harness default): the directory only
        assert (await router.http.get("/readyz")).status_code == 200
    async with running_router(infra, router_schema) as router:
        assert router.services is not None
        assert ROUTING_GROUP in {consumer.group_id for consumer in router.services.broker.consumers}
