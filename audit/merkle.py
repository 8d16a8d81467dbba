"""RFC 9162 Merkle trees over plain bytes: hashes, proofs and their verification.

Leaves are hashed as SHA-256(0x00 || data) and interior nodes as SHA-256(0x01 || left || right).
The tree over ``n`` leaves splits at the largest power of two below ``n`` (RFC 9162 section 2.1.1).

The proof builders here take the whole list of leaf hashes (useful for tests and for verifying a
downloaded log).  The stored log in ``audit.tree`` builds the same proofs from O(log n) stored
subtree hashes, using :func:`inclusion_ranges`, :func:`consistency_ranges` and
:func:`perfect_subtrees`, which say which leaf ranges a proof is made of.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof does not hold, or its arguments make no sense."""


def leaf_hash(data: bytes) -> bytes:
    """The RFC 9162 hash of one leaf: SHA-256(0x00 || data)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 9162 hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n`` > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash (root) over ``hashes``; the empty tree's root is SHA-256 of nothing."""
    if not hashes:
        return EMPTY_ROOT
    # Fold complete subtrees left to right, as an append-only log does, then join the peaks.
    peaks: list[tuple[int, bytes]] = []
    for h in hashes:
        size, current = 1, h
        while peaks and peaks[-1][0] == size:
            left_size, left = peaks.pop()
            current = node_hash(left, current)
            size += left_size
        peaks.append((size, current))
    root = peaks[-1][1]
    for _, peak in reversed(peaks[:-1]):
        root = node_hash(peak, root)
    return root


def perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """The complete subtrees, as ``(level, index)``, whose hashes make MTH(D[start:end]).

    ``start`` must be a multiple of the largest power of two not above ``end - start`` times two
    (true of every range a proof uses).  Listed left to right, largest first; the range's hash is
    ``node_hash(h0, node_hash(h1, ... hk))``.
    """
    found: list[tuple[int, int]] = []
    while end > start:
        size = end - start
        level = size.bit_length() - 1
        found.append((level, start >> level))
        start += 1 << level
    return found


def inclusion_ranges(index: int, tree_size: int) -> list[tuple[int, int]]:
    """The leaf ranges ``[start, end)`` whose hashes form the inclusion proof of ``index``, in proof order."""
    if not 0 <= index < tree_size:
        raise ProofError(f"index {index} is outside a tree of size {tree_size}")
    ranges: list[tuple[int, int]] = []
    start, end = 0, tree_size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form the consistency proof from ``size1`` to ``size2``."""
    if not 0 < size1 <= size2:
        raise ProofError(f"no consistency proof from size {size1} to size {size2}")
    ranges: list[tuple[int, int]] = []
    m, start, end, whole = size1, 0, size2, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            m -= k
            start += k
            whole = False
    if not whole:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The RFC 9162 inclusion proof (audit path) for the leaf at ``index``."""
    return [root_from_leaf_hashes(leaf_hashes[s:e]) for s, e in inclusion_ranges(index, len(leaf_hashes))]


def consistency_proof(leaf_hashes: Sequence[bytes], size1: int, size2: int) -> list[bytes]:
    """The RFC 9162 consistency proof between the trees of the first ``size1`` and ``size2`` leaves."""
    if size2 > len(leaf_hashes):
        raise ProofError(f"size {size2} is larger than the {len(leaf_hashes)} leaves given")
    if size1 == size2 and size1 > 0:
        return []
    return [root_from_leaf_hashes(leaf_hashes[s:e]) for s, e in consistency_ranges(size1, size2)]


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise ProofError(f"{what} is not a {HASH_SIZE}-byte hash")


def verify_inclusion(leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``tree_size`` with ``root`` (RFC 9162 2.1.3.2).

    Returns None when the proof holds; raises :class:`ProofError` (a ``ValueError``) when not.
    """
    if not 0 <= index < tree_size:
        raise ProofError(f"index {index} is outside a tree of size {tree_size}")
    _check_hash(leaf_hash, "the leaf hash")
    _check_hash(root, "the root")
    for item in proof:
        _check_hash(item, "a proof element")
    fn, sn, r = index, tree_size - 1, bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            raise ProofError("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is shorter than the tree is deep")
    if r != root:
        raise ProofError("the proof does not lead to the root")


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> None:
    """Check that the tree of ``size1`` with ``root1`` is a prefix of the tree of ``size2`` with ``root2``.

    RFC 9162 section 2.1.4.2.  Returns None when the proof holds; raises :class:`ProofError`
    (a ``ValueError``) when not.  A check from size 0 proves nothing and is always refused.
    """
    if size1 <= 0:
        raise ProofError("a consistency check from the empty tree proves nothing")
    if size2 < size1:
        raise ProofError(f"size {size1} is larger than size {size2}")
    if size1 == size2:
        if proof:
            raise ProofError("trees of equal size need an empty proof")
        if bytes(root1) != bytes(root2):
            raise ProofError("trees of equal size have different roots")
        return
    _check_hash(root1, "the first root")
    _check_hash(root2, "the second root")
    for item in proof:
        _check_hash(item, "a proof element")
    if not proof:
        raise ProofError("the proof is empty")
    path = [bytes(p) for p in proof]
    if size1 & (size1 - 1) == 0:
        # size1 is a power of two: its root is the first node of the path.
        path.insert(0, bytes(root1))
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the proof is longer than it should be")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is shorter than it should be")
    if fr != root1:
        raise ProofError("the proof does not lead to the first root")
    if sr != root2:
        raise ProofError("the proof does not lead to the second root")
