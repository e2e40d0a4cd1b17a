"""The ballot box through evalapp.box alone, and as confidence rounds use it.

A box is owned by anything (here a test owner, or a ballot round), stores ballots of any scale,
spends each right once, closes by rewriting only its own rows, and counts under its owner's
rule for bad lines.
"""

from __future__ import annotations

import logging
import random
import re
from collections import Counter
from dataclasses import dataclass

import pytest
from flask import render_template_string
from flask_babel import gettext
from sqlalchemy import func, select, text

from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.auth.services import create_api_token
from evalapp.ballots import services as ballots
from evalapp.ballots.models import RoundStatus
from evalapp.box import services as box
from evalapp.box.models import (
    SECRET_MODELS,
    BoxBallot,
    BoxCode,
    BoxSealedBallot,
    BoxStatus,
    partition_name,
)
from evalapp.core.errors import AlreadyVoted, InvalidState, ValidationFailed
from evalapp.extensions import db as _db
from evalapp.tally import rules
from evalapp.tally.rules import Base, Level, RoundCounts, Scale
from tests.ballots.conftest import advance, marks, meeting  # noqa: F401 - a fixture
from tests.box.conftest import OWNER, cast_all, open_test_box
from tests.conftest import DB_KIND

EVALUATION = Scale.EVALUATION
HTXS, HTT, HTNV, KHT = (level.value for level in EVALUATION.levels)
LEVEL_WORDS = re.compile(r"\b(high|low|confidence|no_confidence|htxs|htt|htnv|kht)\b")


# ---------------------------------------------------------------- four levels, the box alone


def test_a_four_level_box_is_cast_closed_and_counted_through_the_box_alone(db, people):
    voters = people(6)
    opened = open_test_box(EVALUATION, 3)
    assert [(line.number, line.subject_id) for line in opened.lines] == [
        (1, 101), (2, 102), (3, 103)]
    written = [{1: HTXS, 2: HTT, 3: KHT}, {1: HTT, 2: HTT, 3: HTNV}, {1: HTXS, 2: HTNV, 3: HTNV},
               {1: HTNV, 2: KHT, 3: HTT}, {1: HTXS, 2: HTT, 3: HTT}]
    trackers = cast_all(opened, voters[:5], [box.WrittenBallot(marks=m) for m in written])
    assert len(set(trackers)) == 5 and all(re.fullmatch(r"[0-9a-f]{32}", t) for t in trackers)

    # One right, one ballot; a level of another scale is not a mark of this box.
    with pytest.raises(AlreadyVoted):
        box.cast(opened, box.KnownVoter(voters[0].id), box.WrittenBallot(marks=written[0]))
    db.session.rollback()
    with pytest.raises(ValidationFailed):
        box.cast(opened, box.KnownVoter(voters[5].id),
                 box.WrittenBallot(marks={1: "high", 2: HTT, 3: HTT}))
    db.session.rollback()
    assert box.voted(opened) == 5
    assert box.KnownVoter(voters[0].id).is_spent(opened)
    assert not box.KnownVoter(voters[5].id).is_spent(opened)
    # No ballot wrote an audit entry: its time would give the order of casting.
    assert not db.session.execute(select(AuditEntry).where(
        AuditEntry.target_type == OWNER)).scalars().all()

    with pytest.raises(InvalidState):  # counted once closed
        box.count_box(opened, issued=6)
    digest_open = box.digest(opened)
    assert box.close_box(opened) == 5
    db.session.commit()
    assert opened.status == BoxStatus.CLOSED
    with pytest.raises(InvalidState):  # a closed box takes no ballot
        box.cast(opened, box.KnownVoter(voters[5].id),
                 box.WrittenBallot(marks={1: HTT, 2: HTT, 3: HTT}))
    db.session.rollback()
    with pytest.raises(InvalidState):
        box.close_box(opened)
    db.session.rollback()

    counted = box.count_box(opened, issued=6)
    db.session.commit()
    expected = Counter((line, level) for ballot in written for line, level in ballot.items())
    assert dict(counted.marks) == dict(expected)
    assert (counted.issued, counted.collected, counted.valid, counted.invalid) == (6, 5, 5, 0)
    assert counted.line_invalid == {1: 0, 2: 0, 3: 0}
    assert counted.digest == digest_open == opened.digest  # the shuffle kept the content
    assert box.trackers(opened) == sorted(trackers)
    by_subject = counted.by_subject(opened)
    assert by_subject[(101, HTXS)] == 3 and by_subject[(103, HTNV)] == 2

    # The tally's rules take the four levels as they take three.
    result = rules.tally(EVALUATION, Base.COLLECTED, RoundCounts(
        summoned=6, present=6, issued=6, collected=5, valid=5, invalid=0), [101, 102, 103],
        {(s, Level(level)): n for (s, level), n in by_subject.items()})
    first = result.candidates[0]
    assert list(first.counts) == list(EVALUATION.levels)
    assert [str(p) for p in first.percents.values()] == ["60.00", "20.00", "20.00", "0.00"]
    assert first.band is None  # evaluation has no bands of one level's share


