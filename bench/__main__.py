"""``python -m bench``: run every benchmark module, then render docs/performance.md from the results."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

from bench import RESULTS_DIR

DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"


def modules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.endswith("_bench"))


def render() -> str:
    lines = [
        "# Performance",
        "",
        "Figures from `make bench` (each benchmark writes `bench/results/<name>.json`; this page is",
        "rendered from them). They are measurements on a shared 2-core machine, not guarantees.",
        "",
    ]
    for path in sorted(RESULTS_DIR.glob("*.json")):
        result = json.loads(path.read_text())
        lines += [f"## {result['title']}", ""]
        lines.append(f"- date: {result['date']}; machine: {result['machine']['platform']}, "
                     f"{result['machine']['cpus']} CPUs, Python {result['machine']['python']}")
        command = result.get("command", f"python -m bench.{result['name']}")
        if not command.startswith("python -m bench."):  # results saved before the module was recorded
            command = f"python -m bench.{result['name']}"
        lines.append(f"- command: `{command} {' '.join(result.get('argv', []))}`".rstrip())
        for name, target in result.get("targets", {}).items():
            lines.append(f"- target: {name}: {target}")
        lines += ["", "| figure | value |", "|---|---|"]
        for key, value in _flatten(result["figures"]):
            lines.append(f"| {key} | {value} |")
        lines.append("")
    return "\n".join(lines)


def _flatten(data: object, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(data, dict):
        rows: list[tuple[str, object]] = []
        for key, value in data.items():
            rows += _flatten(value, f"{prefix}{key} / " if not isinstance(value, dict) else f"{prefix}{key} / ")
        return rows
    return [(prefix.rstrip(" /"), data)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", help="run only these benchmark modules (e.g. audit_bench)")
    parser.add_argument("--render-only", action="store_true", help="only re-render docs/performance.md")
    args = parser.parse_args()
    if not args.render_only:
        for name in args.only or modules():
            print(f"== bench.{name}", flush=True)
            subprocess.run([sys.executable, "-m", f"bench.{name}"], check=True)
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(render())
    print(f"wrote {DOC}")


if __name__ == "__main__":
    importlib.invalidate_caches()
    main()
