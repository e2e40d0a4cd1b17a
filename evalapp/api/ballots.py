"""Confidence rounds through the API: creating and building them, the meeting's steps, casting,
turnout, results and trackers. The same services, permissions, lifecycle and secrecy as the pages.

Order of refusals, on every endpoint of a round: a round the account may not see is 404 (as if
it did not exist), then 403 for an action it may not take, then 400/422 for the body, then the
service's own refusals (409 for a state that does not allow the step).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from flask import abort, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import AfterValidator, Field

from evalapp.api.base import Out, Time, api_user, bad_field, body, endpoint, sent
from evalapp.api.org import Ref
from evalapp.auth.permissions import can, require
from evalapp.ballots import services as ballots
from evalapp.ballots.lifecycle import ROUND_STEPS
from evalapp.ballots.models import OfficerRole, RoundStatus
from evalapp.ballots.schemas import (
    BallotKinds,
    BodyName,
    ExclusionReason,
    GoverningBodyName,
    Locality,
    PaperEntries,
    PaperMode,
    PercentPlaces,
    Place,
    PresetKey,
    RoundBand,
    RoundLevel,
    RoundScale,
    SecrecyThreshold,
    Title,
)
from evalapp.core.errors import InvalidState, NotAllowed, NotFound, ValidationFailed
from evalapp.core.schemas import MAX_ID, Id, Ids, Schema, text
from evalapp.core.transactions import reads_first
from evalapp.extensions import db
from evalapp.org import services as org
from evalapp.tally.presets import DEFAULT_PRESET
from evalapp.tally.rules import Base, Scale

TAG = ("ballot rounds",)
VOTING = ("voting",)

# ---------------------------------------------------------------- answers


class RoundSettingsOut(Out):
    base: Base
    bad_line_voids_ballot: bool
    results_to_candidates: bool
    publish_to_voters: bool
    secrecy_threshold: int
    ballot_kinds: BallotKinds
    paper_entries: int
    paper_mode: PaperMode
    percent_places: int


class BallotCandidate(Out):
    """A person voted on, as they were when added (a snapshot)."""

    id: int
    person_id: int
    position: int
    full_name: str
    post_name: str | None
    unit_name: str
    excluded: bool
    exclusion_reason: str | None


class BallotOfficer(Out):
    user_id: int
    full_name: str
    role: OfficerRole


class BallotVoter(Out):
    id: int
    person_id: int
    full_name: str
    unit_name: str
    present: bool


class You(Out):
    """The token's account in this round."""

    may_manage: bool
    may_run_meeting: bool
    may_count: bool
    may_see_all_results: bool
    may_see_own_result: bool
    voter_id: int | None
    present: bool | None
    has_voted: bool | None
    candidate_id: int | None


class BallotRoundSummary(Out):
    id: int
    title: str
    body_name: str
    unit: Ref
    place: str | None
    meeting_date: date | None
    governing_body_name: str | None
    locality: str | None
    scale: RoundScale
    preset: str
    status: RoundStatus


class BallotRound(BallotRoundSummary):
    """One round as the account may see it, as on its page: the roll (`voters`) only for those
    who manage or run the meeting; never who voted, let alone what. The ballot's lines are the
    candidates not excluded, in `position` order, each marked with one of `levels`."""

    settings: RoundSettingsOut
    levels: list[RoundLevel] = Field(description="The choices on each line of this round's ballot")
    opened_at: Time | None
    closed_at: Time | None
    counted_at: Time | None
    finalised_at: Time | None
    published_at: Time | None
    candidates: list[BallotCandidate]
    officers: list[BallotOfficer]
    you: You
    voters: list[BallotVoter] | None = Field(
        None, description="Only for admins, the chair and the secretary")


class BallotRounds(Out):
    items: list[BallotRoundSummary]


class BallotReceipt(Out):
    round_id: int
    tracker: str = Field(description="The SHA-256 of the encrypted ballot's canonical JSON; "
                                     "shows up in the round's trackers after closing")


class BoxOut(Out):
    round_id: int
    parameters: dict = Field(description="What a ballot is encrypted under (docs/crypto.md): "
                                         "public key, threshold, guardians' verification "
                                         "keys, levels, lines")
    fingerprint: str


class KeyHolderOut(Out):
    round_id: int
    number: int
    holder: str
    unlocked: bool


