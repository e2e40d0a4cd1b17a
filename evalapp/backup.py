"""Backup and restore of the whole database, while the app runs.

SQLite: the online backup API (sqlite3.Connection.backup) copies the database page by page from
a consistent snapshot; writers go on meanwhile (WAL mode), and the copy is itself a SQLite
database. PostgreSQL: pg_dump in its custom format (one consistent snapshot, taken without
stopping anyone) and pg_restore. A restore replaces every table of the target database with the
backup's, checks that the backup is one of this app at the same migration, and leaves the audit
trail to be verified (`flask audit verify`, which the restore command runs at the end).

A backup holds the ballots as the database holds them: closed boxes shuffled, open ones as cast
(the encrypted box removes that difference). Keep backups as secret as the database.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # nosec B404 - pg_dump/pg_restore, argv lists from this module only
from dataclasses import dataclass
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy.engine import make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
PAGES_PER_STEP = 1024  # SQLite copies this many pages, then lets writers in


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, in the user's words."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    kind: str  # "sqlite" or "postgresql"


def _kind(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(str(_l("Backups are made of SQLite and PostgreSQL databases only.")))
    return name


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(str(_l("An in-memory database cannot be backed up.")))
    return Path(database)


def _libpq_url(url: str) -> str:
    """The URL as libpq's tools take it (no SQLAlchemy driver name, the password kept)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    """pg_dump / pg_restore: the newest installed server's, else the one on PATH."""
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                      key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    found = str(versions[-1]) if versions else shutil.which(name)
    if not found:
        raise BackupError(str(_l("%(tool)s is not installed.", tool=name)))
    return found


def _run(command: list[str]) -> None:
    # The URL and file names are arguments of a fixed tool, never a shell line.
    # nosec B603 - argv from this module only, no shell
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # nosec B603
    if done.returncode != 0:
        # The tools' own message (no data: they report objects and connections).
        raise BackupError(done.stderr.strip().splitlines()[-1] if done.stderr.strip()
                          else str(_l("%(tool)s failed.", tool=Path(command[0]).name)))


def backup(url: str, target: Path) -> BackupResult:
    """Write a backup of the database at `url` to `target` (which must not exist)."""
    kind = _kind(url)
    target = Path(target)
    if target.exists():
        raise BackupError(str(_l("%(path)s already exists; choose a new file name.",
                                 path=target)))
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if kind == "sqlite":
            source = sqlite3.connect(_sqlite_path(url))
            copy = sqlite3.connect(partial)
            try:
                source.backup(copy, pages=PAGES_PER_STEP)
            finally:
                copy.close()
                source.close()
        else:
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={partial}", _libpq_url(url)])
        os.chmod(partial, 0o600)  # as secret as the database itself
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(path=target, size=target.stat().st_size, kind=kind)


def _backup_kind(source: Path) -> str:
    with open(source, "rb") as file:
        head = file.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(str(_l("%(path)s is not a backup of evalapp.", path=source)))


def _sqlite_revision(path: Path) -> str | None:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    except sqlite3.DatabaseError:
        return None
    finally:
        connection.close()


def _pg_revision(path: Path) -> str | None:
    """The migration a pg_dump backup is at: the one row of its alembic_version table."""
    done = subprocess.run([_tool("pg_restore"), "--data-only",  # nosec B603 - no shell
                           "--table=alembic_version", "--file=-", str(path)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(str(_l("%(path)s is not a backup of evalapp.", path=path)))
    lines = done.stdout.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and index + 1 < len(lines):
            return lines[index + 1].strip() or None
    return None


def head_revision(app) -> str:
    """The migration the app's code is at."""
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"]
    return ScriptDirectory.from_config(
        config.migrate.get_config(config.directory)).get_current_head()


def restore(url: str, source: Path, *, head: str) -> None:
    """Replace the content of the database at `url` with the backup `source`, made by the same
    kind of database at migration `head` (the app's)."""
    kind = _kind(url)
    source = Path(source)
    if not source.is_file():
        raise BackupError(str(_l("%(path)s does not exist.", path=source)))
    made_by = _backup_kind(source)
    if made_by != kind:
        raise BackupError(str(_l("This is a backup of a %(made)s database; it cannot be "
                                 "restored into a %(kind)s database.", made=made_by, kind=kind)))
    if kind == "sqlite":
        revision = _sqlite_revision(source)
        if revision != head:
            raise BackupError(str(_l("The backup is at migration %(found)s, the app at "
                                     "%(head)s: restore it with the version that made it.",
                                     found=revision or "?", head=head)))
        backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        target = sqlite3.connect(_sqlite_path(url))
        try:
            backup_db.backup(target)
        finally:
            target.close()
            backup_db.close()
        return
    revision = _pg_revision(source)
    if revision != head:
        raise BackupError(str(_l("The backup is at migration %(found)s, the app at "
                                 "%(head)s: restore it with the version that made it.",
                                 found=revision or "?", head=head)))
    _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", f"--dbname={_libpq_url(url)}",
          str(source)])
