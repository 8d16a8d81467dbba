"""A sustained mixed load against the broker on PostgreSQL, with several worker processes.

    python -m bench.load_run                 # ten minutes (make load)
    python -m bench.load_run --quick         # thirty seconds, to try it out
    python -m bench.load_run --minutes 30 --workers 4 --postgres-url postgresql://...

Starts ``broker serve --workers N`` on a fresh PostgreSQL database (demo data seeded) and the
simulated source systems on their own ports with 100, 200 and 300 ms of latency, then runs, from
this process, virtual users that never pause:

- families read their child's permissions, open the consent requests sent to them and answer them;
- caseworkers ask for decisions, raise consent requests, and gather a child's records from the
  three simulated systems for an assessment;
- information governance searches the audit log.

Reports requests per second, latency percentiles and errors per kind of request, and the resident
memory of every broker process sampled through the run (its growth from the first to the last
quarter).  Writes ``bench/results/load_run.json`` (rendered into docs/performance.md by
``python -m bench --render-only``).  Not part of ``make bench``: it takes its own time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench import summary_ms, write_result
from bench.servers import Deployment, default_postgres_url, rss_mb
from broker.dev.demo import demo_id
from broker.dev.demo_case import CASEWORKER, HOLDERS, LEO, PARENT, open_leos_case

AMELIA, OLIVER = (str(demo_id("person:" + p)) for p in ("amelia", "oliver"))
SEN, SCHOOL = (str(demo_id("org:" + c)) for c in ("NCC-SEN", "SCH-RIVERSIDE"))
LATENCY_MS = {"education": 100, "social_care": 200, "educational_psychology": 300}


class Recorder:
    def __init__(self) -> None:
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.errors_by_minute: dict[int, int] = defaultdict(int)
        self.started = time.monotonic()

    async def call(self, kind: str, request: Any) -> httpx.Response | None:
        began = time.perf_counter()
        try:
            response = await request
        except httpx.HTTPError as exc:
            self._error(kind, type(exc).__name__)
            return None
        self.timings[kind].append(time.perf_counter() - began)
        if response.status_code >= 400:
            self._error(kind, str(response.status_code))
        return response

    def _error(self, kind: str, what: str) -> None:
        self.errors[kind][what] += 1
        self.errors_by_minute[int((time.monotonic() - self.started) // 60)] += 1


async def family(client: httpx.AsyncClient, headers: dict[str, str], child: str, answers: asyncio.Queue[str] | None,
                 recorder: Recorder, until: float) -> None:
    while time.monotonic() < until:
        await recorder.call("family: read permissions",
                            client.get("/api/v1/consents", params={"subject_id": child}, headers=headers))
        if answers is not None and not answers.empty():
            request_id = answers.get_nowait()
            await recorder.call("family: open a request", client.get(f"/api/v1/consent-requests/{request_id}", headers=headers))
            await recorder.call("family: answer a request", client.post(
                f"/api/v1/consent-requests/{request_id}/answer", headers=headers,
                json={"answer": "decline", "note": "Not now."}))


async def caseworker(client: httpx.AsyncClient, headers: dict[str, str], gather_path: str, answers: asyncio.Queue[str],
                     recorder: Recorder, until: float, rng: random.Random) -> None:
    while time.monotonic() < until:
        await recorder.call("caseworker: decision", client.post("/api/v1/decisions", headers=headers, json={
            "subject_id": rng.choice([AMELIA, LEO]), "recipient_organisation_id": SEN, "purpose": "EHC_NEEDS_ASSESSMENT",
            "holder_organisation_id": SCHOOL, "categories": ["EDU_ATTENDANCE", "EDU_ADVICE"]}))
        await recorder.call("caseworker: gather (3 sources, 100-300 ms)", client.post(
            gather_path, headers=headers, json={"categories": list(HOLDERS)}))
        if answers.qsize() < 50:
            response = await recorder.call("caseworker: raise a consent request", client.post(
                "/api/v1/consent-requests", headers=headers, json={
                    "subject_id": AMELIA, "purpose": "EHC_NEEDS_ASSESSMENT", "categories": ["EDU_ADVICE"],
                    "holder_organisation_ids": [SCHOOL], "recipient_organisation_ids": [SEN],
                    "why": "The school's advice describes how Amelia learns best.", "valid_for_days": 120,
                    "if_declined": "The assessment goes ahead; we will ask the school for new advice.",
                    "expires_at": (datetime.now(UTC) + timedelta(days=14)).isoformat()}))
            if response is not None and response.status_code == 201:
                answers.put_nowait(response.json()["id"])


async def auditor(client: httpx.AsyncClient, headers: dict[str, str], recorder: Recorder, until: float,
                  rng: random.Random) -> None:
    while time.monotonic() < until:
        await recorder.call("IG: search the audit log", client.get("/api/v1/audit/events", headers=headers, params={
            "subject": rng.choice([AMELIA, OLIVER, LEO]), "limit": 50}))


async def sample_memory(deployment: Deployment, samples: list[dict[str, Any]], until: float, every: float) -> None:
    started = time.monotonic()
    while time.monotonic() < until:
        pids = deployment.broker_pids()
        samples.append({"seconds": round(time.monotonic() - started), "rss_mb": {str(p): rss_mb(p) for p in pids}})
        await asyncio.sleep(every)


def prepare(deployment: Deployment) -> str:
    """Leo's case, ready to gather from the three simulated systems; the gather path."""
    with httpx.Client(base_url=deployment.base_url, timeout=60) as client:
        return open_leos_case(client, deployment.bearer(CASEWORKER), deployment.bearer(PARENT))


