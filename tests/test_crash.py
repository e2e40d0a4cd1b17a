"""A crash in the middle of voting loses nothing acknowledged: voters cast through the browser
forms of a gunicorn server, which is killed (SIGKILL, master and workers) while ballots are
arriving, then started again on the same database. Every ballot whose receipt page was returned
is in the box with the tracker the voter saw; every other ballot in the box belongs to a voter
whose request was cut off and whom the app now knows as having voted; nothing is half-stored;
the count equals the box (both databases)."""

from __future__ import annotations

import html
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path

from sqlalchemy import select

from evalapp.auth.models import Role
from evalapp.ballots import builder
from evalapp.ballots import services as ballots
from evalapp.ballots.models import RoundStatus
from evalapp.box.models import BoxSealedBallot
from evalapp.extensions import db as _db
from tests.ballots.conftest import secret_counts
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
VOTERS = 40
KILL_AFTER = 12  # acknowledged ballots before the kill
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                  r'name="csrf_token" value="([^"]+)"')
TRACKER = re.compile(r'id="tracker">(.*?)</p>', re.S)


class Server:
    """gunicorn, 2 sync workers, on a free loopback port, in its own process group."""

    def __init__(self, database_url: str, log: Path):
        self.env = os.environ | {"DATABASE_URL": database_url, "SECRET_KEY": "crash-test-key",
                                 "EVALAPP_ENV": "development",
                                 "EVALAPP_PASSWORD_HASH": "pbkdf2:sha256:1000"}
        self.log = log
        self.process: subprocess.Popen | None = None
        self.port = 0

    def start(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync",
             "--bind", f"127.0.0.1:{self.port}", "--chdir", str(ROOT), "--error-logfile",
             str(self.log), "--timeout", "60", "wsgi:app"],
            env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-2000:]
            try:
                urllib.request.urlopen(self.url("/login"), timeout=5).read()
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("gunicorn did not answer in 60 s")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def kill(self) -> None:
        """SIGKILL to the master and every worker at once: nothing is flushed or finished."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


class Voter:
    """One voter's browser: its own cookies, following redirects."""

    def __init__(self, username: str):
        self.username = username
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, server: Server, path: str) -> str:
        with self.opener.open(server.url(path), timeout=30) as response:
            return response.read().decode()

    def post(self, server: Server, path: str, fields: dict) -> str:
        body = urllib.parse.urlencode(fields).encode()
        with self.opener.open(server.url(path), data=body, timeout=30) as response:
            return response.read().decode()

    @staticmethod
    def token(page: str) -> str:
        match = CSRF.search(page)
        assert match, "no CSRF token on the page"
        return match.group(1) or match.group(2)

    def login(self, server: Server) -> None:
        page = self.get(server, "/login")
        self.post(server, "/login", {"csrf_token": self.token(page), "username": self.username,
                                     "password": PASSWORD})

    def cast(self, server: Server, round_id: int, lines: list[int]) -> str:
        """The receipt's tracker (64 hex digits) once the receipt page is returned."""
        page = self.get(server, f"/vote/{round_id}")
        fields = {"csrf_token": self.token(page)} | {f"mark-{line}": "high" for line in lines}
        return self.tracker(self.post(server, f"/vote/{round_id}/cast", fields))

    @staticmethod
    def tracker(page: str) -> str | None:
        match = TRACKER.search(page)
        if not match:
            return None
        digits = re.sub(r"<[^>]+>|[^0-9a-f]", "", html.unescape(match.group(1)))
        assert len(digits) == 64, digits
        return digits


def test_a_crash_while_voting_loses_no_acknowledged_ballot(db, factory, database_url, tmp_path):
    unit = factory.unit("Ban Tổ chức")
    people = [factory.person(f"Đào Văn Cử {i:02d}", unit) for i in range(VOTERS)]
    for i, person in enumerate(people):
        factory.user(f"cutri{i:02d}", roles=(Role.VOTER,), person=person)
    candidates = [factory.person(f"Hà Văn Ứng {i}", unit) for i in range(2)]
    round_ = builder.build(builder.RoundPlan(unit=unit, candidates=candidates, voters=people),
                           RoundStatus.VOTING).round
    round_id, lines = round_.id, [c.id for c in round_.active_candidates]
    _db.session.commit()
    _db.session.remove()
    _db.engine.dispose()  # this process holds no connection while the server writes

    voters = [Voter(f"cutri{i:02d}") for i in range(VOTERS)]
    acknowledged: dict[str, str] = {}   # username -> tracker shown on the receipt page
    cut_off: set[str] = set()           # requests that got no answer
    enough = threading.Event()
    server = Server(database_url, tmp_path / "gunicorn.log")
    server.start()
    try:
        def vote(voter: Voter) -> None:
            try:
                voter.login(server)
                tracker = voter.cast(server, round_id, lines)
            except (urllib.error.URLError, OSError, http.client.HTTPException):
                cut_off.add(voter.username)
                return
            assert tracker is not None
            acknowledged[voter.username] = tracker
            if len(acknowledged) >= KILL_AFTER:
                enough.set()

        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(vote, voter) for voter in voters]
            assert enough.wait(timeout=300)
            server.kill()
            for future in futures:
                future.result(timeout=120)
    finally:
        server.kill()

    assert len(acknowledged) >= KILL_AFTER
    assert cut_off, "the kill cut no request off: the test proved nothing"

    server.start()
    try:
        # Every voter looks again: an acknowledged one sees the same tracker; one cut off is
        # told they have voted (their ballot was stored before the kill) or votes again.
        stored_unseen, voted_again = set(), {}
        for voter in voters:
            if voter.username in acknowledged:
                receipt = voter.get(server, f"/vote/{round_id}/receipt")
                assert voter.tracker(receipt) == acknowledged[voter.username]
                continue
            try:
                voter.login(server)
            except urllib.error.HTTPError:
                pass
            page = voter.get(server, f"/vote/{round_id}/receipt")
            if 'name="mark-' in page:  # not in the box: the ballot page again
                voted_again[voter.username] = voter.cast(server, round_id, lines)
            else:
                stored_unseen.add(voter.username)
    finally:
        server.stop()

    trackers = set(_db.session.execute(select(BoxSealedBallot.tracker).where(
        BoxSealedBallot.box_id == ballots.round_box(ballots.get_round(round_id)).id)).scalars())
    assert set(acknowledged.values()) <= trackers
    assert set(voted_again.values()) <= trackers
    assert stored_unseen <= cut_off
    assert len(trackers) == len(acknowledged) + len(stored_unseen) + len(voted_again) == VOTERS
    assert secret_counts(round_id) == {"participation": VOTERS, "ballot": VOTERS,
                                       "readable": 0}
    round_ = ballots.get_round(round_id)
    builder.advance(round_, RoundStatus.COUNTED)
    assert (round_.collected_count, round_.valid_count) == (VOTERS, VOTERS)
    tally = ballots.tally_of(round_)
    assert [line.counts[ballots.Level.HIGH] for line in tally.candidates] == [VOTERS, VOTERS]
