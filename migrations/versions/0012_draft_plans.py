"""draft plans: the day the draft EHC plan was sent to the family

Revision ID: 0012
Revises: 0011

The family have at least 15 days from it to comment (reg 13(1)); the final plan follows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draft_plan_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_column('draft_plan_on')
