"""What each audit entry means, in words: a short name per action (for the filter) and a sentence
per entry, with its details laid out readably.

Every action key that any service passes to record() must be listed in ACTIONS
(tests/audit/test_descriptions.py finds them in the code and fails on a missing one). The
sentence may use %(target)s (the name of the object acted on, looked up now) and any detail of
the entry; %(x_count)s is the length of a list detail x. The trail never holds ballot content,
and nothing here adds any.
"""

from __future__ import annotations

import enum
import importlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from evalapp.core.text import collation_key
from evalapp.extensions import db

# key -> (short name, sentence)
ACTIONS: dict[str, tuple[Any, Any]] = {
    # accounts
    "auth.login": (_l("Login"), _l("Logged in")),
    "auth.logout": (_l("Logout"), _l("Logged out")),
    "auth.password_changed": (_l("Own password changed"), _l("Changed their own password")),
    "account.created": (_l("Account created"), _l("Created the account %(target)s")),
    "account.updated": (_l("Account changed"), _l("Changed the account %(target)s")),
    "account.activated": (_l("Account reactivated"), _l("Reactivated the account %(target)s")),
    "account.deactivated": (_l("Account deactivated"),
                            _l("Deactivated the account %(target)s")),
    "account.password_reset": (_l("Password set by an administrator"),
                               _l("Set a new password for the account %(target)s")),
    "account.voter_password_refused": (
        _l("Voter's password: change refused"),
        _l("Tried to set a new password for the account %(username)s of %(person_id)s, "
           "summoned to %(target)s; refused while the round takes attendance or votes")),
    "account.voter_link_refused": (
        _l("Voter's account: change refused"),
        _l("Tried to link the account %(username)s to %(person_id)s or unlink it, while "
           "%(target)s takes attendance or votes; refused")),
    "account.voters_created": (_l("Voter accounts created"),
                               _l("Created %(usernames_count)s voter accounts")),
    "api_token.created": (_l("API token created"), _l("Created the API token “%(target)s”")),
    "api_token.revoked": (_l("API token revoked"), _l("Revoked the API token “%(target)s”")),
    # organisation
    "unit.created": (_l("Unit created"), _l("Created the unit %(target)s")),
    "unit.updated": (_l("Unit changed"), _l("Changed the unit %(target)s")),
    "unit.activated": (_l("Unit reactivated"), _l("Reactivated the unit %(target)s")),
    "unit.deactivated": (_l("Unit deactivated"), _l("Deactivated the unit %(target)s")),
    "post.created": (_l("Post created"), _l("Created the post %(target)s")),
    "post.updated": (_l("Post changed"), _l("Changed the post %(target)s")),
    "duty_group.created": (_l("Duty group created"), _l("Created the duty group %(target)s")),
    "duty_group.updated": (_l("Duty group changed"), _l("Changed the duty group %(target)s")),
    "person.created": (_l("Person added"), _l("Added %(target)s to the directory")),
    "person.updated": (_l("Person changed"), _l("Changed the details of %(target)s")),
    "person.activated": (_l("Person followed again"), _l("Followed %(target)s again")),
    "person.deactivated": (_l("Person no longer followed"),
                           _l("Stopped following %(target)s")),
    "people_import.staged": (_l("People file checked"),
                             _l("Uploaded the people file “%(filename)s” (%(rows)s rows) "
                                "for checking")),
    "people_import.applied": (_l("People file imported"),
                              _l("Imported the people file “%(filename)s”: %(created)s added, "
                                 "%(updated)s updated")),
    # confidence rounds
    # evaluation rounds
    "evaluation_regulation.saved": (_l("Quy chế saved"),
                                    _l("Saved version %(version)s of the Quy chế “%(target)s”")),
    "evaluation_round.created": (_l("Evaluation round created"),
                                 _l("Created the evaluation round “%(target)s”")),
    "evaluation_round.settings_changed": (
        _l("Evaluation round settings changed"),
        _l("Changed the settings of the evaluation round “%(target)s”")),
    "evaluation_round.details_changed": (
        _l("Evaluation round details changed"),
        _l("Changed the title, names or outstanding flag of the evaluation round "
           "“%(target)s”")),
    "evaluation_round.opened": (_l("Evaluation round opened"),
                                _l("Opened the evaluation round “%(target)s”")),
    "evaluation_round.people_taken": (
        _l("People taken into an evaluation round"),
        _l("Took people into “%(target)s”: %(added)s added, %(already)s already there")),
    "evaluation_round.units_taken": (
        _l("Units taken into an evaluation round"),
        _l("Took units into “%(target)s”: %(added)s added")),
    "evaluation_person.included": (_l("Person included by hand"),
                                   _l("Included %(target)s in the rating by hand")),
    "evaluation_person.excluded": (_l("Person not rated"),
                                   _l("Left %(target)s out of the rating")),
    "evaluation_person.periods_set": (_l("Scores of the periods entered"),
                                      _l("Entered the scores of %(periods)s periods of "
                                         "%(target)s")),
    "evaluation_person.head_set": (_l("Head of unit marked"),
                                   _l("Marked whether %(target)s heads their unit")),
    "evaluation_meeting.started": (_l("Collective meeting started"),
                                   _l("Started recording the collective meeting of %(name)s")),
    "evaluation_meeting.saved": (_l("Collective meeting details saved"),
                                 _l("Saved the date, place, chair and secretary of a "
                                    "collective meeting")),
    "evaluation_meeting.attendance_set": (
        _l("Meeting attendance taken"),
        _l("Took the attendance of a collective meeting: %(present)s of %(count)s present")),
    "evaluation_meeting.comment_saved": (_l("Meeting comment minuted"),
                                         _l("Minuted the comments on a person at a collective "
                                            "meeting")),
    "evaluation_meeting.key_registered": (
        _l("Counting-team key registered (opinion ballot)"),
        _l("%(holder)s protected their share of the opinion ballot's key (key %(number)s)")),
    "evaluation_meeting.key_removed": (
        _l("Counting-team key removed (opinion ballot)"),
        _l("Removed the key of %(holder)s from the opinion ballot")),
    "evaluation_meeting.ballot_opened": (
        _l("Opinion ballot opened"),
        _l("Opened the secret opinion ballot of a collective meeting (%(present)s present)")),
    "evaluation_meeting.ballot_closed": (
        _l("Opinion ballot closed"),
        _l("Closed the secret opinion ballot of a collective meeting: %(ballots)s ballots")),
    "evaluation_meeting.share_unlocked": (
        _l("Counting-team share unlocked (opinion ballot)"),
        _l("%(holder)s unlocked their share of the opinion ballot's key")),
    "evaluation_meeting.ballot_counted": (
        _l("Opinion ballot counted"),
        _l("Counted the secret opinion ballot of a collective meeting: %(valid)s valid of "
           "%(collected)s")),
    "evaluation_meeting.recorded": (_l("Meeting minutes completed"),
                                    _l("Completed the minutes of a collective meeting")),
    "evaluation_person.proposed": (_l("Level proposed"),
                                   _l("Proposed a level for %(target)s")),
    "evaluation_unit.proposed": (_l("Unit level proposed"),
                                 _l("Proposed a level for the unit %(target)s")),
    "evaluation_unit.proposed_all": (
        _l("Computed levels proposed"),
        _l("Proposed the computed levels in %(target)s: %(proposed)s proposals")),
    "evaluation_round.finalised": (
        _l("Evaluation round finalised"),
        _l("Finalised the evaluation round “%(target)s” by decision %(number)s")),
    "evaluation_round.published": (_l("Evaluation results published to the unit"),
                                   _l("Published the results of “%(target)s” to the unit")),
    "evaluation_round.forms_printed": (
        _l("Evaluation forms printed"),
        _l("Asked for a print of %(forms)s forms of “%(target)s”")),
    "evaluation_round.released": (_l("Evaluation results released"),
                                  _l("Released the results of “%(target)s” to each person")),
    "evaluation_petition.submitted": (_l("Petition submitted"),
                                      _l("Submitted a petition against a result")),
    "evaluation_petition.rejected": (_l("Petition rejected"),
                                     _l("Rejected a petition, with a reason")),
    "evaluation_petition.accepted": (_l("Petition accepted"),
                                     _l("Accepted a petition with a new decision")),
    "evaluation_decision.superseded": (
        _l("New decision"),
        _l("Took decision %(number)s, replacing an earlier decision")),
    "evaluation_form.draft_saved": (_l("Evaluation form draft saved"),
                                    _l("Saved a draft of an evaluation form (%(step)s)")),
    "evaluation_form.sent": (_l("Evaluation form sent"),
                             _l("Sent an evaluation form (%(step)s); it is now locked")),
    "evaluation_form.reopened": (_l("Evaluation form reopened"),
                                 _l("Reopened a sent evaluation form (%(step)s): "
                                    "%(reason)s")),
    "evaluation_event.recorded": (_l("Event forcing the lowest level recorded"),
                                  _l("Recorded an event that forces “not completed” "
                                     "(%(kind)s, %(year)s)")),
    "evaluation_event.removed": (_l("Event forcing the lowest level removed"),
                                 _l("Removed an event that forced “not completed” "
                                    "(%(kind)s, %(year)s)")),
    "ballot_round.created": (_l("Round created"), _l("Created the round “%(target)s”")),
    "ballot_round.updated": (_l("Round settings changed"),
                             _l("Changed the settings of the round “%(target)s”")),
    "ballot_round.candidates_added": (_l("People to vote on added"),
                                      _l("Added people to be voted on in “%(target)s”")),
    "ballot_round.candidates_reordered": (_l("People to vote on reordered"),
                                          _l("Changed the order of the people voted on in "
                                             "“%(target)s”")),
    "ballot_round.candidate_excluded": (_l("Person excluded from the vote"),
                                        _l("Excluded a person from the vote in “%(target)s”")),
    "ballot_round.candidate_included": (_l("Person put back on the ballot"),
                                        _l("Put a person back on the ballot of "
                                           "“%(target)s”")),
    "ballot_round.candidate_removed": (_l("Person to vote on removed"),
                                       _l("Removed a person to be voted on from "
                                          "“%(target)s”")),
    "ballot_round.voters_added": (_l("Summoned members added"),
                                  _l("Added %(count)s members to the summoned list of "
                                     "“%(target)s”")),
    "ballot_round.voter_removed": (_l("Summoned member removed"),
                                   _l("Removed a member from the summoned list of "
                                      "“%(target)s”")),
    "ballot_round.officers_set": (_l("Chair, secretary and counting team named"),
                                  _l("Named the chair, secretary and counting team of "
                                     "“%(target)s”")),
    "ballot_round.attendance_started": (_l("Attendance started"),
                                        _l("Started taking attendance for “%(target)s”")),
    "ballot_round.attendance_recorded": (_l("Attendance recorded"),
                                         _l("Recorded attendance for “%(target)s”: "
                                            "%(present)s of %(summoned)s present")),
    "ballot_round.voting_opened": (_l("Voting opened"), _l("Opened voting in “%(target)s”")),
    "ballot_round.latecomer_admitted": (_l("Latecomer admitted"),
                                        _l("Admitted %(name)s, arriving after voting opened in "
                                           "“%(target)s”: %(present)s of %(summoned)s present")),
    "ballot_round.handed_out": (
        _l("Handed out in the hall"),
        _l("Recorded what %(name)s was handed in “%(target)s”: %(handed)s")),
    "ballot_round.handed_out_all": (
        _l("Handed out in the hall to every member waiting"),
        _l("Recorded in “%(target)s” that %(count)s members present were handed: %(handed)s")),
    "ballot_round.paper_entered": (
        _l("Paper ballot entered"),
        _l("Entered paper ballot no. %(ballot_number)s (entry %(entry_number)s) in "
           "“%(target)s”")),
    "ballot_round.paper_recheck_opened": (
        _l("Paper ballots re-check opened"),
        _l("Opened re-check no. %(recheck)s of paper ballots %(ballots)s in “%(target)s”")),
    "ballot_round.paper_rechecked": (
        _l("Paper ballot keyed again"),
        _l("Keyed paper ballot no. %(ballot_number)s again for re-check no. %(recheck)s in "
           "“%(target)s”")),
    "ballot_round.paper_recheck_finished": (
        _l("Paper ballots re-check finished"),
        _l("Finished re-check no. %(recheck)s of paper ballots %(ballots)s in “%(target)s” "
           "(ballots that differ: %(differing)s)")),
    "ballot_round.paper_resolved": (
        _l("Paper ballot's entries reconciled"),
        _l("Confirmed the entry of paper ballot no. %(ballot_number)s in “%(target)s”: "
           "%(reason)s")),
    "ballot_round.paper_totals_entered": (
        _l("Paper totals entered"),
        _l("Entered the totals of the paper ballots counted by hand in “%(target)s”: "
           "%(collected)s collected")),
    "ballot_round.codes_generated": (_l("Ballot codes generated"),
                                     _l("Generated %(count)s anonymous ballot codes for "
                                        "“%(target)s” (the codes themselves are not "
                                        "recorded)")),
    "ballot.cast": (_l("Ballot received"),
                    _l("A ballot was received in “%(target)s” (whose and what are not "
                       "recorded)")),
    "ballot_round.key_registered": (_l("Counting-team key set"),
                                    _l("%(holder)s (member %(number)s of the counting team) "
                                       "set a passphrase for their share of the key of "
                                       "“%(target)s”")),
    "ballot_round.key_removed": (_l("Counting-team key removed"),
                                 _l("Removed the key of %(holder)s (member %(number)s of the "
                                    "counting team) from “%(target)s”")),
    "ballot_round.key_threshold_set": (_l("Members needed to count set"),
                                       _l("Set how many counting-team members must unlock "
                                          "their shares to count “%(target)s”")),
    "ballot_round.share_unlocked": (_l("Share unlocked"),
                                    _l("%(holder)s (member %(number)s of the counting team) "
                                       "unlocked their share of the key of “%(target)s”")),
    "ballot_round.voting_closed": (_l("Voting closed"),
                                   _l("Closed voting in “%(target)s” with %(ballots)s "
                                      "ballots")),
    "ballot_round.counted": (_l("Ballots counted"), _l("Counted the ballots of “%(target)s”")),
    "ballot_round.finalised": (_l("Round finished"), _l("Finished the round “%(target)s”")),
    "ballot_round.published": (_l("Results published to voters"),
                               _l("Published the results of “%(target)s” to its voters")),
    # documents and signatures
    "ballot_round.document_details_updated": (
        _l("Heading and place name of documents changed"),
        _l("Set the governing body line and the place name of the documents of "
           "“%(target)s”")),
    "evaluation_person.periods_fed": (_l("Periods taken from the product ledger"),
                                      _l("Took %(periods)s confirmed periods of %(target)s "
                                         "from the product ledger")),
    "ledger_product.added": (_l("Product added to the catalogue"),
                             _l("Added the product “%(target)s” to the catalogue")),
    "ledger_product.retired": (_l("Product taken out of the catalogue"),
                               _l("Took the product “%(target)s” out of the catalogue")),
    "ledger_product.carried": (_l("Catalogue carried to a new Quy chế version"),
                               _l("Carried %(products)s products to “%(target)s”")),
    "ledger_item.assigned": (_l("Work item assigned"),
                             _l("Assigned the work item “%(target)s”")),
    "ledger_item.proposed": (_l("Work item proposed"),
                             _l("Proposed the work item “%(target)s”")),
    "ledger_item.accepted": (_l("Proposed work item accepted"),
                             _l("Accepted the proposed work item “%(target)s”")),
    "ledger_item.completed": (_l("Work item completed"),
                              _l("Recorded the delivery of “%(target)s”")),
    "ledger_item.file_attached": (_l("Evidence file attached"),
                                  _l("Attached an evidence file to “%(target)s”")),
    "ledger_item.judged": (_l("Work item judged"),
                           _l("Recorded the errors and delays of “%(target)s”")),
    "ledger_item.removed": (_l("Work item removed"), _l("Removed the work item “%(target)s”")),
    "ledger_item.imported": (_l("Work items imported"),
                             _l("Imported %(items)s work items for “%(target)s”")),
    "ledger_period.scored": (_l("Period's general criteria scored"),
                             _l("Scored the general criteria of a period")),
    "ledger_period.confirmed": (_l("Period confirmed"),
                                _l("Confirmed the period %(period)s/%(year)s: %(score)s "
                                   "points")),
    "ledger_period.reopened": (_l("Period reopened"),
                               _l("Reopened the period %(period)s/%(year)s: %(reason)s")),
    "ledger_desk.opened": (_l("Desk opened to public ratings"),
                           _l("Marked “%(target)s” as serving the public (rating address "
                              "open)")),
    "ledger_desk.closed": (_l("Desk closed to public ratings"),
                           _l("Closed the rating address of “%(target)s”")),
    "ledger_rating.comment_approved": (_l("Public comment approved"),
                                       _l("Approved a public comment on “%(target)s”")),
    "ledger_rating.comment_hidden": (_l("Public comment hidden"),
                                     _l("Hid a public comment on “%(target)s”")),
    "ledger_period.scores_imported": (_l("Scores imported from other sources"),
                                      _l("Imported %(rows)s scores for “%(target)s”")),
    "ledger_period.year_scored": (_l("General criteria scored for the year"),
                                  _l("Scored the general criteria of %(year)s: %(general)s "
                                     "points")),
    "document.issued": (_l("Document issued"), _l("Issued the document “%(target)s”")),
    "document.signed": (_l("Document signed"), _l("Digitally signed the document "
                                                  "“%(target)s”")),
    "certificate.imported": (_l("Signing certificate uploaded"),
                             _l("Uploaded the signing certificate “%(target)s”")),
    "certificate.demo_issued": (_l("Demo signing certificate issued"),
                                _l("Issued the demo signing certificate “%(target)s”")),
    "certificate.deactivated": (_l("Signing certificate taken out of use"),
                                _l("Took the signing certificate “%(target)s” out of use")),
    "certificate.demo_root_created": (_l("Demo certification authority created"),
                                      _l("Created the demo certification authority")),
}

