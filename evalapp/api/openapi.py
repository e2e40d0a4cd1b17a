"""The OpenAPI 3 description of /api/v1. Each endpoint added to api.routes is described here;
a test fails when one is missing."""

from __future__ import annotations

from typing import Any

from evalapp.ballots.models import ROUND_SCALES, OfficerRole, RoundStatus
from evalapp.tally.presets import DEFAULT_PRESET, PRESETS
from evalapp.tally.rules import Base
from evalapp.tally.scales import bands_of, levels_of


def _values(enum_type) -> list[str]:
    return [member.value for member in enum_type]


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_AUTH_ERRORS = {"401": _error("Missing or invalid API token"),
                "403": _error("The token's account may not do this")}
_ROUND_NOT_FOUND = {"404": _error("No such round, or the account may not see it; or no such "
                                  "candidate, voter or step in it")}
_BAD_BODY = {"400": _error("The body is not a JSON object; nothing was changed"),
             "422": _error("A field is missing, unknown, of the wrong type or refused by the "
                           "rules (e.g. unknown people); nothing was changed. "
                           "`error.errors` names the field")}
_WRONG_STATE = {"409": _error("Not possible in the round's current status")}


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _round_change(summary: str, body: dict[str, Any] | None, *, params=(),
                  description: str = "") -> dict[str, Any]:
    """A request that changes a round (while its status allows) and answers with the round."""
    operation: dict[str, Any] = {
        "summary": summary, "tags": ["ballot rounds"],
        "parameters": [_ROUND_ID, *params],
        "responses": {"200": _ok({"$ref": "#/components/schemas/BallotRound"},
                                 "The round after the change"),
                      **_AUTH_ERRORS, **_ROUND_NOT_FOUND, **_WRONG_STATE,
                      **(_BAD_BODY if body else {})}}
    if description:
        operation["description"] = description
    if body:
        operation["requestBody"] = _json_body(body)
    return operation


def _path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


_ROUND_ID = _path_id("round_id")
_LEVELS = _values(levels_of(ROUND_SCALES))
_STEPS = ["start-attendance", "open", "close", "count", "finalise", "publish"]