async def drive(deployment: Deployment, seconds: float, families: int, caseworkers: int, auditors: int,
                warm_up: float) -> tuple[Recorder, list[dict[str, Any]], float]:
    gather_path = prepare(deployment)
    rng = random.Random(11)
    parents = [("sarah.clarke", AMELIA, True), ("david.clarke", AMELIA, False), ("priya.bennett", OLIVER, False),
               ("emma.walsh", LEO, False)]
    limits = httpx.Limits(max_connections=families + caseworkers + auditors + 10)
    async with httpx.AsyncClient(base_url=deployment.base_url, timeout=60, limits=limits) as client:
        answers: asyncio.Queue[str] = asyncio.Queue()
        sen = deployment.bearer("sen.caseworker")
        ig = deployment.bearer("ig.auditor")
        heads = {name: deployment.bearer(name) for name, _, _ in parents}

        def users(recorder: Recorder, until: float) -> list[Any]:
            tasks = []
            for n in range(families):
                name, child, answering = parents[n % len(parents)]
                tasks.append(family(client, heads[name], child, answers if answering else None, recorder, until))
            tasks += [caseworker(client, sen, gather_path, answers, recorder, until, random.Random(rng.random()))
                      for _ in range(caseworkers)]
            tasks += [auditor(client, ig, recorder, until, random.Random(rng.random())) for _ in range(auditors)]
            return tasks

        print(f"warming up for {warm_up:.0f} s", file=sys.stderr, flush=True)
        await asyncio.gather(*users(Recorder(), time.monotonic() + warm_up))
        recorder = Recorder()
        samples: list[dict[str, Any]] = []
        until = time.monotonic() + seconds
        started = time.monotonic()

        async def progress() -> None:
            while time.monotonic() < until:
                await asyncio.sleep(min(60, seconds / 4))
                done = sum(len(t) for t in recorder.timings.values())
                errors = sum(sum(e.values()) for e in recorder.errors.values())
                print(f"  {time.monotonic() - started:5.0f} s: {done:,} requests, {errors} errors, "
                      f"{done / (time.monotonic() - started):.1f}/s", file=sys.stderr, flush=True)

        await asyncio.gather(*users(recorder, until), sample_memory(deployment, samples, until, max(1.0, seconds / 120)),
                             progress())
        return recorder, samples, time.monotonic() - started


def memory_growth(samples: list[dict[str, Any]]) -> dict[str, Any]:
    totals = [sum(s["rss_mb"].values()) for s in samples]
    quarter = max(1, len(totals) // 4)
    first, last = statistics.mean(totals[:quarter]), statistics.mean(totals[-quarter:])
    return {
        "samples": len(totals),
        "processes": len(samples[-1]["rss_mb"]) if samples else 0,
        "total_rss_mb_first_quarter": round(first, 1),
        "total_rss_mb_last_quarter": round(last, 1),
        "total_rss_mb_max": round(max(totals), 1),
        "growth_percent_first_to_last_quarter": round(100 * (last - first) / first, 1) if first else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load_run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to run (default 10)")
    parser.add_argument("--quick", action="store_true", help="a thirty-second run, to try it out")
    parser.add_argument("--workers", type=int, default=3, help="broker worker processes (default 3)")
    parser.add_argument("--families", type=int, default=12, help="families at once (default 12)")
    parser.add_argument("--caseworkers", type=int, default=6, help="caseworkers at once (default 6)")
    parser.add_argument("--auditors", type=int, default=2, help="IG staff at once (default 2)")
    parser.add_argument("--postgres-url", default=default_postgres_url("load_run"),
                        help="PostgreSQL database to (re)create for the run (default: BROKER_BENCH_POSTGRES_URL, or "
                             "the server of BROKER_TEST_DATABASE_URL with database load_run); it is dropped first")
    args = parser.parse_args()
    if not args.postgres_url:
        parser.error("the load run needs PostgreSQL: give --postgres-url (or set BROKER_BENCH_POSTGRES_URL)")
    seconds = 30.0 if args.quick else args.minutes * 60
    deployment = Deployment(args.postgres_url, workers=args.workers, latency_ms=LATENCY_MS,
                            pool_size=max(10, args.families + args.caseworkers + args.auditors))
    print(f"starting the broker ({args.workers} workers) and the simulators", file=sys.stderr, flush=True)
    load_before = os.getloadavg()
    try:
        deployment.start()
        recorder, samples, elapsed = asyncio.run(drive(
            deployment, seconds, args.families, args.caseworkers, args.auditors, warm_up=min(20.0, seconds / 6)))
    finally:
        deployment.stop()
    total = sum(len(t) for t in recorder.timings.values())
    errors = sum(sum(e.values()) for e in recorder.errors.values())
    figures = {
        "duration_seconds": round(elapsed),
        "workers": args.workers,
        "virtual_users": {"families": args.families, "caseworkers": args.caseworkers, "IG": args.auditors},
        "simulator_latency_ms": LATENCY_MS,
        "requests": total,
        "requests_per_second": round(total / elapsed, 1),
        "errors": errors,
        "errors_by_minute": dict(sorted(recorder.errors_by_minute.items())),
        "by_kind": {
            kind: {"requests": len(t), "per_second": round(len(t) / elapsed, 2), **summary_ms(t),
                   "errors": dict(recorder.errors.get(kind, {}))}
            for kind, t in sorted(recorder.timings.items())
        },
        "memory": memory_growth(samples),
        "load_average_before_and_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
    }
    write_result("load_run", figures, title="Load run: mixed workload on PostgreSQL, several workers",
                 targets={"errors": "none", "memory": "no growth from the first to the last quarter",
                          "duration": "at least ten minutes"})
    print(f"{figures['requests_per_second']} requests/s, {errors} errors, memory growth "
          f"{figures['memory']['growth_percent_first_to_last_quarter']}%", file=sys.stderr)


if __name__ == "__main__":
    main()
