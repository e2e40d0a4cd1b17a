"""Rules of a confidence round: who may do what, the lifecycle, casting, counting, results.

Services take the acting user (or the voter's person) and the objects, check, change, flush and
write one audit entry; they never commit. Ballot content never reaches the audit trail, a log
line or an error message.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import delete, exists, func, insert, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from evalapp.audit.descriptions import DescribedEntry, describe_entries
from evalapp.audit.models import AuditEntry
from evalapp.audit.services import record
from evalapp.auth.models import Role, User
from evalapp.auth.permissions import (
    LiveRound,
    action,
    has_role,
    is_admin_anywhere,
    live_roll,
    require,
    scope_paths,
)
from evalapp.auth.services import create_voter_accounts, people_without_account
from evalapp.ballots import paper
from evalapp.ballots.lifecycle import ROUND_STEPS
from evalapp.ballots.models import (
    BallotCandidate,
    BallotCount,
    BallotOfficer,
    BallotRound,
    BallotVoter,
    Handed,
    OfficerRole,
    RoundStatus,
    officer_slot_label,
)
from evalapp.ballots.schemas import (
    BallotKinds,
    CandidateExclusion,
    PaperMode,
    RoundDetails,
    RoundRules,
    RoundSettings,
)
from evalapp.box import services as box
from evalapp.box.models import Box
from evalapp.core.errors import (
    AlreadyVoted,
    InvalidState,
    NotAllowed,
    NotFound,
    ValidationFailed,
)
from evalapp.core.schemas import validated
from evalapp.core.text import (
    collation_key,
    fold_for_search,
    nfc,
    nfc_or_none,
    person_sort_key,
)
from evalapp.core.time import utcnow
from evalapp.core.transactions import begin_writing, remembered
from evalapp.extensions import db
from evalapp.org.models import Person, Post, Unit
from evalapp.org.services import people_query
from evalapp.org.spreadsheets import read_staff_codes
from evalapp.tally import rules
from evalapp.tally.presets import PRESETS
from evalapp.tally.rules import Base, Level, RoundCounts, Scale

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- who may do what
#
# The ballots' part of the permission vocabulary (evalapp.auth.permissions.can): each predicate
# is registered under its action name, which the round's lifecycle (evalapp.ballots.lifecycle)
# names as who may take each step, and routes and templates ask by name.


def _officer_roles(user, round_: BallotRound) -> set[OfficerRole]:
    user_id = getattr(user, "id", None)
    return {o.role for o in round_.officers if o.user_id == user_id and user_id is not None}


@action("ballots.create")
def can_create_round(user, unit: Unit | None = None) -> bool:
    """An admin of the unit (without one: of any unit) creates rounds in it."""
    return has_role(user, Role.ADMIN, unit) if unit is not None else is_admin_anywhere(user)


@action("ballots.manage")
def can_manage_round(user, round_: BallotRound) -> bool:
    return has_role(user, Role.ADMIN, round_.unit)


@action("ballots.run_meeting")
def can_run_meeting(user, round_: BallotRound) -> bool:
    """Attendance, opening, closing: the chair, the secretary, or an admin of the unit."""
    return can_manage_round(user, round_) or bool(
        _officer_roles(user, round_) & {OfficerRole.CHAIR, OfficerRole.SECRETARY})


@action("ballots.count")
def can_count(user, round_: BallotRound) -> bool:
    """The round's officers (any of them) and its admins: turnout, counting, documents."""
    return can_manage_round(user, round_) or bool(_officer_roles(user, round_))


@action("ballots.lead_count")
def can_lead_count(user, round_: BallotRound) -> bool:
    """The head of the counting team: confirms a corrected entry of a paper ballot."""
    return OfficerRole.COUNTER_HEAD in _officer_roles(user, round_)


@action("ballots.hold_key")
def can_hold_key(user, round_: BallotRound) -> bool:
    """Setting and unlocking the counting team's key shares: the members of the counting team
    on their own device, or whoever runs the meeting, on whose device each member types their
    own passphrase."""
    return can_run_meeting(user, round_) or bool(
        _officer_roles(user, round_) & {OfficerRole.COUNTER_HEAD, OfficerRole.COUNTER})


def voter_entry(user, round_: BallotRound) -> BallotVoter | None:
    person_id = getattr(user, "person_id", None)
    if person_id is None:
        return None
    return _roll_entry(round_, person_id)


@live_roll("ballots")
def live_rounds_of_person(person_id: int) -> list[LiveRound]:
    """The rounds that summon the person and are taking attendance or voting: auth refuses
    anyone else a new password or another link for their account meanwhile (design §2)."""
    rounds = db.session.execute(
        select(BallotRound).join(BallotVoter, BallotVoter.round_id == BallotRound.id)
        .where(BallotVoter.person_id == person_id,
               BallotRound.status.in_(ROUND_STEPS.phase("summoned")))
        .order_by(BallotRound.id)).scalars()
    return [LiveRound(round_, round_.title) for round_ in rounds]


# The attempts auth refused and recorded against a round (see live_rounds_of_person).
REFUSED_ACCOUNT_CHANGES = ("account.voter_password_refused", "account.voter_link_refused")


def refused_account_changes(round_: BallotRound) -> list[DescribedEntry]:
    """Attempts to take over a voter's account during the round, newest first, in words: for
    the round's officers (the secretary first of all) on the round's page."""
    entries = db.session.execute(
        select(AuditEntry).where(AuditEntry.action.in_(REFUSED_ACCOUNT_CHANGES),
                                 AuditEntry.target_type == BallotRound.audit_type,
                                 AuditEntry.target_id == str(round_.id))
        .order_by(AuditEntry.seq.desc())).scalars().all()
    return describe_entries(entries)


def _roll_entry(round_: BallotRound, person_id: int) -> BallotVoter | None:
    # One row, not the whole roll, and once per transaction however many checks ask (a cast
    # asks for it to see the round, to cast, and to check presence).
    return remembered(("roll", round_.id, person_id), lambda: db.session.execute(
        select(BallotVoter).where(BallotVoter.round_id == round_.id,
                                  BallotVoter.person_id == person_id)).scalar_one_or_none())


@action("ballots.vote")
def is_voter(user, round_: BallotRound) -> bool:
    """On the round's summoned list (whether present or not is the step's own check)."""
    return voter_entry(user, round_) is not None


@action("ballots.see")
def can_see_round(user, round_: BallotRound) -> bool:
    """Whoever works on, votes in or is voted on in the round; anyone else is told it does not
    exist (404), on the pages and in the API alike."""
    # The voter first: one row, remembered for the rest of the transaction (a cast asks for it
    # again), where the officers' check reads the round's officers, unit and the account's
    # grants. The answer is the same in any order.
    return (voter_entry(user, round_) is not None or can_count(user, round_)
            or own_candidacy(user, round_) is not None)


def own_candidacy(user, round_: BallotRound) -> BallotCandidate | None:
    person_id = getattr(user, "person_id", None)
    if person_id is None:
        return None
    return next((c for c in round_.active_candidates if c.person_id == person_id), None)


def results_available(round_: BallotRound) -> bool:
    return ROUND_STEPS.in_phase(round_, "results_exist")


@action("ballots.see_all_results")
def can_see_all_results(user, round_: BallotRound) -> bool:
    """The counting team, chair, secretary and admins after counting; all voters once
    published. Partial results never exist: nothing is counted before voting closes."""
    if not results_available(round_):
        return False
    if can_count(user, round_):
        return True
    return round_.published_at is not None and voter_entry(user, round_) is not None


@action("ballots.finalise")
def can_finalise(user, round_: BallotRound) -> bool:
    """Finalising and publishing the results: an admin of the unit or the chair."""
    return can_manage_round(user, round_) or OfficerRole.CHAIR in _officer_roles(user, round_)


