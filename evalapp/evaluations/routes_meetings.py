"""Pages of the collective meetings of an evaluation round and their secret opinion ballots.

- /evaluations/<round>/meetings: the units and their meetings (whoever sees the round; a member
  present at a meeting whose ballot is open gets the link to vote);
- /evaluations/<round>/meetings/<meeting>: recording the meeting (evaluations.run_meeting):
  details, attendance, comments, the ballot's state and, once counted, its counts;
- …/keys: the counting team's key (the pattern of the confidence rounds' key page);
- …/vote: a present member's ballot, encrypted on their device (static/js/ballot-device.js),
  or by the server on arrival without JavaScript, as in a confidence round.
"""

from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, user_logged_in, user_logged_out
from wtforms import FileField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import Optional

from evalapp.auth.permissions import can
from evalapp.core.errors import (
    AlreadyVoted,
    DomainError,
    InvalidState,
    NotAllowed,
    ValidationFailed,
)
from evalapp.core.forms import (
    AppForm,
    DayMonthYearField,
    attach_error,
    choices,
    max_length,
    required,
)
from evalapp.core.transactions import reads_first
from evalapp.evaluations import meetings, services
from evalapp.evaluations.models import MeetingStatus
from evalapp.evaluations.routes import bp
from evalapp.extensions import db

M = "/<int:round_id>/meetings/<int:meeting_id>"
RUN = "evaluations.run_meeting"


class ActionForm(AppForm):
    """Only the CSRF token: buttons, checkbox lists and ballots read from the request."""


class DetailsForm(AppForm):
    held_on = DayMonthYearField(_l("Date of the meeting"), validators=[Optional()])
    place = StringField(_l("Place"), validators=[Optional(), max_length(255)])
    # Accounts (meetings.officer_candidates); an unknown choice is refused by the service.
    chair_user_id = SelectField(_l("Chair"), choices=[], default="", validate_choice=False)
    secretary_user_id = SelectField(_l("Secretary of the meeting"), choices=[], default="",
                                    validate_choice=False)
    submit = SubmitField(_l("Save"))

    def set_users(self, users) -> None:
        """The accounts offered: name, post and unit of their person, username (as on a
        confidence round's officers page)."""
        def label(user) -> str:
            person = user.person
            where = ", ".join(filter(None, (person.post.name if person and person.post else None,
                                            person.unit.name if person else None)))
            return f"{user.full_name} — {where} ({user.username})" if where else \
                f"{user.full_name} ({user.username})"

        options = choices([("", _l("— none —"))] + [(str(u.id), label(u)) for u in users])
        self.chair_user_id.choices = self.secretary_user_id.choices = options

    @staticmethod
    def account_id(value: str | None) -> int | None:
        """"" is nobody; anything but a number is an account that does not exist (0)."""
        value = (value or "").strip()
        if not value:
            return None
        return int(value) if value.isdigit() and len(value) < 12 else 0


class KeyHolderForm(AppForm):
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
    file_holder = StringField(_l("Name of the counting-team member"),
                              validators=[required(), max_length(255)])
    submit_file = SubmitField(_l("Make and download my key file"))


class UnlockShareForm(AppForm):
    number = SelectField(_l("Counting-team member"), choices=[], validators=[required()])
    passphrase = PasswordField(_l("Passphrase"), validators=[Optional()])
    key_file = FileField(_l("Or the key file"), validators=[Optional()])
    submit = SubmitField(_l("Unlock my share"))

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not self.passphrase.data and not self.key_file.data:
            self.passphrase.errors.append(_l("Enter a passphrase, or choose the key file."))
            return False
        return True


def _round(round_id: int, action: str | None = None):
    """The round if the user sees it (else 404) and may do `action` (else 403)."""
    round_ = services.visible_round(current_user, round_id)
    if action is not None and not can(current_user, action, round_):
        raise NotAllowed()
    return round_


def _meeting(round_id: int, meeting_id: int, action: str | None = RUN):
    round_ = _round(round_id, action)
    return round_, meetings.get_meeting(round_, meeting_id)


def _checked_form() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


