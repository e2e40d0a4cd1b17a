"""The collective meeting of a unit (họp tập thể) and its secret opinion ballot.

One meeting per round and unit (`Meeting`): recorded by whoever may run meetings in the round
(evaluations.run_meeting): its date, place, chair and secretary (accounts, chosen as a confidence
round's officers are: officer_candidates), the attendance (the unit's
people rated in the round, present or absent), the comments minuted on each person, and the
mark that the minutes are complete.

If the round's settings ask for it (`round_rules(round_).opinion_ballot`), the meeting holds a
secret opinion ballot: the present members propose one of the four levels for each colleague of
the unit (the unit's rated people, in the order of the list). It is the box of confidence rounds
(evalapp.box) with the same secrecy: the counting team (2 or 3 members) register their locks
before voting opens; the box is encrypted ("elgamal"), its key dealt to those locks, a majority
of them needed to count; each present member votes once (KnownVoter: the participation row is
the only trace that they voted, never what), with no audit entry per ballot; the box is closed
(shuffled and scrubbed), the members unlock their shares, and the counts per person and level
are copied into `Meeting.content["opinions"]` — shown only after that.

The meeting's own states (MeetingStatus): DRAFT (being recorded; attendance and the counting
team are set here) → VOTING (the ballot is open) → CLOSED (closed; counted once "opinions" is
in the content) → RECORDED (the minutes are complete). A meeting without a ballot goes from
DRAFT to RECORDED.

Services take the actor first, check the round's lifecycle and the meeting's state, write one
audit entry per change, flush and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from evalapp.audit.services import record
from evalapp.auth.models import Role, User
from evalapp.auth.permissions import has_role
from evalapp.box import services as box
from evalapp.box.keys import majority
from evalapp.core.errors import InvalidState, NotAllowed, NotFound, ValidationFailed
from evalapp.core.text import nfc_or_none, person_sort_key
from evalapp.evaluations.lifecycle import ROUND_STEPS
from evalapp.evaluations.models import (
    EvaluationRound,
    Meeting,
    MeetingComment,
    MeetingStatus,
    RatedPerson,
    RatedUnit,
)
from evalapp.evaluations.services import round_rules
from evalapp.extensions import db
from evalapp.org.models import Person
from evalapp.tally.scales import Scale

OWNER = Meeting.audit_type  # the box's owner kind: ("evaluation_meeting", meeting id)
SCALE = Scale.EVALUATION
LEVELS = tuple(level.value for level in SCALE.levels)  # "htxs", "htt", "htnv", "kht"
TEAM_MIN, TEAM_MAX = 2, 3  # members of the counting team
COMMENT_MAX = 5000

MEETING_NOT_FOUND = _l("This meeting does not exist.")
NOT_PRESENT = _l("Only the members present at the meeting vote in its opinion ballot.")
BALLOT_NOT_OPEN = _l("The opinion ballot of this meeting is not open.")


# ---------------------------------------------------------------- reading


def unit_people(round_: EvaluationRound, unit_id: int) -> list[RatedPerson]:
    """The unit's people rated in the round, in the order of the list (the ballot's order)."""
    return list(db.session.scalars(select(RatedPerson).where(
        RatedPerson.round_id == round_.id, RatedPerson.unit_id == unit_id,
        RatedPerson.included.is_(True)).order_by(RatedPerson.sort_key, RatedPerson.id)))


@dataclass(frozen=True)
class UnitMeeting:
    unit: RatedUnit
    people: int
    meeting: Meeting | None


def meetings_of(round_: EvaluationRound) -> list[UnitMeeting]:
    """Each unit rated in the round with the number of its people and its meeting (if any)."""
    units = list(db.session.scalars(select(RatedUnit).where(RatedUnit.round_id == round_.id)
                                    .order_by(RatedUnit.path, RatedUnit.id)))
    meetings = {m.unit_id: m for m in db.session.scalars(
        select(Meeting).where(Meeting.round_id == round_.id))}
    counts: dict[int, int] = {}
    for unit_id in db.session.scalars(select(RatedPerson.unit_id).where(
            RatedPerson.round_id == round_.id, RatedPerson.included.is_(True))):
        counts[unit_id] = counts.get(unit_id, 0) + 1
    return [UnitMeeting(u, counts.get(u.unit_id, 0), meetings.get(u.unit_id)) for u in units]


def get_meeting(round_: EvaluationRound, meeting_id: int) -> Meeting:
    meeting = db.session.get(Meeting, meeting_id)
    if meeting is None or meeting.round_id != round_.id:
        raise NotFound(MEETING_NOT_FOUND)
    return meeting


def present_ids(meeting: Meeting) -> set[int]:
    """The person ids of the members marked present."""
    return {int(i) for i in meeting.content.get("present", [])}


def attendance_taken(meeting: Meeting) -> bool:
    return "present" in meeting.content


def comments_of(meeting: Meeting) -> dict[int, str]:
    """rated person id -> the comment minuted on them."""
    return {c.rated_person_id: c.text for c in db.session.scalars(
        select(MeetingComment).where(MeetingComment.meeting_id == meeting.id))}


def meeting_box(meeting: Meeting) -> box.Box | None:
    return box.box_of(OWNER, meeting.id)


def counted(meeting: Meeting) -> bool:
    return "opinions" in meeting.content


def opinions(meeting: Meeting) -> dict[int, dict[str, int]] | None:
    """rated person id -> level -> count, once the ballot is counted (None before)."""
    found = meeting.content.get("opinions")
    if found is None:
        return None
    return {int(k): {level: int(v.get(level, 0)) for level in LEVELS} for k, v in found.items()}


def is_present_member(user, meeting: Meeting) -> bool:
    person_id = getattr(user, "person_id", None)
    return person_id is not None and person_id in present_ids(meeting)


def has_voted(meeting: Meeting, person_id: int | None) -> bool:
    found = meeting_box(meeting)
    return found is not None and person_id is not None \
        and box.KnownVoter(person_id).is_spent(found)


def voted_count(meeting: Meeting) -> int:
    """How many present members have voted (a number, never who)."""
    return box.voted(meeting_box(meeting))


# ---------------------------------------------------------------- recording


def _check(actor, round_: EvaluationRound, meeting: Meeting | None,
           states: Iterable[MeetingStatus] | None = None, refusal=None) -> None:
    ROUND_STEPS.check(actor, round_, "record-meeting")
    if meeting is not None and states is not None and meeting.status not in set(states):
        raise InvalidState(refusal or _l("This cannot be done at this stage of the meeting."))


def start_meeting(actor, round_: EvaluationRound, unit_id: int) -> Meeting:
    """The unit's meeting in the round (made the first time; the same one afterwards). Whether
    it holds an opinion ballot is the round's (frozen) setting."""
    _check(actor, round_, None)
    unit = db.session.scalar(select(RatedUnit).where(RatedUnit.round_id == round_.id,
                                                     RatedUnit.unit_id == unit_id))
    if unit is None:
        raise ValidationFailed(_l("This unit is not rated in this round."), field="unit_id")
    meeting = db.session.scalar(select(Meeting).where(Meeting.round_id == round_.id,
                                                      Meeting.unit_id == unit_id))
    if meeting is not None:
        return meeting
    meeting = Meeting(round_id=round_.id, unit_id=unit_id, status=MeetingStatus.DRAFT,
                      opinion_ballot=bool(round_rules(round_).opinion_ballot),
                      members_total=len(unit_people(round_, unit_id)), content={})
    db.session.add(meeting)
    db.session.flush()
    record(actor, "evaluation_meeting.started", meeting, round_id=round_.id,
           name=unit.name, opinion_ballot=meeting.opinion_ballot)
    return meeting