@action("ballots.see_results")
def can_see_results(user, round_: BallotRound) -> bool:
    """Whether the results page has anything for the user (all lines, or their own)."""
    return can_see_all_results(user, round_) or can_see_own_result(user, round_)


@action("ballots.see_trackers")
def can_see_trackers(user, round_: BallotRound) -> bool:
    """The list of trackers, after voting closes, for the round's voters and officers."""
    if not ROUND_STEPS.in_phase(round_, "box_sealed"):
        return False
    return can_count(user, round_) or voter_entry(user, round_) is not None


@action("ballots.see_own_result")
def can_see_own_result(user, round_: BallotRound) -> bool:
    return (results_available(round_) and round_.results_to_candidates
            and own_candidacy(user, round_) is not None)


def rounds_for(user) -> list[BallotRound]:
    """Rounds the user works on or votes in (as can_see_round says), newest first."""
    return list_rounds(user)


ROUND_SORTS = ("newest", "date", "title", "status")
_STATUS_ORDER = {status: i for i, status in enumerate(RoundStatus)}


def _visible_rounds_query(user):
    """The rounds `user` may open (as can_see_round says), as one query."""
    query = select(BallotRound).join(BallotRound.unit)
    paths = scope_paths(user, Role.ADMIN)
    if paths is None:
        return query
    user_id = getattr(user, "id", None)
    person_id = getattr(user, "person_id", None)
    seen = [Unit.path.startswith(p) for p in paths]
    if user_id is not None:
        seen.append(exists().where(BallotOfficer.round_id == BallotRound.id,
                                   BallotOfficer.user_id == user_id))
    if person_id is not None:
        seen.append(exists().where(BallotVoter.round_id == BallotRound.id,
                                   BallotVoter.person_id == person_id))
        seen.append(exists().where(BallotCandidate.round_id == BallotRound.id,
                                   BallotCandidate.person_id == person_id,
                                   BallotCandidate.excluded.is_(False)))
    return query.where(or_(False, *seen))


def list_rounds(user, *, status: RoundStatus | None = None, search: str = "",
                sort: str = "newest") -> list[BallotRound]:
    """The rounds list: the rounds `user` may open, of one status and matching the words of
    `search` (in the title, body or place, tones ignored), sorted by `sort` (ROUND_SORTS):
    newest first, by meeting date (latest first), by title (Vietnamese order) or by stage."""
    query = _visible_rounds_query(user)
    if status is not None:
        query = query.where(BallotRound.status == status)
    rounds = list(db.session.execute(
        query.order_by(BallotRound.created_at.desc(), BallotRound.id.desc())).scalars())
    words = fold_for_search(search).split()
    if words:
        def text_of(r: BallotRound) -> str:
            return fold_for_search(" ".join(filter(None, (r.title, r.body_name, r.place))))
        rounds = [r for r in rounds if all(w in text_of(r) for w in words)]
    if sort == "date":
        # Latest meeting first, undated rounds last; the sort is stable, so ties stay newest
        # first.
        rounds.sort(key=lambda r: (r.meeting_date is None,
                                   -r.meeting_date.toordinal() if r.meeting_date else 0))
    elif sort == "title":
        rounds.sort(key=lambda r: collation_key(r.title))
    elif sort == "status":
        rounds.sort(key=lambda r: _STATUS_ORDER[r.status])
    return rounds


@dataclass(frozen=True)
class VoterRounds:
    """The rounds a voter is summoned to that are being held, as their to-do list."""

    waiting: list[BallotRound]      # voting is open, they are present and have not voted
    voted: list[BallotRound]        # voting is open and they have voted
    not_present: list[BallotRound]  # voting is open but they are not recorded present
    upcoming: list[BallotRound]     # attendance is being taken; voting opens later


def voter_rounds(user) -> VoterRounds:
    person_id = getattr(user, "person_id", None)
    result = VoterRounds([], [], [], [])
    if person_id is None:
        return result
    rows = db.session.execute(
        select(BallotRound, BallotVoter.present)
        .join(BallotVoter, BallotVoter.round_id == BallotRound.id)
        .where(BallotVoter.person_id == person_id,
               BallotRound.status.in_(ROUND_STEPS.phase("summoned")))
        .order_by(BallotRound.id)
    ).all()
    for round_, present in rows:
        if not ROUND_STEPS.state_allows(round_, "vote"):
            result.upcoming.append(round_)
        elif not present:
            result.not_present.append(round_)
        elif has_voted(round_, person_id):
            result.voted.append(round_)
        else:
            result.waiting.append(round_)
    return result


def _rounds_where(user, statuses, *, officer: bool) -> list[BallotRound]:
    """Rounds in `statuses` in the user's admin scope (and, with officer=True, those in which
    they are an officer), oldest first."""
    paths = scope_paths(user, Role.ADMIN)
    reach = []
    if paths is None:
        reach.append(BallotRound.id.is_not(None))
    elif paths:
        reach.append(BallotRound.unit_id.in_(
            select(Unit.id).where(or_(*(Unit.path.startswith(p) for p in paths)))))
    user_id = getattr(user, "id", None)
    if officer and user_id is not None:
        reach.append(BallotRound.id.in_(
            select(BallotOfficer.round_id).where(BallotOfficer.user_id == user_id)))
    if not reach:
        return []
    return list(db.session.execute(
        select(BallotRound).options(selectinload(BallotRound.officers))
        .where(BallotRound.status.in_(statuses), or_(*reach))
        .order_by(BallotRound.id)).scalars())


def rounds_to_run(user) -> list[BallotRound]:
    """Rounds being held (attendance to counted) that the user runs or counts: as the chair,
    secretary or a counting-team member, or as an admin of the round's unit."""
    return [r for r in _rounds_where(user, ROUND_STEPS.phase("held"), officer=True)
            if can_count(user, r)]


def rounds_in_progress(user) -> list[BallotRound]:
    """Rounds not finalised yet that the user administers."""
    return [r for r in _rounds_where(user, ROUND_STEPS.phase("unfinished"), officer=False)
            if can_manage_round(user, r)]


def own_candidacies(user) -> list[tuple[BallotRound, BallotCandidate]]:
    """The rounds past their draft in which the user is voted on, newest first."""
    person_id = getattr(user, "person_id", None)
    if person_id is None:
        return []
    rows = db.session.execute(
        select(BallotRound, BallotCandidate)
        .join(BallotCandidate, BallotCandidate.round_id == BallotRound.id)
        .where(BallotCandidate.person_id == person_id, BallotCandidate.excluded.is_(False),
               BallotRound.status.in_(ROUND_STEPS.phase("past_draft")))
        .order_by(BallotRound.id.desc())).all()
    return [(r, c) for r, c in rows]


def round_box(round_: BallotRound) -> Box | None:
    """The round's ballot box: opened with voting (None before)."""
    return box.box_of(BallotRound.audit_type, round_.id)


def has_voted(round_: BallotRound, person_id: int) -> bool:
    found = round_box(round_)
    return found is not None and box.KnownVoter(person_id).is_spent(found)


# ---------------------------------------------------------------- creating and configuring


def get_round(round_id: int) -> BallotRound:
    round_ = db.session.get(BallotRound, round_id)
    if round_ is None:
        raise NotFound(_l("This round does not exist."))
    return round_


def visible_round(user, round_id: int) -> BallotRound:
    """The round if `user` may see it; otherwise NotFound (404), the same answer as for a round
    that does not exist: "not yours" is never told apart from "not there"."""
    round_ = get_round(round_id)
    if not can_see_round(user, round_):
        raise NotFound(_l("This round does not exist."))
    return round_


