"""The stored tree gives the same roots and proofs as the whole-list functions, from stored nodes."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from audit import merkle, service, tree
from audit.models import AuditEntry, AuditTreeNode
from tests.audit.builders import make_event


def _append(session: Session, n: int) -> list[bytes]:
    for i in range(n):
        service.append(session, make_event(details={"i": i}))
    session.flush()
    return list(session.execute(select(AuditEntry.leaf_hash).order_by(AuditEntry.seq)).scalars())


def test_proofs_from_stored_nodes_match_the_reference(session: Session) -> None:
    leaves = _append(session, 13)
    assert tree.extend(session) == tree.TreeHead(13, merkle.root_from_leaf_hashes(leaves))
    leaves += _append(session, 24)[13:]
    head = tree.extend(session)
    session.commit()
    assert head.size == 37 and head == tree.head(session)
    # 13 then 24 more leaves: every complete subtree stored once
    assert session.scalar(select(func.count()).select_from(AuditTreeNode)) == 37 - bin(37).count("1")
    for size in range(1, 38):
        assert tree.root_at(session, size) == merkle.root_from_leaf_hashes(leaves[:size])
        for index in range(size):
            proof = tree.inclusion_proof(session, index, size)
            assert proof == merkle.inclusion_proof(leaves[:size], index)
        for first in range(1, size + 1):
            assert tree.consistency_proof(session, first, size) == merkle.consistency_proof(leaves, first, size)


def test_proofs_extend_the_tree_on_demand(session: Session) -> None:
    leaves = _append(session, 5)
    assert tree.inclusion_proof(session, 4, 5) == merkle.inclusion_proof(leaves, 4)
    assert tree.head(session).size == 5
