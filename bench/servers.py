"""The real broker and simulators in processes of their own, for the benchmarks that measure over HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from broker.accounts.models import User
from broker.dev.demo import seed
from broker.dev.identity_keys import issue_dev_token
from broker.platform.db import Database, normalise_database_url
from broker.platform.migrate import upgrade
from broker.platform.settings import EMBEDDED_SIMULATOR_SECRET, Settings

BROKER = [sys.executable, "-c", "from broker.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def default_postgres_url(database: str) -> str | None:
    """BROKER_BENCH_POSTGRES_URL, or the server of BROKER_TEST_DATABASE_URL with ``database``."""
    if os.environ.get("BROKER_BENCH_POSTGRES_URL"):
        return os.environ["BROKER_BENCH_POSTGRES_URL"]
    if os.environ.get("BROKER_TEST_DATABASE_URL"):
        return make_url(os.environ["BROKER_TEST_DATABASE_URL"]).set(database=database).render_as_string(hide_password=False)
    return None


def fresh_database(url: str | None, workdir: Path) -> str:
    """A new, migrated, empty database: PostgreSQL at ``url`` (dropped and recreated), else SQLite in ``workdir``."""
    if url is None:
        url = f"sqlite:///{workdir / 'broker.db'}"
    else:
        server = make_url(normalise_database_url(url))
        admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{server.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{server.database}"'))
        admin.dispose()
    upgrade(url)
    return url


class Deployment:
    """A migrated, seeded database, the simulators on their own ports (each with its latency),
    and ``broker serve`` with ``workers`` processes in front of them."""

    def __init__(self, database_url: str | None, *, workers: int = 1, latency_ms: dict[str, int] | None = None,
                 pool_size: int = 10) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="broker-bench-"))
        self.port = free_port()
        self.simulator_ports = {kind: free_port() for kind in ("education", "social_care", "educational_psychology")}
        self.latency_ms = latency_ms or {}
        self.workers = workers
        url = fresh_database(database_url, self.workdir)
        self.settings = Settings(environment="test", database_url=url, data_dir=self.workdir / "data",
                                 public_url=f"http://127.0.0.1:{self.port}", database_pool_size=pool_size,
                                 embedded_simulators=False)
        database = Database(self.settings)
        with database.unit_of_work() as session:
            seed(session)
        with database.sessions() as session:
            self.users = {u.username: u for u in session.scalars(select(User))}
        database.dispose()
        self.processes: list[subprocess.Popen[bytes]] = []

    @property
    def base_url(self) -> str:
        return self.settings.public_url

    def bearer(self, username: str) -> dict[str, str]:
        return {"Authorization": "Bearer " + issue_dev_token(self.settings, self.users[username], ttl_seconds=86400)}

    def _environment(self) -> dict[str, str]:
        holders = {"education": "SCH-RIVERSIDE", "social_care": "NCC-CSC", "educational_psychology": "NCC-EPS"}
        systems = {kind: {"kind": kind, "base_url": f"http://127.0.0.1:{port}", "holder": holders[kind],
                          "verify_tls": False}
                   for kind, port in self.simulator_ports.items()}
        systems["ep_paper"] = {"kind": "ep_paper", "client_id": None, "client_secret": None, "holder": "NCC-EPS"}
        return {
            **os.environ,
            "BROKER_ENVIRONMENT": "test",
            "BROKER_DATABASE_URL": self.settings.database_url,
            "BROKER_DATA_DIR": str(self.settings.data_dir),
            "BROKER_PUBLIC_URL": self.base_url,
            "BROKER_DATABASE_POOL_SIZE": str(self.settings.database_pool_size),
            "BROKER_EMBEDDED_SIMULATORS": "false",
            "BROKER_SOURCE_SYSTEMS": json.dumps(systems),
            "BROKER_LOG_LEVEL": "WARNING",
        }

    def start(self, *, simulators: bool = True, timeout: float = 300) -> None:
        log = open(self.workdir / "servers.log", "ab")  # noqa: SIM115 - open while the processes run
        environment = self._environment()
        if simulators:
            ports = self.simulator_ports
            self.processes.append(subprocess.Popen(
                [*BROKER, "simulators", "serve", "--education-port", str(ports["education"]),
                 "--social-care-port", str(ports["social_care"]), "--ep-port", str(ports["educational_psychology"])],
                env=environment, stdout=log, stderr=subprocess.STDOUT))
        self.processes.append(subprocess.Popen(
            [*BROKER, "serve", "--port", str(self.port), "--workers", str(self.workers)],
            env=environment, stdout=log, stderr=subprocess.STDOUT))
        self._wait(self.base_url + "/readyz", timeout)
        if simulators:
            for kind, port in self.simulator_ports.items():
                self._wait(f"http://127.0.0.1:{port}/openapi.json", timeout, any_answer=True)
                httpx.put(f"http://127.0.0.1:{port}/_control", json={"latency_ms": self.latency_ms.get(kind, 0)},
                          headers={"X-Simulator-Control": EMBEDDED_SIMULATOR_SECRET}).raise_for_status()

    def _wait(self, url: str, timeout: float, any_answer: bool = False) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"a server exited: see {self.workdir / 'servers.log'}")
            try:
                response = httpx.get(url, timeout=2)
                if any_answer or response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{url} did not answer in time")

    def broker_pids(self) -> list[int]:
        """The ``broker serve`` process and its workers."""
        main = self.processes[-1].pid
        return [main, *_children(main)]

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found + [grandchild for child in found for grandchild in _children(child)]


def rss_mb(pid: int) -> float:
    """Resident memory of one process, in MB (0 once it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0