@dataclass(frozen=True)
class MeetingDetails:
    """The chair and the secretary are accounts (ids; None: not named yet); their names are
    copied from the accounts."""

    held_on: date | None
    place: str | None
    chair_user_id: int | None = None
    secretary_user_id: int | None = None


OFFICER_ROLES = (Role.ADMIN, Role.SECRETARY)


def officer_in_scope(user: User, round_: EvaluationRound) -> bool:
    """Whether an account may chair a meeting of the round or take its minutes (the rule of a
    confidence round's officers): an active account whose person is active in the round's unit
    or below it, or one holding the administrator or secretary role over the round's unit (the
    personnel office, a secretariat)."""
    if not user.active:
        return False
    person = user.person
    if person is not None and person.active and round_.unit.contains(person.unit):
        return True
    return any(has_role(user, role, round_.unit) for role in OFFICER_ROLES)


def officer_candidates(round_: EvaluationRound) -> list[User]:
    """The accounts offered as chair and secretary of the round's meetings, in Vietnamese order
    of names."""
    users = db.session.scalars(select(User).where(User.active.is_(True)).options(
        joinedload(User.person).joinedload(Person.unit),
        joinedload(User.person).joinedload(Person.post))).unique().all()
    return sorted((u for u in users if officer_in_scope(u, round_)),
                  key=lambda u: person_sort_key(u.full_name))


