from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import NumberRange, Optional

from evalapp.core.forms import AppForm, DayMonthYearField, choices, max_length, required
from evalapp.org.models import GENDER_LABELS, STAFF_KIND_LABELS, UNIT_KIND_LABELS


def unit_choices(units, *, empty_label=None):
    pairs = [("", empty_label)] if empty_label is not None else []
    return choices(pairs + [(str(u.id), "\u00a0\u00a0" * u.depth + u.name) for u in units])


class UnitForm(AppForm):
    name = StringField(_l("Unit name"), validators=[required(), max_length(255)])
    short_name = StringField(_l("Short name"), validators=[max_length(80)])
    code = StringField(_l("Unit code"), validators=[max_length(40)],
                       description=_l("Optional; used to name the unit in import files."))
    kind = SelectField(_l("Kind of unit"),
                       choices=choices((k.value, label) for k, label in UNIT_KIND_LABELS.items()))
    parent_id = SelectField(_l("Parent unit"), choices=[], default="")
    position = IntegerField(_l("Position among its siblings"), default=0,
                            validators=[Optional(), NumberRange(min=0, max=100000)])
    submit = SubmitField(_l("Save"))


class PostForm(AppForm):
    name = StringField(_l("Post name"), validators=[required(), max_length(255)])
    rank = IntegerField(_l("Rank (1 is the highest)"), default=100,
                        validators=[required(), NumberRange(min=0, max=100000)])
    is_leadership = BooleanField(_l("Leadership or management post"))
    active = BooleanField(_l("In use"), default=True)
    submit = SubmitField(_l("Save"))


class DutyGroupForm(AppForm):
    name = StringField(_l("Duty group name"), validators=[required(), max_length(255)])
    description = TextAreaField(_l("Description"), validators=[max_length(1000)])
    active = BooleanField(_l("In use"), default=True)
    submit = SubmitField(_l("Save"))


class PersonForm(AppForm):
    full_name = StringField(_l("Full name"), validators=[required(), max_length(255)])
    staff_code = StringField(_l("Staff code"), validators=[max_length(64)])
    gender = SelectField(_l("Gender"), default="", choices=choices(
        [("", _l("— not given —"))] + [(g.value, label) for g, label in GENDER_LABELS.items()]))
    birth_year = IntegerField(_l("Year of birth"), validators=[Optional()])
    unit_id = SelectField(_l("Unit"), choices=[], validators=[required()])
    post_id = SelectField(_l("Post"), choices=[], default="")
    duty_group_id = SelectField(_l("Duty group"), choices=[], default="")
    active = BooleanField(_l("Active (still working here)"), default=True)
    staff_kind = SelectField(_l("Kind of staff"), default="", choices=choices(
        [("", _l("— not given —"))] + [(k.value, label) for k, label in
                                       STAFF_KIND_LABELS.items()]))
    manager_code = StringField(_l("Direct manager (staff code)"), validators=[max_length(64)],
                          description=_l("Type a name or a staff code to choose among the "
                                         "people of the unit and the units above it; empty: "
                                         "the head of the unit."),
                          render_kw={"list": "manager-options", "autocomplete": "off"})
    started_on = DayMonthYearField(_l("Started work on"))
    submit = SubmitField(_l("Save"))


class ImportForm(AppForm):
    file = FileField(_l("People file (.xlsx or .csv)"), validators=[
        FileRequired(_l("Choose a file to upload.")),
        FileAllowed(["xlsx", "csv"], _l("Upload an Excel (.xlsx) or CSV (.csv) file.")),
    ])
    submit = SubmitField(_l("Check the file"))


class ConfirmForm(AppForm):
    submit = SubmitField(_l("Confirm"))
