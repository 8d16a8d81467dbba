"""record holders: a school's URN on organisations, the holder the source names on identity links

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urn', sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_organisations_urn'), ['urn'])
    with op.batch_alter_table('identity_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_by', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('identity_links', schema=None) as batch_op:
        batch_op.drop_column('held_by')
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_organisations_urn'), type_='unique')
        batch_op.drop_column('urn')