# ---------------------------------------------------------------- every scale


@dataclass
class Subject:
    id: int
    full_name: str
    post_name: str | None = None


def _render_results(app, tally, names: dict[int, str]) -> str:
    subjects = {i: Subject(i, name) for i, name in names.items()}
    with app.test_request_context("/"):
        return render_template_string(
            '{% from "box/_results.html" import results_table %}'
            "{{ results_table(tally, subjects, shown, True) }}",
            tally=tally, subjects=subjects, shown=set(subjects))


@pytest.mark.parametrize("scale", list(Scale))
def test_each_scale_casts_counts_and_renders(app, db, people, scale):
    """A box on the scale is cast, closed, counted, tallied and its results table rendered:
    the scale's own levels, with their (Vietnamese) labels and counts, in ballot order."""
    voters = people(7)
    opened = open_test_box(scale, 2)
    rng = random.Random(f"{scale}")
    written = [{1: rng.choice(scale.levels).value, 2: rng.choice(scale.levels).value}
               for _ in voters]
    cast_all(opened, voters, [box.WrittenBallot(marks=m) for m in written])
    box.close_box(opened)
    db.session.commit()
    counted = box.count_box(opened, issued=7)
    result = rules.tally(scale, Base.COLLECTED, RoundCounts(
        summoned=7, present=7, issued=7, collected=7, valid=7, invalid=0), [101, 102],
        {(s, Level(level)): n for (s, level), n in counted.by_subject(opened).items()})
    by_hand = Counter((100 + line, level) for ballot in written for line, level in ballot.items())
    for line in result.candidates:
        assert {level.value: n for level, n in line.counts.items()} == {
            level.value: by_hand[(line.candidate_id, level.value)] for level in scale.levels}

    page = _render_results(app, result, {101: "Nguyễn Văn Một", 102: "Trần Thị Hai"})
    labels = [gettext(level.label) for level in scale.levels]
    headings = re.findall(r'<th scope="colgroup" colspan="2" class="text-center">(.*?)</th>',
                          page)
    assert headings == labels
    assert all(label != level.label for label, level in zip(labels, scale.levels, strict=True))
    for line in result.candidates:
        row = page[page.index(f'id="result-{line.candidate_id}"'):]
        row = row[:row.index("</tr>")]
        cells = re.findall(r'class="text-end result-count count-([a-z_]+)">(\d+)</td>', row)
        assert cells == [(level.value, str(line.counts[level])) for level in scale.levels]