def _ballot_paths() -> dict[str, Any]:
    ref = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
    ids = {"type": "array", "items": {"type": "integer"}, "maxItems": 10000}
    round_ok = _ok(ref("BallotRound"))
    return {
        "/ballot-rounds": {
            "get": {
                "summary": "Rounds the account works on, votes in or is voted on in, newest "
                           "first (admins: the rounds of the units they administer)",
                "tags": ["ballot rounds"],
                "responses": {"200": _ok({"type": "object", "properties": {
                    "items": {"type": "array", "items": ref("BallotRoundSummary")}}}),
                    **_AUTH_ERRORS}},
            "post": {
                "summary": "Create a round (admins of the round's unit)",
                "description": "The round starts as a draft with the settings of the chosen "
                               "rule set; change them with PATCH while it is a draft.",
                "tags": ["ballot rounds"],
                "requestBody": _json_body(ref("BallotRoundCreate")),
                "responses": {"201": {**round_ok, "description": "Created; `Location` names "
                                                                 "the new round"},
                              **_AUTH_ERRORS, **_BAD_BODY}}},
        "/ballot-rounds/{round_id}": {
            "get": {
                "summary": "One round: details, settings, status, people voted on, officers, "
                           "and the roll for those who manage or run the meeting",
                "description": "The ballot's lines are the candidates not excluded, in "
                               "`position` order, each marked with one of `levels`. The "
                               "roll never says who has voted.",
                "tags": ["ballot rounds"], "parameters": [_ROUND_ID],
                "responses": {"200": round_ok, **_AUTH_ERRORS, **_ROUND_NOT_FOUND}},
            "patch": _round_change(
                "Change details and settings of a draft (admins); absent fields keep their "
                "value", ref("BallotRoundUpdate"))},
        "/ballot-rounds/{round_id}/candidates": {"post": _round_change(
            "Add people to vote on (draft; admins), copying name, post and unit as they are "
            "today", {"type": "object", "required": ["person_ids"],
                      "properties": {"person_ids": ids}})},
        "/ballot-rounds/{round_id}/candidates/order": {"put": _round_change(
            "Set the order of the people voted on (draft; admins); list every candidate id "
            "once", {"type": "object", "required": ["candidate_ids"],
                     "properties": {"candidate_ids": ids}})},
        "/ballot-rounds/{round_id}/candidates/{candidate_id}/exclusion": {"post": _round_change(
            "Exclude someone from the vote with a reason, or include them again with null "
            "(draft; admins)",
            {"type": "object", "required": ["reason"], "properties": {"reason": {
                "type": "string", "nullable": True, "minLength": 1, "maxLength": 500}}},
            params=[_path_id("candidate_id")])},
        "/ballot-rounds/{round_id}/candidates/{candidate_id}": {"delete": _round_change(
            "Take someone off the list (draft; admins)", None,
            params=[_path_id("candidate_id")])},
        "/ballot-rounds/{round_id}/voters": {"post": _round_change(
            "Add voters to the summoned list (draft; admins): chosen people, or every active "
            "person of a unit and its sub-units",
            {"oneOf": [
                {"type": "object", "required": ["person_ids"],
                 "properties": {"person_ids": ids}, "additionalProperties": False},
                {"type": "object", "required": ["unit_id"],
                 "properties": {"unit_id": {"type": "integer"}},
                 "additionalProperties": False}]})},
        "/ballot-rounds/{round_id}/voters/{voter_id}": {"delete": _round_change(
            "Take a voter off the summoned list (draft; admins)", None,
            params=[_path_id("voter_id")])},
        "/ballot-rounds/{round_id}/officers": {"put": _round_change(
            "Name the chair, the secretary and the counting team, replacing the current ones "
            "(draft or attendance; admins)", ref("BallotOfficers"))},
        "/ballot-rounds/{round_id}/attendance": {"put": _round_change(
            "Record attendance: exactly these voters are present, all others absent "
            "(attendance; chair, secretary, admins)",
            {"type": "object", "required": ["present_voter_ids"],
             "properties": {"present_voter_ids": ids}})},
        "/ballot-rounds/{round_id}/transitions/{name}": {"post": {
            **_round_change("Move the round to its next step", None),
            "description":
                "No body. `start-attendance` (draft → attendance; admins), `open` "
                "(attendance → voting, only with a quorum of two thirds present; chair, "
                "secretary, admins), `close` (voting → closed: the box is sealed and its "
                "storage rewritten; chair, secretary, admins), `count` (closed → counted; "
                "counting team, chair, secretary, admins), `finalise` (counted → finalised; "
                "chair, admins), `publish` (show the results to every voter, after counting; "
                "chair, admins).",
            "parameters": [_ROUND_ID, {
                "name": "name", "in": "path", "required": True, "schema": {
                    "type": "string", "enum": _STEPS}}],
        }},
        "/ballot-rounds/{round_id}/ballot": {"post": {
            "summary": "Cast the account's ballot (voters marked present, while voting is "
                       "open)",
            "description": "The voter is the person linked to the token's account. The "
                           "ballot must give exactly one level of the round's scale to every "
                           "person on it; otherwise nothing is recorded (422) and the voter "
                           "corrects it. The answer is a tracker that proves the ballot is in "
                           "the box and says nothing of its content; the marks are never sent "
                           "back, logged or audited.",
            "tags": ["voting"], "parameters": [_ROUND_ID],
            "requestBody": _json_body(ref("BallotCast")),
            "responses": {"201": _ok(ref("BallotReceipt"), "The ballot is in the box"),
                          "401": _AUTH_ERRORS["401"],
                          "403": _error("The account is not a voter of the round, or not "
                                        "marked present"),
                          **_ROUND_NOT_FOUND,
                          "409": _error("Voting is not open, or this voter has already voted"),
                          **_BAD_BODY}}},
        "/ballot-rounds/{round_id}/turnout": {"get": {
            "summary": "Summoned, present, voted and whether the quorum is met (officers and "
                       "admins); never what anyone voted",
            "tags": ["voting"], "parameters": [_ROUND_ID],
            "responses": {"200": _ok(ref("BallotTurnout")), **_AUTH_ERRORS,
                          **_ROUND_NOT_FOUND}}},
        "/ballot-rounds/{round_id}/results": {"get": {
            "summary": "The counted results, as far as the account may see them",
            "description": "After counting: the whole table for the counting team, chair, "
                           "secretary and admins, and for every voter once published "
                           "(`scope: all`); only their own line for a person voted on when "
                           "the round's settings release it (`scope: own`). Percentages are "
                           "strings with two decimals, rounded half up. `secrecy_warning` is "
                           "true when fewer ballots were collected than the round's secrecy "
                           "threshold.",
            "tags": ["voting"], "parameters": [_ROUND_ID],
            "responses": {"200": _ok(ref("BallotResults")),
                          "401": _AUTH_ERRORS["401"],
                          "403": _error("Counted, but the results are not released to this "
                                        "account (e.g. voters before publication)"),
                          **_ROUND_NOT_FOUND,
                          "409": _error("Not counted yet: there are never partial results")}}},
        "/ballot-rounds/{round_id}/trackers": {"get": {
            "summary": "After voting closes, every tracker in the box, for the round's voters "
                       "and officers to check that their ballot was counted",
            "tags": ["voting"], "parameters": [_ROUND_ID],
            "responses": {"200": _ok(ref("BallotTrackers")),
                          "401": _AUTH_ERRORS["401"],
                          "403": _error("The account is not a voter or officer of the round"),
                          **_ROUND_NOT_FOUND,
                          "409": _error("Voting has not closed yet")}}},
    }


