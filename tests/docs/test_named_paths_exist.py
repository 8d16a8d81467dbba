"""Every path under ``broker/``, ``docs/`` or ``tests/`` that the README or a document names exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# A path as the documents write it: in backticks or a link, a run of path characters after the prefix.
PATH = re.compile(r"(?<![\w./-])((?:broker|docs|tests)/[\w./-]*[\w/])")


def named_paths(text: str) -> set[str]:
    found = set()
    for match in PATH.findall(text):
        path = match.split("#")[0].rstrip("/.")
        if "<" in path or "*" in path:
            continue
        found.add(path)
    return found


def test_paths_are_found_in_links_and_code():
    text = "see [x](docs/law.md#rules), `broker/platform/clock.py`, tests/docs/ and `broker.cli` (a module)"
    assert named_paths(text) == {"docs/law.md", "broker/platform/clock.py", "tests/docs"}


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_named_path_exists(document: Path):
    base = ROOT
    missing = []
    for path in sorted(named_paths(document.read_text(encoding="utf-8"))):
        # A document in docs/ may also link relative to itself (``screenshots/x.png``), but these
        # prefixes are written from the repository's root.
        if not (base / path).exists():
            missing.append(path)
    assert not missing, f"{document.name} names paths that do not exist: {missing}"


TEST_REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_named_test_exists(document: Path):
    missing = []
    for path, name in TEST_REFERENCE.findall(document.read_text(encoding="utf-8")):
        source = ROOT / path
        if not source.exists() or not re.search(rf"^(async )?def {name}\(", source.read_text(), flags=re.MULTILINE):
            missing.append(f"{path}::{name}")
    assert not missing, f"{document.name} names tests that do not exist: {missing}"
