"""The schema the tests use is the one the migrations build, and it matches the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import current_app
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from evalapp.extensions import db


def test_migrations_match_the_models(app):
    with db.engine.connect() as connection:
        # The same filter as `flask db migrate`: the ballot boxes' partitions are not models.
        include_name = current_app.extensions["migrate"].configure_args["include_name"]
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "include_name": include_name})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_migrations_downgrade_and_upgrade_again(app, tmp_path):
    from evalapp import create_app
    from tests.conftest import TEST_CONFIG

    url = f"sqlite:///{tmp_path}/scratch.sqlite3"
    scratch = create_app(TEST_CONFIG | {"SQLALCHEMY_DATABASE_URI": url,
                                        "INSTANCE_PATH": str(tmp_path)})
    with scratch.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
        upgrade()
        assert "person" in inspect(create_engine(url)).get_table_names()
