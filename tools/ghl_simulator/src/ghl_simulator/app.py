"""The FastAPI application: GHL routes behind the gate, admin API and ops endpoints beside them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from ghl_simulator import admin, delivery_admin, inbound
from ghl_simulator.errors import GhlHttpError, on_ghl_error, on_validation_error
from ghl_simulator.gate import Gate
from ghl_simulator.routes import contacts, locations, oauth, search, setup
from ghl_simulator.settings import SimSettings
from ghl_simulator.sim import Sim
from leadflow_common.http import Readiness, ops_router


def create_app(settings: SimSettings | None = None) -> FastAPI:
    sim = Sim(settings or SimSettings())
    app = FastAPI(title="GoHighLevel API v2 simulator", version="2021-07-28", lifespan=_lifespan)
    app.state.sim = sim
    for module in (locations, setup, oauth, search, contacts):
        app.include_router(module.router)
    app.include_router(admin.router)
    app.include_router(delivery_admin.router)
    app.include_router(inbound.router)
    readiness = Readiness({})  # in-memory only: ready as soon as it serves
    readiness.started = True
    app.include_router(ops_router(readiness))
    app.add_exception_handler(GhlHttpError, on_ghl_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_middleware(Gate, sim=sim)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    sim: Sim = app.state.sim
    await sim.deliveries.aclose()  # pending webhook deliveries end with the process