_ROUND_SETTINGS = {
    "base": {"type": "string", "enum": _values(Base),
             "description": "What percentages are taken of"},
    "bad_line_voids_ballot": {"type": "boolean"},
    "results_to_candidates": {"type": "boolean",
                              "description": "Each person voted on sees their own result"},
    "publish_to_voters": {"type": "boolean"},
    "secrecy_threshold": {"type": "integer", "minimum": 0, "maximum": 1000,
                          "description": "Fewer ballots than this: results carry a warning"},
}
_ROUND_DETAILS = {
    "title": {"type": "string", "maxLength": 300},
    "body_name": {"type": "string", "maxLength": 300,
                  "description": "The body holding the vote, as printed on documents"},
    "unit_id": {"type": "integer"},
    "place": {"type": "string", "maxLength": 300, "nullable": True},
    "meeting_date": {"type": "string", "format": "date", "nullable": True},
    "governing_body_name": {"type": "string", "maxLength": 300, "nullable": True,
                            "description": "Printed above the body in the documents' heading "
                                           "(e.g. UBND TỈNH … above SỞ NỘI VỤ)"},
    "locality": {"type": "string", "maxLength": 120, "nullable": True,
                 "description": "The place name of the documents' date line; when empty it "
                                "is taken from the name of the body"},
}


