"""assessments and break-glass

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('case_reference_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_case_reference_counters'))
    )
    op.create_table('assessments',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('opened_by_user_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decision_on', sa.Date(), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('no_plan_notice_on', sa.Date(), nullable=True),
    sa.Column('final_plan_on', sa.Date(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name=op.f('ck_assessments_closed_has_time')),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_assessments_status_known')),
    sa.ForeignKeyConstraint(['opened_by_user_id'], ['users.id'], name=op.f('fk_assessments_opened_by_user_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_assessments_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['subject_id'], ['people.id'], name=op.f('fk_assessments_subject_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessments')),
    sa.UniqueConstraint('reference', name=op.f('uq_assessments_reference'))
    )
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessments_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessments_subject_id'), ['subject_id'], unique=False)

    op.create_table('break_glass_accesses',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('opened_by_user_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=True),
    sa.Column('reason_code', sa.String(length=40), nullable=False),
    sa.Column('reason_text', sa.Text(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('review_due_on', sa.Date(), nullable=False),
    sa.Column('reviewed_by_user_id', sa.Uuid(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_outcome', sa.String(length=20), nullable=True),
    sa.Column('review_notes', sa.Text(), nullable=True),
    sa.Column('family_may_be_told', sa.Boolean(), nullable=True),
    sa.Column('withheld_from_family_reason', sa.Text(), nullable=True),
    sa.Column('released_to_family_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("review_outcome IS NULL OR review_outcome IN ('appropriate', 'not_appropriate', 'referred')", name=op.f('ck_break_glass_accesses_outcome_known')),
    sa.CheckConstraint('expires_at > opened_at', name=op.f('ck_break_glass_accesses_expires_after_opening')),
    sa.ForeignKeyConstraint(['opened_by_user_id'], ['users.id'], name=op.f('fk_break_glass_accesses_opened_by_user_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_break_glass_accesses_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['reviewed_by_user_id'], ['users.id'], name=op.f('fk_break_glass_accesses_reviewed_by_user_id_users')),
    sa.ForeignKeyConstraint(['subject_id'], ['people.id'], name=op.f('fk_break_glass_accesses_subject_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_break_glass_accesses'))
    )
    with op.batch_alter_table('break_glass_accesses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_break_glass_accesses_review_due_on'), ['review_due_on'], unique=False)
        batch_op.create_index('ix_break_glass_accesses_subject_user', ['subject_id', 'opened_by_user_id'], unique=False)

    op.create_table('advice_requests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('assessment_id', sa.Uuid(), nullable=False),
    sa.Column('advice_type', sa.String(length=32), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=True),
    sa.Column('requested_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('declined_reason', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by_user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('requested', 'received', 'reused', 'declined')", name=op.f('ck_advice_requests_status_known')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_advice_requests_assessment_id_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_advice_requests_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_advice_requests_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advice_requests'))
    )
    with op.batch_alter_table('advice_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_advice_requests_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('clock_exceptions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('assessment_id', sa.Uuid(), nullable=False),
    sa.Column('clock', sa.String(length=32), nullable=False),
    sa.Column('advice_request_id', sa.Uuid(), nullable=True),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('effect', sa.String(length=8), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by_user_id', sa.Uuid(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(clock = 'advice') = (advice_request_id IS NOT NULL)", name=op.f('ck_clock_exceptions_advice_clock_names_request')),
    sa.CheckConstraint("effect IN ('pause', 'excuse')", name=op.f('ck_clock_exceptions_effect_known')),
    sa.ForeignKeyConstraint(['advice_request_id'], ['advice_requests.id'], name=op.f('fk_clock_exceptions_advice_request_id_advice_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessments.id'], name=op.f('fk_clock_exceptions_assessment_id_assessments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_user_id'], ['users.id'], name=op.f('fk_clock_exceptions_recorded_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clock_exceptions'))
    )
    with op.batch_alter_table('clock_exceptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clock_exceptions_assessment_id'), ['assessment_id'], unique=False)

    op.create_table('reuse_agreements',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('advice_request_id', sa.Uuid(), nullable=False),
    sa.Column('existing_advice', sa.Text(), nullable=False),
    sa.Column('family_agreed_by_person_id', sa.Uuid(), nullable=False),
    sa.Column('family_agreed_on', sa.Date(), nullable=False),
    sa.Column('author_name', sa.String(length=200), nullable=False),
    sa.Column('author_organisation_id', sa.Uuid(), nullable=True),
    sa.Column('author_agreed_on', sa.Date(), nullable=False),
    sa.Column('council_agreed_by_user_id', sa.Uuid(), nullable=False),
    sa.Column('council_agreed_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['advice_request_id'], ['advice_requests.id'], name=op.f('fk_reuse_agreements_advice_request_id_advice_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_organisation_id'], ['organisations.id'], name=op.f('fk_reuse_agreements_author_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['council_agreed_by_user_id'], ['users.id'], name=op.f('fk_reuse_agreements_council_agreed_by_user_id_users')),
    sa.ForeignKeyConstraint(['family_agreed_by_person_id'], ['people.id'], name=op.f('fk_reuse_agreements_family_agreed_by_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reuse_agreements')),
    sa.UniqueConstraint('advice_request_id', name=op.f('uq_reuse_agreements_advice_request_id'))
    )


def downgrade() -> None:
    op.drop_table('reuse_agreements')
    with op.batch_alter_table('clock_exceptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clock_exceptions_assessment_id'))

    op.drop_table('clock_exceptions')
    with op.batch_alter_table('advice_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_advice_requests_assessment_id'))

    op.drop_table('advice_requests')
    with op.batch_alter_table('break_glass_accesses', schema=None) as batch_op:
        batch_op.drop_index('ix_break_glass_accesses_subject_user')
        batch_op.drop_index(batch_op.f('ix_break_glass_accesses_review_due_on'))

    op.drop_table('break_glass_accesses')
    with op.batch_alter_table('assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessments_subject_id'))
        batch_op.drop_index(batch_op.f('ix_assessments_organisation_id'))

    op.drop_table('assessments')
    op.drop_table('case_reference_counters')
