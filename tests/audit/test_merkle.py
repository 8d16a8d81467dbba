"""audit.merkle's own proofs verify, and fail when anything about them changes."""

from __future__ import annotations

import hashlib

import pytest

from audit import merkle


def _leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(f"entry {i}".encode()) for i in range(n)]


def test_known_roots() -> None:
    assert merkle.root_from_leaf_hashes([]) == hashlib.sha256(b"").digest()
    assert merkle.leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    a, b, c = _leaves(3)
    assert merkle.root_from_leaf_hashes([a]) == a
    assert merkle.root_from_leaf_hashes([a, b, c]) == merkle.node_hash(merkle.node_hash(a, b), c)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 33])
def test_every_inclusion_proof_verifies_and_no_other_index_does(size: int) -> None:
    leaves = _leaves(size)
    root = merkle.root_from_leaf_hashes(leaves)
    for index in range(size):
        proof = merkle.inclusion_proof(leaves, index)
        assert merkle.verify_inclusion(leaves[index], index, size, proof, root) is None
        if size > 1:
            with pytest.raises(ValueError):
                merkle.verify_inclusion(leaves[index], (index + 1) % size, size, proof, root)


@pytest.mark.parametrize("size2", [1, 2, 3, 5, 8, 13, 21, 32])
def test_every_consistency_proof_verifies(size2: int) -> None:
    leaves = _leaves(size2)
    root2 = merkle.root_from_leaf_hashes(leaves)
    for size1 in range(1, size2 + 1):
        root1 = merkle.root_from_leaf_hashes(leaves[:size1])
        proof = merkle.consistency_proof(leaves, size1, size2)
        assert merkle.verify_consistency(size1, size2, proof, root1, root2) is None
        forged = merkle.root_from_leaf_hashes(_leaves(size1 - 1) + [merkle.leaf_hash(b"forged")])
        with pytest.raises(ValueError):
            merkle.verify_consistency(size1, size2, proof, forged, root2)