class BallotTurnout(Out):
    round_id: int
    status: RoundStatus
    summoned: int
    present: int
    voted: int
    quorum_met: bool


class Counts(Out):
    summoned: int
    present: int
    issued: int
    collected: int
    valid: int
    invalid: int


class ResultLine(Out):
    candidate_id: int
    position: int
    full_name: str
    post_name: str | None
    unit_name: str
    counts: dict[str, int] = Field(description="Keyed by level")
    percents: dict[str, Annotated[str, Field(pattern=r"^\d+\.\d\d?$")]] = Field(
        description="Keyed by level: the round's decimals (two, or one), rounded half up")
    blank: int
    band: RoundBand | None


class BallotResults(Out):
    round_id: int
    status: RoundStatus
    scope: str = Field(description="all, or own: the line of the person voted on")
    scale: RoundScale
    base: Base
    base_value: int = Field(description="The number percentages are of")
    counts: Counts
    box_digest: str | None = Field(description="SHA-256 of the box's content")
    published: bool
    secrecy_warning: bool
    candidates: list[ResultLine]


class BallotTrackers(Out):
    round_id: int
    count: int
    box_digest: str
    trackers: list[str]


def round_summary(round_) -> dict:
    return dict(id=round_.id, title=round_.title, body_name=round_.body_name,
                unit=Ref(id=round_.unit.id, name=round_.unit.name), place=round_.place,
                meeting_date=round_.meeting_date,
                governing_body_name=round_.governing_body_name, locality=round_.locality,
                scale=round_.scale, preset=round_.preset, status=round_.status)


def round_out(round_, user) -> BallotRound:
    """The round as `user` may see it (see BallotRound)."""
    may_run = ballots.can_run_meeting(user, round_)
    entry = ballots.voter_entry(user, round_)
    own = ballots.own_candidacy(user, round_)
    extra = {}
    if may_run:
        extra["voters"] = [BallotVoter(id=v.id, person_id=v.person_id, full_name=v.full_name,
                                       unit_name=v.unit_name, present=v.present)
                           for v in ballots.voters_sorted(round_)]
    return BallotRound(
        **round_summary(round_),
        settings=RoundSettingsOut(
            base=round_.base, bad_line_voids_ballot=round_.bad_line_voids_ballot,
            results_to_candidates=round_.results_to_candidates,
            publish_to_voters=round_.publish_to_voters,
            secrecy_threshold=round_.secrecy_threshold, ballot_kinds=round_.ballot_kinds,
            paper_entries=round_.paper_entries, paper_mode=round_.paper_mode,
            percent_places=round_.percent_places),
        levels=list(round_.scale.levels),
        opened_at=round_.opened_at, closed_at=round_.closed_at, counted_at=round_.counted_at,
        finalised_at=round_.finalised_at, published_at=round_.published_at,
        candidates=[BallotCandidate(
            id=c.id, person_id=c.person_id, position=c.position, full_name=c.full_name,
            post_name=c.post_name, unit_name=c.unit_name, excluded=c.excluded,
            exclusion_reason=c.exclusion_reason) for c in round_.candidates],
        officers=[BallotOfficer(user_id=o.user_id, full_name=o.user.full_name, role=o.role)
                  for o in round_.officers],
        you=You(may_manage=ballots.can_manage_round(user, round_), may_run_meeting=may_run,
                may_count=ballots.can_count(user, round_),
                may_see_all_results=ballots.can_see_all_results(user, round_),
                may_see_own_result=bool(ballots.can_see_own_result(user, round_)),
                voter_id=entry.id if entry else None,
                present=entry.present if entry else None,
                has_voted=ballots.has_voted(round_, entry.person_id) if entry else None,
                candidate_id=own.id if own else None),
        **extra)