@pytest.mark.parametrize("scale", [Scale.THREE_LEVEL, Scale.TWO_LEVEL])
def test_confidence_rounds_on_their_scales_render_the_scale_on_their_pages(
        app, meeting, factory, login_as, db, scale):  # noqa: F811 - the fixture
    levels = [level.value for level in scale.levels]
    ballots_cast = [[levels[i % len(levels)], levels[-1]] for i in range(4)]
    m = meeting(voters=4, candidates=2, scale=scale, ballots=ballots_cast,
                state=RoundStatus.COUNTED)
    client = login_as(factory.user("kiemtra", roles=(Role.ADMIN,), unit=m.unit))
    # Four ballots, under the secrecy threshold: the page asks for an acknowledgement first.
    page = client.get(f"/ballots/{m.round_id}/results?acknowledged=1").get_data(as_text=True)
    headings = re.findall(r'<th scope="colgroup" colspan="2" class="text-center">(.*?)</th>',
                          page)
    assert headings == [gettext(level.label) for level in scale.levels]
    round_page = client.get(f"/ballots/{m.round_id}").get_data(as_text=True)
    assert gettext(scale.size_label) in round_page
    second = ballots.tally_of(m.reload()).candidates[1]
    assert second.counts[scale.levels[-1]] == 4 and second.band is scale.bands[-1]


# ---------------------------------------------------------------- the bad-line rule


@pytest.mark.parametrize("voids", [True, False], ids=["voids-the-ballot", "voids-the-line"])
def test_the_owners_bad_line_rule_is_honoured_by_the_count(db, people, voids):
    """Browser ballots cannot have a bad line (an encrypted ballot proves one mark per line),
    but ballots written with one in a plain box (as paper entry writes them) are counted by the
    owner's rule: the whole ballot invalid, or only the line, the base staying the ballots
    collected."""
    voters = people(6)
    high, conf, low = Level.HIGH.value, Level.CONFIDENCE.value, Level.LOW.value
    opened = open_test_box(Scale.THREE_LEVEL, 3, bad_line_voids_ballot=voids)
    cast_all(opened, voters, [
        box.WrittenBallot(marks={1: high, 2: low, 3: conf}),
        box.WrittenBallot(marks={1: high, 2: high, 3: low}),
        box.WrittenBallot(marks={1: low, 3: high}),      # line 2 left out
        box.WrittenBallot(marks={1: conf}),              # lines 2 and 3 left out
        box.WrittenBallot(valid=False),                  # invalid as a whole
        box.WrittenBallot(marks={})])                    # every line left out
    box.close_box(opened)
    db.session.commit()
    counted = box.count_box(opened, issued=6)
    marks_of = {line: {level: counted.marks.get((line, level), 0) for level in (high, conf, low)}
                for line in (1, 2, 3)}
    assert (counted.collected, counted.issued) == (6, 6)
    if voids:
        assert (counted.valid, counted.invalid) == (2, 4)
        assert marks_of == {1: {high: 2, conf: 0, low: 0}, 2: {high: 1, conf: 0, low: 1},
                            3: {high: 0, conf: 1, low: 1}}
        assert counted.line_invalid == {1: 0, 2: 0, 3: 0}
    else:
        assert (counted.valid, counted.invalid) == (5, 1)
        assert marks_of == {1: {high: 2, conf: 1, low: 1}, 2: {high: 1, conf: 0, low: 1},
                            3: {high: 1, conf: 1, low: 1}}
        assert counted.line_invalid == {1: 1, 2: 3, 3: 2}  # lines left out, per line


def test_a_ballot_that_does_not_fit_the_box_is_refused_without_repeating_it(db, people):
    voters = people(2)
    opened = open_test_box(Scale.THREE_LEVEL, 2)
    for written in (box.WrittenBallot(marks={1: "high", 7: "low"}),          # no line 7
                    box.WrittenBallot(marks={1: "high", 2: "no_confidence"}),  # other scale
                    box.WrittenBallot(marks={1: "high"}, valid=False)):       # invalid, marked
        with pytest.raises(ValidationFailed) as refused:
            box.cast(opened, box.KnownVoter(voters[0].id), written)
        said = refused.value.text() + repr(refused.value.params)
        assert not LEVEL_WORDS.search(said) and "7" not in said
        db.session.rollback()
    assert box.voted(opened) == 0
    assert _db.session.execute(select(func.count()).select_from(BoxBallot)).scalar_one() == 0


# ---------------------------------------------------------------- closing costs its own box


