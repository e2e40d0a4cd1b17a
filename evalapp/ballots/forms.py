from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import NumberRange, Optional

from evalapp.ballots.models import BASE_LABELS, SCALE_LABELS
from evalapp.core.forms import AppForm, choices, max_length, required
from evalapp.tally.presets import PRESETS


class RoundForm(AppForm):
    title = StringField(_l("Title"), validators=[required(), max_length(300)],
                        description=_l("For example: Lấy phiếu tín nhiệm đối với người giữ "
                                       "chức vụ do Ban Chấp hành bầu, năm 2026"))
    body_name = StringField(_l("Body holding the vote"), validators=[required(), max_length(300)],
                            description=_l("Printed at the top left of the minutes."))
    unit_id = SelectField(_l("Unit the round belongs to"), choices=[], validators=[required()])
    governing_body_name = StringField(
        _l("Governing body"), validators=[max_length(300)],
        description=_l("Printed above the body holding the vote, e.g. “UBND tỉnh Hòa Bình "
                       "Xanh” above “Sở Nội vụ”, or “Tỉnh ủy Hòa Bình Xanh” above “Ban Tổ "
                       "chức”. Leave empty when the body has none above it."))
    locality = StringField(
        _l("Place name of the date line"), validators=[max_length(120)],
        description=_l("Printed in the documents as “Hòa Bình Xanh, ngày … tháng … năm …”. "
                       "Left empty, it is taken from the name of the body."))
    place = StringField(_l("Place"), validators=[max_length(300)])
    meeting_date = DateField(_l("Date of the meeting"), validators=[Optional()],
                             render_kw={"type": "date"})
    scale = SelectField(_l("Kind of vote"),
                        choices=choices((s.value, label) for s, label in SCALE_LABELS.items()))
    preset = SelectField(_l("Rule set"),
                         choices=choices((key, f"{key} — {p.source}")
                                         for key, p in PRESETS.items()))
    submit = SubmitField(_l("Save"))


class SettingsForm(AppForm):
    title = RoundForm.title
    body_name = RoundForm.body_name
    unit_id = RoundForm.unit_id
    governing_body_name = RoundForm.governing_body_name
    locality = RoundForm.locality
    place = RoundForm.place
    meeting_date = RoundForm.meeting_date
    base = SelectField(_l("Percentages are taken of"),
                       choices=choices((b.value, label) for b, label in BASE_LABELS.items()))
    bad_line_voids_ballot = BooleanField(
        _l("On paper, one bad line makes the whole ballot invalid"))
    results_to_candidates = BooleanField(_l("Each person voted on sees their own result"))
    publish_to_voters = BooleanField(_l("Results are meant to be published to all voters"))
    secrecy_threshold = IntegerField(
        _l("Warn before showing results when fewer ballots than"),
        validators=[required(), NumberRange(min=0, max=1000)])
    submit = SubmitField(_l("Save"))


class ExcludeForm(AppForm):
    reason = StringField(_l("Reason for excluding"), validators=[required(), max_length(500)],
                         description=_l("For example: đã có thông báo nghỉ hưu."))
    submit = SubmitField(_l("Exclude"))


class OfficersForm(AppForm):
    chair = SelectField(_l("Chair"), choices=[], default="")
    secretary = SelectField(_l("Secretary"), choices=[], default="")
    counter_head = SelectField(_l("Head of the counting team"), choices=[], default="")
    counter_1 = SelectField(_l("Counting team member"), choices=[], default="")
    counter_2 = SelectField(_l("Counting team member"), choices=[], default="")
    counter_3 = SelectField(_l("Counting team member"), choices=[], default="")
    counter_4 = SelectField(_l("Counting team member"), choices=[], default="")
    submit = SubmitField(_l("Save"))

    COUNTER_FIELDS = ("counter_1", "counter_2", "counter_3", "counter_4")

    def set_users(self, users) -> None:
        options = choices([("", _l("— none —"))] + [(str(u.id), f"{u.full_name} ({u.username})")
                                                    for u in users])
        for name in ("chair", "secretary", "counter_head", *self.COUNTER_FIELDS):
            getattr(self, name).choices = options


class VotersFileForm(AppForm):
    file = FileField(_l("List of staff codes (.xlsx or .csv)"), validators=[
        FileRequired(_l("Choose a file to upload.")),
        FileAllowed(["xlsx", "csv"], _l("Upload an Excel (.xlsx) or CSV (.csv) file.")),
    ])
    submit = SubmitField(_l("Add from the file"))


class ActionForm(AppForm):
    """Only the CSRF token: for buttons and for lists of checkboxes read from the request."""
