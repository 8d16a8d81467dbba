"""Checking the whole stored log against itself and against its signed checkpoints.

Every leaf is recomputed from the stored entry (so a changed field, a changed number or a moved
entry no longer matches), numbers must run 0, 1, 2, ... to the counter, the stored tree nodes and
tree state must be the ones the recomputed leaves give, every checkpoint must carry a valid
signature by the trusted key, and the root recomputed at each checkpoint's size must be the
signed root (which also proves every pair of checkpoints consistent).  A rogue administrator who
rewrites entries, leaf hashes and tree nodes alike is still caught by the signed roots.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from audit import merkle, notes, repository, tree

HASH = merkle.HASH_SIZE
_Chunk = tuple[list[int], list[bytes], list[bytes], dict[tuple[int, int, int], bytes]]


@dataclass
class VerificationReport:
    """What ``verify_log`` found: ``problems`` is empty when the log is intact."""

    entries_checked: int = 0
    checkpoints_checked: int = 0
    tree_size: int = 0
    problems: list[str] = field(default_factory=list)
    # The first entry known to be bad, where the log can say which.
    first_bad_entry: int | None = None
    # Otherwise, where only a signed root disagrees (an entry and the stored tree above it were
    # rewritten together), the entries it covers since the previous good root: one of them is bad,
    # and the log cannot say which.
    bad_range: tuple[int, int] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def _fail(self, message: str, seq: int | None) -> None:
        self.problems.append(message)
        if seq is not None and (self.first_bad_entry is None or seq < self.first_bad_entry):
            self.first_bad_entry = seq


CHUNK_LEVEL = 15
CHUNK = 1 << CHUNK_LEVEL


class _TreeCheck:
    """Recomputes the tree a chunk of leaves at a time, level by level, against the stored nodes.

    Chunks start at multiples of ``CHUNK``, so each full chunk is one complete subtree, built
    bottom up with one list of hashes per level; the chunks' roots are joined above ``CHUNK_LEVEL``
    as an append-only log joins its peaks.  Every complete subtree inside the stored tree (the
    first ``built`` leaves) is compared with its stored node, a level's run at a time.  The hashes
    of the subtrees that make up the roots at ``sizes`` are kept, for the checkpoints and the
    stored tree state.
    """

    def __init__(self, session: Session, built: int, sizes: Iterable[int]) -> None:
        self._session = session
        self._built = built
        self._upper: list[tuple[int, bytes]] = []
        self._wanted: dict[int, list[int]] = {}
        for size in sizes:
            for level, index in merkle.perfect_subtrees(0, size):
                self._wanted.setdefault(level, []).append(index)
        for indexes in self._wanted.values():
            indexes.sort()
        self.kept: dict[tuple[int, int], bytes] = {}
        self.fetched: dict[tuple[int, int, int], bytes] = {}
        self.mismatch: tuple[int, int] | None = None  # (end, level) of the earliest stored node found wrong
        self.mismatch_first = 0

    def add_chunk(self, start: int, leaves: list[bytes]) -> None:
        """Add the leaves ``start``, ``start + 1``, ... (``start`` a multiple of CHUNK)."""
        sha256, prefix = hashlib.sha256, merkle.NODE_PREFIX
        level, nodes = 0, leaves
        self._keep(0, start, nodes)
        while len(nodes) > 1:
            nodes = [sha256(prefix + left + right).digest() for left, right in zip(nodes[::2], nodes[1::2], strict=False)]
            level += 1
            self._check(level, start >> level, nodes)
        if len(leaves) == CHUNK:
            index, node = start >> CHUNK_LEVEL, nodes[0]
            while self._upper and self._upper[-1][0] == level:
                node = merkle.node_hash(self._upper.pop()[1], node)
                level += 1
                index >>= 1
                self._check(level, index, [node])
            self._upper.append((level, node))

    def runs_for(self, start: int, count: int) -> list[tuple[int, int, int]]:
        """The stored runs ``(level, first, end)`` that adding ``count`` leaves at ``start`` compares, below the chunk's root."""
        runs = []
        for level in range(1, CHUNK_LEVEL + 1):
            first, end = start >> level, min((start + count) >> level, self._built >> level)
            if end > first:
                runs.append((level, first, end))
        return runs

    def root(self, size: int) -> bytes | None:
        """The root at ``size`` (one of ``sizes``), if the leaves added reach it."""
        peaks = self.peaks(size)
        if peaks is None:
            return None
        return tree._root_of_peaks(peaks)

    def peaks(self, size: int) -> list[tuple[int, bytes]] | None:
        try:
            return [(level, self.kept[level, index]) for level, index in merkle.perfect_subtrees(0, size)]
        except KeyError:
            return None

    def _keep(self, level: int, first: int, nodes: list[bytes]) -> None:
        wanted = self._wanted.get(level)
        if wanted:
            for index in wanted[bisect_left(wanted, first):bisect_left(wanted, first + len(nodes))]:
                self.kept[level, index] = nodes[index - first]

    def _check(self, level: int, first: int, nodes: list[bytes]) -> None:
        self._keep(level, first, nodes)
        end = min(first + len(nodes), self._built >> level)
        if end <= first:
            return
        computed = b"".join(nodes[:end - first])
        stored = self.fetched.pop((level, first, end), None)
        if stored is None:
            stored = repository.node_run(self._session, level, first, end)
        if stored == computed:
            return
        position = next(
            (n for n in range(0, len(computed), HASH) if stored[n:n + HASH] != computed[n:n + HASH]), len(computed))
        index = first + position // HASH
        where = ((index + 1) << level, level)
        if self.mismatch is None or where < self.mismatch:
            self.mismatch, self.mismatch_first = where, index << level


