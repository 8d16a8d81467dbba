"""The EP paper store's document sealer: scanned reports sealed under the child's data key.

``adapters.sealing.DocumentSealer`` names what the store needs; this is the broker's answer, so a
scan is encrypted, rotated, re-keyed and erased exactly like a gathered item.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from broker.records.encryption.service import RecordEncryption, RecordShredded

TABLE = "ep_paper_documents"
FIELD = "content"


class PaperDocumentSealer:
    """Seals and opens ``ep_paper_documents.content`` with :class:`RecordEncryption`."""

    def __init__(self, encryption: RecordEncryption) -> None:
        self.encryption = encryption

    def seal(self, session: Session, subject_id: uuid.UUID, document_id: uuid.UUID, plaintext: bytes) -> bytes:
        return self.encryption.seal(session, subject_id, TABLE, document_id, FIELD, plaintext)

    def open(self, session: Session, subject_id: uuid.UUID, document_id: uuid.UUID, sealed: bytes) -> bytes | None:
        try:
            return self.encryption.open(session, subject_id, TABLE, document_id, FIELD, sealed)
        except RecordShredded:
            return None
