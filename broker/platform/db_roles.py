"""The PostgreSQL role the broker runs as: everything it needs, and on the audit log only appending.

Migration 0003 revokes UPDATE, DELETE and TRUNCATE on the audit log's tables from PUBLIC and from
the owner that ran the migrations; the triggers refuse them too.  The broker should not run as
that owner (an owner may drop triggers and grant itself privileges back) but as a role of its
own, granted here: reading and writing the other tables, and on the audit tables reading,
inserting and moving the two counters forwards.  Such a role can neither change an audit entry
nor remove the triggers that guard them.
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

APPEND_ONLY_TABLES = ("audit_entries", "audit_tree_nodes", "audit_checkpoints")
COUNTER_TABLES = ("audit_sequence", "audit_tree_state")


def grant_application_role(engine: Engine, role: str) -> None:
    """Grant the existing role ``role`` what the broker needs on every table of the schema (PostgreSQL only)."""
    if engine.dialect.name != "postgresql":
        raise ValueError("database roles are PostgreSQL's; SQLite has none")
    quoted = engine.dialect.identifier_preparer.quote(role)
    tables = inspect(engine).get_table_names()
    with engine.begin() as connection:
        connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {quoted}"))
        connection.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}"))
        for table in tables:
            name = engine.dialect.identifier_preparer.quote(table)
            if table in APPEND_ONLY_TABLES:
                connection.execute(text(f"REVOKE ALL ON {name} FROM {quoted}"))
                connection.execute(text(f"GRANT SELECT, INSERT ON {name} TO {quoted}"))
            elif table in COUNTER_TABLES:
                connection.execute(text(f"REVOKE ALL ON {name} FROM {quoted}"))
                connection.execute(text(f"GRANT SELECT, UPDATE ON {name} TO {quoted}"))
            elif table == "alembic_version":
                connection.execute(text(f"GRANT SELECT ON {name} TO {quoted}"))
            else:
                connection.execute(text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {name} TO {quoted}"))