# Groups for the filter, by the action key's first part.
AREAS = (
    (("auth", "account", "api_token"), _l("Accounts")),
    (("unit", "post", "duty_group", "person", "people_import"), _l("Organisation")),
    (("ballot_round", "ballot"), _l("Confidence rounds")),
    (("evaluation_round", "evaluation_regulation", "evaluation_person", "evaluation_unit",
      "evaluation_form", "evaluation_meeting", "evaluation_decision", "evaluation_petition",
      "evaluation_event"), _l("Evaluation rounds")),
    (("ledger_product", "ledger_item", "ledger_period", "ledger_desk", "ledger_rating"),
     _l("Product ledger")),
    (("document", "certificate"), _l("Documents and signatures")),
)

DETAIL_LABELS: dict[str, Any] = {
    "active": _l("In use"), "bad_line_voids_ballot": _l("One bad line voids a paper ballot"),
    "ballot_kinds": _l("Ballots the round takes"), "ballot_number": _l("Ballot number"),
    "entry_number": _l("Entry number"), "handed": _l("Handed"),
    "paper_entries": _l("Independent entries of each paper ballot"),
    "paper_mode": _l("Paper ballots are entered"),
    "percent_places": _l("Decimals of the percentages"), "issued": _l("Ballots issued"),
    "invalid": _l("Invalid ballots"),
    "ballots": _l("Ballots"), "base": _l("Percentages taken of"),
    "candidate_id": _l("Person voted on"), "certificate": _l("Certificate (fingerprint)"),
    "changes": _l("Changes"), "collected": _l("Ballots collected"), "count": _l("Number"),
    "created": _l("Added"), "field": _l("Signature field"), "filename": _l("File"),
    "fingerprint": _l("Fingerprint (SHA-256)"), "forms": _l("Forms"),
    "full_name": _l("Full name"),
    "is_leadership": _l("Leadership post"), "kind": _l("Kind of document"),
    "name": _l("Name"), "new_duty_groups": _l("New duty groups"), "new_posts": _l("New posts"),
    "not_after": _l("Valid until"), "officers": _l("Officers"), "order": _l("New order"),
    "owner_id": _l("Holder"), "parent_id": _l("Parent unit"),
    "per_person": _l("One PDF per person"), "person_id": _l("Person"),
    "preset": _l("Rule set"), "present": _l("Present"),
    "previous_sha256": _l("SHA-256 before signing"),
    "publish_to_voters": _l("Results published to voters"), "rank": _l("Rank"),
    "rating": _l("Rating (number)"),
    "reason": _l("Reason"), "results_to_candidates": _l("Each person sees their own result"),
    "role": _l("Signing as"), "roles": _l("Roles"),
    "roll_fingerprint": _l("Fingerprint of the list"),
    "round_id": _l("Round"), "rows": _l("Rows"), "scale": _l("Kind of vote"),
    "secrecy_threshold": _l("Secrecy threshold"), "sha256": _l("SHA-256"),
    "slot": _l("Signature slot"), "staff_code": _l("Staff code"),
    "subject": _l("Certificate holder"), "summoned": _l("Summoned"),
    "tally_fingerprint": _l("Fingerprint of the count"), "title": _l("Title"),
    "unchanged": _l("Unchanged"), "unit_id": _l("Unit"), "updated": _l("Updated"),
    "username": _l("Username"), "usernames": _l("Usernames"), "valid": _l("Valid ballots"),
}