def _back(round_, meeting, anchor: str = ""):
    return redirect(url_for("evaluations.meeting_page", round_id=round_.id,
                            meeting_id=meeting.id) + anchor)


STAGES = {
    MeetingStatus.DRAFT: _l("Being recorded"),
    MeetingStatus.VOTING: _l("Opinion ballot open"),
    MeetingStatus.CLOSED: _l("Opinion ballot closed"),
    MeetingStatus.RECORDED: _l("Minutes complete"),
}


def stage(meeting) -> dict:
    """What the meeting's state allows, for the templates (which never compare statuses)."""
    status = meeting.status
    return {"label": str(STAGES[status]), "draft": status == MeetingStatus.DRAFT,
            "voting": status == MeetingStatus.VOTING,
            "closed": status == MeetingStatus.CLOSED,
            "in_ballot": status in (MeetingStatus.VOTING, MeetingStatus.CLOSED),
            "recordable": status in (MeetingStatus.DRAFT, MeetingStatus.CLOSED),
            "counted": meetings.counted(meeting)}


bp.add_app_template_global(stage, "meeting_stage")


def level_labels() -> dict:
    return {level.value: _(level.label) for level in meetings.SCALE.levels}


# ---------------------------------------------------------------- the list and a meeting


@bp.get("/<int:round_id>/meetings")
@login_required
def meetings_list(round_id: int):
    round_ = _round(round_id)
    return render_template("evaluations/meetings/list.html", round=round_,
                           units=meetings.meetings_of(round_),
                           runs=can(current_user, RUN, round_), action_form=ActionForm(),
                           can_record=meetings.ROUND_STEPS.can(current_user, round_,
                                                               "record-meeting"),
                           is_present=lambda m: meetings.is_present_member(current_user, m))


@bp.post("/<int:round_id>/meetings")
@login_required
def start_meeting(round_id: int):
    round_ = _round(round_id, RUN)
    _checked_form()
    try:
        unit_id = int(request.form.get("unit_id", ""))
    except ValueError:
        raise ValidationFailed(_("Choose a unit.")) from None
    meeting = meetings.start_meeting(current_user, round_, unit_id)
    db.session.commit()
    return _back(round_, meeting)


def _meeting_page(round_, meeting, status: int = 200, details_form=None):
    people = meetings.unit_people(round_, meeting.unit_id)
    form = details_form or DetailsForm(formdata=None, obj=meeting, data=_officer_data(meeting))
    form.set_users(meetings.officer_candidates(round_))
    return render_template(
        "evaluations/meetings/meeting.html", round=round_, meeting=meeting, people=people,
        present=meetings.present_ids(meeting), attendance=meetings.attendance_taken(meeting),
        comments=meetings.comments_of(meeting), key=meetings.meeting_key(meeting),
        voted=meetings.voted_count(meeting), opinions=meetings.opinions(meeting),
        levels=meetings.LEVELS, level_labels=level_labels(), details_form=form,
        action_form=ActionForm(), statuses=MeetingStatus,
        editable=meeting.status != MeetingStatus.RECORDED
        and meetings.ROUND_STEPS.can(current_user, round_, "record-meeting")), status


@bp.get(M)
@login_required
def meeting_page(round_id: int, meeting_id: int):
    return _meeting_page(*_meeting(round_id, meeting_id))


def _officer_data(meeting) -> dict:
    return {key: str(meeting.content[key]) if meeting.content.get(key) else ""
            for key in ("chair_user_id", "secretary_user_id")}


@bp.post(M + "/details")
@login_required
def meeting_details(round_id: int, meeting_id: int):
    round_, meeting = _meeting(round_id, meeting_id)
    form = DetailsForm()
    if not form.validate_on_submit():
        return _meeting_page(round_, meeting, 422, details_form=form)
    try:
        meetings.save_details(current_user, round_, meeting, meetings.MeetingDetails(
            form.held_on.data, form.place.data, form.account_id(form.chair_user_id.data),
            form.account_id(form.secretary_user_id.data)))
    except ValidationFailed as error:
        db.session.rollback()
        attach_error(form, error)
        return _meeting_page(round_, meeting, error.status, details_form=form)
    db.session.commit()
    flash(_("Saved."), "success")
    return _back(round_, meeting)


