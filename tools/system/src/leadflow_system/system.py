"""The whole system on one machine: the GHL simulator and the four services as processes,
wired to the devstack servers (or any servers named by the environment)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from devstack.procs import free_port
from ghl_simulator.settings import SimSettings
from ghl_simulator.webhooks import ED25519_PUBLIC_KEY, RSA_PUBLIC_KEY
from leadflow_system.processes import ProcessFailed, ServiceProcess, run_cli
from leadflow_system.seed import intake_location, seed

SERVICES = ("ingest", "router", "onboarding", "analytics")
# processes of a service in another role: name -> (service, its settings); started only when named
ROLES = {"router-sync": ("router", {"ROUTER_ROUTING_ENABLED": "false", "ROUTER_SYNC_ENABLED": "true"})}
MIGRATED = ("router", "onboarding", "analytics")
INTAKE_LOCATION_ID = "intakeCorporate000001"  # the franchise's corporate marketing sub-account
API_TOKEN = "local-dev-token"  # bearer token of the internal APIs in local runs


def venv_bin(command: str) -> str:
    return str(Path(sys.executable).parent / command)


@dataclass
class LocalSystem:
    """Starts, stops and kills the system's processes. ``infra_env`` is `devstack env` output;
    ``run_id`` names this run's schemas and Redis prefixes (the topic namespace comes from
    ``KAFKA_TOPIC_NAMESPACE`` in ``infra_env``)."""

    infra_env: dict[str, str]
    log_dir: Path
    run_id: str
    extra_env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, ServiceProcess] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("ghl-simulator", *SERVICES, *ROLES):
            self.ports.setdefault(name, free_port())

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    @property
    def sim(self) -> SimSettings:
        return SimSettings()

    def env(self) -> dict[str, str]:
        sim = self.sim
        env = {
            **self.infra_env,
            "LOG_JSON": "true",
            "GHLSIM_PORT": str(self.ports["ghl-simulator"]),
            "GHLSIM_SNAPSHOT_PUSH_DELAY_S": "1.0",
            "GHL_BASE_URL": self.url("ghl-simulator"),
            "GHL_AGENCY_TOKEN": sim.agency_token,
            "GHL_COMPANY_ID": sim.company_id,
            "GHL_APP_ID": sim.app_id,
            "GHL_SNAPSHOT_ID": sim.snapshot_id,
            "INGEST_PUBLIC_KEYS": json.dumps([str(ED25519_PUBLIC_KEY), str(RSA_PUBLIC_KEY)]),
            "ROUTER_INTAKE_LOCATION_IDS": json.dumps([INTAKE_LOCATION_ID]),
            "ANALYTICS_API_TOKEN": API_TOKEN,
            "ONBOARDING_API_TOKEN": API_TOKEN,
            "ROUTER_API_TOKEN": API_TOKEN,
            # the dashboard's pool and onboarding views
            "ANALYTICS_ROUTER_URL": self.url("router"),
            "ANALYTICS_ROUTER_API_TOKEN": API_TOKEN,
            "ANALYTICS_ONBOARDING_URL": self.url("onboarding"),
            "ANALYTICS_ONBOARDING_API_TOKEN": API_TOKEN,
        }
        for name in SERVICES:
            env[f"{name.upper()}_HTTP_PORT"] = str(self.ports[name])
        for name in MIGRATED:
            env[f"{name.upper()}_DB_SCHEMA"] = self.schema(name)
        for name in ("router", "analytics"):
            env[f"{name.upper()}_REDIS_PREFIX"] = f"{self.run_id}:{name}"
        env["GHL_REDIS_PREFIX"] = f"{self.run_id}:ghl"
        env.update(self.extra_env)
        return env

    def schema(self, service: str) -> str:
        return f"{service}_{self.run_id}"

    def migrate(self) -> None:
        for name in MIGRATED:
            result = run_cli([venv_bin(name), "migrate"], self.env())
            if result.returncode != 0:
                raise ProcessFailed(
                    f"{name} migrate failed:\n{result.stdout[-1500:]}\n{result.stderr[-1500:]}"
                )

    def process(self, name: str) -> ServiceProcess:
        if name not in self.processes:
            command = "ghl-simulator" if name == "ghl-simulator" else name
            ready = "/healthz" if name == "ghl-simulator" else "/readyz"
            env = self.env()
            if name in ROLES:
                command, role = ROLES[name]
                env |= role | {f"{command.upper()}_HTTP_PORT": str(self.ports[name])}
            self.processes[name] = ServiceProcess(
                name=name,
                argv=[venv_bin(command), "serve"],
                env=env,
                ready_url=self.url(name) + ready,
                log_path=self.log_dir / f"{name}.log",
            )
        return self.processes[name]

    def start(self, names: tuple[str, ...] = ("ghl-simulator", *SERVICES), timeout_s: float = 90.0) -> None:
        """Start the simulator first (and give it the franchise's intake sub-account), then the rest."""
        if "ghl-simulator" in names:
            self.process("ghl-simulator").start()
            self.process("ghl-simulator").wait_ready(timeout_s)
            seed(self.url("ghl-simulator"), locations=[intake_location(INTAKE_LOCATION_ID)])
        others = [n for n in names if n != "ghl-simulator"]
        for name in others:
            self.process(name).start()
        for name in others:
            self.process(name).wait_ready(timeout_s)

    def restart(self, name: str, timeout_s: float = 90.0) -> None:
        proc = self.process(name)
        proc.stop()
        proc.start()
        proc.wait_ready(timeout_s)

    def stop(self) -> None:
        for name in reversed(list(self.processes)):
            self.processes[name].stop()