def _officer(round_: EvaluationRound, user_id: int | None, field: str) -> User | None:
    if user_id is None:
        return None
    user = db.session.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None or not officer_in_scope(user, round_):
        # Not named: the account may belong to a unit the actor does not see.
        raise ValidationFailed(_l("The account chosen is not an active account of a person of "
                                  "%(unit)s, nor of an administrator or secretary over it. "
                                  "Choose someone of the round's unit."),
                               field=field, unit=round_.unit.name)
    return user


def _text(value: str | None, most: int, field: str) -> str | None:
    value = nfc_or_none(value)
    if value is not None and len(value) > most:
        raise ValidationFailed(_l("At most %(n)s characters."), field=field, n=most)
    return value


def save_details(actor, round_: EvaluationRound, meeting: Meeting,
                 details: MeetingDetails) -> None:
    _check(actor, round_, meeting, {MeetingStatus.DRAFT, MeetingStatus.VOTING,
                                    MeetingStatus.CLOSED},
           _l("The minutes are complete: nothing can change."))
    place = _text(details.place, 255, "place")
    chair = _officer(round_, details.chair_user_id, "chair_user_id")
    secretary = _officer(round_, details.secretary_user_id, "secretary_user_id")
    if chair is not None and secretary is not None and chair.id == secretary.id:
        raise ValidationFailed(_l("One person cannot be both the chair and the secretary of "
                                  "the meeting."), field="secretary_user_id")
    meeting.held_on = details.held_on
    meeting.place = place
    meeting.chair_name = chair.full_name if chair else None
    meeting.secretary_name = secretary.full_name if secretary else None
    meeting.content = {**meeting.content, "chair_user_id": chair.id if chair else None,
                       "secretary_user_id": secretary.id if secretary else None}
    db.session.flush()
    record(actor, "evaluation_meeting.saved", meeting, round_id=round_.id,
           chair=meeting.chair_name, secretary=meeting.secretary_name)


def set_attendance(actor, round_: EvaluationRound, meeting: Meeting,
                   present: Iterable[int]) -> None:
    """Mark the unit's rated people present (the person ids given) or absent. Only before the
    opinion ballot opens: who may vote is fixed from then on."""
    _check(actor, round_, meeting, {MeetingStatus.DRAFT},
           _l("The attendance is fixed once the opinion ballot has opened."))
    people = {rp.person_id for rp in unit_people(round_, meeting.unit_id)}
    chosen = set(present)
    if not chosen <= people:
        raise ValidationFailed(_l("Only the unit's people rated in this round can be marked "
                                  "present."), field="present")
    content = meeting.content
    content["present"] = sorted(chosen)
    content["absent"] = sorted(people - chosen)
    meeting.content = content
    meeting.members_total, meeting.members_present = len(people), len(chosen)
    db.session.flush()
    record(actor, "evaluation_meeting.attendance_set", meeting, round_id=round_.id,
           present=len(chosen), count=len(people))


