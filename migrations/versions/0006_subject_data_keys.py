"""subject data keys and key-encryption keys (encryption of stored records)

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('key_encryption_keys',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=16), nullable=False),
    sa.Column('first_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_encryption_keys'))
    )
    op.create_table('subject_data_keys',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('wrapped_key', sa.LargeBinary(), nullable=True),
    sa.Column('kek_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rewrapped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('destroyed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['subject_id'], ['people.id'], name=op.f('fk_subject_data_keys_subject_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subject_data_keys'))
    )
    with op.batch_alter_table('subject_data_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subject_data_keys_kek_id'), ['kek_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subject_data_keys_subject_id'), ['subject_id'], unique=False)
        batch_op.create_index('uq_subject_data_keys_live', ['subject_id', 'purpose'], unique=True, sqlite_where=sa.text('destroyed_at IS NULL'), postgresql_where=sa.text('destroyed_at IS NULL'))



def downgrade() -> None:
    with op.batch_alter_table('subject_data_keys', schema=None) as batch_op:
        batch_op.drop_index('uq_subject_data_keys_live', sqlite_where=sa.text('destroyed_at IS NULL'), postgresql_where=sa.text('destroyed_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_subject_data_keys_subject_id'))
        batch_op.drop_index(batch_op.f('ix_subject_data_keys_kek_id'))

    op.drop_table('subject_data_keys')
    op.drop_table('key_encryption_keys')
