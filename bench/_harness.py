"""Shared by the benchmarks: a throw-away database, gunicorn servers on loopback, a threaded
HTTP client and a few timing helpers. Nothing here is part of the test suite.

Every server listens on 127.0.0.1 only, every run is bounded in requests and in time, and
everything a run starts (gunicorn masters, a PostgreSQL server) is stopped by the same run.
"""

from __future__ import annotations

import http.client
import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "bench-secret-key-not-for-production-0123456789"
# Accounts made for a benchmark get a cheap (still real) password hash: their passwords are
# never used, and scrypt on thousands of them would only make the setup slow.
CHEAP_HASH = "pbkdf2:sha256:1000"


def header(name: str, **facts) -> None:
    """The first line every benchmark prints."""
    described = " ".join(f"{key}={value}" for key, value in facts.items())
    print(f"== bench {name} | {date.today().isoformat()} | cpus={os.cpu_count()} | {described}",
          flush=True)


def say(text: str) -> None:
    print(text, flush=True)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of the values; NaN when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def ratio(value: float, ceiling: float) -> float:
    return value / ceiling if ceiling else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def workdir(keep: bool = False) -> Path:
    path = Path(tempfile.mkdtemp(prefix="evalapp-bench-"))
    if not keep:
        import atexit

        atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


# ---------------------------------------------------------------- databases


class Database:
    """A new, migrated database for one run: a SQLite file in the run's directory, or a new
    database on a PostgreSQL server (EVALAPP_BENCH_POSTGRES_URL, or a throw-away server started
    with scripts/postgres.sh and stopped again at the end)."""

    def __init__(self, kind: str, directory: Path):
        self.kind = kind
        self.directory = directory
        self.url = ""
        self._server_dir: Path | None = None
        self._server_url = ""
        self._name = ""

    def __enter__(self) -> Database:
        if self.kind == "sqlite":
            self.url = f"sqlite:///{self.directory}/bench.sqlite3"
        elif self.kind == "postgresql":
            self._server_url = os.environ.get("EVALAPP_BENCH_POSTGRES_URL", "")
            if not self._server_url:
                # Its own directory under /tmp: postgres.sh hands it to the postgres user, who
                # could not reach it inside the run's private directory.
                self._server_dir = Path(tempfile.mkdtemp(prefix="evalapp-bench-pg-"))
                started = subprocess.run(
                    ["bash", str(ROOT / "scripts/postgres.sh"), "start", str(self._server_dir)],
                    capture_output=True, text=True, timeout=120)
                if started.returncode != 0:
                    shutil.rmtree(self._server_dir, ignore_errors=True)
                    raise SystemExit("bench: scripts/postgres.sh could not start a server:\n"
                                     + started.stderr[-2000:])
                self._server_url = started.stdout.strip()
            self._name = f"evalapp_bench_{os.getpid()}"
            self._admin(f"DROP DATABASE IF EXISTS {self._name}")
            self._admin(f"CREATE DATABASE {self._name} TEMPLATE template0 ENCODING 'UTF8'")
            self.url = self._server_url.rsplit("/", 1)[0] + "/" + self._name
        else:
            raise SystemExit(f"unknown database kind {self.kind!r}")
        migrate(self.url)
        return self

    def _admin(self, statement: str) -> None:
        from sqlalchemy import create_engine

        url = self._server_url
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(statement)
        finally:
            engine.dispose()

    def __exit__(self, *_exc) -> None:
        if self.kind != "postgresql":
            return
        try:
            self._admin(f"DROP DATABASE IF EXISTS {self._name} WITH (FORCE)")
        finally:
            if self._server_dir is not None:
                subprocess.run(["bash", str(ROOT / "scripts/postgres.sh"), "stop",
                                str(self._server_dir)], capture_output=True, timeout=120)
                shutil.rmtree(self._server_dir, ignore_errors=True)


def migrate(url: str) -> None:
    """`flask --app evalapp db upgrade` on the database (in a child process, so Alembic's
    logging setup stays out of the benchmark's own process)."""
    env = os.environ | {"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "evalapp", "db", "upgrade"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit("bench: the migrations failed")


def make_app(url: str, directory: Path, **config):
    """The real app, in this process, on the benchmark's database (already migrated)."""
    from evalapp import create_app

    instance = directory / "instance"
    instance.mkdir(exist_ok=True)
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(instance),
                       "SECRET_KEY": SECRET_KEY, "PASSWORD_HASH_METHOD": CHEAP_HASH} | config)