def _other_rows(boxes) -> dict:
    """Where each secret row of these boxes is stored: PostgreSQL (ctid, xmin); SQLite the
    rows themselves (the WITHOUT ROWID tables have no row address)."""
    found = {}
    for opened in boxes:
        for model in SECRET_MODELS:
            columns = ", ".join(c.name for c in model.__table__.columns)
            address = "ctid::text, xmin::text, " if DB_KIND == "postgresql" else ""
            found[(opened.id, model.__tablename__)] = sorted(map(tuple, _db.session.execute(text(
                f"SELECT {address}{columns} FROM {model.__tablename__} WHERE box_id = :b"),
                {"b": opened.id})))
    return found


def _tuples_written() -> dict[str, tuple[int, int, int]]:
    """PostgreSQL: rows inserted, updated and deleted by this transaction so far, per table of
    the box area."""
    return {name: (inserted, updated, deleted) for name, inserted, updated, deleted in
            _db.session.execute(text(
                "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del "
                "FROM pg_stat_xact_user_tables "
                "WHERE relname = 'box' OR relname LIKE 'box\\_%'")).all()}


def test_closing_a_box_rewrites_only_that_boxs_rows(db, people):
    voters = people(30)
    rng = random.Random(8)
    levels = [level.value for level in Scale.THREE_LEVEL.levels]
    others = []
    for _ in range(5):
        other = open_test_box(Scale.THREE_LEVEL, 4)
        cast_all(other, voters, [box.WrittenBallot(marks={n: rng.choice(levels)
                                                          for n in range(1, 5)})
                                 for _ in voters])
        others.append(other)
    target = open_test_box(Scale.THREE_LEVEL, 3)
    cast_all(target, voters[:12], [box.WrittenBallot(marks={1: "high", 2: "low", 3: "low"})
                                   for _ in range(12)])
    target_rows = 12 + 12 + 12 * 3 + 12  # participations, ballots, marks, trackers
    other_rows = 5 * (30 + 30 + 30 * 4 + 30)
    before = _other_rows(others)
    assert sum(len(rows) for rows in before.values()) == other_rows
    if DB_KIND == "postgresql":
        files = dict(_db.session.execute(text(
            "SELECT relname, relfilenode FROM pg_class "
            "WHERE relkind = 'r' AND relname LIKE 'box\\_%\\_p%'")).all())
        stats_before = _tuples_written()
    else:
        driver = _db.session.connection().connection.driver_connection
        changes_before = driver.total_changes

    assert box.close_box(target) == 12

    if DB_KIND == "postgresql":
        after = _tuples_written()
        # What this transaction wrote during the close (the counts are the transaction's).
        written = {name: tuple(n - m for n, m in zip(counts, stats_before.get(name, (0, 0, 0)),
                                                      strict=True))
                   for name, counts in after.items()}
        written = {name: counts for name, counts in written.items() if any(counts)}
        mine = {partition_name(model, target.id) for model in SECRET_MODELS}
        # A plain box: its partition of the encrypted ballots is empty, truncated, not written.
        # A plain box without ballot codes: its sealed-ballot and code partitions stay empty.
        filled = mine - {partition_name(BoxSealedBallot, target.id),
                         partition_name(BoxCode, target.id)}
        assert set(written) == filled | {"box"}, written  # and the box's row (its status)
        assert sum(written[name][0] for name in filled) == target_rows
        assert written["box"] == (0, 1, 0)
        renewed = dict(_db.session.execute(text(
            "SELECT relname, relfilenode FROM pg_class "
            "WHERE relkind = 'r' AND relname LIKE 'box\\_%\\_p%'")).all())
        assert {name for name in files if files[name] != renewed[name]} == mine
    else:
        # Every row written by the close: the target's rows deleted and inserted again, and
        # the box's status. None of the other boxes' rows.
        assert driver.total_changes - changes_before == 2 * target_rows + 1
    db.session.commit()
    assert _other_rows(others) == before  # same rows, same places, same transaction ids


