"""Requests per second of the HTTP decision endpoint, against the server's own floor.

    python -m bench.decision_http_bench [--seconds 10] [--rounds 3] [--concurrency 8] [--backend sqlite]

Serves the broker with ``broker serve`` (one worker) on a fresh database with the demo data, and
sends, from this process over keep-alive connections, ``POST /api/v1/decisions`` (a caseworker's
question, decided and audited) and ``GET /api/v1/me`` (the trivial authenticated endpoint: the
bearer token verified, the account looked up, nothing else), in alternating timed rounds.  The
ratio of the two throughputs is what deciding and auditing cost on top of the framework, the
token check and the database session every request pays.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

import httpx

from bench import summary_ms, write_result
from bench.servers import Deployment, default_postgres_url
from broker.dev.demo import demo_id

AMELIA, SEN, SCHOOL = str(demo_id("person:amelia")), str(demo_id("org:NCC-SEN")), str(demo_id("org:SCH-RIVERSIDE"))
DECISION = {"subject_id": AMELIA, "recipient_organisation_id": SEN, "purpose": "EHC_NEEDS_ASSESSMENT",
            "holder_organisation_id": SCHOOL, "categories": ["EDU_ATTENDANCE", "EDU_ADVICE"]}


async def timed_round(client: httpx.AsyncClient, headers: dict[str, str], endpoint: str, seconds: float,
                      concurrency: int) -> tuple[int, list[float], int]:
    until = time.monotonic() + seconds
    timings: list[float] = []
    errors = 0

    async def user() -> None:
        nonlocal errors
        while time.monotonic() < until:
            began = time.perf_counter()
            if endpoint == "decision":
                response = await client.post("/api/v1/decisions", json=DECISION, headers=headers)
            else:
                response = await client.get("/api/v1/me", headers=headers)
            timings.append(time.perf_counter() - began)
            errors += response.status_code != 200

    await asyncio.gather(*(user() for _ in range(concurrency)))
    return len(timings), timings, errors


async def measure(deployment: Deployment, seconds: float, rounds: int, concurrency: int) -> dict[str, object]:
    headers = deployment.bearer("sen.caseworker")
    figures: dict[str, dict[str, object]] = {}
    async with httpx.AsyncClient(base_url=deployment.base_url, timeout=60,
                                 limits=httpx.Limits(max_connections=concurrency)) as client:
        for endpoint in ("me", "decision"):
            await timed_round(client, headers, endpoint, 2, concurrency)
        counts: dict[str, int] = {"me": 0, "decision": 0}
        times: dict[str, float] = {"me": 0.0, "decision": 0.0}
        timings: dict[str, list[float]] = {"me": [], "decision": []}
        errors: dict[str, int] = {"me": 0, "decision": 0}
        for number in range(rounds):
            for endpoint in ("me", "decision"):
                began = time.monotonic()
                count, taken, failed = await timed_round(client, headers, endpoint, seconds, concurrency)
                times[endpoint] += time.monotonic() - began
                counts[endpoint] += count
                timings[endpoint] += taken
                errors[endpoint] += failed
                print(f"  round {number + 1}/{rounds} {endpoint}: {count / seconds:.1f} requests/s", file=sys.stderr)
        for endpoint in ("me", "decision"):
            figures[endpoint] = {"requests_per_second": round(counts[endpoint] / times[endpoint], 1),
                                 **summary_ms(timings[endpoint]), "errors": errors[endpoint]}
    me, decision = figures["me"]["requests_per_second"], figures["decision"]["requests_per_second"]
    return {
        "GET /api/v1/me": figures["me"],
        "POST /api/v1/decisions": figures["decision"],
        "ratio_decision_to_me": round(float(decision) / float(me), 3),  # type: ignore[arg-type]
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.decision_http_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10, help="length of each timed round (default 10)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each endpoint, alternating (default 3)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight (default 8)")
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"],
                        help="database(s) (repeatable; default: sqlite, plus postgresql when a URL is set)")
    parser.add_argument("--postgres-url", default=default_postgres_url("decision_http_bench"),
                        help="PostgreSQL database to (re)create (default: BROKER_BENCH_POSTGRES_URL, or the server "
                             "of BROKER_TEST_DATABASE_URL with database decision_http_bench)")
    args = parser.parse_args()
    backends = args.backend or (["sqlite", "postgresql"] if args.postgres_url else ["sqlite"])
    figures: dict[str, object] = {}
    for backend in backends:
        deployment = Deployment(args.postgres_url if backend == "postgresql" else None, workers=1)
        load_before = os.getloadavg()[0]
        try:
            deployment.start(simulators=False)
            print(f"{backend}: measuring", file=sys.stderr)
            result = asyncio.run(measure(deployment, args.seconds, args.rounds, args.concurrency))
        finally:
            deployment.stop()
        result["load_average_before_and_after"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        figures[backend] = result
        print(f"{backend}: ratio {result['ratio_decision_to_me']}", file=sys.stderr)
    write_result("decision_http_bench", figures, title="Decision endpoint over HTTP, against a trivial authenticated endpoint",
                 targets={"ratio_decision_to_me": ">= 0.5 (one uvicorn worker)"})


if __name__ == "__main__":
    main()