class _Reader:
    """Reads the log a chunk at a time; on PostgreSQL the next chunk is read while this one is hashed.

    The server builds the entries' encodings (see ``repository.entry_chunk``) while the client
    hashes the previous chunk's, on the same connection and so in the same snapshot.
    """

    def __init__(self, session: Session, walk: _TreeCheck) -> None:
        self._session = session
        self._walk = walk
        self._ahead = session.get_bind().dialect.name == "postgresql"
        self._pool = ThreadPoolExecutor(max_workers=1) if self._ahead else None
        self._next: Future[_Chunk] | None = None

    def __enter__(self) -> _Reader:
        return self

    def __exit__(self, *_: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def _read(self, start: int) -> _Chunk:
        seqs, encodings, stored = repository.entry_chunk(self._session, start, CHUNK)
        runs = {run: repository.node_run(self._session, *run) for run in self._walk.runs_for(start, len(seqs))}
        return seqs, encodings, stored, runs

    def chunk(self, start: int) -> _Chunk:
        """The chunk of entries from ``start``, with the stored nodes over them."""
        if self._pool is None:
            return self._read(start)
        current = self._next.result() if self._next is not None else self._read(start)
        self._next = None
        if len(current[0]) == CHUNK:
            self._next = self._pool.submit(self._read, start + CHUNK)
        return current


def _trusted_checkpoints(
    session: Session, verifier: notes.Verifier, extra_notes: Iterable[str], report: VerificationReport
) -> dict[int, bytes]:
    """Signed roots by tree size, from the stored checkpoints and any notes the caller kept."""
    roots: dict[int, bytes] = {}
    checkpoints = repository.all_checkpoints(session)
    stored = [(f"stored checkpoint {c.tree_size}", c.note) for c in checkpoints]
    stored_roots = {f"stored checkpoint {c.tree_size}": bytes(c.root_hash) for c in checkpoints}
    given = [(f"given checkpoint {n}", note) for n, note in enumerate(extra_notes, 1)]
    for label, note in stored + given:
        try:
            checkpoint = notes.parse_checkpoint(notes.open_note(note, verifier))
        except notes.NoteError as exc:
            report._fail(f"{label}: {exc}", None)
            continue
        if checkpoint.origin != verifier.name:
            report._fail(f"{label}: signed for another log ({checkpoint.origin})", None)
            continue
        stored_root = stored_roots.get(label)
        if stored_root is not None and stored_root != checkpoint.root:
            report._fail(f"{label}: the root stored beside it differs from the root its note signs", None)
        if roots.setdefault(checkpoint.tree_size, checkpoint.root) != checkpoint.root:
            report._fail(f"two signed checkpoints of size {checkpoint.tree_size} disagree: the log forked", None)
        report.checkpoints_checked += 1
    return roots


def verify_log(
    session: Session,
    verifier: notes.Verifier,
    *,
    extra_checkpoints: Iterable[str] = (),
    progress: Callable[[int, int], None] | None = None,
) -> VerificationReport:
    """Check every entry, the stored tree and every checkpoint; report the first bad entry.

    Problems are reported in the order a reader going through the log from entry 0 meets them
    (an entry that does not match its leaf, a stored node that does not match the entries below
    it, a signed root that does not match the entries before it); the first one ends the walk.
    """
    report = VerificationReport()
    signed_roots = _trusted_checkpoints(session, verifier, extra_checkpoints, report)
    counter = repository.next_seq(session)
    state = repository.tree_state(session)
    total = max(counter, max(signed_roots, default=0))
    if signed_roots.get(0, merkle.EMPTY_ROOT) != merkle.EMPTY_ROOT:
        report._fail("the checkpoint of the empty log does not sign the empty tree's root", None)
    signed_sizes = sorted(size for size in signed_roots if size > 0)
    walk = _TreeCheck(session, state.size, [*signed_sizes, state.size])
    sha256, prefix = hashlib.sha256, merkle.LEAF_PREFIX
    size = 0
    bad_leaf: tuple[int, str] | None = None
    with _Reader(session, walk) as reader:
        while bad_leaf is None and walk.mismatch is None:
            seqs, encodings, stored, walk.fetched = reader.chunk(size)
            if not seqs:
                break
            leaves = [sha256(prefix + encoded).digest() for encoded in encodings]
            good = len(seqs)
            if seqs[0] != size or seqs[-1] != size + good - 1 or b"".join(leaves) != b"".join(stored):
                good = next(n for n in range(len(seqs)) if seqs[n] != size + n or leaves[n] != stored[n])
                seq = size + good
                if seqs[good] != seq:
                    bad_leaf = (seq, f"entry {seq} is missing (deleted or renumbered; the next stored entry is {seqs[good]})")
                else:
                    bad_leaf = (seq, f"entry {seq} was altered or moved: its contents no longer match its leaf hash")
            walk.add_chunk(size, leaves[:good])
            size += good
            if good < CHUNK:
                break
            if progress is not None:
                progress(size, total)
    # The first problem met walking from entry 0: a signed root is met at its tree size, a stored
    # node once its last leaf is added, an entry before its own leaf is added.
    limit = min(walk.mismatch[0] if walk.mismatch else size + 1, bad_leaf[0] + 1 if bad_leaf else size + 1)
    previous_checkpoint = 0
    for checkpoint_size in (s for s in signed_sizes if s < limit):
        if walk.root(checkpoint_size) != signed_roots[checkpoint_size]:
            report._fail(
                f"the entries up to {checkpoint_size - 1} do not match the root signed at tree size "
                f"{checkpoint_size}: an entry between {previous_checkpoint} and {checkpoint_size - 1} was altered, "
                "removed, reordered or inserted, with its leaf hash and the stored tree rewritten to match; the "
                "signed checkpoints narrow it to that range and cannot say which entry", None)
            report.bad_range = (previous_checkpoint, checkpoint_size - 1)
            break
        previous_checkpoint = checkpoint_size
    else:
        if walk.mismatch is not None and (bad_leaf is None or walk.mismatch[0] <= bad_leaf[0]):
            first = walk.mismatch_first
            report._fail(
                f"the stored tree disagrees with the entries {first}..{first + (1 << walk.mismatch[1]) - 1}: "
                "one of them was altered, removed, reordered or inserted", first)
        elif bad_leaf is not None:
            report._fail(bad_leaf[1], bad_leaf[0])
    if state.size <= size:
        peaks = walk.peaks(state.size)
        if peaks is not None and b"".join(h for _, h in peaks) != bytes(state.peaks):
            report._fail(f"the stored tree state at size {state.size} does not match the entries", None)
    report.entries_checked = size
    report.tree_size = size
    if report.first_bad_entry is None and report.bad_range is None:
        unreached = [s for s in signed_sizes if s > size]
        expected_nodes = sum(state.size >> level for level in range(1, state.size.bit_length()))
        if size < counter:
            report._fail(f"entries {size}..{counter - 1} are missing: the log numbered {counter} entries", size)
        elif size > counter:
            report._fail(f"entry {counter} onwards ({size - counter} entries) were inserted outside the log", counter)
        elif unreached:
            report._fail(f"a checkpoint signed tree size {unreached[0]} but only {size} entries exist: "
                         f"entries from {size} onward were deleted", size)
        elif state.size > size:
            report._fail(f"the stored tree covers {state.size} entries but only {size} exist", size)
        elif repository.count_nodes(session) != expected_nodes:
            report._fail("the stored tree holds nodes that no entries account for", None)
    if report.ok:
        _check_stored_proofs(session, sorted(signed_roots), signed_roots, report)
    if progress is not None:
        progress(size, total)
    return report


def _check_stored_proofs(session: Session, sizes: list[int], roots: dict[int, bytes], report: VerificationReport) -> None:
    """The proofs the broker serves between consecutive checkpoints must verify against their signed roots."""
    for first, second in zip(sizes, sizes[1:], strict=False):
        if first == 0:
            continue
        try:
            merkle.verify_consistency(first, second, tree.consistency_proof(session, first, second), roots[first], roots[second])
        except ValueError as exc:
            report._fail(f"the consistency proof from checkpoint {first} to {second} fails: {exc}", None)
