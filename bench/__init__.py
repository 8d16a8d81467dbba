"""Benchmarks: each module ``bench/<topic>_bench.py`` measures one thing and writes its figures.

Run one with ``python -m bench.<topic>_bench --help``, or all with ``make bench``
(``python -m bench``), which also renders ``docs/performance.md`` from ``bench/results/``.
They report figures; they are not timed tests, and nothing fails on a figure.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpus": os.cpu_count(),
    }


def percentile(samples: list[float], fraction: float) -> float:
    """The ``fraction`` quantile (0..1) of ``samples`` by the nearest-rank method."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    """Median, 95th and 99th percentile, in milliseconds, of timings given in seconds."""
    return {
        "median_ms": round(statistics.median(seconds) * 1000, 4),
        "p95_ms": round(percentile(seconds, 0.95) * 1000, 4),
        "p99_ms": round(percentile(seconds, 0.99) * 1000, 4),
        "samples": len(seconds),
    }


def _module(name: str) -> str:
    """The module that ran (``bench.audit_bench``), whatever name its results were saved under."""
    script = Path(sys.argv[0]).stem if sys.argv and sys.argv[0] else ""
    return f"bench.{script}" if script and script != "__main__" else f"bench.{name}"


def write_result(name: str, figures: dict[str, Any], *, title: str, targets: dict[str, str] | None = None) -> Path:
    """Save one benchmark's figures as ``bench/results/<name>.json`` with the machine, date and command."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    document = {
        "name": name,
        "title": title,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m " + _module(name),
        "argv": sys.argv[1:],
        "machine": machine(),
        "targets": targets or {},
        "figures": figures,
    }
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print(f"wrote {path.relative_to(RESULTS_DIR.parent.parent)}")
    return path