# Details that hold the id of an object: shown by its name.
REFERENCES = {"candidate_id": "ballot_candidate", "owner_id": "user", "parent_id": "unit",
              "person_id": "person", "round_id": "ballot_round", "unit_id": "unit"}

# Details whose values are codes with labels elsewhere: (module, dict of enum -> label, or an
# enum whose members carry their label).
VOCABULARIES = {
    "scale": ("evalapp.tally.scales", "Scale"),
    "base": ("evalapp.ballots.models", "BASE_LABELS"),
    "kind": ("evalapp.documents.models", "KIND_LABELS"),
}
_ROLE_GRANT = re.compile(r"^(\w+)@(\*|\d+)$")
_OFFICER = re.compile(r"^(\w+):(\d+)$")
_LIST_LIMIT = 30

# How an object of each audit type is named: the first of these columns it has.
_NAME_COLUMNS = ("title", "full_name", "label", "name", "filename", "subject")


def action_name(action: str) -> str:
    known = ACTIONS.get(action)
    return str(known[0]) if known else action


def action_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """(area, [(key, short name)]) for a grouped select."""
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key in ACTIONS:
        groups[_area_of(key)].append((key, action_name(key)))
    return [(str(label), sorted(groups[str(label)], key=lambda pair: collation_key(pair[1])))
            for _prefixes, label in AREAS if groups[str(label)]] + (
        [(_("Other"), groups[_("Other")])] if groups.get(_("Other")) else [])


