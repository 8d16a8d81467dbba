"""Identity matching quality on the synthetic population, and the time to fetch one child's full
record from all three simulators over real HTTP.

    python -m bench.matching_bench [--seed N] [--size N] [--fetches N]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import threading
import time
from datetime import date

import uvicorn

from adapters.connection import SourceSystemConfig
from adapters.protocol import DataCategory, FetchContext, PersonQuery
from adapters.registry import AdapterRegistry, fetch_from_all
from adapters.simulators import KINDS, create_simulator
from adapters.simulators.common import DEVELOPMENT_CLIENT_ID, DEVELOPMENT_CLIENT_SECRET
from adapters.simulators.matching_quality import evaluate
from adapters.simulators.population import DEFAULT_SEED, DEFAULT_SIZE, build_population
from bench import summary_ms, write_result


def _progress(done: int, total: int) -> None:
    if done % 100 == 0 or done == total:
        print(f"  matched {done}/{total} children", file=sys.stderr, flush=True)


def _serve(kind: str, seed: int, size: int) -> tuple[uvicorn.Server, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_simulator(kind, seed=seed, size=size), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="off"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    return server, f"http://127.0.0.1:{port}"


def fetch_timings(seed: int, size: int, fetches: int) -> dict[str, object]:
    """Time find + fetch of every category for one child (the demo child Leo) from all three systems."""
    servers = {kind: _serve(kind, seed, size) for kind in KINDS}
    registry = AdapterRegistry.from_configs(SourceSystemConfig(
        name=kind, kind=kind, base_url=url, client_id=DEVELOPMENT_CLIENT_ID,
        client_secret=DEVELOPMENT_CLIENT_SECRET) for kind, (_, url) in servers.items())
    context = FetchContext("EHC_NEEDS_ASSESSMENT", "BENCH-1", requesting_user="bench")
    query = PersonQuery("Leo", "Walsh", date(2014, 7, 9), "M",
                        identifiers={"nhs_number": "4505577104", "upn": "H820400118004"})

    async def once() -> tuple[float, float, int]:
        started = time.perf_counter()
        found = await asyncio.gather(*(a.find_person(query, context) for a in registry))
        refs = {a.name: [c.person_ref for c in cands] for a, cands in zip(registry, found, strict=True)}
        middle = time.perf_counter()
        outcomes = await fetch_from_all(registry, refs, list(DataCategory), context)
        assert all(o.status == "ok" for o in outcomes.values())
        return middle - started, time.perf_counter() - middle, sum(len(o.items) for o in outcomes.values())

    async def run() -> list[tuple[float, float, int]]:
        await once()  # tokens fetched, connections warm
        return [await once() for _ in range(fetches)]

    results = asyncio.run(run())
    for server, _ in servers.values():
        server.should_exit = True
    return {"find_person_all_three": summary_ms([r[0] for r in results]),
            "fetch_all_categories_all_three": summary_ms([r[1] for r in results]),
            "find_and_fetch_total": summary_ms([r[0] + r[1] for r in results]),
            "items_per_fetch": results[0][2]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="population seed")
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE, help="children in the population (at least 500)")
    parser.add_argument("--fetches", type=int, default=30, help="timed full-record fetches")
    args = parser.parse_args()
    population = build_population(args.seed, args.size)
    print(f"population: {len(population.children)} children; education {len(population.education)}, "
          f"social care {len(population.social_care)}, EP {len(population.ep)} records", file=sys.stderr)
    started = time.perf_counter()
    report = evaluate(population, _progress)
    elapsed = time.perf_counter() - started
    figures: dict[str, object] = {
        "children": len(population.children),
        "true_pairs": report.true_pairs,
        "automatic_links_correct": report.auto_correct,
        "automatic_links_wrong": report.auto_wrong,
        "automatic_precision": round(report.automatic_precision, 4),
        "automatic_recall": round(report.automatic_recall, 4),
        "reviews": report.reviews,
        "reviews_confirmed": report.review_correct,
        "reviews_rejected": report.review_wrong,
        "missed": report.missed,
        "recall_including_confirmed_reviews": round(report.recall_with_reviews, 4),
        "matching_seconds": round(elapsed, 2),
        "by_system": report.by_system,
    }
    print("timing full-record fetches over HTTP ...", file=sys.stderr)
    figures["one_child_full_record"] = fetch_timings(args.seed, args.size, args.fetches)
    for key, value in figures.items():
        print(f"{key}: {value}")
    write_result("matching_bench", figures, title="Identity matching and one child's full record",
                 targets={"automatic_precision": "1.0", "recall_including_confirmed_reviews": ">= 0.95"})


if __name__ == "__main__":
    main()
