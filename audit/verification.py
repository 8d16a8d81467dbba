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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from audit import merkle, notes, repository, tree
from audit.encoding import encode_row


@dataclass
class VerificationReport:
    """What ``verify_log`` found: ``problems`` is empty when the log is intact."""

    entries_checked: int = 0
    checkpoints_checked: int = 0
    tree_size: int = 0
    problems: list[str] = field(default_factory=list)
    first_bad_entry: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def _fail(self, message: str, seq: int | None) -> None:
        self.problems.append(message)
        if seq is not None and (self.first_bad_entry is None or seq < self.first_bad_entry):
            self.first_bad_entry = seq


class _StoredNodes:
    """Walks the stored nodes level by level, alongside the recomputed ones."""

    def __init__(self, session: Session, levels: Iterable[int]) -> None:
        self._session = session
        self._levels: dict[int, Iterator[tuple[int, bytes]]] = {
            level: repository.stream_nodes_at_level(session, level) for level in levels
        }

    def next(self, level: int) -> tuple[int, bytes] | None:
        if level not in self._levels:
            self._levels[level] = repository.stream_nodes_at_level(self._session, level)
        return next(self._levels[level], None)

    def leftovers(self) -> list[int]:
        return [level for level, rows in self._levels.items() if next(rows, None) is not None]


def _trusted_checkpoints(
    session: Session, verifier: notes.Verifier, extra_notes: Iterable[str], report: VerificationReport
) -> dict[int, bytes]:
    """Signed roots by tree size, from the stored checkpoints and any notes the caller kept."""
    roots: dict[int, bytes] = {}
    stored = [(f"stored checkpoint {c.tree_size}", c.note) for c in repository.all_checkpoints(session)]
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
    """Check every entry, the stored tree and every checkpoint; report the first bad entry."""
    report = VerificationReport()
    signed_roots = _trusted_checkpoints(session, verifier, extra_checkpoints, report)
    counter = repository.next_seq(session)
    state = repository.tree_state(session)
    stored_nodes = _StoredNodes(session, repository.node_levels(session))
    total = max(counter, max(signed_roots, default=0))
    peaks: list[tuple[int, bytes]] = []
    completed: list[tuple[int, int, bytes]] = []
    previous_checkpoint = 0
    size = 0
    sizes_to_check = sorted(signed_roots)
    if sizes_to_check and sizes_to_check[0] == 0:
        sizes_to_check.pop(0)
        if signed_roots[0] != merkle.EMPTY_ROOT:
            report._fail("the checkpoint of the empty log does not sign the empty tree's root", None)
    sha256, add_leaf, built = hashlib.sha256, tree.add_leaf, state.size
    next_signed = sizes_to_check[0] if sizes_to_check else -1
    for row in repository.stream_entry_rows(session):
        seq = row[0]
        if seq != size:
            report._fail(f"entry {size} is missing (deleted or renumbered; the next stored entry is {seq})", size)
            break
        leaf = sha256(merkle.LEAF_PREFIX + encode_row(seq, row[1], row[2:13], row[13])).digest()
        if leaf != bytes(row[14]):
            report._fail(f"entry {seq} was altered or moved: its contents no longer match its leaf hash", seq)
            break
        add_leaf(peaks, size, leaf, completed)
        size += 1
        if size <= built and completed:
            for level, index, node in completed:
                stored = stored_nodes.next(level)
                if stored != (index, node):
                    first = index << level
                    report._fail(
                        f"the stored tree disagrees with the entries {first}..{first + (1 << level) - 1}: "
                        "one of them was altered, removed, reordered or inserted", first)
                    break
            completed.clear()
            if report.first_bad_entry is not None:
                break
        elif completed:
            completed.clear()
        if size == built and b"".join(h for _, h in peaks) != bytes(state.peaks):
            report._fail(f"the stored tree state at size {size} does not match the entries", None)
        if size == next_signed:
            sizes_to_check.pop(0)
            next_signed = sizes_to_check[0] if sizes_to_check else -1
            if tree._root_of_peaks(peaks) != signed_roots[size]:
                report._fail(
                    f"the entries up to {size - 1} do not match the root signed at tree size {size}: an entry "
                    f"between {previous_checkpoint} and {size - 1} was altered, removed, reordered or inserted",
                    previous_checkpoint)
                break
            previous_checkpoint = size
        if progress is not None and not size % 10_000:
            progress(size, total)
    report.entries_checked = size
    report.tree_size = size
    if report.first_bad_entry is None:
        if size < counter:
            report._fail(f"entries {size}..{counter - 1} are missing: the log numbered {counter} entries", size)
        elif size > counter:
            report._fail(f"entry {counter} onwards ({size - counter} entries) were inserted outside the log", counter)
        elif sizes_to_check:
            report._fail(f"a checkpoint signed tree size {sizes_to_check[0]} but only {size} entries exist: "
                         f"entries from {size} onward were deleted", size)
        elif state.size > size:
            report._fail(f"the stored tree covers {state.size} entries but only {size} exist", size)
        elif leftover := stored_nodes.leftovers():
            report._fail(f"the stored tree holds nodes (levels {leftover}) that no entries account for", None)
    if report.ok:
        _check_stored_proofs(session, sorted(signed_roots), signed_roots, report)
    if progress is not None:
        progress(size, total)
    return report


def _check_stored_proofs(session: Session, sizes: list[int], roots: dict[int, bytes], report: VerificationReport) -> None:
    """The proofs the broker serves between consecutive checkpoints must verify against their signed roots."""
    for first, second in zip(sizes, sizes[1:]):
        if first == 0:
            continue
        try:
            merkle.verify_consistency(first, second, tree.consistency_proof(session, first, second), roots[first], roots[second])
        except ValueError as exc:
            report._fail(f"the consistency proof from checkpoint {first} to {second} fails: {exc}", None)