def _ballot_schemas() -> dict[str, Any]:
    ref = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
    integer, text = {"type": "integer"}, {"type": "string"}
    nullable_text = {"type": "string", "nullable": True}
    nullable_time = {"type": "string", "format": "date-time", "nullable": True}
    status = {"type": "string", "enum": _values(RoundStatus)}
    scale = {"type": "string", "enum": _values(ROUND_SCALES)}
    per_level = lambda kind: {"type": "object", "additionalProperties": kind,  # noqa: E731
                              "description": "Keyed by level: " + ", ".join(_LEVELS)}
    summary = {
        "id": integer, "title": text, "body_name": text, "unit": ref("Ref"),
        "place": nullable_text, "meeting_date": {"type": "string", "format": "date",
                                                 "nullable": True},
        "governing_body_name": nullable_text, "locality": nullable_text,
        "scale": scale, "preset": text, "status": status}
    return {
        "BallotRoundSummary": {"type": "object", "properties": summary},
        "BallotRound": {"type": "object", "properties": {
            **summary,
            "settings": {"type": "object", "properties": _ROUND_SETTINGS},
            "levels": {"type": "array", "items": {"type": "string", "enum": _LEVELS},
                       "description": "The choices on each line of this round's ballot"},
            "opened_at": nullable_time, "closed_at": nullable_time,
            "counted_at": nullable_time, "finalised_at": nullable_time,
            "published_at": nullable_time,
            "candidates": {"type": "array", "items": ref("BallotCandidate")},
            "officers": {"type": "array", "items": {"type": "object", "properties": {
                "user_id": integer, "full_name": text, "role": {
                    "type": "string",
                    "enum": _values(OfficerRole)}}}},
            "voters": {"type": "array", "items": ref("BallotVoter"),
                       "description": "Only for admins, the chair and the secretary"},
            "you": {"type": "object", "description": "The token's account in this round",
                    "properties": {
                        "may_manage": {"type": "boolean"},
                        "may_run_meeting": {"type": "boolean"},
                        "may_count": {"type": "boolean"},
                        "may_see_all_results": {"type": "boolean"},
                        "may_see_own_result": {"type": "boolean"},
                        "voter_id": {"type": "integer", "nullable": True},
                        "present": {"type": "boolean", "nullable": True},
                        "has_voted": {"type": "boolean", "nullable": True},
                        "candidate_id": {"type": "integer", "nullable": True}}}}},
        "BallotCandidate": {"type": "object", "properties": {
            "id": integer, "person_id": integer, "position": integer,
            "full_name": text, "post_name": nullable_text, "unit_name": text,
            "excluded": {"type": "boolean"}, "exclusion_reason": nullable_text},
            "description": "A person voted on, as they were when added (a snapshot)"},
        "BallotVoter": {"type": "object", "properties": {
            "id": integer, "person_id": integer, "full_name": text, "unit_name": text,
            "present": {"type": "boolean"}}},
        "BallotRoundCreate": {
            "type": "object", "required": ["title", "body_name", "unit_id"],
            "additionalProperties": False,
            "properties": {**_ROUND_DETAILS,
                           "scale": {**scale, "default": "three_level"},
                           "preset": {"type": "string", "default": DEFAULT_PRESET,
                                      "enum": sorted(PRESETS)}}},
        "BallotRoundUpdate": {"type": "object", "minProperties": 1,
                              "additionalProperties": False,
                              "properties": {**_ROUND_DETAILS, **_ROUND_SETTINGS}},
        "BallotOfficers": {
            "type": "object", "additionalProperties": False,
            "required": ["chair_user_id", "secretary_user_id", "counter_head_user_id",
                         "counter_user_ids"],
            "properties": {
                "chair_user_id": {"type": "integer", "nullable": True},
                "secretary_user_id": {"type": "integer", "nullable": True},
                "counter_head_user_id": {"type": "integer", "nullable": True},
                "counter_user_ids": {"type": "array", "items": integer}}},
        "BallotCast": {"type": "object", "required": ["marks"], "properties": {"marks": {
            "type": "object", "additionalProperties": {"type": "string", "enum": _LEVELS},
            "description": "One level per person on the ballot, keyed by candidate id",
            "example": {"12": "high", "13": "low"}}}},
        "BallotReceipt": {"type": "object", "properties": {
            "round_id": integer,
            "tracker": {"type": "string", "description": "Random; shows up in the round's "
                                                         "trackers after closing"}}},
        "BallotTurnout": {"type": "object", "properties": {
            "round_id": integer, "status": status, "summoned": integer, "present": integer,
            "voted": integer, "quorum_met": {"type": "boolean"}}},
        "BallotResults": {"type": "object", "properties": {
            "round_id": integer, "status": status,
            "scope": {"type": "string", "enum": ["all", "own"]},
            "scale": scale, "base": _ROUND_SETTINGS["base"],
            "base_value": {"type": "integer", "description": "The number percentages are of"},
            "counts": {"type": "object", "properties": {
                name: integer for name in ("summoned", "present", "issued", "collected",
                                           "valid", "invalid")}},
            "box_digest": {"type": "string", "description": "SHA-256 of the box's content"},
            "published": {"type": "boolean"},
            "secrecy_warning": {"type": "boolean"},
            "candidates": {"type": "array", "items": {"type": "object", "properties": {
                "candidate_id": integer, "position": integer, "full_name": text,
                "post_name": nullable_text, "unit_name": text,
                "counts": per_level(integer),
                "percents": per_level({"type": "string", "pattern": r"^\d+\.\d\d$",
                                       "example": "53.19"}),
                "blank": integer,
                "band": {"type": "string", "nullable": True,
                         "enum": [*_values(bands_of(ROUND_SCALES)), None]}}}}}},
        "BallotTrackers": {"type": "object", "properties": {
            "round_id": integer, "count": integer,
            "box_digest": {"type": "string"},
            "trackers": {"type": "array", "items": text}}},
    }


