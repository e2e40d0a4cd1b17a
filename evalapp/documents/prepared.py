"""Files prepared in the background: work too long for one request (every form of a round of a
thousand people takes minutes of layout), made after the request on a thread of the server
process, while the one who asked watches its progress and downloads it when it is ready.

An area registers a `Preparation` at import time: its key, and `plan(prepared)`, which reads
what the file needs from the database (in a reader: nothing is locked while it runs) and
returns the `Work` that makes the file without the database, reporting its progress. The area's
own service checks who may ask and calls `request(...)`; the engine's pages show the progress
(`/documents/prepared/<id>`) and give the file to the one who asked, nobody else.

The file is written to the instance folder (`prepared/<random id>`, readable by the server's
user only), not to the database, so that a backup never carries a print; it is deleted with
its row after PREPARED_FILE_HOURS. A file whose heartbeat stopped (the server process that made
it ended) is shown as failed, and can be asked for again.

**Parts.** Laying out is what costs (WeasyPrint: a fraction of a second a page), so what a work
lays out is kept, under the digest of what it was made from (`part`, `keep_part`: files
`prepared/parts/<sha-256>`, 0600, dropped PART_DAYS after their last use): a print asked again,
or for one unit after the whole round, or after one person's form changed, lays out only what
is new. `warm(...)` makes a preparation's parts in the background without a file, for an area
that knows a print is coming (the evaluation round warms every form when it is finalised).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from evalapp.core.errors import NotFound
from evalapp.core.time import utcnow
from evalapp.core.transactions import after_commit, reading_first
from evalapp.documents.models import PreparedFile
from evalapp.extensions import db

log = logging.getLogger(__name__)

PREPARED_FILE_HOURS = 24
PART_DAYS = 30
# No sign of life for this long while "running": the process making it has ended.
STALE_AFTER = timedelta(minutes=10)
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


class Work(Protocol):
    def run(self, progress: Callable[[int], None]) -> bytes:
        """Make the file without the database; call progress(done) as parts are made."""

    def prime(self) -> None:
        """Make and keep the parts only (see `warm`); optional."""


@dataclass(frozen=True)
class Preparation:
    key: str  # at most 40 characters, prefixed with the area ("evaluation.forms")
    plan: Callable[[PreparedFile], Work]


_PREPARATIONS: dict[str, Preparation] = {}
_THREADS: dict[str, threading.Thread] = {}


def register_preparation(preparation: Preparation) -> Preparation:
    _PREPARATIONS[preparation.key] = preparation
    return preparation


def request(actor, key: str, owner_type: str, owner_id: int, *, parameters: dict, total: int,
            file_name: str) -> PreparedFile:
    """Ask for a file (the caller has checked that `actor` may have it); it is made once the
    transaction commits."""
    if key not in _PREPARATIONS:
        raise KeyError(key)
    forget_old()
    prepared = PreparedFile(id=secrets.token_hex(16), kind=key, owner_type=owner_type,
                            owner_id=owner_id, parameters_json=json.dumps(parameters),
                            requested_by_id=actor.id, status=QUEUED, done=0, total=total,
                            file_name=file_name)
    db.session.add(prepared)
    db.session.flush()
    app = current_app._get_current_object()
    after_commit(lambda: start(app, prepared.id), key=f"prepared:{prepared.id}")
    return prepared


def warm(key: str, owner_type: str, owner_id: int, *, parameters: dict,
         name: str = "") -> None:
    """Once the transaction commits, make a preparation's parts in the background (no file,
    nobody told): `plan` as for a file asked for, then `work.prime()`. Off when the app's
    PREPARED_WARM is false (the tests, but the one that proves it)."""
    if key not in _PREPARATIONS or not current_app.config.get("PREPARED_WARM", True):
        return
    app = current_app._get_current_object()
    name = f"warm:{key}:{owner_type}:{owner_id}:{name}"
    def begin() -> None:
        running = f"{name}:{secrets.token_hex(4)}"
        thread = threading.Thread(target=_warm, daemon=True, name=running[:60],
                                  args=(app, running, key, owner_type, owner_id, parameters))
        _THREADS[running] = thread
        thread.start()

    after_commit(begin, key=name)


def _warm(app, name: str, key: str, owner_type: str, owner_id: int, parameters: dict) -> None:
    with app.app_context():
        try:
            with reading_first():
                asked = PreparedFile(id="warm", kind=key, owner_type=owner_type,
                                     owner_id=owner_id, parameters_json=json.dumps(parameters))
                work = _PREPARATIONS[key].plan(asked)
                db.session.commit()
            prime = getattr(work, "prime", None)
            if prime is not None:
                prime()
        except Exception:  # noqa: BLE001 - a warm-up failing costs only time later
            db.session.rollback()
            log.exception("Warming %s %s:%s failed", key, owner_type, owner_id)
        finally:
            db.session.remove()
            _THREADS.pop(name, None)


def parts_directory() -> Path:
    path = directory() / "parts"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def part(folder: Path, key: str) -> bytes | None:
    """A part kept under `key` (a hex digest), or None; its use keeps it PART_DAYS more."""
    path = folder / key
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return None
    os.utime(path)
    return content


def has_part(folder: Path, key: str) -> bool:
    return (folder / key).exists()


def keep_part(folder: Path, key: str, content: bytes) -> None:
    target = folder / key
    partial = folder / f"{key}.{secrets.token_hex(4)}.part"
    with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        out.write(content)
    partial.replace(target)


def forget_parts(days: float = PART_DAYS) -> int:
    """Delete the parts unused for `days` (0: all of them)."""
    import time

    limit = time.time() - days * 86400
    gone = 0
    for path in parts_directory().iterdir():
        if path.stat().st_mtime <= limit:
            path.unlink(missing_ok=True)
            gone += 1
    return gone


def start(app, file_id: str) -> None:
    thread = threading.Thread(target=_make, args=(app, file_id), daemon=True,
                              name=f"prepare-{file_id[:8]}")
    _THREADS[file_id] = thread
    thread.start()


def wait(file_id: str, timeout: float | None = None) -> None:
    """Until the file asked for in this process is made (the command line, the tests)."""
    thread = _THREADS.get(file_id)
    if thread is not None:
        thread.join(timeout)


def wait_all(timeout: float | None = None) -> None:
    """Until every file asked for in this process is made."""
    for thread in list(_THREADS.values()):
        thread.join(timeout)


def directory() -> Path:
    path = Path(current_app.instance_path) / "prepared"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _path(file_id: str) -> Path:
    return directory() / file_id


def _beat(file_id: str, **values) -> None:
    db.session.execute(update(PreparedFile).where(PreparedFile.id == file_id)
                       .values(heartbeat_at=utcnow(), **values))
    db.session.commit()


def _make(app, file_id: str) -> None:
    with app.app_context():
        try:
            prepared = db.session.get(PreparedFile, file_id)
            if prepared is None or prepared.status != QUEUED:
                return
            preparation = _PREPARATIONS[prepared.kind]
            _beat(file_id, status=RUNNING)
            with reading_first():
                work = preparation.plan(db.session.get(PreparedFile, file_id))
                db.session.commit()  # the reader ends before the long part
            total = prepared.total

            def progress(done: int) -> None:
                _beat(file_id, done=min(done, total))

            content = work.run(progress)
            target = _path(file_id)
            partial = target.with_suffix(".part")
            with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                      "wb") as out:
                out.write(content)
            partial.replace(target)
            _beat(file_id, status=DONE, done=total, size=len(content), finished_at=utcnow())
        except Exception:  # noqa: BLE001 - the one who asked is told; the log says why
            db.session.rollback()
            log.exception("Preparing file %s failed", file_id)
            _beat(file_id, status=FAILED, finished_at=utcnow())
        finally:
            db.session.remove()
            _THREADS.pop(file_id, None)


def forget_old() -> int:
    """Delete the files (and rows) older than PREPARED_FILE_HOURS."""
    limit = utcnow() - timedelta(hours=PREPARED_FILE_HOURS)
    old = list(db.session.execute(select(PreparedFile.id)
                                  .where(PreparedFile.created_at < limit)).scalars())
    for file_id in old:
        _path(file_id).unlink(missing_ok=True)
    if old:
        db.session.execute(delete(PreparedFile).where(PreparedFile.id.in_(old)))
    forget_parts()
    return len(old)


@dataclass(frozen=True)
class PreparedView:
    file: PreparedFile
    status: str  # queued, running, done, failed (a stopped heartbeat is failed)

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)

    @property
    def percent(self) -> int:
        total = self.file.total or 1
        return 100 if self.status == DONE else int(100 * self.file.done / total)


STATUS_LABELS = {QUEUED: _l("Waiting to start"), RUNNING: _l("Being prepared"),
                 DONE: _l("Ready"), FAILED: _l("Could not be prepared")}


def own_file(user, file_id: str) -> PreparedView:
    """A file `user` asked for (404 for anyone else, and for a file deleted since)."""
    prepared = db.session.get(PreparedFile, file_id)
    if prepared is None or prepared.requested_by_id != user.id:
        raise NotFound(_l("This file does not exist or is no longer kept."))
    status = prepared.status
    if status in (QUEUED, RUNNING) and utcnow() - _aware(prepared.heartbeat_at) > STALE_AFTER:
        status = FAILED
    return PreparedView(prepared, status)


def content_of(view: PreparedView) -> bytes:
    if view.status != DONE:
        raise NotFound(_l("This file is not ready."))
    try:
        return _path(view.file.id).read_bytes()
    except FileNotFoundError:
        raise NotFound(_l("This file does not exist or is no longer kept.")) from None


def mimetype_of(view: PreparedView) -> str:
    import mimetypes

    return mimetypes.guess_type(view.file.file_name)[0] or "application/octet-stream"


def _aware(moment):
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
