from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import NumberRange, Optional

from evalapp.ballots.models import BASE_LABELS, PRESET_LABELS, ROUND_SCALES
from evalapp.ballots.schemas import (
    BALLOT_KINDS_LABELS,
    PAPER_MODE_LABELS,
    CandidateExclusion,
    RoundDetails,
    RoundSettings,
)
from evalapp.core.forms import AppForm, DayMonthYearField, choices, max_length, required
from evalapp.core.schemas import max_length_of, range_of


def _limit(name: str):
    """The length the round services accept for `name` (evalapp.ballots.schemas)."""
    return max_length(max_length_of(RoundDetails, name))


class RoundForm(AppForm):
    title = StringField(_l("Title"), validators=[required(), _limit("title")],
                        description=_l("For example: Lấy phiếu tín nhiệm đối với người giữ "
                                       "chức vụ do Ban Chấp hành bầu, năm 2026"))
    body_name = StringField(_l("Body holding the vote"),
                            validators=[required(), _limit("body_name")],
                            description=_l("Printed at the top left of the minutes."))
    unit_id = SelectField(_l("Unit the round belongs to"), choices=[], validators=[required()])
    governing_body_name = StringField(
        _l("Governing body"), validators=[_limit("governing_body_name")],
        description=_l("Printed above the body holding the vote, e.g. “UBND tỉnh Hòa Bình "
                       "Xanh” above “Sở Nội vụ”, or “Tỉnh ủy Hòa Bình Xanh” above “Ban Tổ "
                       "chức”. Leave empty when the body has none above it."))
    locality = StringField(
        _l("Place name of the date line"), validators=[_limit("locality")],
        description=_l("Printed in the documents as “Hòa Bình Xanh, ngày … tháng … năm …”. "
                       "Left empty, it is taken from the name of the body."))
    place = StringField(_l("Place"), validators=[_limit("place")])
    meeting_date = DayMonthYearField(_l("Date of the meeting"), validators=[Optional()])
    scale = SelectField(_l("Kind of vote"),
                        choices=choices((s.value, _l(s.label)) for s in ROUND_SCALES))
    preset = SelectField(_l("Rule set"),
                         choices=choices((key, label) for key, label in PRESET_LABELS.items()))
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
        validators=[required(), NumberRange(*range_of(RoundSettings, "secrecy_threshold"))])
    ballot_kinds = SelectField(_l("Ballots the round takes"), choices=choices(
        (k.value, label) for k, label in BALLOT_KINDS_LABELS.items()))
    paper_mode = SelectField(_l("Paper ballots are entered"), choices=choices(
        (m.value, label) for m, label in PAPER_MODE_LABELS.items()))
    paper_entries = SelectField(
        _l("Independent entries of each paper ballot"), coerce=int,
        choices=choices((n, str(n)) for n in (1, 2, 3)),
        description=_l("Each entry by a different member of the counting team; the count is "
                       "accepted only when the entries agree."))
    percent_places = SelectField(
        _l("Decimals of the published percentages"), coerce=int,
        choices=choices([(2, _l("Two (53.19 %)")), (1, _l("One (53.2 %)"))]))
    submit = SubmitField(_l("Save"))


class ExcludeForm(AppForm):
    reason = StringField(_l("Reason for excluding"), validators=[
        required(), max_length(max_length_of(CandidateExclusion, "reason"))],
                         description=_l("For example: đã có thông báo nghỉ hưu."))
    submit = SubmitField(_l("Exclude"))


class OfficersForm(AppForm):
    chair = SelectField(_l("Chair"), choices=[], default="")
    secretary = SelectField(_l("Secretary"), choices=[], default="")
    counter_head = SelectField(_l("Head of the counting team"), choices=[], default="")
    # Numbered, so that the four members are told apart (by screen readers too).
    counter_1 = SelectField(_l("Counting team member %(n)s", n=1), choices=[], default="")
    counter_2 = SelectField(_l("Counting team member %(n)s", n=2), choices=[], default="")
    counter_3 = SelectField(_l("Counting team member %(n)s", n=3), choices=[], default="")
    counter_4 = SelectField(_l("Counting team member %(n)s", n=4), choices=[], default="")
    submit = SubmitField(_l("Save"))

    COUNTER_FIELDS = ("counter_1", "counter_2", "counter_3", "counter_4")
    SLOTS = ("chair", "secretary", "counter_head", *COUNTER_FIELDS)

    def set_users(self, users, voted_on: set[int] = frozenset()) -> None:
        """The accounts offered in every slot: name, post and unit of their person, username.
        People voted on in the round are marked (choosing them is refused with a message)."""
        def label(user) -> str:
            person = user.person
            where = ", ".join(filter(None, (person.post.name if person and person.post else None,
                                            person.unit.name if person else None)))
            text = f"{user.full_name} — {where} ({user.username})" if where else \
                f"{user.full_name} ({user.username})"
            if user.person_id in voted_on:
                text += " · " + str(_l("voted on in this round"))
            return text

        options = choices([("", _l("— none —"))] + [(str(u.id), label(u)) for u in users])
        for name in self.SLOTS:
            getattr(self, name).choices = options


class VotersFileForm(AppForm):
    file = FileField(_l("List of staff codes (.xlsx or .csv)"), validators=[
        FileRequired(_l("Choose a file to upload.")),
        FileAllowed(["xlsx", "csv"], _l("Upload an Excel (.xlsx) or CSV (.csv) file.")),
    ])
    submit = SubmitField(_l("Add from the file"))


class ActionForm(AppForm):
    """Only the CSRF token: for buttons and for lists of checkboxes read from the request."""


class KeyHolderForm(AppForm):
    """A counting-team member sets the passphrase protecting their share of the key."""

    holder = StringField(_l("Name of the counting-team member"),
                         validators=[required(), max_length(255)])
    passphrase = PasswordField(
        _l("Passphrase"), validators=[required()],
        description=_l("At least 10 characters, known only to this member. It is never "
                       "stored; without it (or enough other members) the box cannot be "
                       "opened."))
    confirmation = PasswordField(_l("Passphrase again"), validators=[required()])
    submit = SubmitField(_l("Protect my share"))


class KeyFileForm(AppForm):
    """A counting-team member keeps their share's key as a file instead of a passphrase."""

    file_holder = StringField(_l("Name of the counting-team member"),
                              validators=[required(), max_length(255)])
    submit_file = SubmitField(_l("Make and download my key file"))


class KeyThresholdForm(AppForm):
    threshold = IntegerField(
        _l("Members needed to count"), validators=[Optional(), NumberRange(min=1, max=99)],
        description=_l("How many members of the counting team must unlock their shares to "
                       "count. Left empty: a majority of those holding a key."))
    submit_threshold = SubmitField(_l("Save"))


class UnlockShareForm(AppForm):
    number = SelectField(_l("Counting-team member"), choices=[], validators=[required()])
    passphrase = PasswordField(_l("Passphrase"), validators=[Optional()])
    key_file = FileField(_l("Or the key file"), validators=[Optional()],
                         description=_l("For a member who keeps a key file instead of a "
                                        "passphrase."))
    submit = SubmitField(_l("Unlock my share"))

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not self.passphrase.data and not self.key_file.data:
            self.passphrase.errors.append(_l("Enter a passphrase, or choose the key file."))
            return False
        return True
