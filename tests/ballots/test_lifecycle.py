"""The life of a confidence round: draft → attendance → voting → closed → counted → finalised.

Every step writes exactly one audit entry; a step out of order is refused with InvalidState and
changes nothing; a bad ballot is refused with ValidationFailed and stores nothing; the count,
its percentages and bands are checked against numbers worked out by hand here (never by calling
evalapp.tally.rules, which would only compare the rules with themselves).
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from evalapp.audit.services import verify_chain
from evalapp.auth.permissions import SYSTEM
from evalapp.ballots import builder, services
from evalapp.ballots.models import BallotCandidate, BallotCount, BallotRound, RoundStatus
from evalapp.box import crypto
from evalapp.box import services as box
from evalapp.box.models import BoxSealedBallot
from evalapp.core.errors import InvalidState, NotAllowed, ValidationFailed
from evalapp.org.models import UnitKind
from evalapp.org.services import PersonData, create_unit, save_post, update_person, update_unit
from evalapp.tally.rules import Band, Base, Level, Scale
from tests.ballots.conftest import (
    ORDER,
    advance,
    entries_after,
    last_seq,
    make_people,
    marks,
    secret_ballots,
    secret_counts,
)

HIGH, CONF, LOW = Level.HIGH.value, Level.CONFIDENCE.value, Level.LOW.value
NO_CONF = Level.NO_CONFIDENCE.value
D = Decimal


def _one_entry(seq, action, round_):
    entries = entries_after(seq)
    assert [e.action for e in entries] == [action]
    assert entries[0].target_type == "ballot_round"
    assert entries[0].target_id == str(round_.id)
    return entries[0]


# ---------------------------------------------------------------- the happy path


def test_every_step_writes_exactly_one_audit_entry(meeting, db):
    m = meeting(voters=3, candidates=2, state=RoundStatus.DRAFT)
    r = m.round
    assert r.status is RoundStatus.DRAFT
    made = [e.action for e in entries_after(0) if e.target_type == "ballot_round"]
    assert made == ["ballot_round.created", "ballot_round.candidates_added",
                    "ballot_round.voters_added", *["ballot_round.key_registered"] * 3]

    def step(call, action, status):
        seq = last_seq()
        call()
        db.session.commit()
        r_ = m.reload()
        assert r_.status is status
        return _one_entry(seq, action, r_)

    step(lambda: services.start_attendance(SYSTEM, m.round), "ballot_round.attendance_started",
         RoundStatus.ATTENDANCE)
    entry = step(lambda: services.set_attendance(SYSTEM, m.round,
                                                 [v.id for v in m.round.voters]),
                 "ballot_round.attendance_recorded", RoundStatus.ATTENDANCE)
    assert '"present":3' in entry.details and '"summoned":3' in entry.details
    assert m.round.opened_at is None
    entry = step(lambda: services.open_voting(SYSTEM, m.round), "ballot_round.voting_opened",
                 RoundStatus.VOTING)
    assert '"present":3' in entry.details and '"summoned":3' in entry.details
    assert m.round.opened_at is not None
    assert (m.round.summoned_count, m.round.present_count) == (3, 3)
    for voter in m.voters:
        # No entry per ballot: its time would give the order of casting.
        seq = last_seq()
        services.cast_ballot(voter, m.round, marks(m.round, [HIGH, LOW]))
        db.session.commit()
        assert entries_after(seq) == []
    entry = step(lambda: services.close_voting(SYSTEM, m.round), "ballot_round.voting_closed",
                 RoundStatus.CLOSED)
    assert '"ballots":3' in entry.details and m.round.closed_at is not None
    seq = last_seq()
    db.session.commit()  # end the reading transaction: the checkpoint waits for every writer
    box.scrub_storage()  # housekeeping, not a state change: no entry
    assert entries_after(seq) == []
    for number in (1, 2):  # the counting team unlocks two shares of three: one entry each
        step(lambda n=number: builder.unlock(m.round, [n]), "ballot_round.share_unlocked",
             RoundStatus.CLOSED)
    entry = step(lambda: services.count_round(SYSTEM, m.round), "ballot_round.counted",
                 RoundStatus.COUNTED)
    assert m.round.box_digest and m.round.box_digest in entry.details
    assert m.round.counted_at is not None
    step(lambda: services.finalise_round(SYSTEM, m.round), "ballot_round.finalised",
         RoundStatus.FINALISED)
    assert m.round.finalised_at is not None
    step(lambda: services.publish_results(SYSTEM, m.round), "ballot_round.published",
         RoundStatus.FINALISED)
    assert m.round.published_at is not None
    assert verify_chain() is None


# ---------------------------------------------------------------- quorum


@pytest.mark.parametrize("summoned, present, opens", [
    (10, 6, False), (10, 7, True), (9, 5, False), (9, 6, True), (3, 1, False), (3, 2, True),
    (1, 0, False), (1, 1, True),
])
def test_voting_opens_only_with_two_thirds_present(meeting, db, summoned, present, opens):
    m = meeting(voters=summoned, candidates=1, state=RoundStatus.ATTENDANCE)
    wanted = {p.id for p in m.voters[:present]}
    services.set_attendance(SYSTEM, m.round, [v.id for v in m.round.voters
                                              if v.person_id in wanted])
    db.session.commit()
    seq = last_seq()
    if opens:
        services.open_voting(SYSTEM, m.round)
        db.session.commit()
        r = m.reload()
        assert r.status is RoundStatus.VOTING
        assert (r.summoned_count, r.present_count) == (summoned, present)
        _one_entry(seq, "ballot_round.voting_opened", r)
        return
    with pytest.raises(InvalidState) as refused:
        services.open_voting(SYSTEM, m.round)
    assert refused.value.params == {"present": present, "summoned": summoned}
    db.session.commit()  # even a careless caller that commits records nothing
    r = m.reload()
    assert r.status is RoundStatus.ATTENDANCE
    assert (r.summoned_count, r.present_count, r.opened_at) == (None, None, None)
    assert entries_after(seq) == []


# ---------------------------------------------------------------- every step out of order


def _snapshot(db, round_id):
    """Everything about a round that a step could change."""
    db.session.expire_all()
    r = db.session.get(BallotRound, round_id)
    columns = {a.key: getattr(r, a.key) for a in inspect(BallotRound).column_attrs}
    return {
        "round": columns,
        "candidates": sorted((c.id, c.person_id, c.position, c.full_name, c.post_name,
                              c.unit_name, c.excluded, c.exclusion_reason)
                             for c in r.candidates),
        "voters": sorted((v.id, v.person_id, v.full_name, v.present) for v in r.voters),
        "officers": sorted((o.user_id, o.role.value) for o in r.officers),
        "secret": secret_counts(round_id),
        "ballots": secret_ballots(round_id),
        "counts": sorted((c.candidate_id, c.level.value, c.count) for c in db.session.execute(
            select(BallotCount).where(BallotCount.round_id == round_id)).scalars()),
        "audit": last_seq(),
    }


def _operations(m, factory):
    """Each step a round can take: (name, call, audit action, states where it is allowed)."""
    r = m.round
    D_, A_, V_, C_, N_, F_ = ORDER

    def extra_person():
        return make_people(m.unit, 1, prefix="Thêm")[0]

    return {
        "update_round": (lambda: services.update_round(
            SYSTEM, r, services.RoundDetails(title="Tên mới", body_name=r.body_name,
                                             unit=r.unit, place="Phòng họp B",
                                             meeting_date=date(2026, 12, 2)),
            base=Base.SUMMONED, bad_line_voids_ballot=False, results_to_candidates=False,
            publish_to_voters=True, secrecy_threshold=2),
            "ballot_round.updated", {D_}),
        "add_candidates": (lambda: services.add_candidates(SYSTEM, r, [extra_person().id]),
                           "ballot_round.candidates_added", {D_}),
        "remove_candidate": (lambda: services.remove_candidate(SYSTEM, r, r.candidates[-1].id),
                             "ballot_round.candidate_removed", {D_}),
        "exclude_candidate": (lambda: services.set_candidate_excluded(
            SYSTEM, r, r.candidates[0].id, "Có thông báo nghỉ hưu"),
            "ballot_round.candidate_excluded", {D_}),
        "reorder_candidates": (lambda: services.reorder_candidates(
            SYSTEM, r, [c.id for c in reversed(r.candidates)]),
            "ballot_round.candidates_reordered", {D_}),
        "add_voters": (lambda: services.add_voters(SYSTEM, r, [extra_person().id]),
                       "ballot_round.voters_added", {D_}),
        "remove_voter": (lambda: services.remove_voter(SYSTEM, r, r.voters[0].id),
                         "ballot_round.voter_removed", {D_}),
        "set_officers": (lambda: services.set_officers(
            SYSTEM, r, chair=factory.user(), secretary=None, counter_head=None, counters=[]),
            "ballot_round.officers_set", {D_, A_}),
        "start_attendance": (lambda: services.start_attendance(SYSTEM, r),
                             "ballot_round.attendance_started", {D_}),
        "set_attendance": (lambda: services.set_attendance(SYSTEM, r, [v.id for v in r.voters]),
                           "ballot_round.attendance_recorded", {A_}),
        "open_voting": (lambda: services.open_voting(SYSTEM, r), "ballot_round.voting_opened",
                        {A_}),
        # voters[3] is present (from attendance on) and has not voted yet.
        # No entry per ballot (its time would give the casting order).
        "cast_ballot": (lambda: services.cast_ballot(m.voters[3], r, marks(r, [HIGH, LOW])),
                        None, {V_}),
        "close_voting": (lambda: services.close_voting(SYSTEM, r),
                         "ballot_round.voting_closed", {V_}),
        "count_round": (lambda: services.count_round(SYSTEM, r), "ballot_round.counted", {C_}),
        "finalise_round": (lambda: services.finalise_round(SYSTEM, r),
                           "ballot_round.finalised", {N_}),
        # Publishing shows the results to the voters; it changes nothing in the round's content
        # and is allowed once counted, before or after finalising.
        "publish_results": (lambda: services.publish_results(SYSTEM, r),
                            "ballot_round.published", {N_, F_}),
    }


OPERATIONS = ["update_round", "add_candidates", "remove_candidate", "exclude_candidate",
              "reorder_candidates", "add_voters", "remove_voter", "set_officers",
              "start_attendance", "set_attendance", "open_voting", "cast_ballot",
              "close_voting", "count_round", "finalise_round", "publish_results"]


@pytest.mark.parametrize("state", ORDER, ids=[s.value for s in ORDER])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_step_is_allowed_in_its_states_only(meeting, factory, db, state, operation):
    # 4 voters, all present once attendance is taken; the first three vote, the fourth not.
    m = meeting(voters=4, candidates=2, state=state,
                ballots=[[HIGH, LOW], [CONF, LOW], [LOW, HIGH]])
    if state is RoundStatus.ATTENDANCE:  # everyone present, so that voting could open
        services.set_attendance(SYSTEM, m.round, [v.id for v in m.round.voters])
        db.session.commit()
    if state is RoundStatus.CLOSED:  # the counting team has unlocked enough shares to count
        builder.unlock(m.round)
    call, action, allowed = _operations(m, factory)[operation]
    before = _snapshot(db, m.round_id)
    seq = last_seq()
    if state in allowed:
        call()
        db.session.commit()
        entries = [e for e in entries_after(seq) if e.target_type == "ballot_round"]
        assert [e.action for e in entries] == ([action] if action else [])
        assert not entries or entries[0].target_id == str(m.round_id)
        assert _snapshot(db, m.round_id) != before
        return
    with pytest.raises(InvalidState):
        call()
    db.session.commit()  # a caller that commits anyway still records nothing
    after = _snapshot(db, m.round_id)
    # Helpers may have created a person or user outside the round (with their own entries);
    # the round itself and everything in it are untouched.
    round_entries = [e for e in entries_after(seq) if e.target_type == "ballot_round"
                     or e.action.startswith("ballot")]
    assert round_entries == []
    after["audit"] = before["audit"]
    assert after == before


def test_a_finalised_round_refuses_every_change(meeting, factory, db):
    m = meeting(voters=4, candidates=2, state=RoundStatus.FINALISED,
                ballots=[[HIGH, LOW], [CONF, LOW], [LOW, HIGH]])
    operations = _operations(m, factory)
    before = _snapshot(db, m.round_id)
    for name, (call, _action, _allowed) in operations.items():
        if name == "publish_results":
            continue
        with pytest.raises(InvalidState):
            call()
        db.session.rollback()
    # Stored counts cannot be recounted either, and the digest stays.
    after = _snapshot(db, m.round_id)
    after["audit"] = before["audit"] = None
    assert after == before
    assert m.reload().box_digest == before["round"]["box_digest"]


def test_attendance_needs_candidates_and_voters(meeting, db):
    m = meeting(voters=1, candidates=1, state=RoundStatus.DRAFT)
    services.set_candidate_excluded(SYSTEM, m.round, m.round.candidates[0].id, "Nghỉ ốm dài")
    db.session.commit()
    with pytest.raises(InvalidState):
        services.start_attendance(SYSTEM, m.round)  # the only candidate is excluded
    services.remove_voter(SYSTEM, m.round, m.round.voters[0].id)
    services.set_candidate_excluded(SYSTEM, m.round, m.round.candidates[0].id, None)
    db.session.commit()
    seq = last_seq()
    with pytest.raises(InvalidState):
        services.start_attendance(SYSTEM, m.round)  # nobody summoned
    db.session.commit()
    assert m.reload().status is RoundStatus.DRAFT and entries_after(seq) == []


# ---------------------------------------------------------------- snapshots and exclusions


def test_candidates_and_voters_are_snapshots_of_the_directory(meeting, factory, db):
    unit = create_unit(SYSTEM, name="Sở Tài chính", kind=UnitKind.DEPARTMENT, parent=None)
    other_unit = create_unit(SYSTEM, name="Sở Xây dựng", kind=UnitKind.DEPARTMENT, parent=None)
    director = save_post(SYSTEM, None, name="Giám đốc Sở", rank=1, is_leadership=True)
    deputy = save_post(SYSTEM, None, name="Phó Giám đốc Sở", rank=2, is_leadership=True)
    db.session.commit()
    person = factory.person("Trần Thị Bình", unit, post=director)
    m = meeting(voters=2, candidates=1, state=RoundStatus.DRAFT, unit=unit)
    services.add_candidates(SYSTEM, m.round, [person.id])
    services.add_voters(SYSTEM, m.round, [person.id])
    db.session.commit()

    def as_on_the_ballot():
        db.session.expire_all()
        c = db.session.execute(select(BallotCandidate).where(
            BallotCandidate.round_id == m.round_id,
            BallotCandidate.person_id == person.id)).scalar_one()
        v = next(v for v in services.get_round(m.round_id).voters if v.person_id == person.id)
        return (c.full_name, c.post_name, c.unit_name, v.full_name, v.unit_name)

    expected = ("Trần Thị Bình", "Giám đốc Sở", "Sở Tài chính", "Trần Thị Bình", "Sở Tài chính")
    assert as_on_the_ballot() == expected
    # The directory changes: a new name, a new post in another unit, the unit and post renamed.
    update_person(SYSTEM, person, PersonData(full_name="Trần Thị Bình An", unit=other_unit,
                                             staff_code=person.staff_code, post=deputy,
                                             gender=person.gender,
                                             birth_year=person.birth_year))
    update_unit(SYSTEM, unit, name="Sở Tài chính – Kế hoạch", kind=unit.kind, parent=None,
                short_name=None, code=None, position=0)
    save_post(SYSTEM, director, name="Giám đốc", rank=1, is_leadership=True)
    db.session.commit()
    assert as_on_the_ballot() == expected
    advance(m, RoundStatus.COUNTED, ballots=[[HIGH, HIGH], [LOW, HIGH]])
    assert as_on_the_ballot() == expected


def test_exclusion_needs_a_reason_and_excluded_people_are_neither_on_the_ballot_nor_counted(
        meeting, db):
    m = meeting(voters=3, candidates=3, state=RoundStatus.DRAFT)
    r = m.round
    out, *kept = r.candidates
    out_id, kept_ids = out.id, [c.id for c in kept]

    # A blank reason excludes nobody.
    services.set_candidate_excluded(SYSTEM, r, out_id, "   ")
    db.session.commit()
    assert not m.reload().candidates[0].excluded
    # Nor can the database hold an exclusion without a reason.
    with pytest.raises(IntegrityError):
        db.session.execute(update(BallotCandidate).where(BallotCandidate.id == out_id)
                           .values(excluded=True, exclusion_reason=None))
        db.session.flush()
    db.session.rollback()

    seq = last_seq()
    services.set_candidate_excluded(SYSTEM, m.reload(), out_id, "Được bổ nhiệm trong năm")
    db.session.commit()
    entry = _one_entry(seq, "ballot_round.candidate_excluded", m.reload())
    assert "Được bổ nhiệm trong năm" in entry.details
    candidate = db.session.get(BallotCandidate, out_id)
    assert candidate.excluded and candidate.exclusion_reason == "Được bổ nhiệm trong năm"
    assert [c.id for c in m.round.active_candidates] == kept_ids

    advance(m, RoundStatus.VOTING)
    r = m.round
    # A ballot that rates the excluded person is refused, stores nothing...
    with pytest.raises(ValidationFailed):
        services.cast_ballot(m.voters[0], r, {out_id: LOW, kept_ids[0]: HIGH,
                                              kept_ids[1]: HIGH})
    db.session.commit()
    assert secret_counts(r.id) == {"participation": 0, "ballot": 0, "readable": 0}
    # ...and a ballot without them is complete.
    for voter in m.voters:
        services.cast_ballot(voter, r, {kept_ids[0]: HIGH, kept_ids[1]: LOW})
        db.session.commit()
    advance(m, RoundStatus.COUNTED)
    tally = services.tally_of(m.round)
    assert [c.candidate_id for c in tally.candidates] == kept_ids
    stored = {c.candidate_id for c in db.session.execute(
        select(BallotCount).where(BallotCount.round_id == r.id)).scalars()}
    assert stored == set(kept_ids)


# ---------------------------------------------------------------- bad ballots


def _ballot_cases():
    # (id, scale, how to spoil a complete ballot {candidate_id: level})
    def drop_last(ballot):
        return dict(list(ballot.items())[:-1])

    def first(ballot, value):
        spoiled = dict(ballot)
        spoiled[next(iter(ballot))] = value
        return spoiled

    three, two = Scale.THREE_LEVEL, Scale.TWO_LEVEL
    return [
        ("missing-line", three, drop_last),
        ("empty-ballot", three, lambda b: {}),
        ("blank-mark", three, lambda b: first(b, "")),
        ("none-mark", three, lambda b: first(b, None)),
        ("unknown-candidate", three, lambda b: {**b, 999_999: HIGH}),
        ("candidate-id-as-text", three, lambda b: {str(k): v for k, v in b.items()}),
        ("level-not-on-scale", three, lambda b: first(b, "medium")),
        ("level-in-capitals", three, lambda b: first(b, "HIGH")),
        ("no-confidence-on-three-levels", three, lambda b: first(b, NO_CONF)),
        ("low-on-two-levels", two, lambda b: first(b, LOW)),
        ("high-on-two-levels", two, lambda b: first(b, HIGH)),
        ("missing-line-two-levels", two, drop_last),
    ]


@pytest.mark.parametrize("scale, spoil", [c[1:] for c in _ballot_cases()],
                         ids=[c[0] for c in _ballot_cases()])
def test_an_incomplete_or_tampered_ballot_is_refused_and_stores_nothing(meeting, db, scale,
                                                                        spoil):
    m = meeting(voters=3, candidates=3, scale=scale)
    r = m.round
    good = marks(r, [CONF, CONF, CONF])
    seq = last_seq()
    with pytest.raises(ValidationFailed):
        services.cast_ballot(m.voters[0], r, spoil(good))
    db.session.commit()  # even committing after the refusal stores nothing
    assert secret_counts() == {"participation": 0, "ballot": 0, "readable": 0}
    assert entries_after(seq) == []
    assert not services.has_voted(r, m.voters[0].id)
    # The voter corrects the ballot and it goes in.
    tracker = services.cast_ballot(m.voters[0], r, good)
    db.session.commit()
    assert secret_counts() == {"participation": 1, "ballot": 1, "readable": 0}
    assert services.trackers(r) == [tracker]


def test_only_present_voters_on_the_roll_may_cast(meeting, db):
    m = meeting(voters=4, candidates=2, present=3)
    stranger = make_people(m.unit, 1, prefix="Khách")[0]
    other = meeting(voters=3, candidates=2)  # on another round's roll
    ballot = marks(m.round, [HIGH, HIGH])
    seq = last_seq()
    for person in (m.voters[3], stranger, other.voters[0]):
        with pytest.raises(NotAllowed):
            services.cast_ballot(person, m.round, ballot)
        db.session.commit()
    assert secret_counts() == {"participation": 0, "ballot": 0, "readable": 0}
    assert entries_after(seq) == []


# ---------------------------------------------------------------- counting


def _counts(tally, candidate_id):
    return next(c for c in tally.candidates if c.candidate_id == candidate_id)


def test_counting_seven_ballots_of_eight_present_of_nine_summoned(meeting, db):
    ballots = [  # A, B, C
        [LOW, LOW, HIGH],
        [LOW, LOW, HIGH],
        [LOW, LOW, HIGH],
        [LOW, LOW, CONF],
        [LOW, CONF, CONF],
        [CONF, CONF, CONF],
        [HIGH, HIGH, LOW],
    ]
    m = meeting(voters=9, candidates=3, present=8, ballots=ballots)
    advance(m, RoundStatus.COUNTED)
    r = m.round
    a, b, c = (x.id for x in r.active_candidates)
    assert (r.summoned_count, r.present_count) == (9, 8)
    # Each present member got a ballot; one did not put it in the box.
    assert (r.issued_count, r.collected_count, r.valid_count, r.invalid_count) == (8, 7, 7, 0)
    assert r.base is Base.COLLECTED
    assert services.below_secrecy_threshold(r) is False  # 7 >= 5

    for tally in (services.tally_of(r),):  # from the stored counts
        assert tally.base_value == 7
        # A: 1 high, 1 confidence, 5 low of 7: 14.2857 → 14.29, 71.428 → 71.43; 3*5 >= 2*7.
        ra = _counts(tally, a)
        assert dict(ra.counts) == {Level.HIGH: 1, Level.CONFIDENCE: 1, Level.LOW: 5}
        assert dict(ra.percents) == {Level.HIGH: D("14.29"), Level.CONFIDENCE: D("14.29"),
                                     Level.LOW: D("71.43")}
        assert ra.band is Band.TWO_THIRDS and ra.blank == 0
        # B: 1, 2, 4 of 7: 28.571 → 28.57, 57.142 → 57.14; 2*4 > 7 and 3*4 < 2*7.
        rb = _counts(tally, b)
        assert dict(rb.counts) == {Level.HIGH: 1, Level.CONFIDENCE: 2, Level.LOW: 4}
        assert dict(rb.percents) == {Level.HIGH: D("14.29"), Level.CONFIDENCE: D("28.57"),
                                     Level.LOW: D("57.14")}
        assert rb.band is Band.OVER_HALF
        # C: 3, 3, 1 of 7: 42.857 → 42.86.
        rc = _counts(tally, c)
        assert dict(rc.counts) == {Level.HIGH: 3, Level.CONFIDENCE: 3, Level.LOW: 1}
        assert dict(rc.percents) == {Level.HIGH: D("42.86"), Level.CONFIDENCE: D("42.86"),
                                     Level.LOW: D("14.29")}
        assert rc.band is None
        for result in tally.candidates:
            for value in result.percents.values():
                assert isinstance(value, Decimal) and value.as_tuple().exponent == -2

    stored = {(x.candidate_id, x.level): x.count for x in db.session.execute(
        select(BallotCount).where(BallotCount.round_id == r.id)).scalars()}
    assert stored == {(a, Level.HIGH): 1, (a, Level.CONFIDENCE): 1, (a, Level.LOW): 5,
                      (b, Level.HIGH): 1, (b, Level.CONFIDENCE): 2, (b, Level.LOW): 4,
                      (c, Level.HIGH): 3, (c, Level.CONFIDENCE): 3, (c, Level.LOW): 1}


def test_counting_against_the_members_summoned_rounds_half_up(meeting, db):
    # assembly-2014: percentages of the 32 members summoned, whoever came. 22 present is the
    # smallest quorum (22*3 = 66 >= 64; 21*3 = 63 < 64). 1/32 = 3.125 % → 3.13 half up (banker's
    # rounding would give 3.12), 21/32 = 65.625 % → 65.63, 22/32 = 68.75 %, 6/32 = 18.75 %.
    ballots = []
    for k in range(22):  # X, Y, Z, W
        ballots.append([LOW if k == 0 else HIGH, HIGH if k == 0 else LOW, LOW,
                        LOW if k < 16 else CONF])
    m = meeting(voters=32, candidates=4, preset="assembly-2014", present=22, ballots=ballots)
    advance(m, RoundStatus.COUNTED)
    r = m.round
    assert r.base is Base.SUMMONED
    assert (r.summoned_count, r.present_count, r.issued_count, r.collected_count,
            r.valid_count, r.invalid_count) == (32, 22, 22, 22, 22, 0)
    tally = services.tally_of(r)
    assert tally.base_value == 32
    x, y, z, w = (_counts(tally, c.id) for c in r.active_candidates)
    assert dict(x.percents) == {Level.HIGH: D("65.63"), Level.CONFIDENCE: D("0.00"),
                                Level.LOW: D("3.13")}
    assert x.band is None
    # 21 of 32 low: more than half (42 > 32), under two thirds (63 < 64).
    assert dict(y.percents) == {Level.HIGH: D("3.13"), Level.CONFIDENCE: D("0.00"),
                                Level.LOW: D("65.63")}
    assert y.band is Band.OVER_HALF
    # 22 of 32 low: two thirds or more (66 >= 64) — although every ballot cast said low, the
    # base is the members summoned.
    assert dict(z.counts) == {Level.HIGH: 0, Level.CONFIDENCE: 0, Level.LOW: 22}
    assert z.percents[Level.LOW] == D("68.75") and z.band is Band.TWO_THIRDS
    # 16 of 32: exactly one half is in no band.
    assert dict(w.percents) == {Level.HIGH: D("0.00"), Level.CONFIDENCE: D("18.75"),
                                Level.LOW: D("50.00")}
    assert w.band is None


def test_a_two_level_round_flags_no_confidence_above_one_half(meeting, db):
    ballots = []
    for k in range(8):  # P: 5 of 8 no confidence, Q: 4 of 8, R: 8 of 8
        ballots.append([NO_CONF if k < 5 else CONF, NO_CONF if k < 4 else CONF, NO_CONF])
    m = meeting(voters=8, candidates=3, scale=Scale.TWO_LEVEL, ballots=ballots)
    advance(m, RoundStatus.COUNTED)
    tally = services.tally_of(m.round)
    p, q, r = (_counts(tally, c.id) for c in m.round.active_candidates)
    assert dict(p.counts) == {Level.CONFIDENCE: 3, Level.NO_CONFIDENCE: 5}
    assert dict(p.percents) == {Level.CONFIDENCE: D("37.50"), Level.NO_CONFIDENCE: D("62.50")}
    assert p.band is Band.NO_CONFIDENCE
    assert dict(q.percents) == {Level.CONFIDENCE: D("50.00"), Level.NO_CONFIDENCE: D("50.00")}
    assert q.band is None
    # All eight: still NO_CONFIDENCE; a two-level round has no two-thirds band.
    assert r.percents[Level.NO_CONFIDENCE] == D("100.00") and r.band is Band.NO_CONFIDENCE


def test_results_of_a_round_with_fewer_ballots_than_the_threshold_are_flagged(meeting, db):
    small = meeting(voters=4, candidates=1, ballots=[[HIGH]] * 4)
    advance(small, RoundStatus.COUNTED)
    assert small.round.secrecy_threshold == 5  # the preset's
    assert small.round.collected_count == 4
    assert services.below_secrecy_threshold(small.round) is True

    at_threshold = meeting(voters=5, candidates=1, ballots=[[HIGH]] * 5)
    advance(at_threshold, RoundStatus.COUNTED)
    assert services.below_secrecy_threshold(at_threshold.round) is False

    lowered = meeting(voters=4, candidates=1, state=RoundStatus.DRAFT)
    r = lowered.round
    services.update_round(SYSTEM, r, services.RoundDetails(
        title=r.title, body_name=r.body_name, unit=r.unit), base=r.base,
        bad_line_voids_ballot=True, results_to_candidates=True, publish_to_voters=False,
        secrecy_threshold=4)
    db.session.commit()
    advance(lowered, RoundStatus.COUNTED, ballots=[[LOW]] * 4)
    assert services.below_secrecy_threshold(lowered.round) is False


# ---------------------------------------------------------------- trackers and the digest


def test_trackers_are_distinct_and_the_digest_seals_the_box(meeting, db):
    m = meeting(voters=6, candidates=2)
    r = m.round
    returned = []
    for i, voter in enumerate(m.voters):
        returned.append(services.cast_ballot(voter, r, marks(r, [(HIGH, CONF, LOW)[i % 3],
                                                                 LOW])))
        db.session.commit()
    assert all(re.fullmatch(r"[0-9a-f]{64}", t) for t in returned)
    assert len(set(returned)) == 6
    # A tracker is the hash of the encrypted ballot stored with it (and nothing readable is).
    stored = dict(db.session.execute(
        select(BoxSealedBallot.tracker, BoxSealedBallot.content)).all())
    assert set(stored) == set(returned)
    assert all(crypto.tracker(json.loads(c)) == t for t, c in stored.items())
    digest_while_open = services.box_digest(r)

    advance(m, RoundStatus.CLOSED)
    r = m.round
    assert services.trackers(r) == sorted(returned)
    # Closing shuffles the rows (new physical order) but the content is the same box.
    assert services.box_digest(r) == digest_while_open
    advance(m, RoundStatus.COUNTED)
    r = m.round
    assert r.box_digest == digest_while_open
    assert re.fullmatch(r"[0-9a-f]{64}", r.box_digest)
    assert services.trackers(r) == sorted(returned)

    # Altering one ciphertext in the database changes the recomputed digest...
    original = stored[returned[0]]
    changed = json.loads(original)
    alpha = changed["ciphertexts"][0][0][0]
    changed["ciphertexts"][0][0][0] = alpha[:-1] + ("0" if alpha[-1] != "0" else "1")
    db.session.execute(update(BoxSealedBallot).where(BoxSealedBallot.tracker == returned[0])
                       .values(content=json.dumps(changed)))
    db.session.commit()
    assert services.box_digest(m.reload()) != r.box_digest
    # ...and putting it back restores it.
    db.session.execute(update(BoxSealedBallot).where(BoxSealedBallot.tracker == returned[0])
                       .values(content=original))
    db.session.commit()
    assert services.box_digest(m.reload()) == r.box_digest
    # So does a deleted ballot.
    db.session.execute(text("DELETE FROM box_sealed_ballot WHERE tracker = :t"),
                       {"t": returned[0]})
    db.session.commit()
    assert services.box_digest(m.reload()) != r.box_digest
