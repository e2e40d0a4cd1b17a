from __future__ import annotations

from flask import Blueprint, abort, g, jsonify, request
from flask_babel import gettext as _

from evalapp.api.openapi import openapi_document
from evalapp.auth.models import Role
from evalapp.auth.permissions import can_manage_org, roles_of, scope_paths
from evalapp.auth.services import user_for_api_token
from evalapp.core.web import error_response
from evalapp.extensions import db
from evalapp.org import services as org

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