@pytest.mark.only_on("postgresql")
def test_casting_in_another_box_goes_on_while_a_box_is_closing(app, db, people):
    """The close holds its own partitions exclusively until it commits; a ballot in another
    open box meanwhile needs none of them (a lock wait would fail it after 2 s)."""
    import threading

    voters = people(4)
    closing = open_test_box(Scale.THREE_LEVEL, 2)
    cast_all(closing, voters[:2], [box.WrittenBallot(marks={1: "high", 2: "low"})] * 2)
    other = open_test_box(Scale.TWO_LEVEL, 2)
    closing_id, other_id = closing.id, other.id
    locked, release = threading.Event(), threading.Event()
    outcome = {}

    def close_and_wait():
        with app.app_context():
            try:
                box.close_box(_db.session.get(box.Box, closing_id))
                locked.set()
                release.wait(timeout=30)
                _db.session.commit()
                outcome["close"] = "closed"
            except Exception as error:  # noqa: BLE001 - reported below
                _db.session.rollback()
                outcome["close"] = repr(error)
            finally:
                locked.set()
                _db.session.remove()

    worker = threading.Thread(target=close_and_wait)
    worker.start()
    try:
        assert locked.wait(timeout=30)
        db.session.execute(text("SET LOCAL lock_timeout = '2s'"))
        opened = db.session.get(box.Box, other_id)
        tracker = box.cast(opened, box.KnownVoter(voters[3].id),
                           box.WrittenBallot(marks={1: "confidence", 2: "no_confidence"}))
        assert box.voted(opened) == 1
        db.session.commit()
    finally:
        release.set()
        worker.join(timeout=60)
    assert outcome["close"] == "closed"
    assert box.trackers(db.session.get(box.Box, other_id)) == [tracker]


# ---------------------------------------------------------------- the scrub, after commit


def _scrubs(caplog) -> int:
    return sum(1 for record in caplog.records
               if record.name == "evalapp.box.services" and "after closing" in record.getMessage())


@pytest.mark.parametrize("closer", ["page", "api", "command"])
def test_the_storage_is_scrubbed_once_after_the_commit_whoever_closes(
        app, meeting, factory, login_as, db, caplog, closer):  # noqa: F811
    caplog.set_level(logging.INFO, logger="evalapp.box.services")
    m = meeting(voters=3, candidates=2, ballots=[["high", "low"]] * 2)
    admin = factory.user("bantochuc", roles=(Role.ADMIN,), unit=m.unit)
    if closer == "page":
        assert login_as(admin).post(f"/ballots/{m.round_id}/close").status_code == 302
    elif closer == "api":
        token = create_api_token(admin, "đóng hòm")[1]
        db.session.commit()
        response = app.test_client().post(
            f"/api/v1/ballot-rounds/{m.round_id}/transitions/close",
            headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.get_data(as_text=True)
    else:  # a command, the demo, a script: services, then one commit
        ballots.close_voting(SYSTEM, m.round)
        assert _scrubs(caplog) == 0  # not before the commit
        db.session.commit()
    assert _scrubs(caplog) == 1
    assert m.reload().status is RoundStatus.CLOSED
    db.session.commit()
    assert _scrubs(caplog) == 1  # a later commit does not run it again


def test_a_close_that_is_rolled_back_scrubs_nothing(meeting, db, caplog):  # noqa: F811
    caplog.set_level(logging.INFO, logger="evalapp.box.services")
    m = meeting(voters=3, candidates=2, ballots=[["high", "low"]])
    ballots.close_voting(SYSTEM, m.round)
    db.session.rollback()
    db.session.commit()
    assert _scrubs(caplog) == 0
    assert m.reload().status is RoundStatus.VOTING
    assert ballots.round_box(m.round).status == BoxStatus.OPEN


def test_the_demo_closes_its_round_and_the_scrub_follows_its_commit(app, db, caplog):
    from evalapp.demo import seed_demo

    caplog.set_level(logging.INFO, logger="evalapp.box.services")
    seed_demo()  # builds its rounds with evalapp.ballots.builder, which commits each step
    # The finished round and the paper round were closed, committed, and each one's storage
    # scrubbed once after that commit (only after a commit: see the two tests above).
    assert _scrubs(caplog) == 2