def _ids(name: str) -> list[int]:
    try:
        return [int(v) for v in request.form.getlist(name)]
    except ValueError:
        raise ValidationFailed(_("The list sent is not valid. Nothing was changed.")) from None


@bp.post(M + "/attendance")
@login_required
def meeting_attendance(round_id: int, meeting_id: int):
    round_, meeting = _meeting(round_id, meeting_id)
    _checked_form()
    meetings.set_attendance(current_user, round_, meeting, _ids("present"))
    db.session.commit()
    flash(_("The attendance is saved: %(present)s of %(total)s present.",
            present=meeting.members_present, total=meeting.members_total), "success")
    return _back(round_, meeting, "#attendance")


@bp.post(M + "/comments")
@login_required
def meeting_comments(round_id: int, meeting_id: int):
    round_, meeting = _meeting(round_id, meeting_id)
    _checked_form()
    people = meetings.unit_people(round_, meeting.unit_id)
    for person in people:
        key = f"comment-{person.id}"
        if key in request.form:
            meetings.save_comment(current_user, round_, meeting, person.id, request.form[key])
    db.session.commit()
    flash(_("Saved."), "success")
    return _back(round_, meeting, "#comments")


STEPS = {"open-ballot": meetings.open_ballot, "close-ballot": meetings.close_ballot,
         "count-ballot": meetings.count_ballot, "record": meetings.mark_recorded}
DONE = {
    "open-ballot": _l("The opinion ballot is open: the members present can vote."),
    "close-ballot": _l("The opinion ballot is closed. The counting team can now unlock their "
                       "shares."),
    "count-ballot": _l("The opinion ballot is counted."),
    "record": _l("The minutes of the meeting are complete."),
}


@bp.post(M + "/<any('open-ballot','close-ballot','count-ballot',record):step>")
@login_required
def meeting_step(round_id: int, meeting_id: int, step: str):
    round_, meeting = _meeting(round_id, meeting_id)
    _checked_form()
    STEPS[step](current_user, round_, meeting)
    db.session.commit()  # closing: the box's storage is scrubbed after this commit
    flash(str(DONE[step]), "success")
    return _back(round_, meeting)


# ---------------------------------------------------------------- the counting team's key


def _keys_page(round_, meeting, status: int = 200, **forms):
    key = meetings.meeting_key(meeting)
    unlock = forms.get("unlock_form") or UnlockShareForm(formdata=None)
    unlock.number.choices = [("", "—")] + [(str(h.number), f"{h.number}. {h.holder}")
                                            for h in key.holders if not h.unlocked]
    return render_template(
        "evaluations/meetings/keys.html", round=round_, meeting=meeting, key=key,
        holder_form=forms.get("holder_form") or KeyHolderForm(formdata=None),
        file_form=forms.get("file_form") or KeyFileForm(formdata=None),
        unlock_form=unlock, action_form=ActionForm(), team_max=meetings.TEAM_MAX,
        team_min=meetings.TEAM_MIN, statuses=MeetingStatus,
        counted=meetings.counted(meeting)), status


@bp.get(M + "/keys")
@login_required
def meeting_keys(round_id: int, meeting_id: int):
    return _keys_page(*_meeting(round_id, meeting_id))


@bp.post(M + "/keys")
@login_required
def meeting_protect_share(round_id: int, meeting_id: int):
    round_, meeting = _meeting(round_id, meeting_id)
    form = KeyHolderForm()
    if not form.validate_on_submit():
        return _keys_page(round_, meeting, 422, holder_form=form)
    try:
        holder = meetings.register_lock(current_user, round_, meeting, form.holder.data,
                                        form.passphrase.data, form.confirmation.data)
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _keys_page(round_, meeting, error.status, holder_form=form)
    db.session.commit()
    flash(_("%(holder)s's share is protected by their passphrase (key %(number)s).",
            holder=holder.holder, number=holder.number), "success")
    return redirect(url_for("evaluations.meeting_keys", round_id=round_.id,
                            meeting_id=meeting.id))