def _area_of(key: str) -> str:
    prefix = key.split(".", 1)[0]
    for prefixes, label in AREAS:
        if prefix in prefixes:
            return str(label)
    return _("Other")


def _models_by_audit_type() -> dict[str, type]:
    return {mapper.class_.audit_type: mapper.class_ for mapper in db.Model.registry.mappers
            if isinstance(getattr(mapper.class_, "audit_type", None), str)}


class NameLookup:
    """Names of the objects that a page of entries refers to, fetched in one query per type."""

    def __init__(self) -> None:
        self._wanted: dict[str, set[str]] = defaultdict(set)
        self._names: dict[tuple[str, str], str] = {}

    def want(self, audit_type: str | None, object_id: Any) -> None:
        if audit_type and object_id is not None:
            self._wanted[audit_type].add(str(object_id))

    def fetch(self) -> None:
        models = _models_by_audit_type()
        for audit_type, ids in self._wanted.items():
            model = models.get(audit_type)
            if model is None:
                continue
            column = next((getattr(model, c) for c in _NAME_COLUMNS if hasattr(model, c)), None)
            if column is None:
                continue
            key_column = model.id
            if key_column.type.python_type is int:
                ids = {int(i) for i in ids if i.isdigit()}
            if not ids:
                continue
            extra = (model.username,) if audit_type == "user" else ()
            for row in db.session.execute(select(key_column, column, *extra)
                                          .where(key_column.in_(ids))):
                name = f"{row[1]} ({row[2]})" if extra else str(row[1])
                self._names[(audit_type, str(row[0]))] = name

    def name(self, audit_type: str | None, object_id: Any) -> str | None:
        return self._names.get((audit_type or "", str(object_id)))


