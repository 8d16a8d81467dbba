"""0014: one account per identity provider issuer and subject.  Where accounts edited by hand
already share one, the upgrade stops and names them, and changes nothing until they are fixed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from broker.platform.db import create_database_engine
from broker.platform.migrate import alembic_config, current_revisions, downgrade, script_heads, upgrade

USERS = sa.table("users", *(sa.column(name, kind) for name, kind in {
    "id": sa.Uuid(), "username": sa.String(), "display_name": sa.String(), "role": sa.String(),
    "issuer": sa.String(), "external_subject": sa.String(), "created_at": sa.DateTime(timezone=True)}.items()))


def _before_0014() -> str:
    revision = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision("0014")
    assert revision is not None and isinstance(revision.down_revision, str)
    return revision.down_revision


def test_accounts_sharing_an_issuer_and_subject_are_named_and_nothing_changes(database_url: str) -> None:
    before = _before_0014()
    downgrade(database_url, before)
    now = datetime.now(UTC)
    rows = [("a.first", "https://login.example", "same-sub"), ("b.second", "https://login.example", "same-sub"),
            ("c.unbound", "https://login.example", None), ("d.unbound", "https://login.example", None)]
    engine = create_database_engine(database_url)
    try:
        with engine.begin() as connection:
            for username, issuer, subject in rows:
                connection.execute(sa.insert(USERS), {"id": uuid.uuid4(), "username": username, "display_name": username,
                                                      "role": "caseworker", "issuer": issuer, "external_subject": subject,
                                                      "created_at": now})
        with pytest.raises(Exception, match=r"(?s)issuer https://login.example subject same-sub: a.first \(.*\), b.second"):
            upgrade(database_url)
        assert current_revisions(engine) == (before,)
        # The administrator unbinds one of them; accounts not yet bound (NULL subject) may be many.
        with engine.begin() as connection:
            connection.execute(sa.update(USERS).where(USERS.c.username == "b.second").values(issuer=None, external_subject=None))
        upgrade(database_url)
        assert current_revisions(engine) == script_heads()
        with engine.begin() as connection, pytest.raises(sa.exc.IntegrityError):
            connection.execute(sa.update(USERS).where(USERS.c.username == "c.unbound").values(external_subject="same-sub"))
    finally:
        engine.dispose()