def results_out(round_, shown: set[int], scope: str) -> BallotResults:
    tally = ballots.tally_of(round_)
    by_id = {c.id: c for c in round_.active_candidates}
    counts = tally.counts
    return BallotResults(
        round_id=round_.id, status=round_.status, scope=scope, scale=tally.scale,
        base=tally.base, base_value=tally.base_value,
        counts=Counts(summoned=counts.summoned, present=counts.present, issued=counts.issued,
                      collected=counts.collected, valid=counts.valid, invalid=counts.invalid),
        box_digest=round_.box_digest, published=round_.published_at is not None,
        secrecy_warning=ballots.below_secrecy_threshold(round_),
        candidates=[ResultLine(
            candidate_id=line.candidate_id, position=by_id[line.candidate_id].position,
            full_name=by_id[line.candidate_id].full_name,
            post_name=by_id[line.candidate_id].post_name,
            unit_name=by_id[line.candidate_id].unit_name,
            counts={level.value: n for level, n in line.counts.items()},
            percents={level.value: str(p) for level, p in line.percents.items()},
            blank=line.blank, band=line.band,
        ) for line in tally.candidates if line.candidate_id in shown])


# ---------------------------------------------------------------- request bodies
#
# The fields reuse the annotated types of evalapp.ballots.schemas: a limit is written there once.


class BallotRoundCreate(Schema):
    title: Title
    body_name: BodyName = Field(description="The body holding the vote, as printed on documents")
    unit_id: Id
    place: Place | None = None
    meeting_date: date | None = None
    governing_body_name: GoverningBodyName | None = Field(
        None, description="Printed above the body in the documents' heading (e.g. UBND TỈNH … "
                          "above SỞ NỘI VỤ)")
    locality: Locality | None = Field(
        None, description="The place name of the documents' date line; when empty it is taken "
                          "from the name of the body")
    scale: RoundScale = Scale.THREE_LEVEL
    preset: PresetKey = DEFAULT_PRESET


class BallotRoundUpdate(Schema):
    """Absent fields keep their value; at least one field."""

    # None as a default is never validated: sent, these fields may not be null.
    title: Title = None
    body_name: BodyName = None
    unit_id: Id = None
    place: Place | None = None
    meeting_date: date | None = None
    governing_body_name: GoverningBodyName | None = None
    locality: Locality | None = None
    base: Base = Field(None, description="What percentages are taken of")
    bad_line_voids_ballot: bool = None
    results_to_candidates: bool = Field(None, description="Each person voted on sees their "
                                                          "own result")
    publish_to_voters: bool = None
    secrecy_threshold: SecrecyThreshold = Field(
        None, description="Fewer ballots than this: results carry a warning")
    ballot_kinds: BallotKinds = Field(None, description="Browser (account or code), paper, "
                                                        "or both")
    paper_entries: PaperEntries = Field(None, description="Independent entries of each paper "
                                                          "ballot, by different operators")
    paper_mode: PaperMode = Field(None, description="Paper keyed ballot by ballot, or totals")
    percent_places: PercentPlaces = Field(None, description="Decimals of the percentages")


class PersonIds(Schema):
    person_ids: Ids


class CandidateOrder(Schema):
    """Every candidate id once, in the new order."""

    candidate_ids: Ids


class Exclusion(Schema):
    reason: ExclusionReason | None = Field(description="Why; null includes them again")


class VotersToAdd(Schema):
    """Either chosen people or every active person of a unit and its sub-units."""

    person_ids: Ids = None
    unit_id: Id = None


class Officers(Schema):
    counter_user_ids: Ids
    chair_user_id: Id | None
    secretary_user_id: Id | None
    counter_head_user_id: Id | None


class Attendance(Schema):
    present_voter_ids: Ids


_CANDIDATE_KEY = re.compile(r"[1-9][0-9]{0,9}")


def _marks(value: dict[str, str | None]) -> dict[int, str | None]:
    """{"<candidate id>": "<level>"}; what the levels say is checked by the service."""
    if not all(_CANDIDATE_KEY.fullmatch(key) and int(key) <= MAX_ID for key in value):
        raise ValueError("marks")
    return {int(key): mark for key, mark in value.items()}


class BallotCast(Schema):
    marks: Annotated[dict[str, str | None], AfterValidator(_marks)] | None = Field(
        None, description="One level per person on the ballot, keyed by candidate id; the "
                          "server encrypts it on arrival (this path trusts the server at that "
                          "moment). Give either marks or ballot.",
        examples=[{"12": "high", "13": "low"}])
    ballot: dict | None = Field(
        None, description="The ballot encrypted by the client under the round's box "
                          "(GET …/box; format in docs/crypto.md), with its proofs")

    # Never quote the marks back: a ballot's content goes nowhere but the box.
    field_messages = {"marks": _l("The field marks must map each candidate id to a level. "
                                  "Nothing was recorded."),
                      "ballot": _l("The field ballot must be an encrypted ballot. Nothing was "
                                   "recorded.")}


