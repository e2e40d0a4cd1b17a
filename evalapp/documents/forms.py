"""Forms of the signing and verification pages."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from evalapp.core.forms import AppForm, choices, max_length, required
from evalapp.core.schemas import MAX_ID


class CertificateForm(AppForm):
    owner = SelectField(_l("Used by"), choices=[], default="",
                        description=_l("A person's own certificate, or the body's certificate, "
                                       "used by every signer who has none of their own."))
    label = StringField(_l("Name of the certificate"), validators=[required(), max_length(255)],
                        description=_l("For example: “USB token of the chair, VNPT-CA, 2026”."))
    file = FileField(_l("Certificate file (.p12 or .pfx)"), validators=[
        FileRequired(_l("Choose a file to upload.")),
        FileAllowed(["p12", "pfx"], _l("Upload a PKCS#12 file (.p12 or .pfx).")),
    ])
    password = PasswordField(_l("Password of the file"), validators=[max_length(1000)],
                             description=_l("Used once to open the file; it is not stored."))
    submit = SubmitField(_l("Upload the certificate"))


def owner_choices(users) -> list:
    return choices([("", str(_l("The body (for every signer without a certificate)")))]
                   + [(str(u.id), f"{u.full_name} ({u.username})") for u in users])


class VerifyForm(AppForm):
    file = FileField(_l("Signed PDF file"), validators=[
        FileRequired(_l("Choose a file to upload.")),
        FileAllowed(["pdf"], _l("Upload a PDF file.")),
    ])
    submit = SubmitField(_l("Verify"))

    def validate_file(self, field) -> None:
        limit = current_app.config["VERIFY_MAX_UPLOAD_MB"] * 1024 * 1024
        data = field.data.read(limit + 1)
        field.data.seek(0)
        if len(data) > limit:
            raise ValidationError(_l("The file is larger than %(n)s MB.",
                                     n=current_app.config["VERIFY_MAX_UPLOAD_MB"]))


CONFIRM_READ = _l("Tick the box to confirm that you have read the document.")


class SignForm(AppForm):
    """The confirmation step of the signing page: the signer has seen the document."""

    slot_id = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    next = HiddenField()
    confirm = BooleanField(_l("I have read this document and I sign it."),
                           validators=[InputRequired(CONFIRM_READ)])
    submit = SubmitField(_l("Sign the document"))


class SignAllForm(AppForm):
    confirm = BooleanField(_l("I have read these documents and I sign each of them."),
                           validators=[InputRequired(CONFIRM_READ)])
    submit = SubmitField(_l("Sign them all"))


class DemoCertificateForm(AppForm):
    next = HiddenField()
    submit = SubmitField(_l("Give me a demo certificate (for testing only)"))