def create_round(actor, details: RoundDetails, scale: Scale, preset_key: str) -> BallotRound:
    require(actor, "ballots.create", details.unit)
    validated(RoundRules, {"scale": scale, "preset": preset_key})
    preset = PRESETS.get(preset_key)
    if preset is None:
        raise ValidationFailed(_l("Unknown rule set %(name)s."), field="preset",
                               name=preset_key)
    title, body_name = nfc(details.title), nfc(details.body_name)
    if not title:
        raise ValidationFailed(_l("Enter the title of the round."), field="title")
    if not body_name:
        raise ValidationFailed(_l("Enter the name of the body holding the vote."),
                               field="body_name")
    round_ = BallotRound(
        title=title, body_name=body_name, unit=details.unit, place=nfc_or_none(details.place),
        meeting_date=details.meeting_date,
        governing_body_name=nfc_or_none(details.governing_body_name),
        locality=nfc_or_none(details.locality), scale=scale, preset=preset.key, base=preset.base,
        bad_line_voids_ballot=preset.bad_line_voids_ballot,
        results_to_candidates=preset.results_to_candidates,
        publish_to_voters=preset.publish_to_voters,
        secrecy_threshold=preset.secrecy_threshold, percent_places=preset.percent_places,
        ballot_kinds=BallotKinds.BROWSER, paper_entries=1, paper_mode=PaperMode.BALLOTS,
        status=RoundStatus.DRAFT,
        created_by_id=getattr(actor, "id", None), created_at=utcnow())
    db.session.add(round_)
    db.session.flush()
    record(actor, "ballot_round.created", round_, title=title, scale=scale.value,
           preset=preset.key)
    return round_


def update_round(actor, round_: BallotRound, details: RoundDetails, *, base: Base,
                 bad_line_voids_ballot: bool, results_to_candidates: bool,
                 publish_to_voters: bool, secrecy_threshold: int,
                 ballot_kinds: BallotKinds | None = None, paper_entries: int | None = None,
                 paper_mode: PaperMode | None = None,
                 percent_places: int | None = None) -> BallotRound:
    """Details and settings; only while the round is a draft. The paper settings left out
    (None) keep their value."""
    ROUND_STEPS.check_who(actor, round_, "edit")
    require(actor, "ballots.create", details.unit)  # moved to a unit: admins of that one too
    ROUND_STEPS.check_state(round_, "edit")
    paper = dict(
        ballot_kinds=round_.ballot_kinds if ballot_kinds is None else ballot_kinds,
        paper_entries=round_.paper_entries if paper_entries is None else paper_entries,
        paper_mode=round_.paper_mode if paper_mode is None else paper_mode,
        percent_places=round_.percent_places if percent_places is None else percent_places)
    checked = validated(RoundSettings, dict(
        base=base, bad_line_voids_ballot=bad_line_voids_ballot,
        results_to_candidates=results_to_candidates, publish_to_voters=publish_to_voters,
        secrecy_threshold=secrecy_threshold, **paper))
    title, body_name = nfc(details.title), nfc(details.body_name)
    if not title or not body_name:
        raise ValidationFailed(_l("Enter the title and the body."), field="title")
    round_.title, round_.body_name, round_.unit = title, body_name, details.unit
    round_.place, round_.meeting_date = nfc_or_none(details.place), details.meeting_date
    round_.governing_body_name = nfc_or_none(details.governing_body_name)
    round_.locality = nfc_or_none(details.locality)
    round_.base, round_.bad_line_voids_ballot = base, bad_line_voids_ballot
    round_.results_to_candidates, round_.publish_to_voters = (results_to_candidates,
                                                              publish_to_voters)
    round_.secrecy_threshold = secrecy_threshold
    round_.ballot_kinds, round_.paper_entries = checked.ballot_kinds, checked.paper_entries
    round_.paper_mode, round_.percent_places = checked.paper_mode, checked.percent_places
    db.session.flush()
    record(actor, "ballot_round.updated", round_, base=base.value,
           bad_line_voids_ballot=bad_line_voids_ballot,
           results_to_candidates=results_to_candidates, publish_to_voters=publish_to_voters,
           secrecy_threshold=secrecy_threshold, ballot_kinds=checked.ballot_kinds.value,
           paper_entries=checked.paper_entries, paper_mode=checked.paper_mode.value,
           percent_places=checked.percent_places)
    return round_


def _people(actor, person_ids: Iterable[int]) -> list[Person]:
    """The chosen people, all of whom the actor administers (a unit-scoped admin cannot put
    people from other units, with their names and posts, into a round)."""
    ids = sorted({int(i) for i in person_ids})
    if not ids:
        return []
    people = db.session.execute(select(Person).where(Person.id.in_(ids))).scalars().all()
    if len(people) != len(ids):
        raise ValidationFailed(_l("Some of the chosen people do not exist."))
    outside = sum(1 for p in people if not has_role(actor, Role.ADMIN, p.unit))
    if outside:
        # Counted, never named: the refusal must not tell who is in other units.
        raise NotAllowed(lazy_ngettext("%(num)d of the chosen people is outside your units.",
                                       "%(num)d of the chosen people are outside your units.",
                                       outside))
    return list(people)


PEOPLE_SHOWN = 200  # people listed by one search on the round-building pages


@dataclass
class PeopleFound:
    people: list[Person]
    total: int  # all who match; only the first PEOPLE_SHOWN are in `people`