class KeyHolderIn(Schema):
    holder: text(255, blank=False)
    passphrase: text(200, blank=False)


class ShareUnlock(Schema):
    passphrase: text(200, blank=False)


# ---------------------------------------------------------------- helpers


def ballot_round_for(round_id: int, action: str | None = None):
    """The round if the token's account may see it, else 404 as if it did not exist; then 403
    unless it may do `action` on it."""
    user = api_user()
    round_ = ballots.visible_round(user, round_id)
    if action is not None:
        require(user, action, round_)
    return round_


def _round_answer(round_, status: int = 200):
    answer = round_out(round_, api_user())
    if status == 201:
        return answer, 201, {"Location": url_for("api.ballot_round", round_id=round_.id)}
    return answer


def _existing(find, name: str, record_id: int | None):
    """The unit or account a body refers to; an unknown id is bad input (422), not a 404."""
    if record_id is None:
        return None
    try:
        return find(record_id)
    except NotFound:
        raise bad_field(name, _("Nothing has the id %(id)s given in %(name)s.", id=record_id,
                           name=name)) from None


def _account(name: str, user_id: int | None):
    from evalapp.auth.services import get_user

    user = _existing(get_user, name, user_id)
    if user is not None and not user.active:
        raise bad_field(name, _("The account given in %(name)s is disabled.", name=name))
    return user


def _details(data, round_=None) -> ballots.RoundDetails:
    """The round's details from a body; on a PATCH (`round_` given) absent fields keep their
    value."""
    given = sent(data)

    def value(name):
        return getattr(round_ if round_ is not None and name not in given else data, name)

    unit = round_.unit if round_ is not None and "unit_id" not in given else \
        _existing(org.get_unit, "unit_id", data.unit_id)
    return ballots.RoundDetails(
        title=value("title"), body_name=value("body_name"), unit=unit, place=value("place"),
        meeting_date=value("meeting_date"), governing_body_name=value("governing_body_name"),
        locality=value("locality"))


# ---------------------------------------------------------------- rounds


ROUND_ERRORS = {403: None, 404: "No such round, or the account may not see it; or no such "
                                "candidate, voter or step in it", 409: None}
CHANGE_ERRORS = {**ROUND_ERRORS, 400: None, 422: None}


@endpoint("/ballot-rounds", summary="Rounds the account works on, votes in or is voted on in, "
          "newest first (admins: the rounds of the units they administer)", ok=BallotRounds,
          tags=TAG)
def ballot_rounds():
    return BallotRounds(items=[BallotRoundSummary(**round_summary(r))
                               for r in ballots.rounds_for(api_user())])


@endpoint("/ballot-rounds", "POST", summary="Create a round (admins of the round's unit)",
          description="The round starts as a draft with the settings of the chosen rule set; "
                      "change them with PATCH while it is a draft. `Location` names the new "
                      "round.", body=BallotRoundCreate, ok=BallotRound, status=201,
          errors=(400, 403, 422), tags=TAG)
def create_ballot_round():
    if not can(api_user(), "admin.anywhere"):
        abort(403)
    data = body()
    round_ = ballots.create_round(api_user(), _details(data), data.scale, data.preset)
    db.session.commit()
    return _round_answer(round_, 201)


@endpoint("/ballot-rounds/<int:round_id>", summary="One round: details, settings, status, "
          "people voted on, officers, and the roll for those who manage or run the meeting",
          ok=BallotRound, errors=(403, 404), tags=TAG)
def ballot_round(round_id: int):
    return _round_answer(ballot_round_for(round_id))


@endpoint("/ballot-rounds/<int:round_id>", "PATCH", summary="Change details and settings of a "
          "draft (admins); absent fields keep their value", body=BallotRoundUpdate,
          ok=BallotRound, errors=CHANGE_ERRORS, tags=TAG)
