"""case officers: the caseworker responsible for each assessment case

Revision ID: 0010
Revises: 0009

Cases opened before this revision get the caseworker who opened them as their case officer, so the
column holds no nulls and is made NOT NULL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_officer_user_id', sa.Uuid(), nullable=True))
    op.execute('UPDATE assessments SET case_officer_user_id = opened_by_user_id WHERE case_officer_user_id IS NULL')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.alter_column('case_officer_user_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_assessments_case_officer_user_id_users'), 'users',
                                    ['case_officer_user_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_assessments_case_officer_user_id'), ['case_officer_user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessments_case_officer_user_id'))
        batch_op.drop_constraint(batch_op.f('fk_assessments_case_officer_user_id_users'), type_='foreignkey')
        batch_op.drop_column('case_officer_user_id')
