"""The JSON API (/api/v1): the same services, permissions and secrecy as the pages, with a
personal API token instead of a session."""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, abort, g, jsonify, request, url_for
from flask_babel import gettext as _

from evalapp.api.openapi import openapi_document
from evalapp.auth.models import Role
from evalapp.auth.permissions import can_manage_org, roles_of, scope_paths
from evalapp.auth.services import get_user, user_for_api_token
from evalapp.ballots import services as ballots
from evalapp.ballots.models import ROUND_SCALES, RoundStatus
from evalapp.core.errors import DomainError, InvalidState, NotAllowed, NotFound, ValidationFailed
from evalapp.core.time import as_utc
from evalapp.core.transactions import reads_first
from evalapp.core.web import error_response
from evalapp.extensions import db
from evalapp.org import services as org
from evalapp.tally.presets import DEFAULT_PRESET
from evalapp.tally.rules import Base, Scale

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PUBLIC_ENDPOINTS = {"api.openapi"}
MAX_PAGE_SIZE = 500


@bp.before_request
def _authenticate():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    user = user_for_api_token(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        response, status = error_response(
            401, _("Send a valid API token in the header: Authorization: Bearer <token>."))
        response.headers["WWW-Authenticate"] = 'Bearer realm="evalapp"'
        return response, status
    g.api_user = user
    return None


def _require_admin_scope():
    if scope_paths(g.api_user, Role.ADMIN) == []:
        abort(403)


def unit_json(unit) -> dict:
    return {"id": unit.id, "name": unit.name, "short_name": unit.short_name, "code": unit.code,
            "kind": unit.kind.value, "parent_id": unit.parent_id, "active": unit.active}


def person_json(person) -> dict:
    return {
        "id": person.id, "staff_code": person.staff_code, "full_name": person.full_name,
        "gender": person.gender.value if person.gender else None,
        "birth_year": person.birth_year,
        "unit": {"id": person.unit.id, "name": person.unit.name},
        "post": {"id": person.post.id, "name": person.post.name} if person.post else None,
        "duty_group": ({"id": person.duty_group.id, "name": person.duty_group.name}
                       if person.duty_group else None),
        "active": person.active,
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.get("/me")
def me():
    user = g.api_user
    return jsonify({"id": user.id, "username": user.username, "full_name": user.full_name,
                    "roles": sorted(role.value for role in roles_of(user))})


@bp.get("/units")
def units():
    _require_admin_scope()
    return jsonify({"items": [unit_json(u) for u in org.units_in_scope(g.api_user)]})


@bp.get("/units/<int:unit_id>")
def unit(unit_id: int):
    _require_admin_scope()
    found = org.get_unit(unit_id)
    if not can_manage_org(g.api_user, found):
        abort(404)
    return jsonify(unit_json(found))


@bp.get("/people")
def people():
    _require_admin_scope()
    unit_id = request.args.get("unit", type=int)
    status = request.args.get("status", "active")
    if status not in ("active", "inactive", "all"):
        return error_response(400, _("status must be active, inactive or all."))
    query = org.people_query(g.api_user, search=request.args.get("q", "")[:200],
                             unit=org.get_unit(unit_id) if unit_id else None, status=status)
    page = max(1, request.args.get("page", 1, type=int))
    size = min(MAX_PAGE_SIZE, max(1, request.args.get("per_page", 100, type=int)))
    rows = db.session.execute(query.limit(size).offset((page - 1) * size)).scalars()
    return jsonify({"items": [person_json(p) for p in rows], "page": page, "per_page": size,
                    "total": org.count(query)})


@bp.get("/people/<int:person_id>")
def person(person_id: int):
    _require_admin_scope()
    found = org.get_person(person_id)
    if not can_manage_org(g.api_user, found.unit):
        abort(404)
    return jsonify(person_json(found))


# ---------------------------------------------------------------- reading request bodies
#
# Bad input is refused before any service runs, so it changes nothing: a body that is not a
# JSON object gets 400, a field that is missing, unknown or of the wrong type gets 422.

MAX_ID = 2**31 - 1  # ids beyond a PostgreSQL integer would fail in the database, not here
MAX_IDS = 10_000
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CANDIDATE_KEY = re.compile(r"[1-9][0-9]{0,9}")


def _bad(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, field=field, errors=[{"field": field, "message": message}])


def _json_object(fields: set[str]) -> dict:
    """The request body: a JSON object with no fields other than `fields`."""
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise DomainError(_("Send a JSON object in the request body."))
    unknown = sorted(set(body) - fields)
    if unknown:
        raise _bad(unknown[0], _("Unknown fields: %(names)s. Accepted fields: %(accepted)s.",
                                 names=", ".join(unknown), accepted=", ".join(sorted(fields))))
    return body


def _get(body: dict, name: str, convert, *, required: bool = True, nullable: bool = False,
         default=None):
    if name not in body:
        if required:
            raise _bad(name, _("The field %(name)s is missing.", name=name))
        return default
    value = body[name]
    if value is None:
        if nullable:
            return None
        raise _bad(name, _("The field %(name)s may not be null.", name=name))
    return convert(name, value)


def _as_text(max_length: int, *, blank: bool = True):
    def convert(name: str, value):
        if not isinstance(value, str):
            raise _bad(name, _("The field %(name)s must be text.", name=name))
        if len(value) > max_length:
            raise _bad(name, _("The field %(name)s may be at most %(n)s characters long.",
                               name=name, n=max_length))
        if not blank and not value.strip():
            raise _bad(name, _("The field %(name)s may not be blank.", name=name))
        return value
    return convert


def _as_integer(minimum: int, maximum: int):
    def convert(name: str, value):
        # JSON true/false arrive as bool, which Python counts as int: refuse them here.
        if type(value) is not int or not minimum <= value <= maximum:
            raise _bad(name, _("The field %(name)s must be a whole number from %(min)s to "
                               "%(max)s.", name=name, min=minimum, max=maximum))
        return value
    return convert


_as_id = _as_integer(1, MAX_ID)


def _as_ids(name: str, value) -> list[int]:
    if not isinstance(value, list) or len(value) > MAX_IDS:
        raise _bad(name, _("The field %(name)s must be a list of at most %(n)s ids.",
                           name=name, n=MAX_IDS))
    return [_as_id(name, item) for item in value]


def _as_bool(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise _bad(name, _("The field %(name)s must be true or false.", name=name))
    return value


def _as_choice(choices):
    def convert(name: str, value):
        allowed = [choice.value for choice in choices]
        if value not in allowed:
            raise _bad(name, _("The field %(name)s must be one of: %(allowed)s.",
                               name=name, allowed=", ".join(allowed)))
        return next(choice for choice in choices if choice.value == value)
    return convert


def _as_date(name: str, value) -> date:
    try:
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise _bad(name, _("The field %(name)s must be a date written YYYY-MM-DD.",
                           name=name)) from None


def _as_marks(name: str, value) -> dict[int, str | None]:
    """{"<candidate id>": "<level>"}; what the levels say is checked by the service."""
    if not isinstance(value, dict) or not all(
            _CANDIDATE_KEY.fullmatch(key) and int(key) <= MAX_ID
            and (mark is None or isinstance(mark, str)) for key, mark in value.items()):
        # Never quote the marks back: a ballot's content goes nowhere but the box.
        raise _bad(name, _("The field marks must map each candidate id to a level. Nothing "
                           "was recorded."))
    return {int(key): mark for key, mark in value.items()}


def _existing(find, name: str, record_id: int | None):
    """The unit or account a body refers to; an unknown id is bad input (422), not a 404."""
    if record_id is None:
        return None
    try:
        return find(record_id)
    except NotFound:
        raise _bad(name, _("Nothing has the id %(id)s given in %(name)s.", id=record_id,
                           name=name)) from None


def _account(name: str, user_id: int | None):
    user = _existing(get_user, name, user_id)
    if user is not None and not user.active:
        raise _bad(name, _("The account given in %(name)s is disabled.", name=name))
    return user


def _officer(body: dict, name: str):
    return _account(name, _get(body, name, _as_id, nullable=True))


# ---------------------------------------------------------------- ballot rounds as JSON


def _time(value) -> str | None:
    return as_utc(value).isoformat() if value else None


def ballot_round_summary_json(round_) -> dict:
    return {"id": round_.id, "title": round_.title, "body_name": round_.body_name,
            "unit": {"id": round_.unit.id, "name": round_.unit.name}, "place": round_.place,
            "meeting_date": round_.meeting_date.isoformat() if round_.meeting_date else None,
            "governing_body_name": round_.governing_body_name, "locality": round_.locality,
            "scale": round_.scale.value, "preset": round_.preset,
            "status": round_.status.value}


def ballot_round_json(round_, user) -> dict:
    """The round as `user` may see it, as on its page: the roll only for those who manage or
    run the meeting; never who voted, let alone what."""
    may_count = ballots.can_count(user, round_)
    may_run = ballots.can_run_meeting(user, round_)
    entry = ballots.voter_entry(user, round_)
    own = ballots.own_candidacy(user, round_)
    data = ballot_round_summary_json(round_) | {
        "settings": {"base": round_.base.value,
                     "bad_line_voids_ballot": round_.bad_line_voids_ballot,
                     "results_to_candidates": round_.results_to_candidates,
                     "publish_to_voters": round_.publish_to_voters,
                     "secrecy_threshold": round_.secrecy_threshold},
        "levels": [level.value for level in round_.scale.levels],
        "opened_at": _time(round_.opened_at), "closed_at": _time(round_.closed_at),
        "counted_at": _time(round_.counted_at), "finalised_at": _time(round_.finalised_at),
        "published_at": _time(round_.published_at),
        "candidates": [{"id": c.id, "person_id": c.person_id, "position": c.position,
                        "full_name": c.full_name, "post_name": c.post_name,
                        "unit_name": c.unit_name, "excluded": c.excluded,
                        "exclusion_reason": c.exclusion_reason} for c in round_.candidates],
        "officers": [{"user_id": o.user_id, "full_name": o.user.full_name,
                      "role": o.role.value} for o in round_.officers],
        "you": {"may_manage": ballots.can_manage_round(user, round_),
                "may_run_meeting": may_run, "may_count": may_count,
                "may_see_all_results": ballots.can_see_all_results(user, round_),
                "may_see_own_result": bool(ballots.can_see_own_result(user, round_)),
                "voter_id": entry.id if entry else None,
                "present": entry.present if entry else None,
                "has_voted": ballots.has_voted(round_, entry.person_id) if entry else None,
                "candidate_id": own.id if own else None},
    }
    if may_run:
        data["voters"] = [{"id": v.id, "person_id": v.person_id, "full_name": v.full_name,
                           "unit_name": v.unit_name, "present": v.present}
                          for v in ballots.voters_sorted(round_)]
    return data


def ballot_results_json(round_, shown: set[int], scope: str) -> dict:
    tally = ballots.tally_of(round_)
    by_id = {c.id: c for c in round_.active_candidates}
    counts = tally.counts
    return {
        "round_id": round_.id, "status": round_.status.value, "scope": scope,
        "scale": tally.scale.value, "base": tally.base.value, "base_value": tally.base_value,
        "counts": {"summoned": counts.summoned, "present": counts.present,
                   "issued": counts.issued, "collected": counts.collected,
                   "valid": counts.valid, "invalid": counts.invalid},
        "box_digest": round_.box_digest, "published": round_.published_at is not None,
        "secrecy_warning": ballots.below_secrecy_threshold(round_),
        "candidates": [{
            "candidate_id": line.candidate_id, "position": by_id[line.candidate_id].position,
            "full_name": by_id[line.candidate_id].full_name,
            "post_name": by_id[line.candidate_id].post_name,
            "unit_name": by_id[line.candidate_id].unit_name,
            "counts": {level.value: n for level, n in line.counts.items()},
            "percents": {level.value: str(p) for level, p in line.percents.items()},
            "blank": line.blank, "band": line.band.value if line.band else None,
        } for line in tally.candidates if line.candidate_id in shown],
    }


def _ballot_round(round_id: int, allowed=None):
    """The round if the token's account may see it, else 404 as if it did not exist; then 403
    unless `allowed(user, round)`."""
    round_ = ballots.get_round(round_id)
    if not ballots.can_see_round(g.api_user, round_):
        raise NotFound(_("This round does not exist."))
    if allowed is not None and not allowed(g.api_user, round_):
        raise NotAllowed()
    return round_


def _round_response(round_, status: int = 200):
    response = jsonify(ballot_round_json(round_, g.api_user))
    if status == 201:
        response.headers["Location"] = url_for("api.ballot_round", round_id=round_.id)
    return response, status


ROUND_DETAIL_FIELDS = {"title", "body_name", "unit_id", "place", "meeting_date",
                       "governing_body_name", "locality"}
ROUND_SETTING_FIELDS = {"base", "bad_line_voids_ballot", "results_to_candidates",
                        "publish_to_voters", "secrecy_threshold"}
OFFICER_FIELDS = {"chair_user_id", "secretary_user_id", "counter_head_user_id",
                  "counter_user_ids"}
TRANSITIONS = {
    "start-attendance": ballots.start_attendance,
    "open": ballots.open_voting,
    "close": ballots.close_voting,
    "count": ballots.count_round,
    "finalise": ballots.finalise_round,
    "publish": ballots.publish_results,
}
NOT_CLOSED = (RoundStatus.DRAFT, RoundStatus.ATTENDANCE, RoundStatus.VOTING)


def _round_details(body: dict, round_=None) -> ballots.RoundDetails:
    """Details from the body; on a PATCH (`round_` given) an absent field keeps its value."""
    def read(name, convert, *, optional=False):
        if round_ is not None and name not in body:
            return getattr(round_, name)
        return _get(body, name, convert, required=not optional, nullable=optional)
    return ballots.RoundDetails(
        title=read("title", _as_text(300)), body_name=read("body_name", _as_text(300)),
        unit=_existing(org.get_unit, "unit_id", read("unit_id", _as_id)),
        place=read("place", _as_text(300), optional=True),
        meeting_date=read("meeting_date", _as_date, optional=True),
        governing_body_name=read("governing_body_name", _as_text(300), optional=True),
        locality=read("locality", _as_text(120), optional=True))


def _setting(body: dict, round_, name: str, convert):
    return _get(body, name, convert) if name in body else getattr(round_, name)


# ---------------------------------------------------------------- ballot rounds


@bp.get("/ballot-rounds")
def ballot_rounds():
    return jsonify({"items": [ballot_round_summary_json(r)
                              for r in ballots.rounds_for(g.api_user)]})


@bp.post("/ballot-rounds")
def create_ballot_round():
    _require_admin_scope()
    body = _json_object(ROUND_DETAIL_FIELDS | {"scale", "preset"})
    round_ = ballots.create_round(
        g.api_user, _round_details(body),
        _get(body, "scale", _as_choice(ROUND_SCALES), required=False,
             default=Scale.THREE_LEVEL),
        _get(body, "preset", _as_text(40), required=False, default=DEFAULT_PRESET))
    db.session.commit()
    return _round_response(round_, 201)


@bp.get("/ballot-rounds/<int:round_id>")
def ballot_round(round_id: int):
    return _round_response(_ballot_round(round_id))


@bp.patch("/ballot-rounds/<int:round_id>")
def update_ballot_round(round_id: int):
    round_ = _ballot_round(round_id, ballots.can_manage_round)
    body = _json_object(ROUND_DETAIL_FIELDS | ROUND_SETTING_FIELDS)
    if not body:
        raise ValidationFailed(_("Send at least one field to change."))
    ballots.update_round(
        g.api_user, round_, _round_details(body, round_),
        base=_setting(body, round_, "base", _as_choice(Base)),
        bad_line_voids_ballot=_setting(body, round_, "bad_line_voids_ballot", _as_bool),
        results_to_candidates=_setting(body, round_, "results_to_candidates", _as_bool),
        publish_to_voters=_setting(body, round_, "publish_to_voters", _as_bool),
        secrecy_threshold=_setting(body, round_, "secrecy_threshold", _as_integer(0, 1000)))
    db.session.commit()
    return _round_response(round_)


@bp.post("/ballot-rounds/<int:round_id>/candidates")
def add_ballot_candidates(round_id: int):
    round_ = _ballot_round(round_id, ballots.can_manage_round)
    body = _json_object({"person_ids"})
    ballots.add_candidates(g.api_user, round_, _get(body, "person_ids", _as_ids))
    db.session.commit()
    return _round_response(round_)


@bp.put("/ballot-rounds/<int:round_id>/candidates/order")
def order_ballot_candidates(round_id: int):
    round_ = _ballot_round(round_id, ballots.can_manage_round)
    body = _json_object({"candidate_ids"})
    ballots.reorder_candidates(g.api_user, round_, _get(body, "candidate_ids", _as_ids))
    db.session.commit()
    return _round_response(round_)


@bp.post("/ballot-rounds/<int:round_id>/candidates/<int:candidate_id>/exclusion")
def exclude_ballot_candidate(round_id: int, candidate_id: int):
    round_ = _ballot_round(round_id, ballots.can_manage_round)
    body = _json_object({"reason"})
    reason = _get(body, "reason", _as_text(500, blank=False), nullable=True)
    ballots.set_candidate_excluded(g.api_user, round_, candidate_id, reason)
    db.session.commit()
    return _round_response(round_)


@bp.delete("/ballot-rounds/<int:round_id>/candidates/<int:candidate_id>")
def remove_ballot_candidate(round_id: int, candidate_id: int):
    round_ = _ballot_round(round_id, ballots.can_manage_round)
    ballots.remove_candidate(g.api_user, round_, candidate_id)
    db.session.commit()
    return _round_response(round_)


@bp.post("/ballot-rounds/<int:round_id>/voters")
def add_ballot_voters(round_id: int):
    round_ = _ballot_round(round_id, ballots.can_manage_round)
    body = _json_object({"person_ids", "unit_id"})
    if len(body) != 1:
        raise _bad("person_ids", _("Send either person_ids or unit_id."))
    if "unit_id" in body:
        unit = _existing(org.get_unit, "unit_id", _get(body, "unit_id", _as_id))
        ballots.add_voters_from_unit(g.api_user, round_, unit)
    else:
        ballots.add_voters(g.api_user, round_, _get(body, "person_ids", _as_ids))
    db.session.commit()
    return _round_response(round_)


@bp.delete("/ballot-rounds/<int:round_id>/voters/<int:voter_id>")
def remove_ballot_voter(round_id: int, voter_id: int):
    round_ = _ballot_round(round_id, ballots.can_manage_round)
    ballots.remove_voter(g.api_user, round_, voter_id)
    db.session.commit()
    return _round_response(round_)


@bp.put("/ballot-rounds/<int:round_id>/officers")
def set_ballot_officers(round_id: int):
    round_ = _ballot_round(round_id, ballots.can_manage_round)
    body = _json_object(OFFICER_FIELDS)
    counters = _get(body, "counter_user_ids", _as_ids)
    ballots.set_officers(
        g.api_user, round_, chair=_officer(body, "chair_user_id"),
        secretary=_officer(body, "secretary_user_id"),
        counter_head=_officer(body, "counter_head_user_id"),
        counters=[_account("counter_user_ids", user_id) for user_id in counters])
    db.session.commit()
    return _round_response(round_)


@bp.put("/ballot-rounds/<int:round_id>/attendance")
def record_ballot_attendance(round_id: int):
    round_ = _ballot_round(round_id, ballots.can_run_meeting)
    body = _json_object({"present_voter_ids"})
    ballots.set_attendance(g.api_user, round_, _get(body, "present_voter_ids", _as_ids))
    db.session.commit()
    return _round_response(round_)


@bp.post("/ballot-rounds/<int:round_id>/transitions/<name>")
def ballot_round_transition(round_id: int, name: str):
    round_ = _ballot_round(round_id)
    step = TRANSITIONS.get(name)
    if step is None:
        raise NotFound(_("Unknown step %(name)s. The steps are: %(steps)s.", name=name[:40],
                         steps=", ".join(TRANSITIONS)))
    step(g.api_user, round_)
    db.session.commit()  # closing: the box's storage is scrubbed after this commit
    return _round_response(round_)


@bp.post("/ballot-rounds/<int:round_id>/ballot")
@reads_first  # the write lock is taken by the box, after the checks (core.transactions)
def cast_ballot(round_id: int):
    round_ = _ballot_round(round_id)
    voter = g.api_user.person
    if voter is None or ballots.voter_entry(g.api_user, round_) is None:
        raise NotAllowed(_("Only the voters of this round can cast a ballot in it."))
    marks = _get(_json_object({"marks"}), "marks", _as_marks)
    tracker = ballots.cast_ballot(voter, round_, marks)
    db.session.commit()
    return jsonify({"round_id": round_id, "tracker": tracker}), 201


@bp.get("/ballot-rounds/<int:round_id>/turnout")
def ballot_turnout(round_id: int):
    round_ = _ballot_round(round_id, ballots.can_count)
    numbers = ballots.turnout(round_)
    return jsonify({"round_id": round_.id, "status": round_.status.value,
                    "summoned": numbers.summoned, "present": numbers.present,
                    "voted": numbers.voted, "quorum_met": numbers.quorum_met})


@bp.get("/ballot-rounds/<int:round_id>/results")
def ballot_results(round_id: int):
    round_ = _ballot_round(round_id)
    if not ballots.results_available(round_):
        raise InvalidState(_("There are no results until the ballots have been counted."))
    if ballots.can_see_all_results(g.api_user, round_):
        shown, scope = {c.id for c in round_.active_candidates}, "all"
    elif ballots.can_see_own_result(g.api_user, round_):
        shown, scope = {ballots.own_candidacy(g.api_user, round_).id}, "own"
    else:
        raise NotAllowed(_("The results of this round have not been released to you."))
    return jsonify(ballot_results_json(round_, shown, scope))


@bp.get("/ballot-rounds/<int:round_id>/trackers")
def ballot_trackers(round_id: int):
    round_ = _ballot_round(round_id)
    if round_.status in NOT_CLOSED:
        raise InvalidState(_("The trackers are listed once voting has closed."))
    if not ballots.can_see_trackers(g.api_user, round_):
        raise NotAllowed(_("The trackers are shown to the voters and officers of the round."))
    trackers = ballots.trackers(round_)
    return jsonify({"round_id": round_.id, "count": len(trackers),
                    "box_digest": round_.box_digest or ballots.box_digest(round_),
                    "trackers": trackers})


# ---------------------------------------------------------------- documents of a round
#
# Issued PDFs (minutes, blank ballots, result notices): listed and issued by those who may issue
# them on the round page (evalapp.ballots.documents.can_issue); a document is fetched by whoever
# may download it there. A round the account may not see is 404, as elsewhere in the API.

from evalapp.ballots import documents as round_documents  # noqa: E402
from evalapp.ballots.documents import DocumentKind  # noqa: E402
from evalapp.documents import services as documents  # noqa: E402
from evalapp.documents.routes import pdf_response, public_base_url  # noqa: E402


def document_json(document) -> dict:
    return {
        "id": document.id, "kind": document.kind.value, "round_id": document.owner_id,
        "candidate_id": document.subject_id, "title": document.title,
        "number": document.number.label if document.number else None,
        "created_at": _time(document.created_at),
        "original_sha256": document.original_sha256, "sha256": document.sha256,
        "tally_fingerprint": document.tally_fingerprint,
        "roll_fingerprint": document.roll_fingerprint,
        "signed": documents.is_signed(document),
        "signatures_expected": len(document.slots),
        "signatures_made": sum(1 for s in document.slots if s.signed_at is not None),
        "signatures": [{"field_name": s.field_name, "position": s.position,
                        "signer_id": s.signer_id, "role_label": s.role_label,
                        "signed_at": _time(s.signed_at)} for s in document.slots],
        "pdf_url": url_for("api.document_pdf", doc_id=document.id),
    }


def _document(doc_id: str):
    document = documents.get_document(doc_id)
    round_ = round_documents.round_of(document)
    if round_ is None or not ballots.can_see_round(g.api_user, round_):
        raise NotFound(_("This document does not exist."))
    if not documents.can_download(g.api_user, document):
        raise NotAllowed()
    return document


@bp.get("/ballot-rounds/<int:round_id>/documents")
def ballot_round_documents(round_id: int):
    round_ = _ballot_round(round_id, round_documents.can_issue)
    return jsonify({"round_id": round_.id,
                    "items": [document_json(d) for d in round_documents.round_documents(round_)]})


@bp.post("/ballot-rounds/<int:round_id>/documents")
def issue_ballot_round_document(round_id: int):
    round_ = _ballot_round(round_id, round_documents.can_issue)
    body = _json_object({"kind", "candidate_id"})
    kind = _get(body, "kind", _as_choice(DocumentKind))
    candidate_id = _get(body, "candidate_id", _as_id, required=False, nullable=True)
    candidate = None
    if candidate_id is not None:
        candidate = next((c for c in round_.candidates if c.id == candidate_id), None)
        if candidate is None:
            raise _bad("candidate_id", str(round_documents.NOT_ON_LIST))
    before = documents.current_document(round_, kind, candidate)
    document = round_documents.issue_document(g.api_user, round_, kind, candidate,
                                              base_url=public_base_url())
    db.session.commit()
    created = before is None or before.id != document.id
    response = jsonify(document_json(document))
    if created:
        response.headers["Location"] = url_for("api.document", doc_id=document.id)
    return response, 201 if created else 200


@bp.get("/documents/<doc_id>")
def document(doc_id: str):
    return jsonify(document_json(_document(doc_id)))


@bp.get("/documents/<doc_id>/pdf")
def document_pdf(doc_id: str):
    return pdf_response(_document(doc_id))