def timed(action: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


# ---------------------------------------------------------------- servers

BARE_APP = '''\
"""The ceiling: a bare Flask app on the same gunicorn settings as evalapp."""
from flask import Flask, request

app = Flask(__name__)


@app.route("/", methods=["GET", "POST"])
def ok():
    request.get_data()  # read the body, as the real endpoint does
    return "ok"
'''


def write_bare_app(directory: Path) -> Path:
    folder = directory / "bare"
    folder.mkdir(exist_ok=True)
    (folder / "bare_wsgi.py").write_text(BARE_APP)
    return folder


class Gunicorn:
    """`gunicorn -w 2 -k sync` on 127.0.0.1 and a free port; stopped on leaving the block."""

    def __init__(self, name: str, app_spec: str, chdir: Path, env: dict[str, str] | None = None,
                 workers: int = 2, log_dir: Path | None = None):
        self.name = name
        self.app_spec = app_spec
        self.chdir = chdir
        self.env = os.environ | (env or {})
        self.workers = workers
        self.log = (log_dir or Path(tempfile.gettempdir())) / f"gunicorn-{name}.log"
        self.port = 0
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        self.port = free_port()
        command = [sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
                   "--worker-class", "sync", "--bind", f"127.0.0.1:{self.port}",
                   "--chdir", str(self.chdir), "--error-logfile", str(self.log),
                   "--log-level", "warning", "--timeout", "60", self.app_spec]
        self.process = subprocess.Popen(command, env=self.env, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"bench: gunicorn ({self.name}) exited; see {self.log}:\n"
                                 + self.log.read_text()[-2000:])
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise SystemExit(f"bench: gunicorn ({self.name}) did not start listening in 30 s")

    def warm_up(self, path: str, headers: dict[str, str] | None = None, count: int = 40) -> None:
        """A few requests so both workers have loaded the app and opened their connections."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status = request_once(self.port, "GET", path, headers=headers)
                if status < 500:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        fire(self.port, [("GET", path, None, headers or {})] * count, threads=4, time_limit=60)

    def __exit__(self, *_exc) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # gunicorn's graceful stop, workers included
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


# ---------------------------------------------------------------- the client

Request = tuple[str, str, bytes | None, dict[str, str]]  # method, path, body, headers


def request_once(port: int, method: str, path: str, body: bytes | None = None,
                 headers: dict[str, str] | None = None, timeout: float = 10) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@dataclass
class LoadResult:
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)  # no response: the exception's name
    not_sent: int = 0  # left when the time limit ran out

    @property
    def completed(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        """Responses per second (whatever their status)."""
        return self.completed / self.elapsed if self.elapsed else 0.0

    def describe(self, expected_status: int) -> str:
        other = {s: n for s, n in sorted(self.statuses.items()) if s != expected_status}
        text = (f"{self.completed} responses in {self.elapsed:.2f} s = {self.rate:,.0f}/s, "
                f"p50 {1000 * percentile(self.latencies, 50):.1f} ms, "
                f"p95 {1000 * percentile(self.latencies, 95):.1f} ms, "
                f"{self.statuses[expected_status]} × {expected_status}")
        if other:
            text += f", other statuses {other}"
        if self.failures:
            text += f", no response {dict(self.failures)}"
        if self.not_sent:
            text += f", {self.not_sent} not sent (time limit)"
        return text


def fire(port: int, requests: Sequence[Request], threads: int = 16, time_limit: float = 120,
         timeout: float = 30) -> LoadResult:
    """Send every request once, from `threads` client threads, each on its own connection
    (gunicorn's sync workers close it after each response, http.client opens a new one).
    Stops taking new requests after `time_limit` seconds. A failed request is never retried,
    so a ballot cannot be sent twice."""
    result = LoadResult()
    lock = threading.Lock()
    next_index = itertools.count()
    start_line = threading.Barrier(threads + 1)
    deadline = [0.0]

    def worker() -> None:
        latencies: list[float] = []
        statuses: Counter = Counter()
        failures: Counter = Counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        start_line.wait()
        while True:
            index = next(next_index)
            if index >= len(requests):
                break
            if time.perf_counter() > deadline[0]:
                with lock:
                    result.not_sent += 1
                continue
            method, path, body, headers = requests[index]
            began = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as error:
                failures[type(error).__name__] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
                continue
            latencies.append(time.perf_counter() - began)
            statuses[response.status] += 1
        connection.close()
        with lock:
            result.latencies.extend(latencies)
            result.statuses.update(statuses)
            result.failures.update(failures)

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + time_limit
    start_line.wait()
    for thread in pool:
        thread.join(time_limit + timeout + 30)
    result.elapsed = time.perf_counter() - began
    return result
