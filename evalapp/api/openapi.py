"""The OpenAPI 3 description of /api/v1. Each endpoint added to api.routes is described here;
a test fails when one is missing."""

from __future__ import annotations

from typing import Any


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_AUTH_ERRORS = {"401": _error("Missing or invalid API token"),
                "403": _error("The token's account may not do this")}


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
            },
        },
    }
