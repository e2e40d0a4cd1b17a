from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.form import Form

from evalapp.auth.models import ROLE_LABELS, Role
from evalapp.auth.services import TOKEN_LIFETIMES, GrantSpec
from evalapp.core.errors import NotFound, ValidationFailed
from evalapp.core.forms import AppForm, choices, max_length, required
from evalapp.core.schemas import id_number
from evalapp.org.services import get_unit


class LoginForm(AppForm):
    username = StringField(_l("Username"), validators=[required(), max_length(80)],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Password"), validators=[required()],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me signed in on this device"))
    submit = SubmitField(_l("Log in"))


class ChangePasswordForm(AppForm):
    current_password = PasswordField(_l("Current password"), validators=[required()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[required()],
                                 render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField(_l("Repeat the new password"), validators=[required()],
                                     render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Change password"))

    def validate_confirm_password(self, field):
        from wtforms.validators import ValidationError

        if field.data != self.new_password.data:
            raise ValidationError(_l("The two new passwords are not the same."))


class ApiTokenForm(AppForm):
    name = StringField(_l("Token name"), validators=[required(), max_length(120)],
                       description=_l("For example: the personnel system's nightly sync."))
    days = SelectField(_l("Valid for"), coerce=int, choices=choices(
        (days, _l("%(n)s days", n=days)) for days in TOKEN_LIFETIMES),
        default=lambda: current_app.config["API_TOKEN_DAYS"],
        description=_l("After this the token stops working; a new one can be made."))
    submit = SubmitField(_l("Create token"))


class GrantForm(Form):
    # Rows left empty (or not sent) mean "no role"; values are checked in grant_specs().
    role = SelectField(_l("Role"), choices=[], default="", validate_choice=False)
    unit = SelectField(_l("Over unit"), choices=[], default="", validate_choice=False)


GRANT_ROWS = 6


class UserForm(AppForm):
    username = StringField(_l("Username"), validators=[required(), max_length(80)])
    full_name = StringField(_l("Full name"), validators=[required(), max_length(255)])
    password = PasswordField(_l("Password"), render_kw={"autocomplete": "new-password"},
                             description=_l("At least 8 characters."))
    staff_code = StringField(_l("Staff code of the person in the directory"),
                             validators=[max_length(64)],
                             description=_l("Links the account to a person, for voters and "
                                            "people evaluated. Leave empty otherwise."))
    grants = FieldList(FormField(GrantForm), min_entries=GRANT_ROWS, max_entries=GRANT_ROWS)
    submit = SubmitField(_l("Save"))

    def set_choices(self, units) -> None:
        role_choices = choices([("", _l("— no role —"))] + [
            (r.value, label) for r, label in ROLE_LABELS.items()])
        unit_choices = choices([("", _l("The whole organisation"))] + [
            (str(u.id), "\u00a0\u00a0" * u.depth + u.name) for u in units])
        for entry in self.grants:
            entry.form.role.choices = role_choices
            entry.form.unit.choices = unit_choices


    def grant_specs(self):
        specs = []
        for entry in self.grants:
            if entry.form.role.data:
                unit_id = entry.form.unit.data
                try:
                    role = Role(entry.form.role.data)
                    unit = get_unit(id_number(unit_id)) if unit_id else None
                except (ValueError, NotFound) as error:
                    raise ValidationFailed(_l("Choose a role and a unit from the lists."),
                                           field="grants") from error
                specs.append(GrantSpec(role, unit))
        return specs

    @staticmethod
    def data_of(user) -> dict:
        grants = [{"role": g.role.value, "unit": str(g.unit_id or "")} for g in user.grants]
        grants += [{"role": "", "unit": ""}] * (GRANT_ROWS - len(grants))
        return {"username": user.username, "full_name": user.full_name,
                "staff_code": user.person.staff_code if user.person else "",
                "grants": grants[:GRANT_ROWS]}


class ResetPasswordForm(AppForm):
    new_password = PasswordField(_l("New password"), validators=[required()],
                                 render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Set password"))
