"""Fixtures shared by every test: a migrated database (SQLite or the PostgreSQL server started
by scripts/test.sh), the app, clients, logins and factories.

The schema is built by running the Alembic migrations once per worker; after each test every
table is emptied, so tests start from the same empty, migrated database.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from evalapp import create_app
from evalapp.auth.models import Role, User
from evalapp.auth.permissions import SYSTEM
from evalapp.auth.services import GrantSpec, create_user
from evalapp.documents import prepared
from evalapp.extensions import db as _db
from evalapp.org.models import Gender, Person, Unit, UnitKind
from evalapp.org.services import PersonData, create_person, create_unit, save_post

DB_KIND = os.environ.get("EVALAPP_TEST_DB", "sqlite")
PASSWORD = "correct-horse-9"

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # real hashing, fewer rounds
    "BOX_LOCK_OPSLIMIT": 1, "BOX_LOCK_MEMLIMIT": 8192,  # real Argon2id, its smallest limits
    # The limiter is one object shared by every app in the process, so it stays enabled and
    # tests get a limit they never reach; the rate-limit test builds an app with a low one.
    "LOGIN_RATE_LIMIT": "10000 per minute",
    "LOGIN_CLIENT_RATE_LIMIT": "10000 per minute",
    "CODE_RATE_LIMIT": "10000 per minute",
    "CODE_ADDRESS_RATE_LIMIT": "10000 per minute",
    "RATING_RATE_LIMIT": "10000 per minute",
    "RATING_ADDRESS_RATE_LIMIT": "10000 per minute",
    "WTF_CSRF_ENABLED": False,
    # Finalising a round lays out its forms in the background: only the test of it does.
    "PREPARED_WARM": False,
}


def pytest_report_header(config):
    return f"evalapp test database: {DB_KIND}"


# What the PostgreSQL pass leaves to the SQLite pass (EVALAPP_TEST_EVERYTHING=1 runs it all):
# the pure rules (tests/tally: no database at all), the checks of the source files themselves
# (bandit, the import rules, the threat model's test names: no database either) and the
# browser journeys (the same pages and services, whose storage the HTTP and service tests
# cover on both databases).
ONCE = os.environ.get("EVALAPP_TEST_EVERYTHING") != "1" and DB_KIND == "postgresql"
SOURCE_CHECKS = ("test_bandit.py", "test_architecture.py", "test_security_claims.py")


def _first_pass_only(item) -> bool:
    path = str(item.path)
    return ONCE and (any(f"/tests/{part}/" in path for part in ("tally", "browser"))
                     or any(path.endswith(f"/tests/{name}") for name in SOURCE_CHECKS))


def pytest_collection_modifyitems(config, items):
    """Tests of one database's storage (the SQLite file, PostgreSQL's system columns) run in
    that database's pass of the suite and are deselected, not skipped, in the other; the
    PostgreSQL pass leaves the pure rules and the browser journeys to the SQLite pass."""
    other = [item for item in items
             if (mark := item.get_closest_marker("only_on")) and mark.args[0] != DB_KIND
             or _first_pass_only(item)]
    if other:
        config.hook.pytest_deselected(items=other)
        items[:] = [item for item in items if item not in other]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id) -> str:
    if DB_KIND == "postgresql":
        server = os.environ["EVALAPP_TEST_POSTGRES_URL"]
        name = f"evalapp_test_{worker_id}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
            connection.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE template0 "
                                       "ENCODING 'UTF8'")
        admin.dispose()
        return server.rsplit("/", 1)[0] + "/" + name
    return f"sqlite:///{tmp_path_factory.mktemp('db')}/evalapp.sqlite3"


class RequestIsolatingClient(FlaskClient):
    """A test client whose requests behave as they would in production.

    Tests hold an app context open (for direct database work), and Flask reuses it for the
    client's requests; so before each request the context globals (the logged-in user, the
    locale) are cleared, and after it the session is rolled back, as the end of a real request
    would. A request that fails half-way then cannot leave changes behind for a later commit.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            for name in list(vars(g)):
                delattr(g, name)
        try:
            return super().open(*args, **kwargs)
        finally:
            if has_app_context():
                _db.session.rollback()


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    application = create_app(TEST_CONFIG | {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(tmp_path_factory.mktemp("instance")),
    })
    application.test_client_class = RequestIsolatingClient
    with application.app_context():
        upgrade()
    return application


