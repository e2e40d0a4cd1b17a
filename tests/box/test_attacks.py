"""The security review's attacks (issue 9), played against the encrypted box on both databases.

The attacker knows who voted when (they stood in the hall, or read the logins), and holds what
the review held: on SQLite the database file and its `-wal`, copied while voting is open with
the checkpoint blocked on purpose (a reader holds a transaction open from before voting opened,
as a backup tool or a report would), and again after the round is closed and counted; on
PostgreSQL a pg_dump taken while voting is open and the write-ahead log read with pg_waldump
during voting and after counting. The test knows more than the attacker: the ballots it cast,
and the counting team's passphrases, from which it opens every share and rebuilds the box's
private key, to look for them in everything the attacker holds.

What must hold: every stored ballot is ciphertext (64-hex group elements and scalars only, and
its proofs hold); no level key of any mark is in any row of any box table nor in the bytes the
cast transactions wrote (SQLite WAL frames, PostgreSQL WAL records); the audit trail has no
entry per ballot; the private key, the shares and the passphrases are nowhere in clear; fewer
than k shares decrypt nothing, k give the totals the test cast.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field

import pytest
from sqlalchemy import create_engine, event, func, select

from evalapp.audit.models import AuditEntry
from evalapp.auth.permissions import SYSTEM
from evalapp.ballots import builder, services
from evalapp.ballots.models import RoundStatus
from evalapp.box import crypto
from evalapp.box.models import BoxShare
from evalapp.extensions import db as _db
from evalapp.org.models import UnitKind
from evalapp.org.services import create_unit
from evalapp.tally.rules import Level, Scale
from tests.ballots.conftest import box_id_of, make_people

HIGH, CONF, LOW = Level.HIGH.value, Level.CONFIDENCE.value, Level.LOW.value
LEVELS = (HIGH, CONF, LOW)
# Every level key of the three-level scale (and the two-level one), as bytes.
LEVEL_BYTES = tuple(level.value.encode() for level in Level)
# (levels in ballot order, encrypted on the voter's device?) of each voter, in casting order.
BALLOTS = [((HIGH, LOW), False), ((CONF, HIGH), True), ((LOW, LOW), False)]
TOTALS = [[1, 1, 1], [1, 0, 2]]  # per line, per level (high, confidence, low)
HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass
class Attacked:
    """A round being voted in, and what the test (not the attacker) knows of it."""

    round_id: int
    box_id: int = 0
    voters: list = field(default_factory=list)
    trackers: list[str] = field(default_factory=list)
    params: dict = field(default_factory=dict)
    shares: dict[int, bytes] = field(default_factory=dict)   # opened with the passphrases
    private_key: bytes = b""
    seq_at_open: int = 0

    @property
    def round(self):
        return services.get_round(self.round_id)


def _new_round() -> Attacked:
    unit = create_unit(SYSTEM, name="Ban Thường vụ Huyện ủy", kind=UnitKind.DEPARTMENT,
                       parent=None, code=None)
    _db.session.commit()
    voters = make_people(unit, len(BALLOTS), prefix="Cử tri tấn công")
    candidates = make_people(unit, 2, prefix="Ứng viên tấn công")
    round_ = builder.create(builder.RoundPlan(unit=unit, candidates=candidates, voters=voters,
                                              scale=Scale.THREE_LEVEL))
    return Attacked(round_id=round_.id, voters=voters)


def _open(attacked: Attacked) -> None:
    """Voting opens (the key is dealt); the test opens every share with its passphrase and
    rebuilds the private key, which no part of the app holds any more."""
    builder.advance(attacked.round, RoundStatus.VOTING)
    attacked.seq_at_open = _db.session.execute(
        select(func.max(AuditEntry.seq))).scalar_one()
    attacked.box_id = box_id_of(attacked.round_id)
    attacked.params = json.loads(services.round_box(attacked.round).parameters)
    passphrases = dict(enumerate((p for _h, p in builder.KEY_HOLDERS), start=1))
    for row in _db.session.execute(select(BoxShare).where(
            BoxShare.box_id == attacked.box_id)).scalars():
        lock = crypto.Lock(bytes.fromhex(row.salt), row.opslimit, row.memlimit,
                           bytes.fromhex(row.lock_public_key))
        share = crypto.open_share(bytes.fromhex(row.sealed), lock, passphrases[row.number])
        assert share is not None and crypto.base_mul(share).hex() == row.verification_key
        attacked.shares[row.number] = share
    assert sorted(attacked.shares) == [1, 2, 3] and attacked.params["threshold"] == 2
    x = crypto.scalar(0)
    for number, coefficient in crypto.lagrange([1, 2]).items():
        x = crypto.s_add(x, crypto.s_mul(coefficient, attacked.shares[number]))
    assert crypto.base_mul(x).hex() == attacked.params["public_key"]  # truly the private key
    attacked.private_key = x


def _cast(attacked: Attacked, index: int) -> str:
    """Voter `index` casts their known ballot: as the builder does (marks, encrypted by the
    server on arrival) or encrypted on their device (cast_encrypted)."""
    levels, on_device = BALLOTS[index]
    round_, voter = attacked.round, attacked.voters[index]
    if on_device:
        params = {k: v for k, v in services.box_parameters(round_).items() if k != "fingerprint"}
        tracker = services.cast_encrypted(
            voter, round_, crypto.encrypt_ballot(params, [LEVELS.index(lv) for lv in levels]))
    else:
        tracker = services.cast_ballot(voter, round_, builder.marks(round_, levels))
    _db.session.commit()
    attacked.trackers.append(tracker)
    return tracker


def _secrets(attacked: Attacked) -> dict[str, bytes]:
    """Every form in which a key could sit in a file: raw (both byte orders), lower- and
    upper-case hex; for the private key, each share, and each passphrase."""
    out = {}
    for name, value in [("x", attacked.private_key),
                        *((f"x_{i}", s) for i, s in attacked.shares.items())]:
        for order, raw in (("le", value), ("be", value[::-1])):
            out[f"{name} raw {order}"] = raw
            out[f"{name} hex {order}"] = raw.hex().encode()
            out[f"{name} HEX {order}"] = raw.hex().upper().encode()
    for i, (_holder, passphrase) in enumerate(builder.KEY_HOLDERS, start=1):
        out[f"passphrase {i}"] = passphrase.encode()
    return out


def _assert_no_secret(attacked: Attacked, where: str, data: bytes) -> None:
    found = [name for name, needle in _secrets(attacked).items() if needle in data]
    assert not found, f"{where} holds {found}"


def _leaves(value) -> list:
    return [leaf for item in value for leaf in _leaves(item)] if isinstance(value, list) \
        else [value]


def _assert_ciphertext_only(attacked: Attacked, contents: list[str], trackers: list[str]) -> None:
    """Every stored ballot, as the attacker reads it: JSON whose every leaf is a 64-hex group
    element or scalar, nothing else; its proofs hold and its tracker is its hash; the level keys
    appear nowhere in it."""
    assert len(contents) == len(trackers) > 0
    for content, tracker in zip(contents, trackers, strict=True):
        ballot = json.loads(content)
        assert set(ballot) == {"ciphertexts", "proofs", "line_proofs"}
        leaves = _leaves(list(ballot.values()))
        assert leaves and all(isinstance(v, str) and HEX64.fullmatch(v) for v in leaves)
        # 2 lines × 3 levels: 6 ciphertexts (12 points), 6 proofs of 2 branches (24 scalars),
        # 2 line proofs (4 scalars).
        assert len(leaves) == 12 + 24 + 4
        assert not any(level in content.encode() for level in LEVEL_BYTES)
        assert crypto.check_ballot(attacked.params, ballot) == ballot
        assert crypto.tracker(ballot) == tracker
    assert sorted(trackers) == sorted(attacked.trackers)


def _assert_no_mark_in_box_rows(tables: dict[str, list[dict]]) -> None:
    """No level key in any row of any box table. The box's public parameters name the scale's
    levels (what a device encrypts under) and are left out of the search for that key only."""
    assert {"box", "box_sealed_ballot", "box_participation", "box_share"} <= set(tables)
    for table, rows in tables.items():
        for row in rows:
            cells = dict(row)
            if table == "box" and cells.get("parameters"):
                params = json.loads(cells["parameters"])
                assert params.pop("levels") == list(LEVELS)
                cells["parameters"] = json.dumps(params)
            text = json.dumps(cells, default=str)
            for level in LEVELS:
                assert not re.search(rf"\b{level}\b", text), (table, level)
    for plain in ("box_ballot", "box_mark", "box_receipt"):
        assert tables.get(plain, []) == [], plain  # the readable tables stay empty


def _assert_decryption_needs_k(attacked: Attacked, sums: list) -> None:
    """The attacker who also stole k−1 passphrases: their partial decryptions make no count,
    neither as the box asks (k) nor pretending k−1 were enough; k give the known totals."""
    params = attacked.params
    partials = {i: crypto.partial_decryption(params, i, share, sums)
                for i, share in attacked.shares.items()}
    for partial in partials.values():
        crypto.check_partial_decryption(params, sums, partial)
    for alone in (1, 2, 3):
        with pytest.raises(crypto.BadBallot) as refused:
            crypto.combine(params, sums, [partials[alone]], len(attacked.trackers))
        assert refused.value.reason == "too_few_decryptions"
        with pytest.raises(crypto.BadBallot) as refused:
            crypto.combine({**params, "threshold": 1}, sums, [partials[alone]],
                           len(attacked.trackers))
        assert refused.value.reason == "dlog"
    for pair in ((1, 2), (1, 3), (2, 3)):
        assert crypto.combine(params, sums, [partials[i] for i in pair],
                              len(attacked.trackers)) == TOTALS


def _assert_counted(attacked: Attacked) -> None:
    round_ = attacked.round
    assert round_.status is RoundStatus.COUNTED
    tally = services.tally_of(round_)
    got = [[c.counts[Level(level)] for level in LEVELS] for c in tally.candidates]
    assert got == TOTALS


def _assert_no_entry_per_ballot(actions_after_open: list[str]) -> None:
    """From voting opened to counted, the trail says: closed, two shares unlocked, counted. No
    entry was written while people voted."""
    assert actions_after_open == ["ballot_round.voting_closed", "ballot_round.share_unlocked",
                                  "ballot_round.share_unlocked", "ballot_round.counted"]


# ---------------------------------------------------------------- SQLite


def _sqlite_path(database_url: str) -> str:
    assert database_url.startswith("sqlite:///")
    return database_url[len("sqlite:///"):]


def _copy_sqlite(live: str, target: str) -> tuple[bytes, bytes]:
    """The attacker's copy: the database file and its write-ahead log, as they are on disk."""
    shutil.copyfile(live, target)
    wal = live + "-wal"
    shutil.copyfile(wal, target + "-wal")
    with open(target, "rb") as f, open(target + "-wal", "rb") as w:
        return f.read(), w.read()


