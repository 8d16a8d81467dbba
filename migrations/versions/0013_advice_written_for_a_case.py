"""advice written for a case: the case reference a source says a gathered item was written for

Revision ID: 0013
Revises: 0012

The release policy releases advice the council sought under reg 6(1) for an assessment on its
statutory duty, and the service's earlier reports only with the family's permission: a stored
item keeps the case it was written for so that every later reading decides the same way.
Items stored before this revision were written for no case.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('gathered_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('written_for', sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('gathered_items', schema=None) as batch_op:
        batch_op.drop_column('written_for')
