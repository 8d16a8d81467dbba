"""consents and consent requests

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


# Versions, their scope rows and their status history are never overwritten: a change adds a
# version, a withdrawal adds a status event.  The database refuses updates and deletes of them.
APPEND_ONLY = ("consent_versions", "consent_scopes", "consent_status_events")


def _create_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION consent_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME;
            END $$
        """)
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION consent_refuse_change()"
            )
        return
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only'); END"
            )


def _drop_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS consent_refuse_change()")
        return
    for table in APPEND_ONLY:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")


def upgrade() -> None:
    op.create_table('consents',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['subject_id'], ['people.id'], name=op.f('fk_consents_subject_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_subject_id'), ['subject_id'], unique=False)

    op.create_table('consent_requests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('basis', sa.String(length=32), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('holder_organisation_ids', sa.JSON(), nullable=False),
    sa.Column('recipient_organisation_ids', sa.JSON(), nullable=False),
    sa.Column('why', sa.Text(), nullable=False),
    sa.Column('valid_for_days', sa.Integer(), nullable=False),
    sa.Column('if_declined', sa.Text(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by_user_id', sa.Uuid(), nullable=True),
    sa.Column('requested_by_name', sa.String(length=200), nullable=False),
    sa.Column('requested_by_organisation_id', sa.Uuid(), nullable=True),
    sa.Column('replaces_consent_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['replaces_consent_id'], ['consents.id'], name=op.f('fk_consent_requests_replaces_consent_id_consents')),
    sa.ForeignKeyConstraint(['requested_by_organisation_id'], ['organisations.id'], name=op.f('fk_consent_requests_requested_by_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['subject_id'], ['people.id'], name=op.f('fk_consent_requests_subject_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_requests')),
    sa.UniqueConstraint('replaces_consent_id', 'purpose', name='uq_consent_requests_replaces_consent_id_purpose')
    )
    with op.batch_alter_table('consent_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_requests_subject_id'), ['subject_id'], unique=False)

    op.create_table('consent_versions',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('consent_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('basis', sa.String(length=32), nullable=False),
    sa.Column('grantor_person_id', sa.Uuid(), nullable=True),
    sa.Column('grantor_organisation_id', sa.Uuid(), nullable=True),
    sa.Column('standing', sa.String(length=32), nullable=False),
    sa.Column('standing_evidence_ref', sa.String(length=200), nullable=True),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('witness_name', sa.String(length=200), nullable=True),
    sa.Column('interpreter_language', sa.String(length=100), nullable=True),
    sa.Column('notice_version', sa.String(length=64), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('childs_views', sa.Text(), nullable=True),
    sa.Column('change_note', sa.Text(), nullable=True),
    sa.Column('recorded_by_user_id', sa.Uuid(), nullable=True),
    sa.Column('recorded_by_name', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(grantor_person_id IS NULL) <> (grantor_organisation_id IS NULL)', name=op.f('ck_consent_versions_one_grantor')),
    sa.CheckConstraint('valid_until IS NULL OR valid_until > valid_from', name=op.f('ck_consent_versions_period_ends_after_start')),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], name=op.f('fk_consent_versions_consent_id_consents')),
    sa.ForeignKeyConstraint(['grantor_organisation_id'], ['organisations.id'], name=op.f('fk_consent_versions_grantor_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['grantor_person_id'], ['people.id'], name=op.f('fk_consent_versions_grantor_person_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_versions')),
    sa.UniqueConstraint('consent_id', 'version', name='uq_consent_versions_consent_id_version')
    )
    with op.batch_alter_table('consent_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_versions_grantor_person_id'), ['grantor_person_id'], unique=False)

    op.create_table('consent_request_deciders',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=True),
    sa.Column('organisation_id', sa.Uuid(), nullable=True),
    sa.Column('standing', sa.String(length=32), nullable=False),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(person_id IS NULL) <> (organisation_id IS NULL)', name=op.f('ck_consent_request_deciders_one_decider')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_consent_request_deciders_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_consent_request_deciders_person_id_people')),
    sa.ForeignKeyConstraint(['request_id'], ['consent_requests.id'], name=op.f('fk_consent_request_deciders_request_id_consent_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_request_deciders')),
    sa.UniqueConstraint('request_id', 'organisation_id', name='uq_consent_request_deciders_request_org'),
    sa.UniqueConstraint('request_id', 'person_id', name='uq_consent_request_deciders_request_person')
    )
    with op.batch_alter_table('consent_request_deciders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_request_deciders_person_id'), ['person_id'], unique=False)

    op.create_table('consent_scopes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('consent_version_id', sa.Uuid(), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('data_category', sa.String(length=32), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('recipient_organisation_id', sa.Uuid(), nullable=False),
    sa.Column('holder_organisation_id', sa.Uuid(), nullable=False),
    sa.Column('document_ref', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['consent_version_id'], ['consent_versions.id'], name=op.f('fk_consent_scopes_consent_version_id_consent_versions')),
    sa.ForeignKeyConstraint(['holder_organisation_id'], ['organisations.id'], name=op.f('fk_consent_scopes_holder_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['recipient_organisation_id'], ['organisations.id'], name=op.f('fk_consent_scopes_recipient_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['subject_id'], ['people.id'], name=op.f('fk_consent_scopes_subject_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_scopes'))
    )
    with op.batch_alter_table('consent_scopes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_scopes_consent_version_id'), ['consent_version_id'], unique=False)
        batch_op.create_index('ix_consent_scopes_decision', ['subject_id', 'purpose', 'recipient_organisation_id', 'holder_organisation_id', 'data_category'], unique=False)

    op.create_table('consent_status_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('consent_id', sa.Uuid(), nullable=False),
    sa.Column('consent_version_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('effective_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_person_id', sa.Uuid(), nullable=True),
    sa.Column('recorded_by_user_id', sa.Uuid(), nullable=True),
    sa.Column('recorded_by_name', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_person_id'], ['people.id'], name=op.f('fk_consent_status_events_actor_person_id_people')),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], name=op.f('fk_consent_status_events_consent_id_consents')),
    sa.ForeignKeyConstraint(['consent_version_id'], ['consent_versions.id'], name=op.f('fk_consent_status_events_consent_version_id_consent_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_status_events')),
    sa.UniqueConstraint('consent_version_id', 'status', name='uq_consent_status_events_version_status')
    )
    with op.batch_alter_table('consent_status_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_status_events_consent_id'), ['consent_id'], unique=False)
        batch_op.create_index('ix_consent_status_events_version_effective', ['consent_version_id', 'effective_at'], unique=False)

    op.create_table('consent_request_answers',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('decider_id', sa.Uuid(), nullable=False),
    sa.Column('answer', sa.String(length=16), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=True),
    sa.Column('holder_organisation_ids', sa.JSON(), nullable=True),
    sa.Column('valid_for_days', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('consent_id', sa.Uuid(), nullable=True),
    sa.Column('recorded_by_user_id', sa.Uuid(), nullable=True),
    sa.Column('recorded_by_name', sa.String(length=200), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], name=op.f('fk_consent_request_answers_consent_id_consents')),
    sa.ForeignKeyConstraint(['decider_id'], ['consent_request_deciders.id'], name=op.f('fk_consent_request_answers_decider_id_consent_request_deciders')),
    sa.ForeignKeyConstraint(['request_id'], ['consent_requests.id'], name=op.f('fk_consent_request_answers_request_id_consent_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_request_answers')),
    sa.UniqueConstraint('decider_id', name='uq_consent_request_answers_decider_id')
    )
    with op.batch_alter_table('consent_request_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_request_answers_request_id'), ['request_id'], unique=False)
    _create_append_only_triggers()


def downgrade() -> None:
    _drop_append_only_triggers()
    with op.batch_alter_table('consent_request_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_request_answers_request_id'))

    op.drop_table('consent_request_answers')
    with op.batch_alter_table('consent_status_events', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_status_events_version_effective')
        batch_op.drop_index(batch_op.f('ix_consent_status_events_consent_id'))

    op.drop_table('consent_status_events')
    with op.batch_alter_table('consent_scopes', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_scopes_decision')
        batch_op.drop_index(batch_op.f('ix_consent_scopes_consent_version_id'))

    op.drop_table('consent_scopes')
    with op.batch_alter_table('consent_request_deciders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_request_deciders_person_id'))

    op.drop_table('consent_request_deciders')
    with op.batch_alter_table('consent_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_versions_grantor_person_id'))

    op.drop_table('consent_versions')
    with op.batch_alter_table('consent_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_requests_subject_id'))

    op.drop_table('consent_requests')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_subject_id'))

    op.drop_table('consents')