@bp.post(M + "/keys/file")
@login_required
def meeting_protect_share_with_file(round_id: int, meeting_id: int):
    round_, meeting = _meeting(round_id, meeting_id)
    form = KeyFileForm()
    if not form.validate_on_submit():
        return _keys_page(round_, meeting, 422, file_form=form)
    try:
        holder, text = meetings.register_key_file(current_user, round_, meeting,
                                                  form.file_holder.data)
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _keys_page(round_, meeting, error.status, file_form=form)
    db.session.commit()
    return Response(text, mimetype="text/plain", headers={
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="khoa-kiem-phieu-hop-{meeting.id}-so-'
                               f'{holder.number}.txt"'})


@bp.post(M + "/keys/<int:number>/remove")
@login_required
def meeting_remove_key(round_id: int, meeting_id: int, number: int):
    round_, meeting = _meeting(round_id, meeting_id)
    _checked_form()
    meetings.remove_lock(current_user, round_, meeting, number)
    db.session.commit()
    flash(_("The key has been removed."), "success")
    return redirect(url_for("evaluations.meeting_keys", round_id=round_.id,
                            meeting_id=meeting.id))


@bp.post(M + "/keys/unlock")
@login_required
def meeting_unlock_share(round_id: int, meeting_id: int):
    round_, meeting = _meeting(round_id, meeting_id)
    form = UnlockShareForm()
    form.number.choices = [(str(h.number), h.holder)
                           for h in meetings.meeting_key(meeting).holders]
    if not form.validate_on_submit():
        return _keys_page(round_, meeting, 422, unlock_form=form)
    try:
        key_file = form.key_file.data.read(4096) if form.key_file.data else None
        holder = meetings.unlock_share(current_user, round_, meeting, int(form.number.data),
                                       form.passphrase.data or None, key_file=key_file)
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        return _keys_page(round_, meeting, error.status, unlock_form=form)
    db.session.commit()
    flash(_("%(holder)s's share is unlocked.", holder=holder.holder), "success")
    return redirect(url_for("evaluations.meeting_keys", round_id=round_.id,
                            meeting_id=meeting.id))


# ---------------------------------------------------------------- voting

# The voter's tracker is kept in the signed session cookie, never in the database (as the
# confidence rounds' receipts): a "person -> tracker" table would tie voters to published
# trackers. Dropped at logout and when another account logs in on the same browser.
RECEIPTS = "meeting_receipts"
KEEP = 20
MAX_ENCRYPTED_BALLOT = 1_000_000


def _remember(meeting_id: int, tracker: str) -> None:
    kept = _receipts()
    kept.pop(str(meeting_id), None)
    kept[str(meeting_id)] = tracker
    while len(kept) > KEEP:
        kept.pop(next(iter(kept)))
    session[RECEIPTS] = {"user": current_user.id, "meetings": kept}


def _receipts() -> dict[str, str]:
    stored = session.get(RECEIPTS)
    if not isinstance(stored, dict) or stored.get("user") != getattr(current_user, "id", None):
        return {}
    found = stored.get("meetings")
    return dict(found) if isinstance(found, dict) else {}


def _forget(_sender, user=None, **_extra) -> None:
    session.pop(RECEIPTS, None)


def _forget_others(_sender, user=None, **_extra) -> None:
    stored = session.get(RECEIPTS)
    if isinstance(stored, dict) and stored.get("user") != getattr(user, "id", None):
        session.pop(RECEIPTS, None)


user_logged_out.connect(_forget)
user_logged_in.connect(_forget_others)


def _voting(round_id: int, meeting_id: int):
    """The meeting, for a member on its present list (403 for anyone else who sees the round,
    whatever the state of the ballot)."""
    round_, meeting = _meeting(round_id, meeting_id, action=None)
    if not meetings.is_present_member(current_user, meeting):
        raise NotAllowed(meetings.NOT_PRESENT)
    return round_, meeting


