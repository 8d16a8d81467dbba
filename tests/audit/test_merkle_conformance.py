"""Every conformance vector of an independent Merkle log (transparency-dev/merkle) against audit.merkle."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from audit import merkle

VECTORS = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "merkle"
if not VECTORS.exists():
    VECTORS = Path("/work/shared/conformance/merkle")


def _files(kind: str) -> list[Path]:
    return sorted((VECTORS / kind).rglob("*.json"))


def _b64(value: str) -> bytes:
    return base64.b64decode(value)


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(VECTORS)) for p in paths]


INCLUSION = _files("inclusion")
CONSISTENCY = _files("consistency")


def test_every_vector_is_found() -> None:
    assert len(INCLUSION) + len(CONSISTENCY) == 196


@pytest.mark.parametrize("path", INCLUSION, ids=_ids(INCLUSION))
def test_inclusion_vector(path: Path) -> None:
    case = json.loads(path.read_text())
    proof = [_b64(p) for p in case["proof"] or []]
    args = (_b64(case["leafHash"]), case["leafIdx"], case["treeSize"], proof, _b64(case["root"]))
    if case["wantErr"]:
        with pytest.raises(ValueError):
            merkle.verify_inclusion(*args)
    else:
        assert merkle.verify_inclusion(*args) is None


@pytest.mark.parametrize("path", CONSISTENCY, ids=_ids(CONSISTENCY))
def test_consistency_vector(path: Path) -> None:
    case = json.loads(path.read_text())
    proof = [_b64(p) for p in case["proof"] or []]
    args = (case["size1"], case["size2"], proof, _b64(case["root1"]), _b64(case["root2"]))
    if case["wantErr"]:
        with pytest.raises(ValueError):
            merkle.verify_consistency(*args)
    else:
        assert merkle.verify_consistency(*args) is None
