"""The base form: CSRF from Flask-WTF, messages from our own catalogs.

WTForms has no Vietnamese catalog, so its built-in messages are listed below for extraction and
translated in ours; every form in the app derives from AppForm.
"""

from __future__ import annotations

import re
from datetime import date

from flask_babel import get_translations, lazy_ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import validators
from wtforms.fields import Field, PasswordField, SelectChoice, StringField
from wtforms.widgets import TextInput

from evalapp.core.text import clean_text

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


def entering_text(value):
    """The filter of every text field: NFC, no bidirectional controls (core.text.clean_text)."""
    return clean_text(value) if isinstance(value, str) else value


class AppForm(FlaskForm):
    class Meta:
        def get_translations(self, form):
            return _Translations()

        def bind_field(self, form, unbound_field, options):
            """Every text field (text boxes, text areas, hidden fields; not passwords, which are
            compared as typed and never shown) gets entering_text as its first filter."""
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class,
                                                                       PasswordField):
                filters = (entering_text, *unbound_field.kwargs.get("filters", ()))
                return unbound_field.bind(form=form, filters=filters, **options)
            return unbound_field.bind(form=form, **options)


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


_DMY = re.compile(r"^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
DATE_FORMAT_HINT = "dd/mm/yyyy"


def parse_day_month_year(text: str) -> date:
    """A date written as Vietnamese forms write it: 02/09/2026 (also 2/9/2026, 02-09-2026,
    02.09.2026). ISO 2026-09-02, which programs and older pages send, is accepted too.
    Raises ValueError with a message for the person who typed it."""
    text = (text or "").strip()
    match = _DMY.match(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
    elif (iso := _ISO.match(text)) is not None:
        year, month, day = (int(part) for part in iso.groups())
    else:
        raise ValueError(str(_l("Write the date as dd/mm/yyyy, for example 02/09/2026.")))
    try:
        return date(year, month, day)
    except ValueError as error:
        raise ValueError(str(_l("There is no such date as %(value)s.", value=text))) from error


class DayMonthYearField(Field):
    """A date typed as dd/mm/yyyy in a plain text box, whatever the browser's language.

    Browsers draw <input type="date"> in their own locale's order (mm/dd/yyyy in an English
    Chrome), which is not how anyone here writes a date; a text input with a hint is the same
    on every device. Empty input gives None (add a required validator where a date is needed).
    """

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"placeholder": DATE_FORMAT_HINT, "inputmode": "numeric",
                     "autocomplete": "off", "maxlength": 10, **(kwargs.pop("render_kw", None)
                                                                or {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%d/%m/%Y") if self.data else ""

    def process_formdata(self, valuelist) -> None:
        text = (valuelist[0] if valuelist else "") or ""
        if not text.strip():
            self.data = None
            return
        try:
            self.data = parse_day_month_year(text)
        except ValueError as error:
            self.data = None
            raise ValueError(str(error)) from error
