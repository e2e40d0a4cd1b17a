"""Text is normalised where it enters (issue 10, fault 6): NFC, bidirectional controls stripped.

Every text field of every form (AppForm and its subclasses, found at run time) and every text
field of every API request body and query (the endpoints' declared schemas) strips U+202A–E,
U+2066–9, U+200E/F and U+061C and gives NFC; the person form, the API and the people import
store the names that way.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import TypeAdapter
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms.fields import PasswordField, StringField

from evalapp.api.base import OPERATIONS
from evalapp.ballots.models import BallotRound
from evalapp.core.forms import AppForm
from evalapp.core.text import BIDI_CONTROLS, clean_text, nfc
from evalapp.org.models import Person
from tests.api.test_ballots_api import Api
from tests.org.test_import import upload

# Every control once, and a decomposed ễ (e + U+0302 + U+0303).
HOSTILE = "\u202aNgu\u202by\u202ce\u0302\u0303n \u202dV\u202e\u2066a\u2067n\u2068 " \
          "\u2069A\u200en\u200f\u061c"
CLEAN = "Nguyễn Van An"


def test_the_text_helpers_strip_every_bidi_control():
    assert len(BIDI_CONTROLS) == 12 and all(ch in HOSTILE for ch in BIDI_CONTROLS)
    assert clean_text(HOSTILE) == CLEAN and nfc(f"  {HOSTILE}\n ") == CLEAN
    assert clean_text("dòng một\n\u202edòng hai") == "dòng một\ndòng hai"  # lines kept


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_text_field_of_every_form_strips_bidi_controls(app):
    checked = set()
    with app.test_request_context(method="POST"):
        for form_class in set(_subclasses(AppForm)):
            names = [name for name, _ in form_class()._fields.items()]
            form = form_class(formdata=MultiDict({name: HOSTILE for name in names}))
            for name, field in form._fields.items():
                if isinstance(field, StringField) and not isinstance(field, PasswordField):
                    assert field.data == CLEAN, (form_class.__name__, name, field.data)
                    checked.add(f"{form_class.__name__}.{name}")
    # The main forms' text fields are among them (the search above found the forms).
    assert {"PersonForm.full_name", "PersonForm.staff_code", "UnitForm.name", "PostForm.name",
            "RoundForm.title", "RoundForm.body_name", "RoundForm.place", "ExcludeForm.reason",
            "UserForm.full_name", "UserForm.username", "ApiTokenForm.name"} <= checked


def _accepts_text(adapter: TypeAdapter) -> bool:
    schema = adapter.json_schema()
    options = schema.get("anyOf", [schema])
    return any(o.get("type") == "string" and "enum" not in o and "format" not in o
               for o in options)


def test_every_text_field_of_the_api_strips_bidi_controls():
    checked = set()
    for operation in OPERATIONS.values():
        for model in (operation.body, operation.query):
            if model is None:
                continue
            for name, info in model.model_fields.items():
                adapter = TypeAdapter(Annotated[info.annotation, *info.metadata]
                                      if info.metadata else info.annotation)
                if not _accepts_text(adapter):
                    continue
                assert adapter.validate_python(HOSTILE) == CLEAN, (model.__name__, name)
                checked.add(f"{model.__name__}.{name}")
    assert {"BallotRoundCreate.title", "BallotRoundCreate.body_name", "BallotRoundUpdate.place",
            "Exclusion.reason"} <= checked


def test_names_are_stored_without_bidi_controls(client, admin, login_as, factory, db):
    unit = factory.unit("Sở Tài chính", code="STC")
    login_as(admin)
    response = client.post("/org/people/new", data={
        "full_name": HOSTILE, "staff_code": "\u202eTC01", "gender": "male",
        "birth_year": "1985", "unit_id": str(unit.id), "active": "y"})
    assert response.status_code == 302
    person = db.session.execute(select(Person).where(Person.staff_code == "TC01")).scalar_one()
    assert person.full_name == CLEAN

    # The people import (a CSV file here): the preview shows the name without the controls.
    content = "Mã cán bộ,Họ và tên,Mã đơn vị\nTC02,\u202eLê \u2066Văn\u2069 Bình\u200f,STC\n"
    preview = upload(client, content.encode("utf-8"), "danh-sach.csv").get_data(as_text=True)
    assert "Lê Văn Bình" in preview and not set(preview) & BIDI_CONTROLS

    # The API: a round's title and place.
    api = Api(client, db, admin)
    response = api.post("/api/v1/ballot-rounds", json={
        "title": HOSTILE, "body_name": "Sở Tài chính", "unit_id": unit.id,
        "place": "\u202eHội trường", "scale": "three_level", "preset": "party-2023"})
    assert response.status_code == 201, response.json
    round_ = db.session.get(BallotRound, response.json["id"])
    assert (round_.title, round_.place) == (CLEAN, "Hội trường")
    assert unicodedata.is_normalized("NFC", round_.title)
