"""Schemas: what a service accepts, declared once with pydantic and used everywhere.

A field's limits (a round title's 300 characters, a threshold's 0–1000) are written once, in the
schema the service takes (e.g. evalapp.ballots.schemas.RoundDetails), and read from there by the
forms (`max_length_of`), the API's request bodies (which reuse the same annotated types) and the
columns. pydantic checks them and generates the JSON Schema of the OpenAPI document.

A refused value becomes a ValidationFailed (422) naming the field, with a message of our own
catalogs: pydantic's English messages never reach anyone, and no message ever quotes the value
(it may be a ballot's content).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, ClassVar

import annotated_types
from flask_babel import lazy_gettext as _l
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from evalapp.core.errors import ValidationFailed
from evalapp.core.text import clean_text

MAX_ID = 2**31 - 1  # ids beyond a PostgreSQL integer would fail in the database, not here
MAX_IDS = 10_000


def id_number(raw: str) -> int:
    """An id or a page number from a query string or a form (werkzeug's `type=`): a whole
    number from 0 to MAX_ID, else ValueError (werkzeug then gives the default, getlist skips
    it), so that no number beyond the database's integer range reaches a query."""
    number = int(raw)
    if not 0 <= number <= MAX_ID:
        raise ValueError(f"out of range: {raw[:20]}")
    return number


class Schema(BaseModel):
    """The base of every schema: strict types (JSON true is not 1, "5" is not 5), no field
    that is not declared."""

    model_config = ConfigDict(extra="forbid", strict=True, arbitrary_types_allowed=True)

    # Messages for a field whose every error is said one way (e.g. a ballot's marks).
    field_messages: ClassVar[dict[str, Any]] = {}


def _entering(value):
    return clean_text(value) if isinstance(value, str) else value


def text(max_length: int, *, blank: bool = True):
    """Text of at most `max_length` characters (not blank unless `blank`), NFC and without
    bidirectional controls (core.text.clean_text) before its length is checked."""
    # The constraints first (pydantic checks them inside the string schema, with its own error
    # types), then the validator, which wraps that schema and so runs before it.
    return Annotated[str, StringConstraints(max_length=max_length,
                                            min_length=None if blank else 1,
                                            strip_whitespace=not blank),
                     BeforeValidator(_entering)]


def whole(minimum: int, maximum: int):
    """A whole number from `minimum` to `maximum`."""
    return Annotated[int, Field(ge=minimum, le=maximum)]


@dataclass(frozen=True)
class Choices:
    """The members of an enum a field accepts, when not all of them (see one_of)."""

    members: tuple


def one_of(enum_type, members):
    """A member of `enum_type` that is one of `members` (e.g. the scales a confidence round may
    use, of every scale there is): checked, listed in the refusal and in the JSON Schema."""
    members = tuple(members)

    def check(value):
        if value not in members:
            raise PydanticCustomError("enum", "not one of the accepted members")
        return value

    return Annotated[enum_type, AfterValidator(check), Choices(members),
                     WithJsonSchema({"type": "string", "enum": [m.value for m in members]})]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Ids = Annotated[list[Id], Field(max_length=MAX_IDS)]


# ---------------------------------------------------------------- reading limits


def _metadata(model: type[BaseModel], name: str) -> list:
    """The constraints declared on a field, also inside `X | None` and a nested Field()."""
    info = model.model_fields[name]
    found = list(info.metadata)
    for arg in getattr(info.annotation, "__args__", ()) or ():  # X | None
        found += list(getattr(arg, "__metadata__", ()) or ())
    flat = []
    for item in found:
        flat += [item, *getattr(item, "metadata", ())]  # a FieldInfo holds its own
    return flat


def max_length_of(model: type[BaseModel], name: str) -> int:
    """The most characters (or items) field `name` of `model` accepts."""
    for item in _metadata(model, name):
        value = getattr(item, "max_length", None)
        if value is not None:
            return value
    raise LookupError(f"{model.__name__}.{name} declares no maximum length")


def range_of(model: type[BaseModel], name: str) -> tuple[int, int]:
    """(minimum, maximum) of a whole-number field."""
    low = high = None
    for item in _metadata(model, name):
        if isinstance(item, annotated_types.Ge):
            low = item.ge
        if isinstance(item, annotated_types.Le):
            high = item.le
    if low is None or high is None:
        raise LookupError(f"{model.__name__}.{name} declares no range")
    return low, high


# ---------------------------------------------------------------- refusals in our own words


def _choices(model: type[BaseModel], name: str) -> str:
    for item in _metadata(model, name):
        if isinstance(item, Choices):
            return ", ".join(member.value for member in item.members)
    annotation = _fields(model)[name].annotation
    for candidate in (annotation, *(getattr(annotation, "__args__", ()) or ())):
        members = getattr(candidate, "__members__", None)
        if members:
            return ", ".join(member.value for member in candidate)
    return ""


def _fields(model: type[BaseModel] | None) -> dict:
    return getattr(model, "model_fields", None) or {}


def _message(model: type[BaseModel] | None, error: dict) -> tuple[str, Any]:
    """(field, message) for one of pydantic's errors, in the words of our catalogs."""
    loc = error.get("loc") or ()
    name = str(loc[0]) if loc else ""
    kind = error["type"]
    known = name in _fields(model)
    special = getattr(model, "field_messages", {}).get(name) if known else None
    if special is not None:
        return name, special
    if kind == "missing":
        return name, _l("The field %(name)s is missing.", name=name)
    if known and error.get("input", ...) is None and len(loc) == 1:
        return name, _l("The field %(name)s may not be null.", name=name)
    if kind in ("string_type", "string_unicode"):
        return name, _l("The field %(name)s must be text.", name=name)
    if kind == "string_too_long":
        return name, _l("The field %(name)s may be at most %(n)s characters long.", name=name,
                        n=error["ctx"]["max_length"])
    if kind == "string_too_short":
        return name, _l("The field %(name)s may not be blank.", name=name)
    if kind in ("bool_type", "bool_parsing"):
        return name, _l("The field %(name)s must be true or false.", name=name)
    if kind in ("enum", "literal_error"):
        return name, _l("The field %(name)s must be one of: %(allowed)s.", name=name,
                        allowed=_choices(model, name) if known else "")
    if kind.startswith("date_"):
        return name, _l("The field %(name)s must be a date written YYYY-MM-DD.", name=name)
    if len(loc) > 1 and (kind.startswith("int_") or kind in ("greater_than_equal",
                                                             "less_than_equal")):
        # One of a list of ids.
        return name, _l("The field %(name)s must be a whole number from %(min)s to %(max)s.",
                        name=name, min=1, max=MAX_ID)
    if known and (len(loc) > 1 or kind in ("list_type", "too_long", "too_short")):
        return name, _l("The field %(name)s must be a list of at most %(n)s ids.", name=name,
                        n=MAX_IDS)
    if kind.startswith("int_") or kind in ("greater_than_equal", "less_than_equal",
                                           "greater_than", "less_than"):
        low, high = range_of(model, name) if known else (1, MAX_ID)
        return name, _l("The field %(name)s must be a whole number from %(min)s to %(max)s.",
                        name=name, min=low, max=high)
    return name, _l("The value of the field %(name)s is not valid.", name=name)


def validation_failed(model: type[BaseModel] | None, error: ValidationError) -> ValidationFailed:
    """The first problem pydantic found, as a ValidationFailed naming its field: unknown fields
    first (all of them in one message), then the fields in the order they are declared."""
    errors = error.errors(include_url=False, include_context=True, include_input=True)
    unknown = sorted(str(e["loc"][0]) for e in errors
                     if e["type"] == "extra_forbidden" and e.get("loc"))
    if unknown:
        field = unknown[0]
        message = _l("Unknown fields: %(names)s. Accepted fields: %(accepted)s.",
                     names=", ".join(unknown), accepted=", ".join(sorted(_fields(model))))
    else:
        field, message = _message(model, errors[0])
    text_ = str(message)
    return ValidationFailed(text_, field=field or None,
                            errors=[{"field": field, "message": text_}] if field else None)


def validated(model: type[BaseModel], data: Any, *, json: bool = False):
    """`data` (a dict, or JSON text with json=True) checked against `model`; ValidationFailed
    (422) naming the first problem otherwise."""
    try:
        if json:
            return model.model_validate_json(data)
        return model.model_validate(data)
    except ValidationError as error:
        raise validation_failed(model, error) from None


