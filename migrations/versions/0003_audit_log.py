"""audit log: append-only entries, the Merkle tree over them, signed checkpoints

The database itself refuses UPDATE, DELETE and TRUNCATE of entries, tree nodes and checkpoints:
triggers on SQLite and PostgreSQL (on PostgreSQL enabled ALWAYS, so they fire even under
``session_replication_role = replica``), and on PostgreSQL the privileges are revoked too.  On
SQLite ``INSERT OR REPLACE`` deletes the row it replaces without firing delete triggers (unless
``recursive_triggers`` is on), so a BEFORE INSERT trigger refuses any insert whose key exists.

Revision ID: 0003
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Tables that only ever grow, and the condition matching an existing row with the new row's key.
APPEND_ONLY = {
    "audit_entries": "seq = NEW.seq",
    "audit_tree_nodes": 'level = NEW.level AND "index" = NEW."index"',
    "audit_checkpoints": "tree_size = NEW.tree_size",
}

# Tables of one row that change, but only forwards.
COUNTER_RULES = [
    ("audit_sequence", "NEW.id = OLD.id AND NEW.next_seq > OLD.next_seq", "audit_sequence only counts up"),
    ("audit_tree_state", "NEW.id = OLD.id AND NEW.size >= OLD.size", "audit_tree_state never shrinks"),
]

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_checkpoints',
    sa.Column('tree_size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('origin', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tree_size', name=op.f('pk_audit_checkpoints'))
    )
    op.create_table('audit_entries',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('event_type', sa.String(length=80), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('actor_user_id', sa.String(length=64), nullable=True),
    sa.Column('actor_username', sa.String(length=120), nullable=True),
    sa.Column('actor_role', sa.String(length=40), nullable=True),
    sa.Column('actor_organisation_id', sa.String(length=64), nullable=True),
    sa.Column('subject_id', sa.String(length=64), nullable=True),
    sa.Column('purpose', sa.String(length=80), nullable=True),
    sa.Column('case_reference', sa.String(length=120), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('request_id', sa.String(length=80), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('leaf_hash', sa.LargeBinary(length=32), nullable=False),
    sa.CheckConstraint('seq >= 0', name=op.f('ck_audit_entries_seq_not_negative')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_actor_organisation_id_seq', ['actor_organisation_id', 'seq'], unique=False)
        batch_op.create_index('ix_audit_entries_actor_user_id_seq', ['actor_user_id', 'seq'], unique=False)
        batch_op.create_index('ix_audit_entries_event_type_seq', ['event_type', 'seq'], unique=False)
        batch_op.create_index('ix_audit_entries_recorded_at', ['recorded_at'], unique=False)
        batch_op.create_index('ix_audit_entries_subject_id_seq', ['subject_id', 'seq'], unique=False)

    op.create_table('audit_sequence',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('next_seq', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_audit_sequence_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_sequence'))
    )
    op.create_table('audit_tree_nodes',
    sa.Column('level', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('index', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.CheckConstraint('level >= 1', name=op.f('ck_audit_tree_nodes_level_above_leaves')),
    sa.PrimaryKeyConstraint('level', 'index', name=op.f('pk_audit_tree_nodes'))
    )
    op.create_table('audit_tree_state',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('peaks', sa.LargeBinary(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_audit_tree_state_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_tree_state'))
    )
    op.bulk_insert(sa.table("audit_sequence", sa.column("id"), sa.column("next_seq")), [{"id": 1, "next_seq": 0}])
    op.bulk_insert(
        sa.table("audit_tree_state", sa.column("id"), sa.column("size"), sa.column("peaks", sa.LargeBinary)),
        [{"id": 1, "size": 0, "peaks": b""}],
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_guards()
    else:
        _sqlite_guards()


def _postgresql_guards() -> None:
    op.execute("""
        CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
        END
        $$
    """)
    # One guard per counter table: PL/pgSQL resolves NEW.<column> even in a branch not taken.
    for table, rule, message in COUNTER_RULES:
        op.execute(f"""
            CREATE FUNCTION {table}_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP <> 'UPDATE' THEN
                    RAISE EXCEPTION 'the audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                IF NOT ({rule}) THEN
                    RAISE EXCEPTION '{message}' USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN NEW;
            END
            $$
        """)
    for table in APPEND_ONLY:
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()")
        op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_append_only")
        op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate")
        op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC, CURRENT_USER")
    for table in ("audit_sequence", "audit_tree_state"):
        op.execute(f"CREATE TRIGGER {table}_guard BEFORE UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {table}_guard()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()")
        op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_guard")
        op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate")
        op.execute(f"REVOKE DELETE, TRUNCATE ON {table} FROM PUBLIC, CURRENT_USER")


def _sqlite_guards() -> None:
    for table, same_key in APPEND_ONLY.items():
        for operation in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: {operation} on {table} refused'); END")
        op.execute(f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
                   f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {same_key}) "
                   f"BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: {table} already holds this row'); END")
    for table in ("audit_sequence", "audit_tree_state"):
        op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE on {table} refused'); END")
        op.execute(f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: INSERT on {table} refused'); END")
    for table, rule, message in COUNTER_RULES:
        op.execute(f"CREATE TRIGGER {table}_forwards_only BEFORE UPDATE ON {table} WHEN NOT ({rule}) "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def downgrade() -> None:
    op.drop_table('audit_tree_state')
    op.drop_table('audit_tree_nodes')
    op.drop_table('audit_sequence')
    op.drop_table('audit_entries')
    op.drop_table('audit_checkpoints')
    if op.get_bind().dialect.name == "postgresql":
        for table, _, _ in COUNTER_RULES:
            op.execute(f"DROP FUNCTION {table}_guard()")
        op.execute("DROP FUNCTION audit_refuse_change()")