def update_ballot_round(round_id: int):
    round_ = ballot_round_for(round_id, "ballots.manage")
    data = body()
    given = sent(data)
    if not given:
        raise ValidationFailed(_("Send at least one field to change."))

    def setting(name):
        return getattr(data, name) if name in given else getattr(round_, name)

    ballots.update_round(
        api_user(), round_, _details(data, round_), base=setting("base"),
        bad_line_voids_ballot=setting("bad_line_voids_ballot"),
        results_to_candidates=setting("results_to_candidates"),
        publish_to_voters=setting("publish_to_voters"),
        secrecy_threshold=setting("secrecy_threshold"), ballot_kinds=setting("ballot_kinds"),
        paper_entries=setting("paper_entries"), paper_mode=setting("paper_mode"),
        percent_places=setting("percent_places"))
    db.session.commit()
    return _round_answer(round_)


@endpoint("/ballot-rounds/<int:round_id>/candidates", "POST", summary="Add people to vote on "
          "(draft; admins), copying name, post and unit as they are today", body=PersonIds,
          ok=BallotRound, errors=CHANGE_ERRORS, tags=TAG)
def add_ballot_candidates(round_id: int):
    round_ = ballot_round_for(round_id, "ballots.manage")
    ballots.add_candidates(api_user(), round_, body().person_ids)
    db.session.commit()
    return _round_answer(round_)


@endpoint("/ballot-rounds/<int:round_id>/candidates/order", "PUT", summary="Set the order of "
          "the people voted on (draft; admins); list every candidate id once",
          body=CandidateOrder, ok=BallotRound, errors=CHANGE_ERRORS, tags=TAG)
def order_ballot_candidates(round_id: int):
    round_ = ballot_round_for(round_id, "ballots.manage")
    ballots.reorder_candidates(api_user(), round_, body().candidate_ids)
    db.session.commit()
    return _round_answer(round_)


@endpoint("/ballot-rounds/<int:round_id>/candidates/<int:candidate_id>/exclusion", "POST",
          summary="Exclude someone from the vote with a reason, or include them again with "
                  "null (draft; admins)", body=Exclusion, ok=BallotRound, errors=CHANGE_ERRORS,
          tags=TAG)
def exclude_ballot_candidate(round_id: int, candidate_id: int):
    round_ = ballot_round_for(round_id, "ballots.manage")
    ballots.set_candidate_excluded(api_user(), round_, candidate_id, body().reason)
    db.session.commit()
    return _round_answer(round_)


@endpoint("/ballot-rounds/<int:round_id>/candidates/<int:candidate_id>", "DELETE",
          summary="Take someone off the list (draft; admins)", ok=BallotRound,
          errors=ROUND_ERRORS, tags=TAG)
def remove_ballot_candidate(round_id: int, candidate_id: int):
    round_ = ballot_round_for(round_id, "ballots.manage")
    ballots.remove_candidate(api_user(), round_, candidate_id)
    db.session.commit()
    return _round_answer(round_)


@endpoint("/ballot-rounds/<int:round_id>/voters", "POST", summary="Add voters to the summoned "
          "list (draft; admins): chosen people (`person_ids`), or every active person of a "
          "unit and its sub-units (`unit_id`), not both", body=VotersToAdd, ok=BallotRound,
          errors=CHANGE_ERRORS, tags=TAG)
def add_ballot_voters(round_id: int):
    round_ = ballot_round_for(round_id, "ballots.manage")
    data = body()
    if len(sent(data)) != 1:
        raise bad_field("person_ids", _("Send either person_ids or unit_id."))
    if "unit_id" in sent(data):
        unit = _existing(org.get_unit, "unit_id", data.unit_id)
        ballots.add_voters_from_unit(api_user(), round_, unit)
    else:
        ballots.add_voters(api_user(), round_, data.person_ids)
    db.session.commit()
    return _round_answer(round_)


@endpoint("/ballot-rounds/<int:round_id>/voters/<int:voter_id>", "DELETE",
          summary="Take a voter off the summoned list (draft; admins)", ok=BallotRound,
          errors=ROUND_ERRORS, tags=TAG)
def remove_ballot_voter(round_id: int, voter_id: int):
    round_ = ballot_round_for(round_id, "ballots.manage")
    ballots.remove_voter(api_user(), round_, voter_id)
    db.session.commit()
    return _round_answer(round_)


