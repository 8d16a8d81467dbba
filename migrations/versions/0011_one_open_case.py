"""one open case per child and purpose

Revision ID: 0011
Revises: 0010

A partial unique index on (subject_id, purpose) over open cases. A database that already holds two
open cases for the same child and purpose is refused, naming the cases, so that a person closes
one of them (their clocks and advice stay as they are) before upgrading again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    duplicates = op.get_bind().execute(sa.text(
        "SELECT a.reference FROM assessments a JOIN ("
        " SELECT subject_id, purpose FROM assessments WHERE status = 'open'"
        " GROUP BY subject_id, purpose HAVING COUNT(*) > 1) d"
        " ON a.subject_id = d.subject_id AND a.purpose = d.purpose WHERE a.status = 'open'"
        " ORDER BY a.reference")).scalars().all()
    if duplicates:
        raise RuntimeError(
            "cannot allow only one open case per child and purpose: these open cases share a child and "
            f"purpose: {', '.join(duplicates)}. End all but one of each (record the decision not to assess, "
            "the notice that no plan will be issued or the final plan), then upgrade again.")
    op.create_index('uq_assessments_open_case', 'assessments', ['subject_id', 'purpose'], unique=True,
                    sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    op.drop_index('uq_assessments_open_case', table_name='assessments')
