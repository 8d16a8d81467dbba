"""The stored RFC 9162 Merkle tree over the log's leaf hashes.

The tree is stored as the hashes of its complete subtrees (``audit_tree_nodes``, level 1 and up;
level 0 are the entries' own leaf hashes), written once when the tree grows past them.  Any root,
inclusion proof or consistency proof is then assembled from O(log n) stored hashes: a proof is a
list of leaf ranges (``audit.merkle.inclusion_ranges`` and ``consistency_ranges``) and each range
is at most log2(n) complete subtrees.

``extend`` brings the tree up to the entries appended so far.  It runs in batches (with each
checkpoint, and on demand) so that appending stays cheap; its own locked row keeps two extenders
from racing, without holding up appenders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from audit import merkle, repository
from audit.errors import Conflict, InvalidInput

HASH = merkle.HASH_SIZE
NODE_BATCH = 5_000


@dataclass(frozen=True)
class TreeHead:
    """A tree size and the root hash of the tree of that many entries."""

    size: int
    root: bytes


def peak_levels(size: int) -> list[int]:
    """Levels of the complete subtrees (peaks) making up a tree of ``size`` leaves, largest first."""
    return [level for level in range(size.bit_length() - 1, -1, -1) if size >> level & 1]


def _unpack_peaks(size: int, packed: bytes) -> list[tuple[int, bytes]]:
    levels = peak_levels(size)
    if len(packed) != HASH * len(levels):
        raise Conflict("the stored tree state is damaged")
    return [(level, packed[i * HASH:(i + 1) * HASH]) for i, level in enumerate(levels)]


def _root_of_peaks(peaks: Sequence[tuple[int, bytes]]) -> bytes:
    if not peaks:
        return merkle.EMPTY_ROOT
    root = peaks[-1][1]
    for _, peak in reversed(peaks[:-1]):
        root = merkle.node_hash(peak, root)
    return root


def add_leaf(peaks: list[tuple[int, bytes]], index: int, leaf: bytes, completed: list[tuple[int, int, bytes]]) -> None:
    """Add leaf ``index`` to ``peaks`` in place, appending every subtree it completes to ``completed``."""
    level, current = 0, leaf
    while peaks and peaks[-1][0] == level:
        _, left = peaks.pop()
        current = merkle.node_hash(left, current)
        level += 1
        completed.append((level, index >> level, current))
    peaks.append((level, current))


def extend(session: Session) -> TreeHead:
    """Grow the stored tree to cover every entry visible to this transaction; return its head."""
    state = repository.lock_tree_state(session)
    size = state.size
    peaks = _unpack_peaks(size, bytes(state.peaks))
    completed: list[tuple[int, int, bytes]] = []
    for seq, leaf in repository.stream_leaf_hashes(session, size):
        if seq != size:
            raise Conflict(f"audit entry {size} is missing")
        add_leaf(peaks, size, leaf, completed)
        size += 1
        if len(completed) >= NODE_BATCH:
            repository.insert_nodes(session, completed)
            completed.clear()
    repository.insert_nodes(session, completed)
    if size != state.size:
        repository.save_tree_state(session, size, b"".join(h for _, h in peaks))
    return TreeHead(size, _root_of_peaks(peaks))


def head(session: Session) -> TreeHead:
    """The size and root of the stored tree as it stands (without extending it)."""
    state = repository.tree_state(session)
    return TreeHead(state.size, _root_of_peaks(_unpack_peaks(state.size, bytes(state.peaks))))


def _require_size(session: Session, tree_size: int) -> None:
    built = repository.tree_size(session)
    if tree_size > built:
        built = extend(session).size
    if tree_size > built:
        raise InvalidInput(f"the log holds {built} entries, fewer than {tree_size}")


def _range_hashes(session: Session, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    parts = [merkle.perfect_subtrees(start, end) for start, end in ranges]
    stored = repository.subtree_hashes(session, {key for part in parts for key in part})
    hashes = []
    for part in parts:
        try:
            pieces = [stored[key] for key in part]
        except KeyError as missing:
            raise Conflict(f"the stored tree lacks the subtree {missing.args[0]}") from None
        value = pieces[-1]
        for piece in reversed(pieces[:-1]):
            value = merkle.node_hash(piece, value)
        hashes.append(value)
    return hashes


def root_at(session: Session, tree_size: int) -> bytes:
    """The root hash of the tree of the first ``tree_size`` entries."""
    if tree_size < 0:
        raise InvalidInput("a tree size cannot be negative")
    if tree_size == 0:
        return merkle.EMPTY_ROOT
    _require_size(session, tree_size)
    return _range_hashes(session, [(0, tree_size)])[0]


def inclusion_proof(session: Session, index: int, tree_size: int) -> list[bytes]:
    """The inclusion proof of entry ``index`` in the tree of ``tree_size`` entries."""
    if not 0 <= index < tree_size:
        raise InvalidInput(f"entry {index} is not in a tree of {tree_size} entries")
    _require_size(session, tree_size)
    return _range_hashes(session, merkle.inclusion_ranges(index, tree_size))


def consistency_proof(session: Session, first: int, second: int) -> list[bytes]:
    """The consistency proof that the tree of ``first`` entries is a prefix of the tree of ``second``."""
    if not 0 < first <= second:
        raise InvalidInput("a consistency proof needs 0 < first <= second")
    _require_size(session, second)
    if first == second:
        return []
    return _range_hashes(session, merkle.consistency_ranges(first, second))
