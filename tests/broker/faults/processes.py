"""Real processes for the fault tests: the broker served by ``broker serve``, and a throwaway
PostgreSQL cluster of the test's own (``initdb`` and ``pg_ctl`` on a free port, never the shared
server), so that a test can kill the one and stop the other mid-run."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from click.testing import Result
from sqlalchemy import select

from broker.accounts.models import User
from broker.dev.identity_keys import issue_dev_token
from broker.platform.db import Database
from broker.platform.settings import Settings

POSTGRES_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_tool(name: str) -> str | None:
    """The path of a PostgreSQL server program (``initdb``, ``pg_ctl``), on the PATH or in Debian's place."""
    found = shutil.which(name)
    if found:
        return found
    for directory in POSTGRES_BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    return None


class PostgresCluster:
    """A PostgreSQL server in a temporary directory, trust authentication, on 127.0.0.1:<port>.

    PostgreSQL refuses to run as root: as root the cluster belongs to, and runs as, the
    ``postgres`` account (made for the server by the distribution's package).
    """

    def __init__(self) -> None:
        self.initdb, self.pg_ctl = postgres_tool("initdb"), postgres_tool("pg_ctl")
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="broker-pg-"))
        self.data = self.directory / "data"
        self.owner = "postgres" if os.geteuid() == 0 else None

    @staticmethod
    def available() -> str | None:
        """None when a cluster can be made here, else why not."""
        if not postgres_tool("initdb") or not postgres_tool("pg_ctl"):
            return "initdb and pg_ctl were not found (install the PostgreSQL server package)"
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                return "running as root and there is no postgres account to run a PostgreSQL server as"
        return None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        if self.owner:
            command = ("runuser", "-u", self.owner, "--", *command)
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def create(self) -> None:
        if self.owner:
            shutil.chown(self.directory, self.owner)
        assert self.initdb is not None
        self._run(self.initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        assert self.pg_ctl is not None
        options = f"-p {self.port} -h 127.0.0.1 -k {self.directory}"
        self._run(self.pg_ctl, "-D", str(self.data), "-o", options, "-l", str(self.directory / "server.log"),
                  "-w", "-t", "60", "start")

    def stop(self, mode: str = "immediate") -> None:
        assert self.pg_ctl is not None
        self._run(self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.directory, ignore_errors=True)


class BrokerProcess:
    """``broker serve`` in a child process for ``settings`` (its database, data directory and
    public URL, whose port it listens on)."""

    def __init__(self, settings: Settings, log_path: Path, **environment: str) -> None:
        self.settings = settings
        self.port = int(settings.public_url.rsplit(":", 1)[1])
        self.log_path = log_path
        self.environment = {
            **os.environ,
            "BROKER_ENVIRONMENT": settings.environment.value,
            "BROKER_DATABASE_URL": settings.database_url,
            "BROKER_DATA_DIR": str(settings.data_dir),
            "BROKER_PUBLIC_URL": settings.public_url,
            "BROKER_LOG_LEVEL": "WARNING",
            **environment,
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return self.settings.public_url

    def start(self, timeout: float = 180.0) -> None:
        """Start the process and wait until it answers (generous: a busy machine starts slowly)."""
        self.spawn()
        self.wait_until_ready(timeout)

    def spawn(self) -> None:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from broker.cli import main; main()", "serve", "--port", str(self.port)],
                env=self.environment, stdout=log, stderr=subprocess.STDOUT,
            )

    def wait_until_ready(self, timeout: float = 180.0) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the broker exited with {self.process.returncode}: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the broker did not start in time")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flushing, no goodbye."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def run_cli(self, *arguments: str) -> Result:
        """``broker <arguments>`` against this broker's settings (in this process: the command
        line reads its settings from the environment given, as it would in a shell)."""
        from typer.testing import CliRunner

        from broker.cli import app

        variables = {k: v for k, v in self.environment.items() if k.startswith("BROKER_")}
        return CliRunner().invoke(app, list(arguments), env=variables)

    def bearer(self, username: str) -> dict[str, str]:
        """Headers with a development access token for a demo account, issued for this broker."""
        database = Database(self.settings)
        try:
            with database.sessions() as session:
                user = session.scalars(select(User).where(User.username == username)).one()
                return {"Authorization": "Bearer " + issue_dev_token(self.settings, user)}
        finally:
            database.dispose()