def openapi_document() -> dict[str, Any]:
    ref = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
    id_param = lambda name: {"name": name, "in": "path", "required": True,  # noqa: E731
                             "schema": {"type": "integer"}}
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "evalapp API",
            "version": "1",
            "description": "Confidence ballots and staff evaluation for Vietnamese public "
                           "bodies. Authenticate with a personal API token created on the "
                           "account page: `Authorization: Bearer <token>`.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/openapi.json": {"get": {
                "summary": "This document", "security": [],
                "responses": {"200": _ok({"type": "object"})}}},
            "/me": {"get": {
                "summary": "The account the token belongs to",
                "responses": {"200": _ok(ref("Me")), **_AUTH_ERRORS}}},
            "/units": {"get": {
                "summary": "Units the account administers, in tree order",
                "responses": {"200": _ok({"type": "object", "properties": {
                    "items": {"type": "array", "items": ref("Unit")}}}), **_AUTH_ERRORS}}},
            "/units/{unit_id}": {"get": {
                "summary": "One unit",
                "parameters": [id_param("unit_id")],
                "responses": {"200": _ok(ref("Unit")), **_AUTH_ERRORS,
                              "404": _error("No such unit in the account's scope")}}},
            "/people": {"get": {
                "summary": "People, in Vietnamese alphabetical order of given name",
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"type": "string"},
                     "description": "Search in name and staff code, with or without tones"},
                    {"name": "unit", "in": "query", "schema": {"type": "integer"},
                     "description": "Only this unit and its sub-units"},
                    {"name": "status", "in": "query",
                     "schema": {"type": "string", "enum": ["active", "inactive", "all"],
                                "default": "active"}},
                    {"name": "page", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "default": 1}},
                    {"name": "per_page", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 500,
                                "default": 100}},
                ],
                "responses": {"200": _ok({"type": "object", "properties": {
                    "items": {"type": "array", "items": ref("Person")},
                    "page": {"type": "integer"}, "per_page": {"type": "integer"},
                    "total": {"type": "integer"}}}),
                    "400": _error("Invalid filter"), **_AUTH_ERRORS}}},
            "/people/{person_id}": {"get": {
                "summary": "One person",
                "parameters": [id_param("person_id")],
                "responses": {"200": _ok(ref("Person")), **_AUTH_ERRORS,
                              "404": _error("No such person in the account's scope")}}},
            **_ballot_paths(),
            **_document_paths(),
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "properties": {"error": {
                    "type": "object", "properties": {
                        "status": {"type": "integer"}, "title": {"type": "string"},
                        "message": {"type": "string"}}}}},
                "Me": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "username": {"type": "string"},
                    "full_name": {"type": "string"},
                    "roles": {"type": "array", "items": {"type": "string", "enum": [
                        "admin", "secretary", "counter", "voter", "evaluee"]}}}},
                "Ref": {"type": "object", "nullable": True, "properties": {
                    "id": {"type": "integer"}, "name": {"type": "string"}}},
                "Unit": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "name": {"type": "string"},
                    "short_name": {"type": "string", "nullable": True},
                    "code": {"type": "string", "nullable": True},
                    "kind": {"type": "string"},
                    "parent_id": {"type": "integer", "nullable": True},
                    "active": {"type": "boolean"}}},
                "Person": {"type": "object", "properties": {
                    "id": {"type": "integer"},
                    "staff_code": {"type": "string", "nullable": True},
                    "full_name": {"type": "string"},
                    "gender": {"type": "string", "enum": ["male", "female"], "nullable": True},
                    "birth_year": {"type": "integer", "nullable": True},
                    "unit": ref("Ref"), "post": ref("Ref"), "duty_group": ref("Ref"),
                    "active": {"type": "boolean"}}},
                **_ballot_schemas(),
                **_document_schemas(),
            },
        },
    }


