"""gathered items

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gathered_items',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('assessment_id', sa.Uuid(), nullable=True),
    sa.Column('source_system', sa.String(length=64), nullable=False),
    sa.Column('source_record_id', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('title', sa.LargeBinary(), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=True),
    sa.Column('retrieved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('sensitivity', sa.String(length=16), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('holder_organisation_id', sa.Uuid(), nullable=False),
    sa.Column('consent_id', sa.Uuid(), nullable=True),
    sa.Column('consent_version', sa.Integer(), nullable=True),
    sa.Column('gathered_by_user_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_gathered_items_assessment_id_assessments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['subject_id'], ['people.id'], name=op.f('fk_gathered_items_subject_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gathered_items')),
    sa.UniqueConstraint('subject_id', 'source_system', 'source_record_id', name=op.f('uq_gathered_items_subject_id'))
    )
    with op.batch_alter_table('gathered_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gathered_items_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gathered_items_subject_id'), ['subject_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('gathered_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gathered_items_subject_id'))
        batch_op.drop_index(batch_op.f('ix_gathered_items_assessment_id'))

    op.drop_table('gathered_items')