def save_comment(actor, round_: EvaluationRound, meeting: Meeting, rated_person_id: int,
                 text: str | None) -> None:
    """The comments minuted on one person (empty text removes them)."""
    _check(actor, round_, meeting, {MeetingStatus.DRAFT, MeetingStatus.VOTING,
                                    MeetingStatus.CLOSED},
           _l("The minutes are complete: nothing can change."))
    rated = db.session.get(RatedPerson, rated_person_id)
    if rated is None or rated.round_id != round_.id or rated.unit_id != meeting.unit_id \
            or not rated.included:
        raise ValidationFailed(_l("This person is not rated in this unit."),
                               field="rated_person_id")
    text = _text(text, COMMENT_MAX, "text")
    row = db.session.scalar(select(MeetingComment).where(
        MeetingComment.meeting_id == meeting.id,
        MeetingComment.rated_person_id == rated_person_id))
    if text is None:
        if row is None:
            return
        db.session.delete(row)
    elif row is None:
        db.session.add(MeetingComment(meeting_id=meeting.id, rated_person_id=rated_person_id,
                                      text=text))
    else:
        if row.text == text:
            return
        row.text = text
    db.session.flush()
    record(actor, "evaluation_meeting.comment_saved", meeting, round_id=round_.id,
           person_id=rated.person_id)


def mark_recorded(actor, round_: EvaluationRound, meeting: Meeting) -> None:
    """The minutes are complete: the date and the attendance are there and, with an opinion
    ballot, it has been counted. Nothing of the meeting changes afterwards."""
    _check(actor, round_, meeting, {MeetingStatus.DRAFT, MeetingStatus.CLOSED},
           _l("The opinion ballot must be counted before the minutes are complete."))
    if meeting.held_on is None:
        raise InvalidState(_l("Enter the date of the meeting first."))
    if not attendance_taken(meeting):
        raise InvalidState(_l("Take the attendance first."))
    if meeting.opinion_ballot and not counted(meeting):
        raise InvalidState(_l("The opinion ballot must be counted before the minutes are "
                              "complete."))
    meeting.status = MeetingStatus.RECORDED
    db.session.flush()
    record(actor, "evaluation_meeting.recorded", meeting, round_id=round_.id,
           present=meeting.members_present, count=meeting.members_total)


# ---------------------------------------------------------------- the counting team's key


@dataclass(frozen=True)
class KeyHolder:
    number: int
    holder: str
    unlocked: bool = False


@dataclass(frozen=True)
class MeetingKey:
    holders: list[KeyHolder]
    threshold: int
    dealt: bool
    unlocked: int

    @property
    def can_count(self) -> bool:
        return self.dealt and self.unlocked >= self.threshold


def meeting_key(meeting: Meeting) -> MeetingKey:
    found = meeting_box(meeting)
    if box.encrypted(found):
        done = set(box.unlocked(found))
        holders = [KeyHolder(s.number, s.holder, s.number in done) for s in box.shares_of(found)]
        return MeetingKey(holders, box.threshold(found), True, len(done))
    holders = [KeyHolder(lock.number, lock.holder) for lock in box.locks_of(OWNER, meeting.id)]
    return MeetingKey(holders, majority(len(holders)) if holders else TEAM_MIN, False, 0)


def _check_team(actor, round_, meeting) -> None:
    _check(actor, round_, meeting, {MeetingStatus.DRAFT},
           _l("The counting team is set before the opinion ballot opens."))
    if not meeting.opinion_ballot:
        raise InvalidState(_l("This meeting holds no opinion ballot."))
    if meeting_box(meeting) is not None:  # never, short of a broken meeting
        raise InvalidState(_l("The counting team is set before the opinion ballot opens."))


def _room_in_team(meeting: Meeting) -> None:
    if len(box.locks_of(OWNER, meeting.id)) >= TEAM_MAX:
        raise ValidationFailed(_l("The counting team has at most %(n)s members."),
                               field="holder", n=TEAM_MAX)