@endpoint("/ballot-rounds/<int:round_id>/officers", "PUT", summary="Name the chair, the "
          "secretary and the counting team, replacing the current ones (draft or attendance; "
          "admins)", body=Officers, ok=BallotRound, errors=CHANGE_ERRORS, tags=TAG)
def set_ballot_officers(round_id: int):
    round_ = ballot_round_for(round_id, "ballots.manage")
    data = body()
    ballots.set_officers(
        api_user(), round_, chair=_account("chair_user_id", data.chair_user_id),
        secretary=_account("secretary_user_id", data.secretary_user_id),
        counter_head=_account("counter_head_user_id", data.counter_head_user_id),
        counters=[_account("counter_user_ids", user_id) for user_id in data.counter_user_ids])
    db.session.commit()
    return _round_answer(round_)


@endpoint("/ballot-rounds/<int:round_id>/attendance", "PUT", summary="Record attendance: "
          "exactly these voters are present, all others absent (attendance; chair, secretary, "
          "admins)", body=Attendance, ok=BallotRound, errors=CHANGE_ERRORS, tags=TAG)
def record_ballot_attendance(round_id: int):
    round_ = ballot_round_for(round_id, "ballots.run_meeting")
    ballots.set_attendance(api_user(), round_, body().present_voter_ids)
    db.session.commit()
    return _round_answer(round_)


def _steps_description() -> str:
    lines = [f"`{step.name}` ({', '.join(s.value for s in step.sources)}"
             + (f" → {step.target.value}" if step.target else "") + f"; {step.who})"
             for step in ROUND_STEPS.transitions]
    return "No body. The steps of the round's lifecycle: " + ", ".join(lines) + "."


@endpoint("/ballot-rounds/<int:round_id>/transitions/<name>", "POST",
          summary="Move the round to its next step", description=_steps_description(),
          ok=BallotRound, errors=ROUND_ERRORS, tags=TAG, parameters=[{
              "name": "name", "in": "path", "required": True,
              "schema": {"type": "string", "enum": list(ROUND_STEPS.transition_names)}}])
def ballot_round_transition(round_id: int, name: str):
    round_ = ballot_round_for(round_id)
    step = ROUND_STEPS.transition(name)
    ROUND_STEPS.take(api_user(), round_, step.name)
    db.session.commit()  # closing: the box's storage is scrubbed after this commit
    return _round_answer(round_)


# ---------------------------------------------------------------- voting and results


@endpoint("/ballot-rounds/<int:round_id>/ballot", "POST", summary="Cast the account's ballot "
          "(voters marked present, while voting is open)",
          description="The voter is the person linked to the token's account. The ballot must "
                      "give exactly one level of the round's scale to every person on it; "
                      "otherwise nothing is recorded (422) and the voter corrects it. The "
                      "answer is a tracker that proves the ballot is in the box and says "
                      "nothing of its content; the marks are never sent back, logged or "
                      "audited.", body=BallotCast, ok=BallotReceipt, status=201,
          errors={403: "The account is not a voter of the round, or not marked present",
                  404: None, 409: "Voting is not open, or this voter has already voted",
                  400: None, 422: None}, tags=VOTING)
@reads_first  # the write lock is taken by the box, after the checks (core.transactions)
def cast_ballot(round_id: int):
    user = api_user()
    round_ = ballot_round_for(round_id)
    if user.person_id is None or not can(user, "ballots.vote", round_):
        raise NotAllowed(_("Only the voters of this round can cast a ballot in it."))
    data = body()
    if (data.marks is None) == (data.ballot is None):
        raise ValidationFailed(_("Send either the marks or the encrypted ballot. Nothing was "
                                 "recorded."))
    if data.ballot is not None:
        tracker = ballots.cast_encrypted(user.person_id, round_, data.ballot)
    else:
        tracker = ballots.cast_ballot(user.person_id, round_, data.marks)
    db.session.commit()
    return BallotReceipt(round_id=round_id, tracker=tracker), 201


@endpoint("/ballot-rounds/<int:round_id>/box", summary="The round's encrypted box: what a "
          "ballot is encrypted under (once voting has opened)", ok=BoxOut,
          errors={404: None, 409: "Voting has not opened yet"}, tags=VOTING)
