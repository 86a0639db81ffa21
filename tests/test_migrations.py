"""The Alembic migrations create exactly the schema the models describe, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from matchmaker.database import make_engine
from matchmaker.migrate import upgrade
from matchmaker.models import Base
from tests.databases import BACKENDS, empty_database


def test_models_and_migrations_agree(connection):
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    differences = compare_metadata(context, Base.metadata)
    assert differences == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_existing_users_administer_their_organisations(backend, tmp_path):
    """Before 0010 everyone acted alone for their organisation; afterwards each administers it,
    and an account without an organisation is an ordinary member of none."""
    with empty_database(backend, tmp_path) as url:
        upgrade("0009", url)
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO organisations (id, external_id, name, kind, country, extra, created_at) "
                "VALUES (1, 'org-old', 'Old ward', 'clinical_department', 'NO', '{}', CURRENT_TIMESTAMP)"))
            for user_id, organisation_id in ((1, 1), (2, None)):
                connection.execute(text(
                    "INSERT INTO users (id, email, name, password_hash, organisation_id, is_admin, created_at) "
                    "VALUES (:id, :email, 'Someone', 'x', :organisation, false, CURRENT_TIMESTAMP)"),
                    {"id": user_id, "email": f"user{user_id}@example.org", "organisation": organisation_id})
        upgrade("0010", url)
        with engine.connect() as connection:
            roles = dict(connection.execute(text("SELECT id, organisation_role FROM users")).all())
        engine.dispose()
    assert roles == {1: "admin", 2: "member"}