def find_people(actor, *, search: str = "", unit: Unit | None = None,
                limit: int = PEOPLE_SHOWN) -> PeopleFound:
    """Active people the actor administers, for the pages that build a round.

    Each word of `search` must appear, tones and case ignored, in the person's name or staff
    code, the name of their post or the name of their unit ("truong phong tai chinh" finds the
    heads of division of the Finance department); `unit` keeps that unit and its sub-units.
    Without either, nobody: the pages do not list the whole organisation.
    """
    words = fold_for_search(search).split()
    if not words and unit is None:
        return PeopleFound([], 0)
    query = people_query(actor, unit=unit)
    if words:
        posts = [(p.id, fold_for_search(p.name)) for p in db.session.execute(
            select(Post)).scalars()]
        units = [(u.id, fold_for_search(u.name)) for u in db.session.execute(
            select(Unit)).scalars()]
        for word in words:
            query = query.where(or_(
                Person.search_text.contains(word, autoescape=True),
                Person.post_id.in_([i for i, name in posts if word in name]),
                Person.unit_id.in_([i for i, name in units if word in name])))
    total = db.session.execute(
        select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    people = db.session.execute(query.limit(limit)).unique().scalars().all()
    return PeopleFound(list(people), total)


def people_with_accounts(person_ids: Iterable[int]) -> set[int]:
    """Which of these people have an active account (linked to their person) to vote with."""
    ids = list(set(person_ids))
    if not ids:
        return set()
    return set(db.session.execute(select(User.person_id).where(
        User.person_id.in_(ids), User.active.is_(True))).scalars())


def add_candidates(actor, round_: BallotRound, person_ids: Iterable[int]) -> list[BallotCandidate]:
    """Add people voted on, copying their name, post and unit as they are today."""
    ROUND_STEPS.check(actor, round_, "edit")
    present = {c.person_id for c in round_.candidates}
    people = [p for p in _people(actor, person_ids) if p.id not in present]
    if not people:
        raise ValidationFailed(_l("Choose at least one person who is not on the list yet."))
    inactive = [p.full_name for p in people if not p.active]
    if inactive:
        raise ValidationFailed(_l("These people are no longer active: %(names)s."),
                               names=", ".join(inactive))
    officers = _officer_people(round_)
    serving = [f"{p.full_name} ({officers[p.id]})" for p in people if p.id in officers]
    if serving:
        raise ValidationFailed(
            _l("%(names)s cannot be voted on in this round: they are among its chair, "
               "secretary and counting team. Change the officers first."),
            names=", ".join(serving))
    # New names go to the end, highest post first, as the admin usually orders them.
    people.sort(key=lambda p: (p.post.rank if p.post else 10**6, p.sort_key))
    position = max((c.position for c in round_.candidates), default=0)
    added = []
    for person in people:
        position += 1
        candidate = BallotCandidate(person=person, position=position,
                                    full_name=person.full_name,
                                    post_name=person.post.name if person.post else None,
                                    unit_name=person.unit.name, excluded=False)
        round_.candidates.append(candidate)
        added.append(candidate)
    db.session.flush()
    record(actor, "ballot_round.candidates_added", round_,
           person_ids=[p.id for p in people])
    return added


def _candidate(round_: BallotRound, candidate_id: int) -> BallotCandidate:
    candidate = next((c for c in round_.candidates if c.id == candidate_id), None)
    if candidate is None:
        raise NotFound(_l("This person is not on the round's list."))
    return candidate


def reorder_candidates(actor, round_: BallotRound, ordered_ids: list[int]) -> None:
    ROUND_STEPS.check(actor, round_, "edit")
    if sorted(ordered_ids) != sorted(c.id for c in round_.candidates):
        raise ValidationFailed(_l("The new order must list every person exactly once."))
    by_id = {c.id: c for c in round_.candidates}
    for position, candidate_id in enumerate(ordered_ids, start=1):
        by_id[candidate_id].position = position
    db.session.flush()
    db.session.expire(round_, ["candidates"])
    record(actor, "ballot_round.candidates_reordered", round_, order=ordered_ids)


def move_candidate(actor, round_: BallotRound, candidate_id: int, step: int) -> None:
    """Move someone one place up (step -1) or down (+1) among the people voted on (or among
    the excluded, for an excluded person): past the next one of the same kind, so that each
    move changes the numbers on the ballot."""
    ordered = sorted(round_.candidates, key=lambda c: c.position)
    moving = _candidate(round_, candidate_id)
    same_kind = [c for c in ordered if c.excluded == moving.excluded]
    index = same_kind.index(moving)
    neighbour = same_kind[min(max(index + step, 0), len(same_kind) - 1)]
    order = [c.id for c in ordered if c is not moving]
    at = order.index(neighbour.id) if neighbour is not moving else ordered.index(moving)
    order.insert(at + (1 if step > 0 and neighbour is not moving else 0), moving.id)
    reorder_candidates(actor, round_, order)


def set_candidate_excluded(actor, round_: BallotRound, candidate_id: int,
                           reason: str | None) -> BallotCandidate:
    """Exclude someone with a recorded reason (retirement notified, newly appointed, long sick
    leave), or include them again with reason None."""
    ROUND_STEPS.check(actor, round_, "edit")
    candidate = _candidate(round_, candidate_id)
    reason = nfc_or_none(reason)
    if reason is not None:
        validated(CandidateExclusion, {"reason": reason})
    # Someone excluded (not voted on) may serve as an officer; voted on again, they may not.
    role = _officer_people(round_).get(candidate.person_id)
    if reason is None and candidate.excluded and role is not None:
        raise ValidationFailed(
            _l("%(name)s cannot be voted on in this round: they are its %(role)s. Change the "
               "officers first."), name=candidate.full_name, role=role)
    candidate.excluded = reason is not None
    candidate.exclusion_reason = reason
    db.session.flush()
    record(actor, "ballot_round.candidate_excluded" if reason else
           "ballot_round.candidate_included", round_, candidate_id=candidate.id, reason=reason)
    return candidate


def remove_candidate(actor, round_: BallotRound, candidate_id: int) -> BallotCandidate:
    """Take someone off the list of people voted on; returns them (for the message)."""
    ROUND_STEPS.check(actor, round_, "edit")
    candidate = _candidate(round_, candidate_id)
    round_.candidates.remove(candidate)
    db.session.flush()
    record(actor, "ballot_round.candidate_removed", round_, person_id=candidate.person_id)
    return candidate


def add_voters(actor, round_: BallotRound, person_ids: Iterable[int]) -> int:
    ROUND_STEPS.check(actor, round_, "edit")
    on_roll = {v.person_id for v in round_.voters}
    people = [p for p in _people(actor, person_ids) if p.id not in on_roll]
    if not people:
        raise ValidationFailed(_l("Everyone chosen is already on the list of voters."))
    for person in people:
        round_.voters.append(BallotVoter(person=person, full_name=person.full_name,
                                         unit_name=person.unit.name, present=False))
    db.session.flush()
    record(actor, "ballot_round.voters_added", round_, count=len(people))
    return len(people)


def add_voters_from_unit(actor, round_: BallotRound, unit: Unit) -> int:
    require(actor, "org.manage", unit)
    ids = db.session.execute(
        select(Person.id).join(Person.unit)
        .where(Unit.path.startswith(unit.path), Person.active.is_(True))).scalars().all()
    if not ids:
        raise ValidationFailed(_l("The unit has no active people."))
    return add_voters(actor, round_, ids)


STAFF_CODES_PER_QUERY = 500


def add_voters_from_file(actor, round_: BallotRound, filename: str, content: bytes) -> int:
    ROUND_STEPS.check(actor, round_, "edit")
    # The file is read before anything is written, outside SQLite's write lock (its reading is
    # bounded, but seconds long at the limits; voters casting must not wait on it). The round
    # is read again once the lock is held.
    rows = read_staff_codes(filename, content)
    begin_writing()
    db.session.refresh(round_)
    if not rows:
        raise ValidationFailed(_l("The file has no staff codes."))
    codes = sorted({code for _row, code in rows})
    found: dict[str, int] = {}
    for start in range(0, len(codes), STAFF_CODES_PER_QUERY):  # never an unbounded IN list
        found.update(db.session.execute(
            select(Person.staff_code, Person.id)
            .where(Person.staff_code.in_(codes[start:start + STAFF_CODES_PER_QUERY]))).all())
    unknown = [f"{row}: {code}" for row, code in rows if code not in found]
    if unknown:
        raise ValidationFailed(_l("Unknown staff codes (row: code): %(codes)s."),
                               codes=", ".join(unknown[:50]))
    return add_voters(actor, round_, found.values())


def remove_voter(actor, round_: BallotRound, voter_id: int) -> BallotVoter:
    """Take someone off the summoned list; returns them (for the message)."""
    ROUND_STEPS.check(actor, round_, "edit")
    voter = next((v for v in round_.voters if v.id == voter_id), None)
    if voter is None:
        raise NotFound(_l("This person is not on the summoned list of the round."))
    round_.voters.remove(voter)
    db.session.flush()
    record(actor, "ballot_round.voter_removed", round_, person_id=voter.person_id)
    return voter


def officer_in_scope(user: User, round_: BallotRound) -> bool:
    """Whether an account may be named chair, secretary or counting-team member of the round.

    The round's own people: an account whose linked person is active in the round's unit or one
    of its sub-units. And the staff who serve that unit without belonging to it (the personnel
    office, a secretariat): an account holding the administrator, secretary or counting-team
    role over the round's unit (a grant on it, on a unit above it, or organisation-wide).
    """
    if not user.active:
        return False
    person = user.person
    if person is not None and person.active and round_.unit.contains(person.unit):
        return True
    return any(has_role(user, role, round_.unit)
               for role in (Role.ADMIN, Role.SECRETARY, Role.COUNTER))


def officer_candidates(round_: BallotRound | None = None) -> list[User]:
    """Active accounts that can be named chair, secretary or counting-team member (of `round_`:
    see officer_in_scope), in Vietnamese order of names."""
    users = db.session.execute(select(User).where(User.active.is_(True)).options(
        joinedload(User.person).joinedload(Person.unit),
        joinedload(User.person).joinedload(Person.post))).scalars().all()
    if round_ is not None:
        users = [u for u in users if officer_in_scope(u, round_)]
    return sorted(users, key=lambda u: person_sort_key(u.full_name))


def _officer_people(round_: BallotRound) -> dict[int, str]:
    """person id -> the post they hold among the round's officers (through their account)."""
    return {o.user.person_id: o.role.label for o in round_.officers
            if o.user is not None and o.user.person_id is not None}


def set_officers(actor, round_: BallotRound, *, chair, secretary, counter_head,
                 counters: Iterable) -> None:
    """Name the chair, the secretary, the head and the members of the counting team (None: the
    post stays empty; `counters` in the order of the counting-team slots 1, 2, ...).

    Refused, changing nothing, with the error on the slot concerned: an account outside the
    round's scope (officer_in_scope), a person voted on in the round (not excluded), and one
    person in two slots (an account is linked to at most one person, and a person has at most
    one account).
    """
    ROUND_STEPS.check(actor, round_, "set-officers")
    wanted = [("chair", OfficerRole.CHAIR, chair), ("secretary", OfficerRole.SECRETARY, secretary),
              ("counter_head", OfficerRole.COUNTER_HEAD, counter_head)]
    wanted += [(f"counter_{n}", OfficerRole.COUNTER, user)
               for n, user in enumerate(counters, start=1)]
    wanted = [(slot, role, user) for slot, role, user in wanted if user is not None]
    voted_on = {c.person_id for c in round_.active_candidates}
    taken: dict[int, str] = {}  # account id -> the slot that holds it
    for slot, _role, user in wanted:
        label = officer_slot_label(slot)
        if not officer_in_scope(user, round_):
            # The account is not named: it may belong to a unit the actor does not see.
            raise ValidationFailed(
                _l("The account chosen is not one of the people of %(unit)s and holds no role "
                   "over it. Choose someone of the round's unit."),
                field=slot, unit=round_.unit.name)
        if user.person_id in voted_on:
            raise ValidationFailed(
                _l("%(name)s is voted on in this round and cannot be “%(post)s”. Choose "
                   "someone else, or take them off the list of people voted on."),
                field=slot, name=user.full_name, post=label)
        if user.id in taken:
            raise ValidationFailed(
                _l("%(name)s is already “%(post)s”: one person holds one post among the chair, "
                   "the secretary and the counting team."),
                field=slot, name=user.full_name, post=officer_slot_label(taken[user.id]))
        taken[user.id] = slot
    round_.officers.clear()
    db.session.flush()
    for _slot, role, user in wanted:
        round_.officers.append(BallotOfficer(user_id=user.id, role=role))
    db.session.flush()
    record(actor, "ballot_round.officers_set", round_,
           officers=sorted(f"{role.value}:{user.id}" for _slot, role, user in wanted))


# ---------------------------------------------------------------- lifecycle


def start_attendance_blockers(round_: BallotRound) -> list[str]:
    """Why attendance cannot start yet (nothing: it can)."""
    reasons = []
    if not round_.active_candidates:
        reasons.append(str(_l("Add at least one person to vote on first.")))
    if not round_.voters:
        reasons.append(str(_l("Add the voters (the summoned list) first.")))
    return reasons


@ROUND_STEPS.performs("start-attendance")
def start_attendance(actor, round_: BallotRound) -> None:
    ROUND_STEPS.check(actor, round_, "start-attendance")
    reasons = start_attendance_blockers(round_)
    if reasons:
        raise InvalidState(" ".join(reasons))
    ROUND_STEPS.move(round_, "start-attendance")
    record(actor, "ballot_round.attendance_started", round_)


@dataclass(frozen=True)
class AttendanceChange:
    """What saving the attendance changed, so that the secretary's message can name it."""

    present: int
    summoned: int
    marked_present: list[str]  # names, in Vietnamese order
    marked_absent: list[str]


def set_attendance(actor, round_: BallotRound, present_voter_ids: Iterable[int]
                   ) -> AttendanceChange:
    """Mark exactly these voters present (everyone else absent)."""
    ROUND_STEPS.check(actor, round_, "take-attendance")
    present = {int(i) for i in present_voter_ids}
    known = {v.id for v in round_.voters}
    if present - known:
        raise ValidationFailed(_l("Some of the marked people are not on the list."))
    came, left = [], []
    for voter in voters_sorted(round_):
        now = voter.id in present
        if now != voter.present:
            (came if now else left).append(voter.full_name)
        voter.present = now
    db.session.flush()
    record(actor, "ballot_round.attendance_recorded", round_, present=len(present),
           summoned=len(known))
    return AttendanceChange(present=len(present), summoned=len(known), marked_present=came,
                            marked_absent=left)


def admit_latecomer(actor, round_: BallotRound, voter_id: int) -> BallotVoter:
    """Admit a member of the summoned list who arrives after voting opened: they are recorded
    present, counted into the number present frozen at opening (the quorum, the ballots issued
    and the percentages use it), and may vote.

    Only this way round: once voting is open nobody is marked absent, since a ballot already
    cast cannot be taken back, and whether someone has voted is not shown to the officers.
    """
    ROUND_STEPS.check_who(actor, round_, "admit-latecomer")
    # The round's row, locked and read afresh, as close_voting does: an admission and a close
    # never interleave, and two admissions at once each add their one.
    db.session.execute(select(BallotRound).where(BallotRound.id == round_.id)
                       .with_for_update().execution_options(populate_existing=True))
    ROUND_STEPS.check_state(round_, "admit-latecomer")
    voter = next((v for v in round_.voters if v.id == voter_id), None)
    if voter is None:
        raise NotFound(_l("This person is not on the summoned list of this round."))
    admitted = db.session.execute(
        update(BallotVoter).where(BallotVoter.id == voter.id, BallotVoter.present.is_(False))
        .values(present=True).execution_options(synchronize_session=False)).rowcount
    if not admitted:
        raise InvalidState(_l("%(name)s is already recorded present."), name=voter.full_name)
    db.session.execute(
        update(BallotRound).where(BallotRound.id == round_.id)
        .values(present_count=BallotRound.present_count + 1)
        .execution_options(synchronize_session=False))
    db.session.refresh(round_, ["present_count"])
    db.session.refresh(voter, ["present"])
    record(actor, "ballot_round.latecomer_admitted", round_, voter_id=voter.id,
           person_id=voter.person_id, name=voter.full_name, present=round_.present_count,
           summoned=round_.summoned_count)
    return voter


@dataclass(frozen=True)
class Turnout:
    summoned: int
    present: int
    voted: int

    @property
    def quorum_met(self) -> bool:
        return rules.quorum_met(self.present, self.summoned)

    @property
    def not_voted(self) -> int:
        """Present members who have not voted yet: a number, never who."""
        return max(self.present - self.voted, 0)


def turnout(round_: BallotRound) -> Turnout:
    summoned = db.session.execute(select(func.count(BallotVoter.id)).where(
        BallotVoter.round_id == round_.id)).scalar_one()
    present = db.session.execute(select(func.count(BallotVoter.id)).where(
        BallotVoter.round_id == round_.id, BallotVoter.present.is_(True))).scalar_one()
    voted = box.voted(round_box(round_))
    if ROUND_STEPS.in_phase(round_, "opened"):
        summoned, present = round_.summoned_count, round_.present_count
    return Turnout(summoned=summoned, present=present, voted=voted)


@ROUND_STEPS.performs("open")
def open_voting(actor, round_: BallotRound) -> None:
    ROUND_STEPS.check(actor, round_, "open")
    numbers = turnout(round_)
    if not numbers.quorum_met:
        raise InvalidState(
            _l("The quorum is not met: %(present)s of %(summoned)s present; at least two "
               "thirds must be present."), present=numbers.present, summoned=numbers.summoned)
    round_.summoned_count, round_.present_count = numbers.summoned, numbers.present
    ROUND_STEPS.move(round_, "open")
    round_.opened_at = utcnow()
    # The box's lines are the people voted on in ballot order (frozen since the draft).
    # An encrypted box: its key is dealt to the counting team's locks here and not kept.
    box.open_box(BallotRound.audit_type, round_.id, round_.scale,
                 [c.id for c in round_.active_candidates],
                 bad_line_voids_ballot=round_.bad_line_voids_ballot, storage="elgamal",
                 threshold=round_.key_threshold)
    record(actor, "ballot_round.voting_opened", round_, summoned=numbers.summoned,
           present=numbers.present)


def cast_ballot(voter: Person | int, round_: BallotRound,
                marks: Mapping[int, str | None]) -> str:
    """Put one complete ballot in the round's box for a present voter (their person, or its
    id); returns the voter's tracker.

    The round, the voter's roll entry and the box are checked first, reading each once (the
    box's lines are the people on the ballot: frozen since the draft and copied to the box when
    voting opened, they say which candidate ids the ballot must rate and on which line); the box
    then spends the voter's right and writes the ballot in one transaction (box.cast), where
    the participation's primary key makes a second ballot from the same person fail even when
    both arrive at the same instant. Relying on the roll entry read before the write lock is
    sound: while voting is open nobody leaves the roll or is marked absent (a latecomer can only
    be added), and the box itself is checked open under the lock.
    """
    person_id = voter if isinstance(voter, int) else voter.id
    ballot_box = _voting_box(round_, person_id)
    numbers = box.line_numbers(ballot_box)  # candidate id -> line, each candidate once
    try:
        checked = rules.check_ballot(round_.scale, numbers, marks)
    except ValueError as error:
        message = {
            "unmarked": _l("Every person on the ballot needs exactly one mark. Nothing was "
                           "recorded; complete the ballot and send it again."),
            "bad_level": _l("A mark is not one of the choices on the ballot. Nothing was "
                            "recorded."),
            "unknown_candidate": _l("The ballot names someone who is not on it. Nothing was "
                                    "recorded."),
        }[str(error)]
        raise ValidationFailed(message) from None
    return box.cast(ballot_box, box.KnownVoter(person_id), box.WrittenBallot(
        marks={numbers[candidate_id]: level for candidate_id, level in checked.items()}))


def cast_encrypted(voter: Person | int, round_: BallotRound, ballot: object) -> str:
    """Put one ballot encrypted on the voter's device in the round's box (its proofs are
    checked by the box); returns the tracker. The same checks of the voter as cast_ballot."""
    person_id = voter if isinstance(voter, int) else voter.id
    ballot_box = _voting_box(round_, person_id)
    return box.cast(ballot_box, box.KnownVoter(person_id), ballot)


def _voting_box(round_: BallotRound, person_id: int) -> Box:
    ROUND_STEPS.check_state(round_, "vote")
    if not round_.ballot_kinds.takes_browser:
        raise NotAllowed(_l("This round takes paper ballots only: vote on the paper ballot "
                            "handed to you in the hall."))
    entry = _roll_entry(round_, person_id)
    if entry is None:
        raise NotAllowed(_l("You are not on the list of voters of this round."))
    if not entry.present:
        raise NotAllowed(_l("You are not marked present; ask the secretary."))
    if entry.handed is not None:
        raise AlreadyVoted(_HANDED_ALREADY[entry.handed])
    ballot_box = round_box(round_)
    if ballot_box is None:  # voting is open only with its box: never, short of a broken round
        raise InvalidState(box.VOTING_NOT_OPEN)
    return ballot_box


_HANDED_ALREADY = {
    Handed.PAPER: _l("You were handed a paper ballot in the hall: vote on it. Each member "
                     "votes once."),
    Handed.CODE: _l("You were handed a code slip in the hall: vote with its code. Each member "
                    "votes once."),
}


# ---------------------------------------------------------------- handing out in the hall


class RollMark(enum.StrEnum):
    """What the roll shows for a present member once voting is open."""

    PAPER = "paper"      # handed a paper ballot
    CODE = "code"        # handed a code slip (never which one)
    ACCOUNT = "account"  # voted with their own account
    NOTHING = "nothing"  # nothing yet


def roll_marks(round_: BallotRound) -> dict[int, RollMark]:
    """roll entry id -> what the roll shows, for each present member (two reads)."""
    spent = box.spent_by_known_voters(round_box(round_))
    marks = {}
    for voter in round_.voters:
        if not voter.present:
            continue
        if voter.handed is not None:
            marks[voter.id] = RollMark(voter.handed.value)
        else:
            marks[voter.id] = RollMark.ACCOUNT if voter.person_id in spent else RollMark.NOTHING
    return marks


@dataclass(frozen=True)
class CodeSlips:
    """Ballots cast with codes against code slips recorded on the roll as handed out."""

    cast: int
    handed: int


def codes_beyond_slips(round_: BallotRound) -> CodeSlips | None:
    """Set when more ballots were cast with codes than slips are recorded as handed out: a
    member handed a slip that is not on the roll could also vote with their account, so the
    secretary is told while voting is open, when the roll can still be put right."""
    cast = box.codes_count(round_box(round_))[1]
    handed = slips_handed(round_)
    return CodeSlips(cast, handed) if cast > handed else None


def slips_handed(round_: BallotRound) -> int:
    """How many members the roll records as handed a code slip (never which slip)."""
    return sum(v.handed is Handed.CODE for v in round_.voters)


def hand_out(actor, round_: BallotRound, voter_id: int, kind: Handed | str) -> BallotVoter:
    """A present member is handed a paper ballot or a code slip: in one transaction their own
    right in the round's box is spent (they can no longer vote with their account) and the
    kind is recorded on the roll, never which slip. Refused when the member is not present,
    has already voted with their account, or was already handed something."""
    ROUND_STEPS.check(actor, round_, "hand-out")
    kind = _hand_kind(round_, kind)
    voter = next((v for v in round_.voters if v.id == voter_id), None)
    if voter is None:
        raise NotFound(_l("This person is not on the summoned list of this round."))
    if not voter.present:
        raise InvalidState(_l("%(name)s is not recorded present: admit them first."),
                           name=voter.full_name)
    if voter.handed is not None:
        raise InvalidState(_HANDED[voter.handed], name=voter.full_name)
    ballot_box = round_box(round_)
    try:
        box.spend(ballot_box, box.KnownVoter(voter.person_id))
    except AlreadyVoted:
        raise InvalidState(_l("%(name)s has already voted with their account: nothing can be "
                              "handed to them."), name=voter.full_name) from None
    # Under the write lock just taken: a second hand-out racing this one found the right spent.
    voter.handed = kind
    db.session.flush()
    record(actor, "ballot_round.handed_out", round_, voter_id=voter.id,
           person_id=voter.person_id, name=voter.full_name, handed=kind.value)
    return voter


def hand_out_all(actor, round_: BallotRound, kind: Handed | str) -> list[BallotVoter]:
    """Every present member who has neither voted with their account nor been handed anything
    is handed a paper ballot (or a code slip) at once, as when a hall votes on paper: the same
    as handing out one by one (each member's own right spent, the kind on the roll), in one
    transaction and one audit entry. A member whose account ballot arrives meanwhile is left
    out. Refused when nobody is left to hand anything to."""
    ROUND_STEPS.check(actor, round_, "hand-out")
    kind = _hand_kind(round_, kind)
    ballot_box = round_box(round_)
    marks = roll_marks(round_)
    waiting = [v for v in voters_sorted(round_) if marks.get(v.id) is RollMark.NOTHING]
    handed = []
    for voter in waiting:
        try:
            box.spend(ballot_box, box.KnownVoter(voter.person_id))
        except AlreadyVoted:  # voted with their account since the roll was read
            continue
        voter.handed = kind
        handed.append(voter)
    if not handed:
        raise InvalidState(_l("Every member present has already voted with their account or "
                              "been handed something: nobody is left to hand anything to."))
    db.session.flush()
    record(actor, "ballot_round.handed_out_all", round_, handed=kind.value, count=len(handed),
           voter_ids=[v.id for v in handed])
    return handed


def _hand_kind(round_: BallotRound, kind: Handed | str) -> Handed:
    """The kind of hand-out asked for, if the round takes it."""
    try:
        kind = Handed(kind)
    except ValueError:
        raise ValidationFailed(_l("Choose a paper ballot or a code slip."), field="kind") from None
    if kind is Handed.PAPER and not round_.ballot_kinds.takes_paper:
        raise InvalidState(_l("This round takes no paper ballots."))
    if kind is Handed.CODE and not round_.ballot_kinds.takes_browser:
        raise InvalidState(_l("This round takes paper ballots only: no code slips."))
    return kind


_HANDED = {
    Handed.PAPER: _l("%(name)s was already handed a paper ballot."),
    Handed.CODE: _l("%(name)s was already handed a code slip."),
}


def box_parameters(round_: BallotRound) -> dict | None:
    """What a voter's device encrypts the ballot under (None when the box is not encrypted)."""
    ballot_box = round_box(round_)
    return box.parameters(ballot_box) if box.encrypted(ballot_box) else None


# ---------------------------------------------------------------- the counting team's key


@dataclass(frozen=True)
class KeyHolder:
    number: int
    holder: str
    unlocked: bool = False


@dataclass(frozen=True)
class RoundKey:
    """The counting team's key of a round, as its pages show it."""

    holders: list[KeyHolder]
    threshold: int          # how many must unlock to count
    dealt: bool             # the box is open or closed: the shares are sealed
    unlocked: int

    @property
    def can_count(self) -> bool:
        return self.unlocked >= self.threshold


def round_key(round_: BallotRound) -> RoundKey:
    ballot_box = round_box(round_)
    if box.encrypted(ballot_box):
        done = set(box.unlocked(ballot_box))
        holders = [KeyHolder(s.number, s.holder, s.number in done)
                   for s in box.shares_of(ballot_box)]
        return RoundKey(holders, box.threshold(ballot_box), True, len(done))
    holders = [KeyHolder(lock.number, lock.holder)
               for lock in box.locks_of(BallotRound.audit_type, round_.id)]
    threshold = round_.key_threshold or (len(holders) // 2 + 1 if holders else 1)
    return RoundKey(holders, threshold, False, 0)


def protect_share(actor, round_: BallotRound, holder: str, passphrase: str,
                  confirmation: str | None = None) -> KeyHolder:
    """A counting-team member sets the passphrase that will protect their share of the round's
    key (dealt when voting opens). Only the lock's public half is stored."""
    ROUND_STEPS.check(actor, round_, "protect-share")
    lock = box.register_lock(BallotRound.audit_type, round_.id, holder, passphrase,
                             confirmation)
    record(actor, "ballot_round.key_registered", round_, number=lock.number,
           holder=lock.holder)
    return KeyHolder(lock.number, lock.holder)


def protect_share_with_file(actor, round_: BallotRound, holder: str) -> tuple[KeyHolder, str]:
    """A counting-team member keeps their share's key as a file instead of a passphrase: the
    file's text is returned once, to be downloaded and kept; only the lock is stored."""
    ROUND_STEPS.check(actor, round_, "protect-share")
    lock, text = box.register_key_file(BallotRound.audit_type, round_.id, holder)
    record(actor, "ballot_round.key_registered", round_, number=lock.number,
           holder=lock.holder)
    return KeyHolder(lock.number, lock.holder), text


def remove_key_holder(actor, round_: BallotRound, number: int) -> None:
    ROUND_STEPS.check(actor, round_, "protect-share")
    lock = box.forget_lock(BallotRound.audit_type, round_.id, number)
    record(actor, "ballot_round.key_removed", round_, number=lock.number, holder=lock.holder)


def set_key_threshold(actor, round_: BallotRound, threshold: int | None) -> None:
    """How many counting-team members must unlock to count (None: a majority). Checked
    against the number of keys again when voting opens."""
    ROUND_STEPS.check(actor, round_, "protect-share")
    if threshold is not None:
        holders = len(box.locks_of(BallotRound.audit_type, round_.id))
        if not 1 <= threshold <= max(holders, 1):
            raise ValidationFailed(
                _l("Choose a number between 1 and the number of members holding a key "
                   "(%(n)s)."), field="threshold", n=holders)
    round_.key_threshold = threshold
    db.session.flush()
    record(actor, "ballot_round.key_threshold_set", round_, threshold=threshold)


def unlock_share(actor, round_: BallotRound, number: int, passphrase: str | None = None,
                 key_file: bytes | None = None) -> KeyHolder:
    """A counting-team member unlocks their share: their partial decryption of the box's sums
    is stored (with its proof); the share itself is used in memory and dropped."""
    ROUND_STEPS.check(actor, round_, "unlock-share")
    secret = box.key_from_file(key_file) if key_file else passphrase
    share = box.unlock_share(round_box(round_), number, secret)
    record(actor, "ballot_round.share_unlocked", round_, number=share.number,
           holder=share.holder)
    return KeyHolder(share.number, share.holder, True)


@ROUND_STEPS.performs("close")
def close_voting(actor, round_: BallotRound) -> None:
    """Close the box, which rewrites its ballots in a random order and scrubs the storage
    after the commit (see evalapp.box.services.close_box)."""
    ROUND_STEPS.check_who(actor, round_, "close")
    # Admissions of latecomers lock the round's row too: a close and an admission never
    # interleave. Read the status afresh.
    db.session.execute(select(BallotRound).where(BallotRound.id == round_.id)
                       .with_for_update().execution_options(populate_existing=True))
    ROUND_STEPS.check_state(round_, "close")
    ballots = box.close_box(round_box(round_))
    ROUND_STEPS.move(round_, "close")
    round_.closed_at = utcnow()
    record(actor, "ballot_round.voting_closed", round_, ballots=ballots)


def box_digest(round_: BallotRound) -> str:
    """SHA-256 of the round's box (see evalapp.box.storage)."""
    return box.digest(round_box(round_))


@ROUND_STEPS.performs("count")
def count_round(actor, round_: BallotRound) -> rules.Tally:
    """Count the closed box and the round's paper ballots, whose totals are added to the box's
    (domain §1); the counts are stored, the percentages derived when shown. Refused, naming
    the ballot numbers, while a paper ballot lacks entries or has unresolved disagreements."""
    ROUND_STEPS.check(actor, round_, "count")
    blockers = paper.count_blockers(round_)
    if blockers:
        raise InvalidState(" ".join(blockers))
    ballot_box = round_box(round_)
    counted = _counted(round_, box.count_box(ballot_box, issued=round_.present_count or 0),
                       ballot_box)
    handed = paper.paper_issued(round_) or 0
    if (round_.ballot_kinds is BallotKinds.BOTH and round_.paper_mode is PaperMode.BALLOTS
            and counted.paper_collected > handed):
        # Where members may vote either way, only the roll says who got paper.
        raise InvalidState(_l("%(paper)s paper ballots were entered but only %(handed)s were "
                              "handed out on the roll. Check the numbering of the paper "
                              "ballots and the roll."), paper=counted.paper_collected,
                           handed=handed)
    round_.issued_count = counted.issued
    round_.collected_count = counted.collected
    round_.valid_count = counted.valid
    round_.invalid_count = counted.invalid
    round_.paper_collected_count = counted.paper_collected
    round_.box_digest = counted.digest
    try:
        result = tally_of(round_, counted.line_counts)
    except ValueError:  # more ballots than issued, more marks than valid ballots
        slips = codes_beyond_slips(round_)
        if slips is not None:
            # Unrecorded code slips: their members could also vote with their account.
            raise InvalidState(_l(
                "The ballots do not add up: %(collected)s collected for %(issued)s issued. "
                "%(cast)s ballots were cast with codes but only %(handed)s code slips are "
                "recorded on the roll: a member whose slip was not recorded could also vote "
                "with their account. This count cannot be accepted; the vote has to be held "
                "again."), collected=counted.collected, issued=counted.issued,
                cast=slips.cast, handed=slips.handed) from None
        raise InvalidState(_l("The ballots do not add up: %(collected)s collected (%(paper)s "
                              "on paper) for %(issued)s issued. Check the numbering of the "
                              "paper ballots."), collected=counted.collected,
                           paper=counted.paper_collected, issued=counted.issued) from None
    db.session.execute(delete(BallotCount).where(BallotCount.round_id == round_.id))
    db.session.execute(insert(BallotCount), [
        {"round_id": round_.id, "candidate_id": c.candidate_id, "level": level, "count": n}
        for c in result.candidates for level, n in c.counts.items()])
    ROUND_STEPS.move(round_, "count")
    round_.counted_at = utcnow()
    record(actor, "ballot_round.counted", round_, collected=counted.collected,
           valid=counted.valid, paper=counted.paper_collected, digest=round_.box_digest)
    return result


@dataclass(frozen=True)
class RoundCount:
    """The box's count and the paper ballots' together."""

    issued: int
    collected: int
    valid: int
    invalid: int
    paper_collected: int
    line_counts: dict[tuple[int, Level], int]  # (candidate id, level) -> marks
    digest: str


def _counted(round_: BallotRound, counted: box.BoxCount, ballot_box: Box) -> RoundCount:
    """The box's count (`counted`) with the round's paper ballots added."""
    line_counts = {(candidate_id, Level(level)): n for (candidate_id, level), n
                   in counted.by_subject(ballot_box).items()}
    issued = counted.issued
    on_paper = paper.paper_count(round_)
    if on_paper is None:
        return RoundCount(issued, counted.collected, counted.valid, counted.invalid, 0,
                          line_counts, counted.digest)
    if round_.paper_mode is PaperMode.TOTALS:
        # Paper ballots issued are the team's count; browser ballots: one issued per ballot.
        issued = paper.paper_issued(round_) + counted.collected
    subjects = [c.id for c in round_.active_candidates]
    for (candidate_id, level), n in on_paper.by_subject(subjects).items():
        key = (candidate_id, Level(level))
        line_counts[key] = line_counts.get(key, 0) + n
    return RoundCount(issued, counted.collected + on_paper.collected,
                      counted.valid + on_paper.valid, counted.invalid + on_paper.invalid,
                      on_paper.collected, line_counts, counted.digest)


def round_counts(round_: BallotRound) -> RoundCounts:
    return RoundCounts(summoned=round_.summoned_count or 0, present=round_.present_count or 0,
                       issued=round_.issued_count or 0, collected=round_.collected_count or 0,
                       valid=round_.valid_count or 0, invalid=round_.invalid_count or 0)


@dataclass(frozen=True)
class CountProblem:
    kind: str  # "digest", "ballots" or "line"
    text: str  # in the reader's words

    def __str__(self) -> str:
        return self.text


def check_count(round_: BallotRound) -> list[CountProblem]:
    """A counted round's stored count against its box counted again: the digest (any ballot or
    tracker changed, added or removed since counting), the numbers of ballots and every line's
    counts. Returns what differs (empty: all agree). Reads only."""
    if not ROUND_STEPS.in_phase(round_, "results_exist"):
        return []
    ballot_box = round_box(round_)
    try:
        again = _counted(round_, box.recount(ballot_box, issued=round_.present_count or 0),
                         ballot_box)
    except InvalidState as error:  # an encrypted box whose ballots or sums no longer match
        problems = [CountProblem("ballots", error.text())]
        if box.digest(ballot_box) != round_.box_digest:
            problems.insert(0, CountProblem("digest", str(_l(
                "The content of the ballot box differs from the box that was counted."))))
        return problems
    problems = []
    if again.digest != round_.box_digest:
        problems.append(CountProblem("digest", str(_l(
            "The content of the ballot box differs from the box that was counted (digest "
            "%(stored)s, now %(now)s).", stored=(round_.box_digest or "")[:16],
            now=again.digest[:16]))))
    if (again.collected, again.valid, again.invalid, again.paper_collected) != (
            round_.collected_count, round_.valid_count, round_.invalid_count,
            round_.paper_collected_count or 0):
        problems.append(CountProblem("ballots", str(_l(
            "The numbers of ballots collected, valid and invalid differ from the box's."))))
    stored = {(c.candidate_id, c.level.value): c.count for c in db.session.execute(
        select(BallotCount).where(BallotCount.round_id == round_.id)).scalars() if c.count}
    recounted = {(candidate_id, level.value): n
                 for (candidate_id, level), n in again.line_counts.items() if n}
    for candidate in round_.active_candidates:
        mine = {k: n for k, n in stored.items() if k[0] == candidate.id}
        theirs = {k: n for k, n in recounted.items() if k[0] == candidate.id}
        if mine != theirs:
            problems.append(CountProblem("line", str(_l(
                "The stored counts of %(name)s differ from the box's.",
                name=candidate.full_name))))
    return problems


def tally_of(round_: BallotRound, line_counts=None) -> rules.Tally:
    if line_counts is None:
        line_counts = {(c.candidate_id, c.level): c.count for c in db.session.execute(
            select(BallotCount).where(BallotCount.round_id == round_.id)).scalars()}
    return rules.tally(round_.scale, round_.base, round_counts(round_),
                       [c.id for c in round_.active_candidates], line_counts,
                       places=round_.percent_places)


@ROUND_STEPS.performs("finalise")
def finalise_round(actor, round_: BallotRound) -> None:
    ROUND_STEPS.check(actor, round_, "finalise")
    ROUND_STEPS.move(round_, "finalise")
    round_.finalised_at = utcnow()
    record(actor, "ballot_round.finalised", round_)


@ROUND_STEPS.performs("publish")
def publish_results(actor, round_: BallotRound) -> None:
    """Show the results to every voter of the round: a deliberate step."""
    ROUND_STEPS.check(actor, round_, "publish")
    round_.published_at = utcnow()
    record(actor, "ballot_round.published", round_)


def trackers(round_: BallotRound) -> list[str]:
    return box.trackers(round_box(round_))


def published_box(round_: BallotRound) -> dict:
    """The round's box as published after counting (box.bundle), to re-check."""
    if not ROUND_STEPS.in_phase(round_, "results_exist"):
        raise InvalidState(_l("The box is published once the ballots are counted."))
    return box.bundle(round_box(round_))


def below_secrecy_threshold(round_: BallotRound) -> bool:
    return (round_.collected_count or 0) < round_.secrecy_threshold


def voters_sorted(round_: BallotRound) -> list[BallotVoter]:
    return sorted(round_.voters, key=lambda v: person_sort_key(v.full_name))



def create_accounts_for_roll(actor, round_: BallotRound,
                             limit: int | None = None) -> list[tuple[User, str]]:
    """Voter accounts for the members of the summoned list who have none (see
    auth.services.create_voter_accounts): the passwords are shown once, to print as slips.
    With a limit, only the first `limit` of them in the list's order (a batch)."""
    require(actor, "ballots.manage", round_)
    return create_voter_accounts(actor, [v.person for v in voters_sorted(round_)], limit)


def count_voters_without_account(round_: BallotRound) -> int:
    return len(people_without_account([v.person for v in round_.voters]))
