"""/api/v1/openapi.json, generated: the paths from the endpoints as declared (evalapp.api.base),
the schemas from pydantic's JSON Schema of their request bodies and answers. Nothing here
describes an endpoint by hand."""

from __future__ import annotations

import re
from typing import Any

from flask import jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from evalapp.api.base import OPERATIONS, ErrorBody, Operation, endpoint

REF = "#/components/schemas/{model}"
_VARIABLE = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_TYPES = {"int": {"type": "integer"}, "string": {"type": "string"}, None: {"type": "string"}}


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """"/ballot-rounds/<int:round_id>" -> ("/ballot-rounds/{round_id}", [its parameter])."""
    parameters = [{"name": name, "in": "path", "required": True,
                   "schema": dict(_TYPES.get(converter, {"type": "string"}))}
                  for converter, name in _VARIABLE.findall(rule)]
    return _VARIABLE.sub(r"{\2}", rule), parameters


def _models(operations: list[Operation]) -> list[tuple[type[BaseModel], str]]:
    wanted: dict[tuple[type[BaseModel], str], None] = {(ErrorBody, "serialization"): None}
    for op in operations:
        if op.body is not None:
            wanted[(op.body, "validation")] = None
        if op.query is not None:
            wanted[(op.query, "validation")] = None
        for model in [op.ok, *(m for m, _text in op.also.values())]:
            if model is not None:
                wanted[(model, "serialization")] = None
    return list(wanted)


def _content(media_type: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {media_type: {"schema": schema}}


def _operation(op: Operation, refs, definitions) -> dict[str, Any]:
    path, parameters = _path(op.rule)
    explicit = {p["name"]: p for p in op.parameters}
    parameters = [explicit.pop(p["name"], p) for p in parameters] + list(explicit.values())
    if op.query is not None:
        query = definitions[op.query.__name__]
        for name, schema in query["properties"].items():
            parameter = {"name": name, "in": "query", "required": False, "schema": schema}
            if "description" in schema:
                parameter["description"] = schema["description"]
            parameters.append(parameter)
    responses: dict[str, Any] = {}
    if op.media_type != "application/json":
        responses[str(op.status)] = {"description": "The file", "content": _content(
            op.media_type, {"type": "string", "format": "binary"})}
    elif op.ok is not None:
        responses[str(op.status)] = {"description": "OK", "content": _content(
            "application/json", refs[(op.ok, "serialization")])}
    else:
        responses[str(op.status)] = {"description": "OK", "content": _content(
            "application/json", {"type": "object"})}
    for status, (model, text) in op.also.items():
        responses[str(status)] = {"description": text, "content": _content(
            "application/json", refs[(model, "serialization")])}
    for status, text in sorted(op.errors.items()):
        responses[str(status)] = {"description": text, "content": _content(
            "application/json", refs[(ErrorBody, "serialization")])}
    operation: dict[str, Any] = {"operationId": op.endpoint.removeprefix("api."),
                                 "summary": op.summary, "responses": responses}
    if op.description:
        operation["description"] = op.description
    if op.tags:
        operation["tags"] = list(op.tags)
    if parameters:
        operation["parameters"] = parameters
    if op.body is not None:
        operation["requestBody"] = {"required": True, "content": _content(
            "application/json", refs[(op.body, "validation")])}
    if op.public:
        operation["security"] = []
    return operation


def openapi_document() -> dict[str, Any]:
    operations = list(OPERATIONS.values())
    refs, definitions = models_json_schema(_models(operations), ref_template=REF)
    schemas = definitions.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        path, _parameters = _path(op.rule)
        paths.setdefault(path, {})[op.method.lower()] = _operation(op, refs, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "evalapp API",
            "version": "1",
            "description": "Confidence ballots and staff evaluation for Vietnamese public "
                           "bodies. Authenticate with a personal API token created on the "
                           "account page: `Authorization: Bearer <token>`.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
        },
    }


@endpoint("/openapi.json", summary="This document", public=True, tags=("meta",))
def openapi():
    return jsonify(openapi_document())
