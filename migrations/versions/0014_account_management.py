"""account management: accounts can be disabled, and one account per issuer and subject

Revision ID: 0014
Revises: 0013

Two accounts bound to the same issuer and subject cannot both be meant: the upgrade stops, naming
every such pair and the accounts that share it, so that an administrator decides which account
keeps the binding (``broker accounts bind``, or unbinding the other in the database) and runs the
upgrade again.  Nothing is changed until there are none.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


class DuplicateBindings(RuntimeError):
    """Accounts share an issuer and subject; the unique constraint cannot be added."""


def _refuse_duplicate_bindings() -> None:
    rows = op.get_bind().execute(sa.text(
        "SELECT u.issuer, u.external_subject, u.id, u.username FROM users u "
        "JOIN (SELECT issuer, external_subject FROM users "
        "      WHERE issuer IS NOT NULL AND external_subject IS NOT NULL "
        "      GROUP BY issuer, external_subject HAVING COUNT(*) > 1) d "
        "ON u.issuer = d.issuer AND u.external_subject = d.external_subject "
        "ORDER BY u.issuer, u.external_subject, u.username"
    )).all()
    if not rows:
        return
    pairs: dict[tuple[str, str], list[str]] = {}
    for issuer, subject, user_id, username in rows:
        pairs.setdefault((issuer, subject), []).append(f"{username} ({user_id})")
    lines = [f"  issuer {issuer} subject {subject}: {', '.join(accounts)}" for (issuer, subject), accounts in pairs.items()]
    raise DuplicateBindings(
        "0012: these accounts share an identity provider's issuer and subject, so the provider's "
        "sign-in would reach more than one of them. Leave one account bound to each pair (set the "
        "others' issuer and external_subject to NULL) and upgrade again; nothing was changed.\n"
        + "\n".join(lines)
    )


def upgrade() -> None:
    _refuse_duplicate_bindings()
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint('uq_users_issuer_external_subject', ['issuer', 'external_subject'])


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_users_issuer_external_subject', type_='unique')
        batch_op.drop_column('disabled_at')