def _sqlite_rows(path: str) -> tuple[dict[str, list[dict]], list[tuple], list[str]]:
    """Every box table's rows, the box's sealed ballots (content, tracker) and the audit
    actions, read from a copy (its -wal included) with sqlite3 alone."""
    con = sqlite3.connect(path)
    con.row_factory = sqlite3.Row
    try:
        names = [n for (n,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'box%'")]
        tables = {n: [dict(r) for r in con.execute(f'SELECT * FROM "{n}"')] for n in names}
        sealed = [(r["content"], r["tracker"]) for r in tables["box_sealed_ballot"]]
        actions = [a for (a,) in con.execute("SELECT action FROM audit_entry ORDER BY seq")]
    finally:
        con.close()
    return tables, sealed, actions


def _short_busy_timeout(dbapi_connection, _record):
    dbapi_connection.execute("PRAGMA busy_timeout = 200")


@pytest.fixture
def checkpoint_gives_up_soon(db):
    """The app's connections wait 0.2 s instead of 30 s for a reader before giving up a
    checkpoint: the close's checkpoint fails the same way, sooner."""
    db.session.close()
    event.listen(db.engine, "connect", _short_busy_timeout)
    db.engine.dispose()
    yield
    db.session.close()
    event.remove(db.engine, "connect", _short_busy_timeout)
    db.engine.dispose()


@pytest.mark.only_on("sqlite")
def test_sqlite_file_and_wal_copied_during_voting_and_after_counting_give_no_mark_and_no_key(
        db, database_url, tmp_path, checkpoint_gives_up_soon, caplog):
    live = _sqlite_path(database_url)
    attacked = _new_round()
    # The checkpoint is blocked on purpose: a reader holds a transaction open from before voting
    # opens to the end, so every frame written while people vote stays in the -wal.
    reader = sqlite3.connect(live, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM box").fetchone()
    try:
        _open(attacked)
        wal = live + "-wal"
        cast_frames = []
        for index in range(len(BALLOTS)):
            before = os.path.getsize(wal)
            _cast(attacked, index)
            cast_frames.append((before, os.path.getsize(wal)))
        assert all(after > before for before, after in cast_frames)
        during_file, during_wal = _copy_sqlite(live, str(tmp_path / "during.sqlite3"))
        builder.advance(attacked.round, RoundStatus.COUNTED)
        after_file, after_wal = _copy_sqlite(live, str(tmp_path / "after.sqlite3"))
    finally:
        reader.rollback()
        reader.close()

    # The attack's precondition: the close's checkpoint was blocked (the app said so), and the
    # -wal taken after counting still holds, byte for byte, the frames each cast wrote while
    # people voted.
    assert "could not be emptied" in caplog.text
    for before, after in cast_frames:
        assert after_wal[before:after] == during_wal[before:after]

    # What each cast wrote (its frames: whole pages of the box's tables, which the attacker
    # can attribute to a voter by time): no level key, no key material.
    for number, (before, after) in enumerate(cast_frames, start=1):
        frames = during_wal[before:after]
        for level in LEVEL_BYTES:
            assert level not in frames, (number, level)
        _assert_no_secret(attacked, f"the -wal frames of cast {number}", frames)
    for name, data in (("the file during voting", during_file), ("the -wal during voting",
                       during_wal), ("the file after counting", after_file),
                       ("the -wal after counting", after_wal)):
        _assert_no_secret(attacked, name, data)
    # The searches find what is there: the public key, and the level keys the count wrote.
    assert attacked.params["public_key"].encode() in during_file + during_wal
    assert all(level in after_file + after_wal for level in (b"high", b"low"))

    for label in ("during", "after"):
        tables, sealed, actions = _sqlite_rows(str(tmp_path / f"{label}.sqlite3"))
        mine = [(c, t) for c, t in sealed]
        _assert_ciphertext_only(attacked, [c for c, _t in mine], [t for _c, t in mine])
        _assert_no_mark_in_box_rows(tables)
        assert not any("cast" in a for a in actions)
        if label == "after":
            box_row = next(r for r in tables["box"] if r["id"] == attacked.box_id)
            _assert_decryption_needs_k(attacked, json.loads(box_row["sums"]))
    _assert_no_entry_per_ballot(list(_db.session.execute(
        select(AuditEntry.action).where(AuditEntry.seq > attacked.seq_at_open)
        .order_by(AuditEntry.seq)).scalars()))
    _assert_counted(attacked)


# ---------------------------------------------------------------- PostgreSQL


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    assert found, f"{name} not found"
    return found[-1]


def _libpq_url(database_url: str) -> str:
    return database_url.replace("postgresql+psycopg://", "postgresql://", 1)


@dataclass
class WalRecord:
    lsn: int
    length: int   # the record's total length (rec/tot)
    xid: int
    relfilenodes: set[int]
    line: str


_RECORD = re.compile(r"len \(rec/tot\):\s*\d+/\s*(\d+), tx:\s*(\d+), lsn: ([0-9A-F]+)/([0-9A-F]+)")


class Wal:
    """The write-ahead log as the attacker reads it: the server's pg_wal directory (a file
    copy or the server's disk) and pg_waldump."""

    SEGMENT = 16 * 1024 * 1024
    PAGE = 8192

    def __init__(self, con):
        self.con = con
        self.directory = os.path.join(con.exec_driver_sql("SHOW data_directory").scalar(),
                                      "pg_wal")
        self.timeline = con.exec_driver_sql(
            "SELECT timeline_id FROM pg_control_checkpoint()").scalar()
        assert con.exec_driver_sql("SHOW wal_segment_size").scalar() == "16MB"

    def insert_lsn(self) -> int:
        return _lsn(self.con.exec_driver_sql("SELECT pg_current_wal_insert_lsn()::text").scalar())

    def flush(self) -> None:
        """Get everything inserted so far onto the disk: the commit of a transaction that wrote
        to the log, with synchronous_commit on, waits for the log up to its own record (the
        test server runs with it off)."""
        before = self.insert_lsn()
        self.con.exec_driver_sql("SET synchronous_commit = on")
        self.con.exec_driver_sql("SELECT pg_logical_emit_message(true, 'attack', 'flush')")
        assert _lsn(self.con.exec_driver_sql(
            "SELECT pg_current_wal_flush_lsn()::text").scalar()) > before

    def dump(self, start: int, end: int) -> tuple[str, list[WalRecord]]:
        self.flush()
        result = subprocess.run(
            [_pg_bin("pg_waldump"), "-p", self.directory, "-s", _lsn_text(start),
             "-e", _lsn_text(end)], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr[-500:]
        records = []
        for line in result.stdout.splitlines():
            found = _RECORD.search(line)
            if found:
                records.append(WalRecord(
                    lsn=int(found.group(3), 16) << 32 | int(found.group(4), 16),
                    length=int(found.group(1)), xid=int(found.group(2)),
                    relfilenodes={int(n) for n in re.findall(r"rel \d+/\d+/(\d+)", line)},
                    line=line))
        return result.stdout, records

    def segment(self, number: int) -> bytes:
        name = f"{self.timeline:08X}{number // 256:08X}{number % 256:08X}"
        with open(os.path.join(self.directory, name), "rb") as f:
            return f.read()

    def raw(self, start: int, end: int) -> bytes:
        """The log's bytes from start to end, as they lie in the segment files."""
        out = []
        for number in range(start // self.SEGMENT, end // self.SEGMENT + 1):
            data = self.segment(number)
            lo = max(start - number * self.SEGMENT, 0)
            hi = min(end - number * self.SEGMENT, self.SEGMENT)
            out.append(data[lo:hi])
        return b"".join(out)

    def record_bytes(self, record: WalRecord) -> bytes:
        """One record's bytes, the page headers it spans left out."""
        out, position, need = [], record.lsn, record.length
        data, number = None, None
        while need > 0:
            if position // self.SEGMENT != number:
                number = position // self.SEGMENT
                data = self.segment(number)
            offset = position % self.SEGMENT
            if offset % self.PAGE == 0:  # a page header: long at a segment's start
                position += 40 if offset == 0 else 24
                continue
            take = min(need, self.PAGE - offset % self.PAGE)
            out.append(data[offset:offset + take])
            position, need = position + take, need - take
        return b"".join(out)


def _lsn(text: str) -> int:
    high, low = text.split("/")
    return int(high, 16) << 32 | int(low, 16)


def _lsn_text(lsn: int) -> str:
    return f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"


def _pg_tables(con) -> dict[str, list[dict]]:
    """Every row of every box table, read with a plain SELECT (partitions through their
    parents)."""
    names = [n for (n,) in con.exec_driver_sql(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'box%%' "
        "AND tablename !~ '_p[0-9]+$'")]
    return {n: [dict(r._mapping) for r in con.exec_driver_sql(f'SELECT * FROM "{n}"')]
            for n in names}


def _copy_rows(dump: str, table: str) -> list[list[str]]:
    """The rows of one table in a pg_dump (COPY … FROM stdin blocks), split on tabs."""
    block = re.search(rf"^COPY public\.{table} \(([^)]*)\) FROM stdin;\n(.*?)^\\\.$", dump,
                      re.S | re.M)
    assert block, table
    return [line.split("\t") for line in block.group(2).splitlines()]


@pytest.mark.only_on("postgresql")
def test_postgresql_dump_and_wal_during_voting_and_after_counting_give_no_mark_and_no_key(
        db, database_url):
    attacked = _new_round()
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")  # the attacker's own
    slot = f"attack_{os.getpid()}"
    try:
        with engine.connect() as con:
            wal = Wal(con)
            # The log is kept from here on, as a replica's slot keeps it: a checkpoint of the
            # server meanwhile cannot remove what the attacker reads after counting.
            con.exec_driver_sql(f"SELECT pg_create_physical_replication_slot('{slot}', true)")
            try:
                start = wal.insert_lsn()
                _open(attacked)
                sealed_partition = f"box_sealed_ballot_p{attacked.box_id}"
                cast_ranges = []
                for index in range(len(BALLOTS)):
                    before = wal.insert_lsn()
                    _cast(attacked, index)
                    cast_ranges.append((before, wal.insert_lsn()))
                # During voting: a dump of the whole database, the box tables read, the log.
                dump = subprocess.run(
                    [_pg_bin("pg_dump"), "--no-owner", _libpq_url(database_url)],
                    capture_output=True, text=True, check=True).stdout
                tables = _pg_tables(con)
                names = dict(con.exec_driver_sql(
                    "SELECT pg_relation_filenode(c.oid), c.relname FROM pg_class c "
                    "WHERE pg_relation_filenode(c.oid) IS NOT NULL").all())
                cast_records = []
                for before, after in cast_ranges:
                    _text, records = wal.dump(before, after)
                    writers = {r.xid for r in records
                               if any(names.get(n) == sealed_partition for n in r.relfilenodes)}
                    assert len(writers) == 1, writers  # the one cast transaction
                    cast_records.append([r for r in records if r.xid in writers])
                during_text, _records = wal.dump(start, wal.insert_lsn())
                during_raw = wal.raw(start, wal.insert_lsn())
                # After: the round closed, two members unlocked, counted.
                builder.advance(attacked.round, RoundStatus.COUNTED)
                end = wal.insert_lsn()
                after_text, _records = wal.dump(start, end)
                after_raw = wal.raw(start, end)
                after_tables = _pg_tables(con)
                # Still there after counting: the records each cast wrote, byte for byte.
                for records in cast_records:
                    for record in records:
                        assert record.line in after_text
            finally:
                con.exec_driver_sql(f"SELECT pg_drop_replication_slot('{slot}')")
    finally:
        engine.dispose()

    # Each cast transaction, as pg_waldump shows it: it wrote the right spent and the sealed
    # ballot (the box's own partitions, their indexes and TOAST), locked the box's row and (the
    # foreign key) the voter's person row; besides, reading the catalogues may prune their
    # pages (housekeeping, no data). Nothing else — no audit entry, no readable table. Its bytes
    # hold no level key and no key.
    allowed = re.compile(rf"^(box|person|box_(participation|sealed_ballot)_p{attacked.box_id}"
                         rf"(_pkey)?|pg_toast_\d+(_index)?)$")
    for number, records in enumerate(cast_records, start=1):
        touched = {names.get(n, str(n)) for r in records if "desc: PRUNE" not in r.line
                   for n in r.relfilenodes}
        assert {f"box_participation_p{attacked.box_id}", sealed_partition} <= touched
        assert all(allowed.match(name) for name in touched), (number, str(sorted(touched)))
        assert any("COMMIT" in r.line for r in records)
        data = b"".join(wal.record_bytes(r) for r in records)
        assert len(data) == sum(r.length for r in records)
        for level in LEVEL_BYTES:
            assert level not in data, (number, level)
        _assert_no_secret(attacked, f"the WAL records of cast {number}", data)
    for name, data in (("the WAL during voting", during_raw), ("the WAL after counting",
                       after_raw), ("pg_waldump during voting", during_text.encode()),
                       ("pg_waldump after counting", after_text.encode()),
                       ("pg_dump during voting", dump.encode())):
        _assert_no_secret(attacked, name, data)
    # The searches find what is there: the public key, and the level keys the count wrote.
    assert attacked.params["public_key"].encode() in dump.encode()
    assert all(level in after_raw for level in (b"high", b"low"))

    # The dump's ballots: ciphertext only; the box tables read during voting and after.
    rows = _copy_rows(dump, f"box_sealed_ballot_p{attacked.box_id}")
    _assert_ciphertext_only(attacked, [r[2] for r in rows], [r[1] for r in rows])
    for snapshot in (tables, after_tables):
        _assert_no_mark_in_box_rows(snapshot)
        sealed = [r for r in snapshot["box_sealed_ballot"] if r["box_id"] == attacked.box_id]
        _assert_ciphertext_only(attacked, [r["content"] for r in sealed],
                                [r["tracker"] for r in sealed])
    assert "ballot.cast" not in dump
    box_row = next(r for r in after_tables["box"] if r["id"] == attacked.box_id)
    _assert_decryption_needs_k(attacked, json.loads(box_row["sums"]))
    _assert_no_entry_per_ballot(list(_db.session.execute(
        select(AuditEntry.action).where(AuditEntry.seq > attacked.seq_at_open)
        .order_by(AuditEntry.seq)).scalars()))
    _assert_counted(attacked)