def _vocabulary(key: str) -> dict[str, str]:
    where = VOCABULARIES.get(key)
    if where is None:
        return {}
    try:
        labels = getattr(importlib.import_module(where[0]), where[1])
    except (ImportError, AttributeError):
        return {}
    if isinstance(labels, type) and issubclass(labels, enum.Enum):
        return {member.value: _(member.label) for member in labels}
    return {getattr(k, "value", str(k)): str(v) for k, v in labels.items()}


def _role_label(code: str) -> str:
    from evalapp.auth.models import ROLE_LABELS, Role

    try:
        return str(ROLE_LABELS[Role(code)])
    except (ValueError, KeyError):
        return code


def _officer_label(code: str) -> str:
    labels = {k: v for k, v in _vocabulary_pairs("evalapp.ballots.models", "OFFICER_LABELS")}
    return labels.get(code, code)


def _vocabulary_pairs(module: str, name: str):
    try:
        labels = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return []
    return [(getattr(k, "value", str(k)), str(v)) for k, v in labels.items()]


def _format_value(key: str, value: Any, names: NameLookup) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key in REFERENCES:
        return names.name(REFERENCES[key], value) or f"#{value}"
    if isinstance(value, dict):
        return "; ".join(f"{_detail_label(k)}: {_format_value(k, v, names)}"
                         for k, v in value.items()) or "—"
    if isinstance(value, list):
        shown = [_format_item(key, item, names) for item in value[:_LIST_LIMIT]]
        more = len(value) - _LIST_LIMIT
        return ", ".join(shown) + (" " + _("and %(n)s more", n=more) if more > 0 else "") \
            if shown else "—"
    vocabulary = _vocabulary(key)
    return vocabulary.get(str(value), str(value))


