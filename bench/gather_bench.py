"""One gather against the embedded simulators, each given 100 ms of latency, compared with the
slowest single source fetched on its own; and gathers per second for concurrent caseworkers.

    python -m bench.gather_bench [--gathers N] [--caseworkers N] [--latency-ms N]

Runs the whole broker over real HTTP (a fresh SQLite database in a temporary directory, the demo
data seeded): the gather is ``POST /api/v1/assessments/{id}/gather`` as a caseworker sends it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import select

from adapters.protocol import FetchContext
from adapters.registry import fetch_from_all
from bench import summary_ms, write_result
from broker.accounts.models import User
from broker.app import create_app
from broker.dev.demo import demo_id, seed
from broker.dev.demo_case import CASEWORKER, HOLDERS, PARENT, open_leos_case
from broker.dev.identity_keys import issue_dev_token
from broker.identity.sources import refs_in_force
from broker.platform.db import Database
from broker.platform.migrate import upgrade
from broker.platform.settings import EMBEDDED_SIMULATOR_SECRET, Settings

CATEGORIES = list(HOLDERS)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(gathers: int, caseworkers: int, latency_ms: int) -> dict[str, object]:
    workdir = Path(tempfile.mkdtemp(prefix="gather-bench-"))
    url = f"sqlite:///{workdir / 'broker.db'}"
    public_url = f"http://127.0.0.1:{_port()}"
    # The default pool: a gather holds a connection only for its short plan and commit steps,
    # never while the sources answer, so many caseworkers share a few connections.
    settings = Settings(environment="test", database_url=url, data_dir=workdir / "data", public_url=public_url)
    upgrade(url)
    database = Database(settings)
    with database.unit_of_work() as session:
        seed(session)
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=int(public_url.rsplit(":", 1)[1]),
                                           log_level="warning", limit_concurrency=1000))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    with database.sessions() as session:
        users = {u.username: u for u in session.scalars(select(User))}
    sen = {"Authorization": "Bearer " + issue_dev_token(settings, users[CASEWORKER])}
    emma = {"Authorization": "Bearer " + issue_dev_token(settings, users[PARENT])}
    client = httpx.Client(base_url=public_url, timeout=60)
    gather_path = open_leos_case(client, sen, emma)
    for kind in ("education", "social_care", "educational_psychology"):
        client.put(f"/simulators/{kind}/_control", json={"latency_ms": latency_ms},
                   headers={"X-Simulator-Control": EMBEDDED_SIMULATOR_SECRET}).raise_for_status()

    # The slowest single source, fetched alone through the same adapters (tokens already cached),
    # interleaved with the gathers so that both see the same load on a shared machine.
    registry = app.state.adapters
    with database.sessions() as session:
        refs = refs_in_force(session, registry, demo_id("person:leo"))
    context = FetchContext(purpose="EHC_NEEDS_ASSESSMENT")
    single: dict[str, list[float]] = {}
    whole: list[float] = []
    load_before = os.getloadavg()[0]
    for i in range(gathers):
        print(f"  gather {i + 1}/{gathers} and each source alone", file=sys.stderr, flush=True)
        for name in ("education", "social_care", "educational_psychology"):
            started = time.perf_counter()
            outcome = asyncio.run(fetch_from_all(registry, {name: refs[name]}, CATEGORIES, context))
            single.setdefault(name, []).append(time.perf_counter() - started)
            assert outcome[name].status == "ok", outcome[name].detail
        started = time.perf_counter()
        response = client.post(gather_path, headers=sen, json={"categories": CATEGORIES})
        whole.append(time.perf_counter() - started)
        response.raise_for_status()
        assert all(s["status"] == "ok" for s in response.json()["sources"]), response.text
    slowest = max(sorted(s)[len(s) // 2] for s in single.values())
    median_gather = sorted(whole)[len(whole) // 2]

    print(f"  {caseworkers} caseworkers gathering at once", file=sys.stderr, flush=True)

    def one(_: int) -> float | None:
        started = time.perf_counter()
        response = httpx.post(public_url + gather_path, headers=sen, json={"categories": CATEGORIES}, timeout=120)
        return time.perf_counter() - started if response.status_code == 200 else None

    started = time.perf_counter()
    with ThreadPoolExecutor(caseworkers) as pool:
        answers = list(pool.map(one, range(caseworkers)))
    concurrent = [a for a in answers if a is not None]
    elapsed = time.perf_counter() - started
    server.should_exit = True
    return {
        "latency_ms_per_source": latency_ms,
        "slowest_single_source_median_ms": round(slowest * 1000, 1),
        "single_source_ms": {name: summary_ms(s) for name, s in single.items()},
        "gather_ms": summary_ms(whole),
        "gather_to_slowest_source_ratio": round(median_gather / slowest, 2),
        "concurrent_caseworkers": caseworkers,
        "concurrent_gather_ms": summary_ms(concurrent) if concurrent else None,
        "concurrent_gathers_failed": caseworkers - len(concurrent),
        "gathers_per_second": round(len(concurrent) / elapsed, 1),
        # The machine may be shared: its load average (1 minute) before the timed gathers and after.
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gathers", type=int, default=20, help="sequential gathers to time (default 20)")
    parser.add_argument("--caseworkers", type=int, default=50, help="caseworkers gathering at once (default 50)")
    parser.add_argument("--latency-ms", type=int, default=100, help="latency added by each simulator (default 100)")
    args = parser.parse_args()
    figures = run(args.gathers, args.caseworkers, args.latency_ms)
    path = write_result("gather_bench", figures, title="Gather once: fan-out against the simulators",
                        targets={"gather_to_slowest_source_ratio": "<= 1.2"})
    print(path)
    for key in ("slowest_single_source_median_ms", "gather_to_slowest_source_ratio", "gathers_per_second",
                "concurrent_gathers_failed"):
        print(f"{key}: {figures[key]}")


if __name__ == "__main__":
    main()
