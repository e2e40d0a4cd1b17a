"""Extension objects, created unbound and initialised by create_app()."""

from __future__ import annotations

import sqlite3

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Constraint names are part of the schema that migrations refer to, so they must be predictable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@event.listens_for(Engine, "connect")
def _configure_connection(dbapi_connection, _record) -> None:
    """SQLite: WAL, enforced foreign keys, and writers that wait instead of failing.
    PostgreSQL: plans made for each statement's own values.

    SQLite: the driver's own transaction handling is switched off; evalapp.core.transactions
    begins each transaction itself, DEFERRED for readers and IMMEDIATE for writers (the rule is
    written there).

    PostgreSQL: a generic plan of a prepared statement (psycopg prepares a statement after five
    executions) would lock every partition of the ballot box's tables, and so wait behind the
    close of any other box (see evalapp.box); a custom plan prunes to the box's own partitions
    before it locks anything.
    """
    if type(dbapi_connection).__module__.startswith("psycopg"):
        dbapi_connection.execute("SET plan_cache_mode = force_custom_plan")
        dbapi_connection.commit()
        return
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Freed pages are zeroed, so a ballot box rewritten at closing leaves no old copy behind.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()