def empty_all_tables() -> None:
    tables = list(reversed(_db.metadata.sorted_tables))
    if _db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        _db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        # RESTRICT is checked row by row in SQLite: detach the unit tree before emptying it.
        _db.session.execute(text("UPDATE unit SET parent_id = NULL"))
        # A superseded evaluation decision is RESTRICTed by the decision replacing it.
        _db.session.execute(text("UPDATE evaluation_decision SET supersedes_id = NULL"))
        for table in tables:
            _db.session.execute(table.delete())
    _db.session.commit()


@pytest.fixture(autouse=True)
def db(app) -> Iterator:
    """The database, inside an app context; emptied after the test."""
    with app.app_context():
        yield _db
        _db.session.rollback()
        prepared.wait_all()  # a file asked for by the test is made before the tables empty
        prepared.forget_parts(0)  # and no test finds the forms another one laid out
        empty_all_tables()
        _db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


# ---------------------------------------------------------------- factories


class Factory:
    """Builds data through the real services (so audit entries and derived columns exist)."""

    def __init__(self, db):
        self.db = db
        self._serial = 0

    def _next(self) -> int:
        self._serial += 1
        return self._serial

    def unit(self, name: str | None = None, parent: Unit | None = None,
             kind: UnitKind = UnitKind.DEPARTMENT, code: str | None = None) -> Unit:
        unit = create_unit(SYSTEM, name=name or f"Đơn vị {self._next()}", kind=kind,
                           parent=parent, code=code)
        self.db.session.commit()
        return unit

    def person(self, full_name: str | None = None, unit: Unit | None = None, **fields) -> Person:
        serial = self._next()
        person = create_person(SYSTEM, PersonData(
            full_name=full_name or f"Nguyễn Văn Người{serial}",
            unit=unit or self.unit(),
            staff_code=fields.pop("staff_code", f"T{serial:05d}"),
            gender=fields.pop("gender", Gender.MALE),
            birth_year=fields.pop("birth_year", 1980),
            **fields))
        self.db.session.commit()
        return person

    def post(self, name: str, rank: int = 10, leadership: bool = True):
        post = save_post(SYSTEM, None, name=name, rank=rank, is_leadership=leadership)
        self.db.session.commit()
        return post

    def user(self, username: str | None = None, roles=(Role.ADMIN,), unit: Unit | None = None,
             person: Person | None = None, full_name: str | None = None) -> User:
        username = username or f"user{self._next()}"
        user = create_user(SYSTEM, username=username, full_name=full_name or username.title(),
                           password=PASSWORD, grants=[GrantSpec(role, unit) for role in roles],
                           person=person)
        self.db.session.commit()
        return user


@pytest.fixture
def factory(db) -> Factory:
    return Factory(db)


@pytest.fixture
def login_as(client):
    """Log the test client in as `user` through the real login form."""

    def login(user: User):
        response = client.post("/login", data={"username": user.username,
                                               "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return login


@pytest.fixture
def admin(factory) -> User:
    return factory.user("quantri", roles=(Role.ADMIN,), full_name="Quản Trị Viên")


# ---------------------------------------------------------------- a live server for browsers


@pytest.fixture(scope="session")
def live_server(app, database_url, tmp_path_factory) -> Iterator[str]:
    """The app served over HTTP on a free loopback port, with CSRF on, on the test database."""
    served = create_app(TEST_CONFIG | {
        "SQLALCHEMY_DATABASE_URI": database_url,
        # The same instance folder as `app`: the signing key and the demo root CA live there.
        "INSTANCE_PATH": app.instance_path,
        "WTF_CSRF_ENABLED": True,
        "TESTING": False,
    })
    app.extensions["evalapp.live_app"] = served  # for a test that must tune the served app
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
