"""The base form: CSRF from Flask-WTF, messages from our own catalogs.

WTForms has no Vietnamese catalog, so its built-in messages are listed below for extraction and
translated in ours; every form in the app derives from AppForm.
"""

from __future__ import annotations

from flask_babel import get_translations, lazy_ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import validators
from wtforms.fields import SelectChoice

# Built-in WTForms messages that our forms can show; listed so that pybabel extracts them.
WTFORMS_MESSAGES = (
    _l("Not a valid integer value."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("This field is required."),
    _l("Invalid input."),
    lazy_ngettext("Field must be at least %(min)d character long.",
                  "Field must be at least %(min)d characters long.", 1),
    _l("Field must be between %(min)d and %(max)d characters long."),
    lazy_ngettext("Field cannot be longer than %(max)d character.",
                  "Field cannot be longer than %(max)d characters.", 1),
    _l("Number must be between %(min)s and %(max)s."),
)


class _Translations:
    """WTForms fills in the placeholders itself, so hand it the bare translated strings."""

    def gettext(self, string):
        return get_translations().gettext(string)

    def ngettext(self, singular, plural, n):
        return get_translations().ngettext(singular, plural, n)


class AppForm(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return _Translations()


def required(message=None):
    return validators.InputRequired(message or _l("This field is required."))


def max_length(n: int):
    return validators.Length(max=n, message=_l("At most %(max)d characters.", max=n))


def attach_error(form, error) -> None:
    """Show a service's error next to the field it concerns, or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.text()]
    else:
        form.form_errors.append(error.text())


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]
