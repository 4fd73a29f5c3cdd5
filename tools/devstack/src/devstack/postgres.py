"""PostgreSQL from Debian packages: one cluster in .devstack/, one database, a schema and a role
per service."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from devstack.errors import DevstackError
from devstack.paths import state_dir
from devstack.procs import apt_install, free_port, pid_alive, port_accepts, wait_until
from devstack.state import ServerState

DATABASE = "leadflow"
SUPERUSER_PASSWORD = "postgres"  # local dev cluster on loopback only
SERVICE_SCHEMAS = ("router", "onboarding", "analytics")


def bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        apt_install("postgresql")
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise DevstackError("PostgreSQL binaries not found after install", "apt-get install -y postgresql")
    return Path(found[-1]).parent


def _as_postgres(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """initdb/pg_ctl refuse to run as root: run them as the package's postgres user."""
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if not runuser:
            raise DevstackError("running as root without runuser", "run devstack as a normal user")
        args = [runuser, "-u", "postgres", "--", *args]
    return subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload,no-any-return]


def pg_home() -> Path:
    path = state_dir() / "postgres"
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")
    return path


def service_url(port: int, role: str) -> str:
    return f"postgresql+asyncpg://{role}:{role}@127.0.0.1:{port}/{DATABASE}"


def admin_url(port: int) -> str:
    return f"postgresql://postgres:{SUPERUSER_PASSWORD}@127.0.0.1:{port}/{DATABASE}"


def start(state: ServerState) -> ServerState:
    bins = bin_dir()
    home = pg_home()
    data = home / "data"
    log = home / "postgres.log"
    if not (data / "PG_VERSION").exists():
        pwfile = home / "pwfile"
        pwfile.write_text(SUPERUSER_PASSWORD)
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        res = _as_postgres(
            [
                str(bins / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                f"--pwfile={pwfile}",
            ]
        )
        if res.returncode != 0:
            shutil.rmtree(data, ignore_errors=True)
            raise DevstackError(
                f"initdb failed: {res.stderr[-800:]}", "fix the error above and rerun `devstack up`"
            )
    port = state.port if state.port and port_accepts(state.port) and state.managed else 0
    if not port:
        port = _running_port(data)  # a server already owns this data directory: reuse it
    if not port:
        port = free_port(state.port or 5432)
        opts = f"-p {port} -k {home} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on"
        res = _as_postgres(
            [str(bins / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts, "-w", "-t", "60", "start"]
        )
        if res.returncode != 0 and "another server might be running" not in res.stderr:
            raise DevstackError(f"pg_ctl start failed: {res.stderr[-500:]}", f"see {log}")
        wait_until(lambda: port_accepts(port), 60, "PostgreSQL", log)
    pid = _read_pid(data)
    new = ServerState(port=port, pid=pid, managed=True, url=admin_url(port))
    bootstrap(port, home)
    return new


def _running_port(data: Path) -> int:
    """The port of the live postmaster of ``data`` (postmaster.pid: pid on line 1, port on line 4)."""
    try:
        lines = (data / "postmaster.pid").read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return 0
    return port if pid_alive(pid) and port_accepts(port) else 0


def _read_pid(data: Path) -> int | None:
    try:
        return int((data / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def _psql(port: int, sql: str, home: Path, database: str = "postgres") -> str:
    res = _as_postgres(
        [
            "psql",
            "-h",
            str(home),
            "-p",
            str(port),
            "-U",
            "postgres",
            "-d",
            database,
            "-v",
            "ON_ERROR_STOP=1",
            "-tAc",
            sql,
        ]
    )
    if res.returncode != 0:
        raise DevstackError(f"psql failed: {res.stderr.strip()[-500:]}\n  sql: {sql}", "see the postgres log")
    return res.stdout.strip()


def bootstrap(port: int, home: Path) -> None:
    """The database, and per service a role and a schema it owns (idempotent)."""
    if _psql(port, f"SELECT 1 FROM pg_database WHERE datname='{DATABASE}'", home) != "1":
        _psql(port, f"CREATE DATABASE {DATABASE}", home)
    for name in SERVICE_SCHEMAS:
        _psql(
            port,
            f"""DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') THEN
              CREATE ROLE {name} LOGIN PASSWORD '{name}';
            END IF; END $$;""",
            home,
            DATABASE,
        )
        _psql(
            port,
            f"CREATE SCHEMA IF NOT EXISTS {name} AUTHORIZATION {name}; "
            f"ALTER ROLE {name} SET search_path = {name}; "
            f"GRANT CREATE ON DATABASE {DATABASE} TO {name}",
            home,
            DATABASE,
        )


def bootstrap_external(admin: str) -> None:
    """Same roles and schemas on a server devstack did not start (DATABASE_URL given)."""
    import asyncio

    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(admin.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            for name in SERVICE_SCHEMAS:
                exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname=$1", name)
                if not exists:
                    await conn.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{name}'")
                await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {name} AUTHORIZATION {name}")
                await conn.execute(f"ALTER ROLE {name} SET search_path = {name}")
        finally:
            await conn.close()

    asyncio.run(run())


def stop(state: ServerState) -> None:
    if not state.managed:
        return
    data = pg_home() / "data"
    if (data / "postmaster.pid").exists():
        _as_postgres([str(bin_dir() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