def _format_item(key: str, item: Any, names: NameLookup) -> str:
    text = str(item)
    if key == "roles" and (grant := _ROLE_GRANT.match(text)):
        role, unit = grant.groups()
        where = _("whole organisation") if unit == "*" else (names.name("unit", unit)
                                                            or f"#{unit}")
        return f"{_role_label(role)} · {where}"
    if key == "officers" and (officer := _OFFICER.match(text)):
        role, user_id = officer.groups()
        return f"{_officer_label(role)}: {names.name('user', user_id) or '#' + user_id}"
    if key == "order":
        return names.name("ballot_candidate", item) or f"#{item}"
    return text


def _detail_label(key: str) -> str:
    label = DETAIL_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ").capitalize()


class _Params(dict):
    def __missing__(self, key: str) -> str:
        return "…"


@dataclass
class DescribedEntry:
    entry: Any
    sentence: str
    details: list[tuple[str, str]]


def _details_of(entry) -> dict[str, Any]:
    try:
        details = json.loads(entry.details or "{}")
    except ValueError:
        return {}
    return details if isinstance(details, dict) else {}


def describe_entries(entries) -> list[DescribedEntry]:
    names = NameLookup()
    parsed = []
    for entry in entries:
        details = _details_of(entry)
        parsed.append((entry, details))
        names.want(entry.target_type, entry.target_id)
        for key, value in details.items():
            if key in REFERENCES:
                names.want(REFERENCES[key], value)
            elif key == "roles" and isinstance(value, list):
                for item in value:
                    if (grant := _ROLE_GRANT.match(str(item))) and grant.group(2) != "*":
                        names.want("unit", grant.group(2))
            elif key == "officers" and isinstance(value, list):
                for item in value:
                    if officer := _OFFICER.match(str(item)):
                        names.want("user", officer.group(2))
            elif key == "order" and isinstance(value, list):
                for item in value[:_LIST_LIMIT]:
                    names.want("ballot_candidate", item)
    names.fetch()

    described = []
    for entry, details in parsed:
        target = names.name(entry.target_type, entry.target_id)
        if target is None and entry.target_id is not None:
            target = f"#{entry.target_id}"
        params = _Params({key: _format_value(key, value, names)
                          for key, value in details.items()})
        params.update({f"{key}_count": len(value) for key, value in details.items()
                       if isinstance(value, list)})
        params["target"] = target or "…"
        known = ACTIONS.get(entry.action)
        sentence = str(known[1]) % params if known else entry.action
        rows = [(_detail_label(key), params[key]) for key in details]
        described.append(DescribedEntry(entry, sentence, rows))
    return described
