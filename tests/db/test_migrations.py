"""The schema exists only through Alembic migrations, and a fresh upgrade equals the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from webapp import create_app
from webapp.extensions import db


def test_upgraded_schema_equals_the_models_with_no_pending_changes():
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": False})
        diff = compare_metadata(ctx, db.metadata)
    assert diff == [], f"the migrations and the models differ: {diff}"


def test_every_model_table_exists_after_upgrade():
    names = set(inspect(db.engine).get_table_names())
    assert {t.name for t in db.metadata.sorted_tables} <= names
    assert "alembic_version" in names


def test_downgrade_to_base_and_upgrade_again_on_a_fresh_database(tmp_path):
    url = "sqlite:///" + str(tmp_path / "fresh.sqlite3")
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url,
                      "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        upgrade()
        assert "capstone_projects" in inspect(db.engine).get_table_names()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "portfolio_items" in inspect(db.engine).get_table_names()
        db.engine.dispose()
    engine = create_engine(url)
    try:
        assert "users" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