def ballot_box(round_id: int):
    round_ = ballot_round_for(round_id)
    params = ballots.box_parameters(round_) if ROUND_STEPS.in_phase(round_, "opened") else None
    if params is None:
        raise InvalidState(_("Voting has not opened yet in this round."))
    fingerprint = params.pop("fingerprint")
    return BoxOut(round_id=round_id, parameters=params, fingerprint=fingerprint)


@endpoint("/ballot-rounds/<int:round_id>/keys", "POST", summary="A counting-team member "
          "protects their share of the round's key with a passphrase (draft or attendance)",
          body=KeyHolderIn, ok=KeyHolderOut, status=201, errors=CHANGE_ERRORS, tags=TAG)
def protect_key_share(round_id: int):
    round_ = ballot_round_for(round_id, "ballots.hold_key")
    data = body()
    holder = ballots.protect_share(api_user(), round_, data.holder, data.passphrase)
    db.session.commit()
    return KeyHolderOut(round_id=round_id, number=holder.number, holder=holder.holder,
                        unlocked=False), 201


@endpoint("/ballot-rounds/<int:round_id>/keys/<int:number>/unlock", "POST",
          summary="A counting-team member unlocks their share after voting closed: their "
          "partial decryption of the box's totals is stored", body=ShareUnlock,
          ok=KeyHolderOut, errors=CHANGE_ERRORS, tags=TAG)
def unlock_key_share(round_id: int, number: int):
    round_ = ballot_round_for(round_id, "ballots.hold_key")
    holder = ballots.unlock_share(api_user(), round_, number, body().passphrase)
    db.session.commit()
    return KeyHolderOut(round_id=round_id, number=holder.number, holder=holder.holder,
                        unlocked=True)


@endpoint("/ballot-rounds/<int:round_id>/turnout", summary="Summoned, present, voted and "
          "whether the quorum is met (officers and admins); never what anyone voted",
          ok=BallotTurnout, errors=(403, 404), tags=VOTING)
def ballot_turnout(round_id: int):
    round_ = ballot_round_for(round_id, "ballots.count")
    numbers = ballots.turnout(round_)
    return BallotTurnout(round_id=round_.id, status=round_.status, summoned=numbers.summoned,
                         present=numbers.present, voted=numbers.voted,
                         quorum_met=numbers.quorum_met)


@endpoint("/ballot-rounds/<int:round_id>/results", summary="The counted results, as far as the "
          "account may see them",
          description="After counting: the whole table for the counting team, chair, "
                      "secretary and admins, and for every voter once published (`scope: "
                      "all`); only their own line for a person voted on when the round's "
                      "settings release it (`scope: own`). `secrecy_warning` is true when "
                      "fewer ballots were collected than the round's secrecy threshold.",
          ok=BallotResults, tags=VOTING,
          errors={403: "Counted, but the results are not released to this account (e.g. "
                       "voters before publication)", 404: None,
                  409: "Not counted yet: there are never partial results"})
def ballot_results(round_id: int):
    user = api_user()
    round_ = ballot_round_for(round_id)
    if not ballots.results_available(round_):
        raise InvalidState(_("There are no results until the ballots have been counted."))
    if can(user, "ballots.see_all_results", round_):
        shown, scope = {c.id for c in round_.active_candidates}, "all"
    elif can(user, "ballots.see_own_result", round_):
        shown, scope = {ballots.own_candidacy(user, round_).id}, "own"
    else:
        raise NotAllowed(_("The results of this round have not been released to you."))
    return results_out(round_, shown, scope)


@endpoint("/ballot-rounds/<int:round_id>/trackers", summary="After voting closes, every "
          "tracker in the box, for the round's voters and officers to check that their ballot "
          "was counted", ok=BallotTrackers, tags=VOTING,
          errors={403: "The account is not a voter or officer of the round", 404: None,
                  409: "Voting has not closed yet"})
def ballot_trackers(round_id: int):
    round_ = ballot_round_for(round_id)
    if not ROUND_STEPS.in_phase(round_, "box_sealed"):
        raise InvalidState(_("The trackers are listed once voting has closed."))
    if not can(api_user(), "ballots.see_trackers", round_):
        raise NotAllowed(_("The trackers are shown to the voters and officers of the round."))
    trackers = ballots.trackers(round_)
    return BallotTrackers(round_id=round_.id, count=len(trackers),
                          box_digest=round_.box_digest or ballots.box_digest(round_),
                          trackers=trackers)
