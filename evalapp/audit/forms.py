from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, SubmitField

from evalapp.core.forms import AppForm, DayMonthYearField, max_length


class AuditFilterForm(AppForm):
    """The audit page's filter: a GET form, so no CSRF token and no field is required."""

    class Meta:
        csrf = False

    # Rendered by the template with the actions grouped by area (descriptions.action_choices).
    action = StringField(_l("What happened"), validators=[max_length(80)])
    actor = StringField(_l("Who (username)"), validators=[max_length(80)])
    since = DayMonthYearField(_l("From"))
    until = DayMonthYearField(_l("To"))
    submit = SubmitField(_l("Filter"))

    def validate_until(self, field) -> None:
        from wtforms.validators import ValidationError

        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The end date is before the start date."))
