"""identity links and ep paper documents

Revision ID: 0004
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ep_paper_documents',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('document_type', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('document_date', sa.Date(), nullable=False),
    sa.Column('paper_file_reference', sa.String(length=100), nullable=True),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=100), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ep_paper_documents')),
    sa.UniqueConstraint('person_id', 'content_hash', name='person_content')
    )
    with op.batch_alter_table('ep_paper_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ep_paper_documents_person_id'), ['person_id'], unique=False)

    op.create_table('identity_links',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('source_system', sa.String(length=64), nullable=False),
    sa.Column('source_person_ref', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('candidate', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_links')),
    sa.UniqueConstraint('person_id', 'source_system', 'source_person_ref', name='person_source_ref')
    )
    with op.batch_alter_table('identity_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_links_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_identity_links_status_created', ['status', 'created_at'], unique=False)

    op.create_table('identity_link_changes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('link_id', sa.Uuid(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['identity_links.id'], name=op.f('fk_identity_link_changes_link_id_identity_links')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_link_changes')),
    sa.UniqueConstraint('link_id', 'sequence', name='link_sequence')
    )
    with op.batch_alter_table('identity_link_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_identity_link_changes_link_id'), ['link_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('identity_link_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_link_changes_link_id'))

    op.drop_table('identity_link_changes')
    with op.batch_alter_table('identity_links', schema=None) as batch_op:
        batch_op.drop_index('ix_identity_links_status_created')
        batch_op.drop_index(batch_op.f('ix_identity_links_person_id'))

    op.drop_table('identity_links')
    with op.batch_alter_table('ep_paper_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ep_paper_documents_person_id'))

    op.drop_table('ep_paper_documents')
