"""What the EP paper store needs to keep scanned documents encrypted at rest.

The broker provides the implementation (envelope encryption under the child's data key); this
package only names the two operations, so that it never depends on the broker.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from sqlalchemy.orm import Session


class DocumentSealer(Protocol):
    """Seals a scanned document's bytes for one row of ``ep_paper_documents``, and opens them."""

    def seal(self, session: Session, subject_id: uuid.UUID, document_id: uuid.UUID, plaintext: bytes) -> bytes:
        """The bytes to store: encrypted under ``subject_id``'s key and bound to ``document_id``."""
        ...

    def open(self, session: Session, subject_id: uuid.UUID, document_id: uuid.UUID, sealed: bytes) -> bytes | None:
        """The document's bytes, or None when they have been erased (the child's key destroyed)."""
        ...
