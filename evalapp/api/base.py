"""The API's blueprint and its one way of declaring an endpoint.

Each endpoint is declared with `@endpoint(rule, method, body=..., ok=..., errors=...)`: the
request body's schema (a pydantic model, read by `body()` after the endpoint's own permission
checks, so that someone who may not act learns nothing from a bad body), the schema of the
answer (the view returns an instance of it), and the error statuses it can give. The OpenAPI
document (evalapp/api/spec.py) is generated from these declarations and pydantic's JSON Schema:
nothing is described twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Annotated, Any, Literal

from flask import Blueprint, Response, g, jsonify, request
from flask_babel import gettext as _
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from evalapp.auth.services import user_for_api_token
from evalapp.core.errors import DomainError, ValidationFailed
from evalapp.core.schemas import MAX_ID, validated
from evalapp.core.time import as_utc
from evalapp.core.web import error_response

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class Out(BaseModel):
    """The base of every answer's schema: exactly the fields declared."""

    model_config = ConfigDict(extra="forbid")


# Times are answered in UTC with an offset (2026-12-01T08:30:00+00:00), as isoformat() writes.
Time = Annotated[datetime, PlainSerializer(lambda v: as_utc(v).isoformat(), return_type=str),
                 WithJsonSchema({"type": "string", "format": "date-time"})]


# Descriptions of the error statuses, for the OpenAPI document; an endpoint may say more.
ERRORS = {
    400: "The body is not a JSON object; nothing was changed",
    401: "Missing or invalid API token",
    403: "The token's account may not do this",
    404: "No such item, or the account may not see it (the two are never told apart)",
    409: "Not possible in the current state; nothing was changed",
    422: "A field is missing, unknown, of the wrong type or refused by the rules; nothing was "
         "changed. `error.errors` names the field",
}


@dataclass
class Operation:
    """One endpoint as declared: what it reads, what it answers."""

    rule: str
    method: str
    endpoint: str
    summary: str
    description: str | None = None
    tags: tuple[str, ...] = ()
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    ok: type[BaseModel] | None = None
    status: int = 200
    also: dict[int, tuple[type[BaseModel], str]] = field(default_factory=dict)
    errors: dict[int, str] = field(default_factory=dict)
    parameters: list[dict] = field(default_factory=list)
    public: bool = False
    media_type: str = "application/json"


OPERATIONS: dict[str, Operation] = {}  # by endpoint name ("api.ballot_round")


def endpoint(rule: str, method: str = "GET", *, summary: str,
             body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
             ok: type[BaseModel] | None = None, status: int = 200,
             also: dict[int, tuple[type[BaseModel], str]] | None = None,
             errors: dict[int, str | None] | tuple[int, ...] = (),
             description: str | None = None, tags: tuple[str, ...] = (),
             parameters: list[dict] | None = None, public: bool = False,
             media_type: str = "application/json") -> Callable:
    """Declare and route an endpoint of /api/v1; see the module's docstring."""
    if not isinstance(errors, dict):
        errors = {code: None for code in errors}
    if not public:
        errors = {401: None, **errors}

    def decorate(view: Callable) -> Callable:
        name = f"api.{view.__name__}"
        operation = Operation(
            rule=rule, method=method, endpoint=name, summary=summary, description=description,
            tags=tags, body=body, query=query, ok=ok, status=status, also=also or {},
            errors={code: text or ERRORS[code] for code, text in errors.items()},
            parameters=parameters or [], public=public, media_type=media_type)
        OPERATIONS[name] = operation

        @wraps(view)
        def answer(**kwargs):
            return _respond(view(**kwargs))

        bp.add_url_rule(rule, view.__name__, answer, methods=[method])
        return answer

    return decorate


def _respond(result):
    """A view returns its answer's model, optionally with a status and headers."""
    if isinstance(result, Response):
        return result
    status, headers = 200, {}
    if isinstance(result, tuple):
        result, status, *rest = result
        headers = rest[0] if rest else {}
    response = jsonify(result.model_dump(mode="json", exclude_unset=True))
    response.headers.update(headers)
    return response, status


def body() -> Any:
    """The request body, checked against the endpoint's declared schema: 400 unless it is a
    JSON object, 422 naming the first field refused (unknown fields first)."""
    operation = OPERATIONS[request.endpoint]
    parsed = request.get_json(force=True, silent=True)
    if not isinstance(parsed, dict):
        raise DomainError(_("Send a JSON object in the request body."))
    return validated(operation.body, request.get_data(cache=True), json=True)


def bad_field(field: str, message: str) -> ValidationFailed:
    """A 422 naming `field`, for what only the endpoint can check (an unknown unit id)."""
    return ValidationFailed(message, field=field, errors=[{"field": field, "message": message}])


def sent(model: BaseModel) -> set[str]:
    """The fields the request body gave (a PATCH changes only those)."""
    return set(model.model_fields_set)


@bp.before_request
def _authenticate():
    operation = OPERATIONS.get(request.endpoint or "")
    if operation is not None and operation.public:
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


def api_user():
    """The account the request's token belongs to."""
    return g.api_user


def query_args(model: type[BaseModel]):
    """The query string read leniently against `model`, as the list pages read theirs: a number
    that is not one falls back to its default and is kept within its declared range, text is
    cut to its declared length; only a choice outside its list is refused (400)."""
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        raw = request.args.get(name)
        if raw is None:
            continue
        annotation = info.annotation
        choices = getattr(annotation, "__args__", None) if _is_literal(annotation) else None
        if choices is not None:
            if raw not in choices:
                said = getattr(model, "field_messages", {}).get(name)
                raise DomainError(said or _("The parameter %(name)s must be one of: "
                                            "%(allowed)s.", name=name,
                                            allowed=", ".join(choices)))
            values[name] = raw
        elif annotation in (int, int | None):
            try:
                number = int(raw)
            except ValueError:
                continue
            if abs(number) > MAX_ID:  # beyond the database's integer range: ignored too
                continue
            low = high = None
            for item in info.metadata:
                low = getattr(item, "ge", low)
                high = getattr(item, "le", high)
            values[name] = min(high, number) if high is not None else number
            values[name] = max(low, values[name]) if low is not None else values[name]
        else:
            most = next((m.max_length for m in info.metadata
                         if getattr(m, "max_length", None) is not None), None)
            values[name] = raw[:most] if most else raw
    return model.model_validate(values)


def _is_literal(annotation) -> bool:
    return getattr(annotation, "__origin__", None) is Literal


class ErrorDetail(Out):
    field: str
    message: str


class ErrorInfo(Out):
    status: int
    title: str
    message: str
    errors: list[ErrorDetail] | None = Field(None, description="For 422: the field refused")


class ErrorBody(Out):
    """Every refusal, as evalapp.core.web.error_response writes it."""

    error: ErrorInfo