def register_lock(actor, round_: EvaluationRound, meeting: Meeting, holder: str,
                  passphrase: str, confirmation: str | None = None) -> KeyHolder:
    """A counting-team member sets the passphrase protecting their share (dealt when the
    ballot opens). Only the lock's public half is stored."""
    _check_team(actor, round_, meeting)
    _room_in_team(meeting)
    lock = box.register_lock(OWNER, meeting.id, holder, passphrase, confirmation)
    record(actor, "evaluation_meeting.key_registered", meeting, round_id=round_.id,
           number=lock.number, holder=lock.holder)
    return KeyHolder(lock.number, lock.holder)


def register_key_file(actor, round_: EvaluationRound, meeting: Meeting,
                      holder: str) -> tuple[KeyHolder, str]:
    """A member keeps their share's key as a file: its text is returned once, never stored."""
    _check_team(actor, round_, meeting)
    _room_in_team(meeting)
    lock, text = box.register_key_file(OWNER, meeting.id, holder)
    record(actor, "evaluation_meeting.key_registered", meeting, round_id=round_.id,
           number=lock.number, holder=lock.holder)
    return KeyHolder(lock.number, lock.holder), text


def remove_lock(actor, round_: EvaluationRound, meeting: Meeting, number: int) -> None:
    _check_team(actor, round_, meeting)
    lock = box.forget_lock(OWNER, meeting.id, number)
    record(actor, "evaluation_meeting.key_removed", meeting, round_id=round_.id,
           number=lock.number, holder=lock.holder)


def unlock_share(actor, round_: EvaluationRound, meeting: Meeting, number: int,
                 passphrase: str | None = None, key_file: bytes | None = None) -> KeyHolder:
    """A member unlocks their share after closing: their partial decryption of the box's sums
    is stored (with its proof); the share is used in memory and dropped."""
    _check(actor, round_, meeting, {MeetingStatus.CLOSED},
           _l("A share is unlocked once voting is closed."))
    if counted(meeting):
        raise InvalidState(_l("The opinion ballot is already counted."))
    secret = box.key_from_file(key_file) if key_file else passphrase
    share = box.unlock_share(meeting_box(meeting), number, secret)
    record(actor, "evaluation_meeting.share_unlocked", meeting, round_id=round_.id,
           number=share.number, holder=share.holder)
    return KeyHolder(share.number, share.holder, True)


# ---------------------------------------------------------------- the opinion ballot


def open_ballot(actor, round_: EvaluationRound, meeting: Meeting) -> None:
    """Open the opinion ballot: one line per colleague of the unit, the key dealt to the
    counting team (a majority of them needed to count). The present list is fixed from now."""
    _check(actor, round_, meeting, {MeetingStatus.DRAFT},
           _l("The opinion ballot has already opened."))
    if not meeting.opinion_ballot:
        raise InvalidState(_l("This meeting holds no opinion ballot."))
    if not attendance_taken(meeting) or not present_ids(meeting):
        raise InvalidState(_l("Take the attendance first: only the members present vote."))
    people = unit_people(round_, meeting.unit_id)
    if not people:
        raise InvalidState(_l("Nobody of this unit is rated in this round."))
    team = len(box.locks_of(OWNER, meeting.id))
    if not TEAM_MIN <= team <= TEAM_MAX:
        raise InvalidState(_l("The counting team needs %(low)s to %(high)s members holding a "
                              "key; %(n)s do so far."), low=TEAM_MIN, high=TEAM_MAX, n=team)
    box.open_box(OWNER, meeting.id, SCALE, [rp.id for rp in people],
                 bad_line_voids_ballot=True, storage="elgamal", threshold=majority(team))
    meeting.status = MeetingStatus.VOTING
    db.session.flush()
    record(actor, "evaluation_meeting.ballot_opened", meeting, round_id=round_.id,
           present=meeting.members_present, count=len(people))