# ---------------------------------------------------------------- documents of a round

_DOC_ID = {"name": "doc_id", "in": "path", "required": True,
           "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}}
_DOC_NOT_FOUND = {"404": _error("No such document, or the account may not see its round")}


def _document_paths() -> dict[str, Any]:
    document = {"$ref": "#/components/schemas/Document"}
    return {
        "/ballot-rounds/{round_id}/documents": {
            "get": {
                "summary": "The current documents of a round (minutes, blank ballots, result "
                           "notices), for those who may issue them",
                "tags": ["documents"], "parameters": [_ROUND_ID],
                "responses": {"200": _ok({"type": "object", "properties": {
                    "round_id": {"type": "integer"},
                    "items": {"type": "array", "items": document}}}),
                    **_AUTH_ERRORS, **_ROUND_NOT_FOUND}},
            "post": {
                "summary": "Issue a document of the round, or get the current one when nothing "
                           "in it changed",
                "description": "Minutes and result notices once the round is counted; blank "
                               "ballots once it has left the draft. A signed document is never "
                               "replaced. 201 with a new document, 200 with the current one.",
                "tags": ["documents"], "parameters": [_ROUND_ID],
                "requestBody": _json_body({"type": "object", "required": ["kind"],
                                           "additionalProperties": False, "properties": {
                    "kind": {"type": "string", "enum": ["minutes", "ballots", "notice"]},
                    "candidate_id": {"type": "integer", "nullable": True,
                                     "description": "The person a notice is for"}}}),
                "responses": {"201": _ok(document, "A new document"),
                              "200": _ok(document, "The current document, unchanged"),
                              **_AUTH_ERRORS, **_ROUND_NOT_FOUND, **_WRONG_STATE,
                              **_BAD_BODY}}},
        "/documents/{doc_id}": {"get": {
            "summary": "One issued document: fingerprints, hashes and signature slots",
            "tags": ["documents"], "parameters": [_DOC_ID],
            "responses": {"200": _ok(document), **_AUTH_ERRORS, **_DOC_NOT_FOUND}}},
        "/documents/{doc_id}/pdf": {"get": {
            "summary": "The document's PDF as it is now, with every signature applied so far",
            "tags": ["documents"], "parameters": [_DOC_ID],
            "responses": {"200": {"description": "The PDF",
                                  "content": {"application/pdf": {"schema": {
                                      "type": "string", "format": "binary"}}}},
                          **_AUTH_ERRORS, **_DOC_NOT_FOUND}}},
    }


def _document_schemas() -> dict[str, Any]:
    hex64 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
    return {"Document": {"type": "object", "properties": {
        "id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
        "kind": {"type": "string", "enum": ["minutes", "ballots", "notice"]},
        "round_id": {"type": "integer"},
        "candidate_id": {"type": "integer", "nullable": True},
        "title": {"type": "string"},
        "number": {"type": "string", "nullable": True,
                   "description": "The number in the body's register, as printed: 01/BB-SNV "
                                  "(state) or 01-BB/TU (Party); none for blank ballots"},
        "created_at": {"type": "string", "format": "date-time"},
        "original_sha256": hex64, "sha256": hex64,
        "tally_fingerprint": {**hex64, "nullable": True},
        "roll_fingerprint": hex64,
        "signed": {"type": "boolean", "description": "At least one block is signed"},
        "signatures_expected": {"type": "integer",
                                "description": "How many signature blocks the document has"},
        "signatures_made": {"type": "integer", "description": "How many of them are signed"},
        "signatures": {"type": "array", "items": {"type": "object", "properties": {
            "field_name": {"type": "string"}, "position": {"type": "integer"},
            "signer_id": {"type": "integer"}, "role_label": {"type": "string"},
            "signed_at": {"type": "string", "format": "date-time", "nullable": True}}}},
        "pdf_url": {"type": "string"}}}}