def _marks_from_form(round_, meeting) -> dict[int, str | None]:
    """Marks as sent: the level's number on the scale (one character whatever the level)."""
    by_number = {str(n): level for n, level in enumerate(meetings.LEVELS, start=1)}
    return {p.id: by_number.get(request.form.get(f"mark-{p.id}"))
            for p in meetings.unit_people(round_, meeting.unit_id)}


def _encrypted_from_form():
    text = request.form.get("ballot")
    if text is None:
        return None
    if len(text) > MAX_ENCRYPTED_BALLOT:
        raise ValidationFailed(_("The encrypted ballot is too large. Nothing was recorded."))
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ValidationFailed(_("The encrypted ballot cannot be read. Nothing was recorded; "
                                 "reload the ballot page and vote again.")) from None


def _ballot_page(template: str, round_, meeting, marks: dict, status: int = 200, **extra):
    open_ = meeting.status == MeetingStatus.VOTING and \
        meetings.ROUND_STEPS.state_allows(round_, "meeting-vote")
    return render_template(
        template, round=round_, meeting=meeting, marks=marks, voting_open=open_,
        people=meetings.unit_people(round_, meeting.unit_id),
        voted=meetings.has_voted(meeting, current_user.person_id),
        levels=meetings.LEVELS, level_labels=level_labels(),
        level_numbers={level: n for n, level in enumerate(meetings.LEVELS, start=1)},
        box_parameters=meetings.box_parameters(meeting) if open_ else None,
        action_form=ActionForm(), **extra), status


@bp.get(M + "/vote")
@login_required
def meeting_ballot(round_id: int, meeting_id: int):
    return _ballot_page("evaluations/meetings/ballot.html", *_voting(round_id, meeting_id), {})


@bp.post(M + "/vote/review")
@login_required
def meeting_review(round_id: int, meeting_id: int):
    round_, meeting = _voting(round_id, meeting_id)
    _checked_form()
    marks = _marks_from_form(round_, meeting)
    unmarked = [p for p in meetings.unit_people(round_, meeting.unit_id) if not marks.get(p.id)]
    if unmarked:
        return _ballot_page("evaluations/meetings/ballot.html", round_, meeting, marks, 422,
                            unmarked=unmarked)
    return _ballot_page("evaluations/meetings/review.html", round_, meeting, marks)


@bp.post(M + "/vote/change")
@login_required
def meeting_change(round_id: int, meeting_id: int):
    round_, meeting = _voting(round_id, meeting_id)
    _checked_form()
    return _ballot_page("evaluations/meetings/ballot.html", round_, meeting,
                        _marks_from_form(round_, meeting))


@bp.post(M + "/vote/cast")
@login_required
@reads_first  # the write lock is taken by the box, after the checks (core.transactions)
def meeting_cast(round_id: int, meeting_id: int):
    round_, meeting = _voting(round_id, meeting_id)
    _checked_form()
    encrypted = _encrypted_from_form()
    try:
        if encrypted is not None:
            tracker = meetings.cast_encrypted(current_user.person_id, round_, meeting, encrypted)
        else:
            tracker = meetings.cast_opinion(current_user.person_id, round_, meeting,
                                            _marks_from_form(round_, meeting))
    except (AlreadyVoted, InvalidState, NotAllowed) as refused:
        # Said on the ballot page as the meeting now stands, never echoing the marks sent.
        db.session.rollback()
        return _ballot_page("evaluations/meetings/ballot.html", round_, meeting, {},
                            refused.status, refusal=refused.text())
    db.session.commit()
    _remember(meeting.id, tracker)
    return redirect(url_for("evaluations.meeting_receipt", round_id=round_.id,
                            meeting_id=meeting.id), 303)


@bp.get(M + "/vote/receipt")
@login_required
def meeting_receipt(round_id: int, meeting_id: int):
    round_, meeting = _voting(round_id, meeting_id)
    tracker = _receipts().get(str(meeting.id))
    if tracker is None and not meetings.has_voted(meeting, current_user.person_id):
        return redirect(url_for("evaluations.meeting_ballot", round_id=round_.id,
                                meeting_id=meeting.id))
    return render_template("evaluations/meetings/receipt.html", round=round_, meeting=meeting,
                           tracker=tracker)