def _voting_box(round_: EvaluationRound, meeting: Meeting, person_id: int | None) -> box.Box:
    """The open box, for a member on the present list. The present list cannot change while
    the ballot is open, and the box itself is checked open under its lock (box.cast)."""
    ROUND_STEPS.check_state(round_, "meeting-vote")
    if person_id is None or person_id not in present_ids(meeting):
        raise NotAllowed(NOT_PRESENT)
    found = meeting_box(meeting)
    if meeting.status != MeetingStatus.VOTING or found is None:
        raise InvalidState(BALLOT_NOT_OPEN)
    return found


def cast_opinion(person_id: int | None, round_: EvaluationRound, meeting: Meeting,
                 marks: Mapping[int, str | None]) -> str:
    """A present member's ballot as marks (rated person id -> level key), from a browser
    without JavaScript: the box encrypts it on arrival. Returns the tracker."""
    found = _voting_box(round_, meeting, person_id)
    numbers = box.line_numbers(found)
    if set(marks) - set(numbers):
        raise ValidationFailed(_l("The ballot names someone who is not on it. Nothing was "
                                  "recorded."))
    if any(marks.get(subject) not in LEVELS for subject in numbers):
        raise ValidationFailed(_l("Every person on the ballot needs exactly one mark. Nothing "
                                  "was recorded; complete the ballot and send it again."))
    return box.cast(found, box.KnownVoter(person_id), box.WrittenBallot(
        marks={numbers[subject]: str(marks[subject]) for subject in numbers}))


def cast_encrypted(person_id: int | None, round_: EvaluationRound, meeting: Meeting,
                   ballot: object) -> str:
    """A present member's ballot encrypted on their device (the box checks its proofs)."""
    found = _voting_box(round_, meeting, person_id)
    return box.cast(found, box.KnownVoter(person_id), ballot)


def box_parameters(meeting: Meeting) -> dict | None:
    found = meeting_box(meeting)
    return box.parameters(found) if box.encrypted(found) else None


def close_ballot(actor, round_: EvaluationRound, meeting: Meeting) -> int:
    """Close the ballot: the box rewrites its ballots in a random order and its storage is
    scrubbed after the commit. Returns the number of ballots."""
    ROUND_STEPS.check(actor, round_, "record-meeting")
    db.session.execute(select(Meeting).where(Meeting.id == meeting.id).with_for_update()
                       .execution_options(populate_existing=True))
    if meeting.status != MeetingStatus.VOTING:
        raise InvalidState(BALLOT_NOT_OPEN)
    ballots = box.close_box(meeting_box(meeting))
    meeting.status = MeetingStatus.CLOSED
    db.session.flush()
    record(actor, "evaluation_meeting.ballot_closed", meeting, round_id=round_.id,
           ballots=ballots)
    return ballots


def count_ballot(actor, round_: EvaluationRound, meeting: Meeting) -> dict[int, dict[str, int]]:
    """Count the closed box (once enough shares are unlocked) and keep the counts per person
    and level in the meeting's content ("opinions"), with the box's numbers and digest."""
    _check(actor, round_, meeting, {MeetingStatus.CLOSED},
           _l("The opinion ballot is counted once it is closed."))
    if counted(meeting):
        raise InvalidState(_l("The opinion ballot is already counted."))
    found = meeting_box(meeting)
    # Each present member received a ballot.
    result = box.count_box(found, issued=meeting.members_present or 0)
    by_subject = result.by_subject(found)
    counts = {str(line.subject_id): {level: by_subject.get((line.subject_id, level), 0)
                                     for level in LEVELS} for line in found.lines}
    content = meeting.content
    content["opinions"] = counts
    content["ballot"] = {"issued": result.issued, "collected": result.collected,
                         "valid": result.valid, "invalid": result.invalid,
                         "digest": result.digest}
    meeting.content = content
    db.session.flush()
    record(actor, "evaluation_meeting.ballot_counted", meeting, round_id=round_.id,
           collected=result.collected, valid=result.valid, digest=result.digest)
    return opinions(meeting)
