from __future__ import annotations

import json

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    get_template_attribute,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from evalapp.auth.permissions import can
from evalapp.ballots import home as _home  # noqa: F401  (registers the home page sections)
from evalapp.ballots import receipts, services
from evalapp.ballots.forms import (
    ActionForm,
    ExcludeForm,
    KeyFileForm,
    KeyHolderForm,
    KeyThresholdForm,
    OfficersForm,
    RoundForm,
    SettingsForm,
    UnlockShareForm,
    VotersFileForm,
)
from evalapp.ballots.lifecycle import ROUND_STEPS
from evalapp.ballots.models import (
    BASE_LABELS,
    STATUS_LABELS,
    RoundStatus,
    preset_label,
)
from evalapp.ballots.schemas import BallotKinds, PaperMode
from evalapp.ballots.spreadsheets import results_workbook
from evalapp.box import services as box_services
from evalapp.core.errors import (
    AlreadyVoted,
    DomainError,
    InvalidState,
    NotAllowed,
    NotFound,
    ValidationFailed,
)
from evalapp.core.forms import attach_error
from evalapp.core.schemas import id_number
from evalapp.core.transactions import reads_first
from evalapp.extensions import db
from evalapp.org import services as org
from evalapp.org.forms import unit_choices
from evalapp.tally.rules import Band, Base, Scale

bp = Blueprint("ballots", __name__)


@bp.app_template_filter("base_label")
def base_label(value: str) -> str:
    return str(BASE_LABELS[Base(value)])


@bp.app_template_filter("band_label")
def band_label(value: str) -> str:
    return _(Band(value).label)


@bp.app_template_filter("tracker")
def tracker_filter(value: str) -> str:
    return receipts.grouped(value)


bp.add_app_template_filter(preset_label, "preset_label")
# Templates ask the round's lifecycle whether a step can be taken now:
# round_steps.can(current_user, round, "close").
bp.add_app_template_global(ROUND_STEPS, "round_steps")


def level_labels(scale: Scale) -> dict:
    """level -> its label in the reader's language (the labels are data in evalapp.tally)."""
    return {level: _(level.label) for level in scale.levels}


def _round(round_id: int, action: str | None = None):
    """The round, if the user may see it (else 404, as if it did not exist), and may do
    `action` on it (else 403)."""
    round_ = services.visible_round(current_user, round_id)
    if action is not None and not can(current_user, action, round_):
        # A domain error, so that a button pressed on a page that has gone stale brings the
        # person back to that page with the reason (see core.web._handle_domain_error).
        raise NotAllowed()
    return round_


def _checked_form() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


def _back(round_, anchor: str = ""):
    return redirect(url_for("ballots.round_page", round_id=round_.id) + anchor)


# ---------------------------------------------------------------- rounds


ROUNDS_PER_PAGE = 25


@bp.get("/ballots/")
@login_required
def rounds():
    status = request.args.get("status", "")
    status = RoundStatus(status) if status in RoundStatus._value2member_map_ else None
    sort = request.args.get("sort", "newest")
    sort = sort if sort in services.ROUND_SORTS else "newest"
    search = request.args.get("q", "")[:200]
    found = services.list_rounds(current_user, status=status, search=search, sort=sort)
    pages = max(1, -(-len(found) // ROUNDS_PER_PAGE))
    page = min(max(request.args.get("page", 1, type=id_number) or 1, 1), pages)
    shown = found[(page - 1) * ROUNDS_PER_PAGE:page * ROUNDS_PER_PAGE]
    return render_template("ballots/rounds.html", rounds=shown, total=len(found), page=page,
                           pages=pages, first=(page - 1) * ROUNDS_PER_PAGE + 1,
                           status=status.value if status else "", search=search, sort=sort,
                           statuses=STATUS_LABELS, filtered=bool(status or search))


@bp.route("/ballots/new", methods=["GET", "POST"])
@login_required
def new_round():
    units = org.units_in_scope(current_user, active_only=True)
    if not units:
        abort(403)
    form = RoundForm()
    form.unit_id.choices = unit_choices(units)
    if not form.validate_on_submit():
        return render_template("ballots/round_form.html", form=form), \
            422 if form.errors else 200
    try:
        round_ = services.create_round(current_user, _details(form), Scale(form.scale.data),
                                       form.preset.data)
    except DomainError as error:
        attach_error(form, error)
        return render_template("ballots/round_form.html", form=form), error.status
    db.session.commit()
    flash(_("The round has been created. Add the people voted on and the voters."), "success")
    return _back(round_)


def _details(form) -> services.RoundDetails:
    return services.RoundDetails(title=form.title.data, body_name=form.body_name.data,
                                 unit=org.get_unit(int(form.unit_id.data)),
                                 place=form.place.data, meeting_date=form.meeting_date.data,
                                 governing_body_name=form.governing_body_name.data,
                                 locality=form.locality.data)


@bp.get("/ballots/<int:round_id>")
@login_required
def round_page(round_id: int):
    round_ = _round(round_id)
    return render_template(
        "ballots/round.html", round=round_, turnout=services.turnout(round_),
        codes_generated=box_services.codes_count(services.round_box(round_))[0],
        codes_most=box_services.MAX_CODES_AT_ONCE,
        exclude_form=ExcludeForm(), action_form=ActionForm(),
        can_count=can(current_user, "ballots.count", round_),
        can_see_results=can(current_user, "ballots.see_results", round_),
        can_see_trackers=can(current_user, "ballots.see_trackers", round_),
        start_blockers=services.start_attendance_blockers(round_),
        refused_changes=services.refused_account_changes(round_)
        if can(current_user, "ballots.count", round_) else [])


@bp.route("/ballots/<int:round_id>/settings", methods=["GET", "POST"])
@login_required
def settings(round_id: int):
    round_ = _round(round_id, "ballots.manage")
    form = SettingsForm(obj=round_, data=None if request.method == "POST" else {
        "unit_id": str(round_.unit_id), "base": round_.base.value,
        "ballot_kinds": round_.ballot_kinds.value, "paper_mode": round_.paper_mode.value})
    form.unit_id.choices = unit_choices(org.units_in_scope(current_user, active_only=True))
    if not form.validate_on_submit():
        return render_template("ballots/settings.html", form=form, round=round_), \
            422 if form.errors else 200
    try:
        services.update_round(
            current_user, round_, _details(form), base=Base(form.base.data),
            bad_line_voids_ballot=form.bad_line_voids_ballot.data,
            results_to_candidates=form.results_to_candidates.data,
            publish_to_voters=form.publish_to_voters.data,
            secrecy_threshold=form.secrecy_threshold.data,
            ballot_kinds=BallotKinds(form.ballot_kinds.data),
            paper_mode=PaperMode(form.paper_mode.data),
            paper_entries=form.paper_entries.data, percent_places=form.percent_places.data)
    except DomainError as error:
        attach_error(form, error)
        return render_template("ballots/settings.html", form=form, round=round_), error.status
    db.session.commit()
    flash(_("The settings have been saved."), "success")
    return _back(round_)


# ---------------------------------------------------------------- people voted on


def _people_search():
    """The search of the pages that build a round: words and a unit (with its sub-units)."""
    search = request.args.get("q", "")[:200]
    unit_id = request.args.get("unit", type=id_number)
    units = org.units_in_scope(current_user, active_only=True)
    unit = next((u for u in units if u.id == unit_id), None)
    found = services.find_people(current_user, search=search, unit=unit)
    return {"search": search, "unit": unit, "units": units, "found": found.people,
            "found_total": found.total, "searched": bool(search.strip() or unit)}


def _chosen_people() -> list[int]:
    """The people ticked, or every person listed when "all found" was ticked (which works
    without JavaScript: the listed ids travel in the form)."""
    field = "found_id" if request.form.get("all_found") else "person_id"
    return request.form.getlist(field, type=id_number)


def _search_args() -> dict:
    """The search the form was sent from, to come back to it."""
    return {key: request.form[key][:200] for key in ("q", "unit") if request.form.get(key)}


@bp.get("/ballots/<int:round_id>/candidates")
@login_required
def candidates(round_id: int):
    round_ = _round(round_id, "ballots.manage")
    return render_template("ballots/candidates.html", round=round_, action_form=ActionForm(),
                           **_people_search())


@bp.post("/ballots/<int:round_id>/candidates")
@login_required
def add_candidates(round_id: int):
    round_ = _round(round_id, "ballots.manage")
    _checked_form()
    added = services.add_candidates(current_user, round_, _chosen_people())
    db.session.commit()
    flash(_("%(n)s people added to the ballot: %(names)s.", n=len(added),
            names=", ".join(c.full_name for c in added)), "success")
    return redirect(url_for("ballots.candidates", round_id=round_.id, **_search_args()))


@bp.post("/ballots/<int:round_id>/candidates/<int:candidate_id>/<any(up,down):direction>")
@login_required
def move_candidate(round_id: int, candidate_id: int, direction: str):
    round_ = _round(round_id, "ballots.manage")
    _checked_form()
    services.move_candidate(current_user, round_, candidate_id, -1 if direction == "up" else 1)
    db.session.commit()
    return _back(round_, "#candidates")


@bp.post("/ballots/<int:round_id>/candidates/<int:candidate_id>/exclude")
@login_required
def exclude_candidate(round_id: int, candidate_id: int):
    round_ = _round(round_id, "ballots.manage")
    form = ExcludeForm()
    if not form.validate_on_submit():
        raise ValidationFailed(_("Give the reason for excluding this person."))
    services.set_candidate_excluded(current_user, round_, candidate_id, form.reason.data)
    db.session.commit()
    return _back(round_, "#candidates")


@bp.post("/ballots/<int:round_id>/candidates/<int:candidate_id>/include")
@login_required
def include_candidate(round_id: int, candidate_id: int):
    round_ = _round(round_id, "ballots.manage")
    _checked_form()
    services.set_candidate_excluded(current_user, round_, candidate_id, None)
    db.session.commit()
    return _back(round_, "#candidates")


@bp.post("/ballots/<int:round_id>/candidates/<int:candidate_id>/remove")
@login_required
def remove_candidate(round_id: int, candidate_id: int):
    round_ = _round(round_id, "ballots.manage")
    _checked_form()
    removed = services.remove_candidate(current_user, round_, candidate_id)
    db.session.commit()
    flash(_("%(name)s has been taken off the list of people voted on.", name=removed.full_name),
          "success")
    if request.form.get("back") == "candidates":
        return redirect(url_for("ballots.candidates", round_id=round_.id, **_search_args()))
    return _back(round_, "#candidates")


# ---------------------------------------------------------------- voters and officers


@bp.get("/ballots/<int:round_id>/voters")
@login_required
def voters(round_id: int):
    round_ = _round(round_id, "ballots.manage")
    roll = services.voters_sorted(round_)
    return render_template("ballots/voters.html", round=round_, voters=roll,
                           with_account=services.people_with_accounts(v.person_id for v in roll),
                           action_form=ActionForm(), file_form=VotersFileForm(),
                           **_people_search())


@bp.post("/ballots/<int:round_id>/voters")
@login_required
def add_voters(round_id: int):
    round_ = _round(round_id, "ballots.manage")
    _checked_form()
    unit_id = request.form.get("unit_id", type=id_number)
    if unit_id:
        added = services.add_voters_from_unit(current_user, round_, org.get_unit(unit_id))
    else:
        added = services.add_voters(current_user, round_, _chosen_people())
    db.session.commit()
    flash(_("%(n)s voters added.", n=added), "success")
    return redirect(url_for("ballots.voters", round_id=round_.id, **_search_args()))


@bp.post("/ballots/<int:round_id>/voters/file")
@login_required
@reads_first  # the file is read before the write lock (services.add_voters_from_file)
def add_voters_file(round_id: int):
    round_ = _round(round_id, "ballots.manage")
    form = VotersFileForm()
    if not form.validate_on_submit():
        raise ValidationFailed(" ".join(str(e) for e in form.file.errors) or None)
    upload = form.file.data
    added = services.add_voters_from_file(current_user, round_, upload.filename or "",
                                          upload.read())
    db.session.commit()
    flash(_("%(n)s voters added.", n=added), "success")
    return redirect(url_for("ballots.voters", round_id=round_.id))


@bp.post("/ballots/<int:round_id>/voters/accounts")
@login_required
def voter_accounts(round_id: int):
    """Without JavaScript, one request makes every missing account and shows the slips; the
    page's script posts `batch` instead and gets JSON, to show a progress bar."""
    round_ = _round(round_id, "ballots.manage")
    _checked_form()
    batch = request.form.get("batch", type=id_number)
    created = services.create_accounts_for_roll(current_user, round_,
                                                limit=min(max(batch, 1), 100) if batch else None)
    db.session.commit()
    if batch is None:
        return render_template("ballots/voter_accounts.html", round=round_, created=created)
    slips = get_template_attribute("ballots/_voter_slips.html", "slip_cards")
    frame = get_template_attribute("ballots/_voter_slips.html", "slips_frame")
    return jsonify(created=len(created), html=str(slips(created, round_)),
                   remaining=services.count_voters_without_account(round_),
                   frame=str(frame(round_, "__N__")))


@bp.post("/ballots/<int:round_id>/voters/<int:voter_id>/remove")
@login_required
def remove_voter(round_id: int, voter_id: int):
    round_ = _round(round_id, "ballots.manage")
    _checked_form()
    removed = services.remove_voter(current_user, round_, voter_id)
    db.session.commit()
    flash(_("%(name)s has been taken off the summoned list.", name=removed.full_name),
          "success")
    return redirect(url_for("ballots.voters", round_id=round_.id, **_search_args()))


@bp.route("/ballots/<int:round_id>/officers", methods=["GET", "POST"])
@login_required
def officers(round_id: int):
    round_ = _round(round_id, "ballots.manage")
    form = OfficersForm(data=None if request.method == "POST" else _officer_data(round_))
    users = services.officer_candidates(round_)
    form.set_users(users, voted_on={c.person_id for c in round_.active_candidates})
    if not form.validate_on_submit():
        return render_template("ballots/officers.html", form=form, round=round_), \
            422 if form.errors else 200
    by_id = {str(u.id): u for u in users}
    try:
        services.set_officers(
            current_user, round_, chair=by_id.get(form.chair.data),
            secretary=by_id.get(form.secretary.data),
            counter_head=by_id.get(form.counter_head.data),
            counters=[by_id.get(getattr(form, f).data) for f in form.COUNTER_FIELDS])
    except DomainError as error:
        attach_error(form, error)
        return render_template("ballots/officers.html", form=form, round=round_), error.status
    db.session.commit()
    flash(_("The chair, secretary and counting team have been saved."), "success")
    return _back(round_)


def _officer_data(round_) -> dict:
    data = {}
    counters = [o for o in round_.officers if o.role.value == "counter"]
    for officer in round_.officers:
        if officer.role.value != "counter":
            data[officer.role.value] = str(officer.user_id)
    for field, officer in zip(OfficersForm.COUNTER_FIELDS, counters, strict=False):
        data[field] = str(officer.user_id)
    return data


# ---------------------------------------------------------------- the counting team's key


def _keys_page(round_, status: int = 200, **forms):
    key = services.round_key(round_)
    unlock = forms.get("unlock_form") or UnlockShareForm(formdata=None)
    unlock.number.choices = [("", "—")] + [(str(h.number), f"{h.number}. {h.holder}")
                                            for h in key.holders if not h.unlocked]
    return render_template(
        "ballots/keys.html", round=round_, key=key,
        holder_form=forms.get("holder_form") or KeyHolderForm(formdata=None),
        file_form=forms.get("file_form") or KeyFileForm(formdata=None),
        threshold_form=forms.get("threshold_form") or KeyThresholdForm(
            formdata=None, threshold=round_.key_threshold),
        unlock_form=unlock, action_form=ActionForm(),
        counting_team=[o.user.full_name for o in round_.officers
                       if o.role.value in {"counter_head", "counter"} and o.user]), status


@bp.get("/ballots/<int:round_id>/keys")
@login_required
def keys(round_id: int):
    return _keys_page(_round(round_id, "ballots.hold_key"))


@bp.post("/ballots/<int:round_id>/keys")
@login_required
def protect_share(round_id: int):
    round_ = _round(round_id, "ballots.hold_key")
    form = KeyHolderForm()
    if not form.validate_on_submit():
        return _keys_page(round_, 422, holder_form=form)
    try:
        holder = services.protect_share(current_user, round_, form.holder.data,
                                        form.passphrase.data, form.confirmation.data)
    except DomainError as error:
        attach_error(form, error)
        return _keys_page(round_, error.status, holder_form=form)
    db.session.commit()
    flash(_("%(holder)s's share is protected by their passphrase (key %(number)s).",
            holder=holder.holder, number=holder.number), "success")
    return redirect(url_for("ballots.keys", round_id=round_.id))


@bp.post("/ballots/<int:round_id>/keys/file")
@login_required
def protect_share_with_file(round_id: int):
    """The key file is the answer itself (downloaded once, never stored); the page lists the
    member when it is opened again."""
    round_ = _round(round_id, "ballots.hold_key")
    form = KeyFileForm()
    if not form.validate_on_submit():
        return _keys_page(round_, 422, file_form=form)
    try:
        holder, text = services.protect_share_with_file(current_user, round_,
                                                        form.file_holder.data)
    except DomainError as error:
        attach_error(form, error)
        return _keys_page(round_, error.status, file_form=form)
    db.session.commit()
    return Response(text, mimetype="text/plain", headers={
        "Cache-Control": "no-store",
        "Content-Disposition":
            f'attachment; filename="khoa-kiem-phieu-dot-{round_.id}-so-{holder.number}.txt"'})


@bp.post("/ballots/<int:round_id>/keys/threshold")
@login_required
def key_threshold(round_id: int):
    round_ = _round(round_id, "ballots.hold_key")
    form = KeyThresholdForm()
    if not form.validate_on_submit():
        return _keys_page(round_, 422, threshold_form=form)
    try:
        services.set_key_threshold(current_user, round_, form.threshold.data)
    except DomainError as error:
        attach_error(form, error)
        return _keys_page(round_, error.status, threshold_form=form)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("ballots.keys", round_id=round_.id))


@bp.post("/ballots/<int:round_id>/keys/<int:number>/remove")
@login_required
def remove_key(round_id: int, number: int):
    round_ = _round(round_id, "ballots.hold_key")
    _checked_form()
    services.remove_key_holder(current_user, round_, number)
    db.session.commit()
    flash(_("The key has been removed."), "success")
    return redirect(url_for("ballots.keys", round_id=round_.id))


@bp.post("/ballots/<int:round_id>/keys/unlock")
@login_required
def unlock_share(round_id: int):
    round_ = _round(round_id, "ballots.hold_key")
    form = UnlockShareForm()
    form.number.choices = [(str(h.number), h.holder) for h in services.round_key(round_).holders]
    if not form.validate_on_submit():
        return _keys_page(round_, 422, unlock_form=form)
    try:
        key_file = form.key_file.data.read(4096) if form.key_file.data else None
        holder = services.unlock_share(current_user, round_, int(form.number.data),
                                       form.passphrase.data or None, key_file=key_file)
    except DomainError as error:
        attach_error(form, error)
        return _keys_page(round_, error.status, unlock_form=form)
    db.session.commit()
    flash(_("%(holder)s's share is unlocked.", holder=holder.holder), "success")
    return redirect(url_for("ballots.keys", round_id=round_.id))


# ---------------------------------------------------------------- the meeting


def _transition_rule() -> str:
    """/ballots/<id>/<step> for exactly the transitions of the round's lifecycle."""
    names = ",".join(f"'{n}'" if "-" in n else n for n in ROUND_STEPS.transition_names)
    return f"/ballots/<int:round_id>/<any({names}):step>"


@bp.post(_transition_rule())
@login_required
def transition(round_id: int, step: str):
    round_ = _round(round_id, "ballots.count")
    _checked_form()
    taken = ROUND_STEPS.transition(step)
    ROUND_STEPS.take(current_user, round_, taken.name)
    db.session.commit()  # closing: the box's storage is scrubbed after this commit
    flash(str(taken.done), "success")
    return _back(round_)


@bp.route("/ballots/<int:round_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(round_id: int):
    round_ = _round(round_id, "ballots.run_meeting")
    if request.method == "GET":
        return _attendance_page(round_)
    _checked_form()
    present = [v.id for v in round_.voters] if request.form.get("all") else \
        request.form.getlist("present", type=id_number)
    try:
        change = services.set_attendance(current_user, round_, present)
    except DomainError as error:  # e.g. a page left open from before voting opened
        return _attendance_page(round_, error)
    db.session.commit()
    flash(_attendance_message(change), "success")
    return redirect(url_for("ballots.attendance", round_id=round_.id))


def _attendance_page(round_, error: DomainError | None = None):
    """The attendance page as the round stands, with the refusal of a step, if any, said on
    it (never a bare error page)."""
    if error is not None:
        db.session.rollback()
    return render_template("ballots/attendance.html", round=round_,
                           voters=services.voters_sorted(round_),
                           roll_marks=services.roll_marks(round_)
                           if ROUND_STEPS.in_phase(round_, "opened") else {},
                           codes_beyond_slips=services.codes_beyond_slips(round_)
                           if ROUND_STEPS.in_phase(round_, "opened") else None,
                           turnout=services.turnout(round_), action_form=ActionForm(),
                           problem=error.text() if error else None), \
        error.status if error else 200


def _names(names: list[str], most: int = 10) -> str:
    shown = ", ".join(names[:most])
    return shown if len(names) <= most else \
        _("%(names)s and %(n)s more", names=shown, n=len(names) - most)


def _attendance_message(change: services.AttendanceChange) -> str:
    parts = [_("Attendance saved: %(n)s of %(summoned)s present.", n=change.present,
               summoned=change.summoned)]
    if change.marked_present:
        parts.append(_("Marked present: %(names)s.", names=_names(change.marked_present)))
    if change.marked_absent:
        parts.append(_("Marked absent: %(names)s.", names=_names(change.marked_absent)))
    if not (change.marked_present or change.marked_absent):
        parts.append(_("Nothing changed."))
    return " ".join(parts)


@bp.post("/ballots/<int:round_id>/attendance/latecomer")
@login_required
def admit_latecomer(round_id: int):
    round_ = _round(round_id, "ballots.run_meeting")
    _checked_form()
    try:
        voter_id = request.form.get("voter_id", type=id_number)
        if voter_id is None:
            raise ValidationFailed(_("Choose the member who has arrived."))
        voter = services.admit_latecomer(current_user, round_, voter_id)
    except DomainError as error:  # already admitted, voting closed meanwhile, ...
        return _attendance_page(round_, error)
    db.session.commit()
    flash(_("%(name)s has been admitted and can vote now. Present: %(present)s of "
            "%(summoned)s.", name=voter.full_name, present=round_.present_count,
            summoned=round_.summoned_count), "success")
    return redirect(url_for("ballots.attendance", round_id=round_.id))


@bp.post("/ballots/<int:round_id>/hand-out")
@login_required
def hand_out(round_id: int):
    """The roll during voting: a present member is handed a paper ballot or a code slip."""
    round_ = _round(round_id, "ballots.run_meeting")
    _checked_form()
    try:
        voter_id = request.form.get("voter_id", type=id_number)
        if voter_id is None:
            raise ValidationFailed(_("Choose the member."))
        voter = services.hand_out(current_user, round_, voter_id,
                                  request.form.get("kind", "")[:10])
    except DomainError as error:  # not present, already voted, already handed, closed, ...
        return _attendance_page(round_, error)
    db.session.commit()
    flash(_("%(name)s was handed a paper ballot.", name=voter.full_name)
          if voter.handed == "paper" else
          _("%(name)s was handed a code slip.", name=voter.full_name), "success")
    return redirect(url_for("ballots.attendance", round_id=round_.id))


@bp.post("/ballots/<int:round_id>/hand-out-all")
@login_required
def hand_out_all(round_id: int):
    """The roll during voting: every present member with nothing yet is handed the same kind."""
    round_ = _round(round_id, "ballots.run_meeting")
    _checked_form()
    try:
        handed = services.hand_out_all(current_user, round_, request.form.get("kind", "")[:10])
    except DomainError as error:  # nobody left, closed, a kind the round does not take, ...
        return _attendance_page(round_, error)
    db.session.commit()
    flash(_("%(n)s members were handed a paper ballot.", n=len(handed))
          if handed[0].handed == "paper" else
          _("%(n)s members were handed a code slip.", n=len(handed)), "success")
    return redirect(url_for("ballots.attendance", round_id=round_.id))


@bp.get("/ballots/<int:round_id>/turnout")
@login_required
def turnout_page(round_id: int):
    round_ = _round(round_id, "ballots.count")
    return render_template("ballots/turnout.html", round=round_,
                           turnout=services.turnout(round_),
                           projector=request.args.get("view") == "projector")


@bp.get("/ballots/<int:round_id>/turnout.json")
@login_required
def turnout_json(round_id: int):
    round_ = _round(round_id, "ballots.count")
    numbers = services.turnout(round_)
    return jsonify({"status": round_.status.value, "status_label": round_.status.label,
                    "summoned": numbers.summoned, "present": numbers.present,
                    "voted": numbers.voted, "not_voted": numbers.not_voted,
                    "quorum_met": numbers.quorum_met})


def _results_round(round_id: int):
    """The round and the lines of its results the user may see (all, or their own)."""
    round_ = _round(round_id)
    full = services.can_see_all_results(current_user, round_)
    if not (full or services.can_see_own_result(current_user, round_)):
        abort(403)
    shown = {c.id for c in round_.active_candidates} if full else \
        {services.own_candidacy(current_user, round_).id}
    return round_, full, shown


@bp.get("/ballots/<int:round_id>/results")
@login_required
def results(round_id: int):
    round_, full, shown = _results_round(round_id)
    warning = services.below_secrecy_threshold(round_)
    if warning and request.args.get("acknowledged") != "1":
        return render_template("ballots/results_warning.html", round=round_)
    return render_template("ballots/results.html", round=round_,
                           tally=services.tally_of(round_),
                           candidates={c.id: c for c in round_.active_candidates},
                           shown=shown, full=full, secrecy_warning=warning)


@bp.get("/ballots/<int:round_id>/results.xlsx")
@login_required
def results_xlsx(round_id: int):
    round_, _full, shown = _results_round(round_id)
    if services.below_secrecy_threshold(round_) and request.args.get("acknowledged") != "1":
        return redirect(url_for("ballots.results", round_id=round_.id))
    content = results_workbook(round_, services.tally_of(round_), shown)
    return Response(content, mimetype="application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet", headers={
                        "Content-Disposition":
                            f'attachment; filename="ket-qua-dot-{round_.id}.xlsx"'})


@bp.get("/ballots/<int:round_id>/trackers")
@login_required
def trackers(round_id: int):
    round_ = _round(round_id)
    if not ROUND_STEPS.in_phase(round_, "box_sealed"):
        # Not an error: the list is published when voting closes; say so.
        return render_template("ballots/trackers.html", round=round_, not_yet=True)
    if not services.can_see_trackers(current_user, round_):
        abort(403)
    everything = services.trackers(round_)
    search = receipts.normalised(request.args.get("q", "")[:100])
    search = search if len(search) >= 4 else ""
    return render_template(
        "ballots/trackers.html", round=round_, trackers=everything, search=search,
        found=[t for t in everything if search in t] if search else None,
        own=receipts.tracker_for(current_user, round_.id))


@bp.get("/ballots/<int:round_id>/box.json")
@login_required
def box_bundle(round_id: int):
    """The published box, for anyone who may see the trackers, once counted: every encrypted
    ballot, the sums, the counting team's decryptions and the counts, to re-check (phúc tra)
    with `flask box verify` or the standalone verifier."""
    round_ = _round(round_id)
    if not services.can_see_trackers(current_user, round_):
        abort(403)
    published = services.published_box(round_)
    return Response(json.dumps(published, ensure_ascii=False, indent=1),
                    mimetype="application/json", headers={
                        "Content-Disposition":
                            f'attachment; filename="hom-phieu-dot-{round_.id}.json"'})


# ---------------------------------------------------------------- voting


@bp.get("/vote/")
@login_required
def my_ballots():
    return render_template("ballots/vote_list.html",
                           rounds=services.voter_rounds(current_user),
                           receipts=receipts.receipts_of(current_user))


def _voting_round(round_id: int):
    return _round(round_id, "ballots.vote")


def _marks_from_form(round_) -> dict[int, str | None]:
    """The marks sent by the ballot form. Its choices are sent as the level's number on the
    scale (1, 2, …: one character, so that the request's size never depends on the marks);
    a level's key is taken too (older pages, scripts)."""
    by_number = {str(n): level.value for n, level in enumerate(round_.scale.levels, start=1)}
    marks = {}
    for c in round_.active_candidates:
        value = request.form.get(f"mark-{c.id}")
        marks[c.id] = by_number.get(value, value)
    return marks


def _encrypted_from_form():
    """The ballot encrypted on the voter's device (the form's `ballot` field, JSON), or None
    when the page sent marks (a browser without JavaScript)."""
    text = request.form.get("ballot")
    if text is None:
        return None
    if len(text) > MAX_ENCRYPTED_BALLOT:
        raise ValidationFailed(_("The encrypted ballot is too large. Nothing was recorded."))
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
        raise ValidationFailed(_("The encrypted ballot cannot be read. Nothing was recorded; "
                                 "reload the ballot page and vote again.")) from None


# An encrypted ballot is about 1.4 KB per person on a three-level scale; the largest ballots
# (a hundred people on a four-level scale) stay well below this.
MAX_ENCRYPTED_BALLOT = 1_000_000


def _ballot_page(template: str, round_, marks: dict, status: int = 200, **extra):
    return render_template(
        template, round=round_, marks=marks,
        present=services.voter_entry(current_user, round_).present,
        voted=services.has_voted(round_, current_user.person_id),
        levels=round_.scale.levels, level_labels=level_labels(round_.scale),
        level_numbers={level.value: n for n, level in enumerate(round_.scale.levels, start=1)},
        box_parameters=services.box_parameters(round_)
        if ROUND_STEPS.in_phase(round_, "opened") else None,
        action_form=ActionForm(), **extra), status


@bp.get("/vote/<int:round_id>")
@login_required
def ballot(round_id: int):
    return _ballot_page("ballots/ballot.html", _voting_round(round_id), {})


@bp.post("/vote/<int:round_id>/review")
@login_required
def review(round_id: int):
    round_ = _voting_round(round_id)
    _checked_form()
    marks = _marks_from_form(round_)
    # Only to point at the lines left empty; the service checks the ballot itself on casting.
    unmarked = [c for c in round_.active_candidates if marks.get(c.id) not in
                {level.value for level in round_.scale.levels}]
    if unmarked:
        return _ballot_page("ballots/ballot.html", round_, marks, 422, unmarked=unmarked)
    return _ballot_page("ballots/review.html", round_, marks)


@bp.post("/vote/<int:round_id>/change")
@login_required
def change(round_id: int):
    round_ = _voting_round(round_id)
    _checked_form()
    return _ballot_page("ballots/ballot.html", round_, _marks_from_form(round_))


@bp.post("/vote/<int:round_id>/cast")
@login_required
@reads_first  # the write lock is taken by the box, after the checks (core.transactions)
def cast(round_id: int):
    round_ = _voting_round(round_id)
    _checked_form()
    encrypted = _encrypted_from_form()
    try:
        if encrypted is not None:
            tracker = services.cast_encrypted(current_user.person_id, round_, encrypted)
        else:
            tracker = services.cast_ballot(current_user.person_id, round_,
                                           _marks_from_form(round_))
    except (AlreadyVoted, InvalidState, NotAllowed) as refused:
        # Said on the ballot page, which shows the round as it now stands (voted, closed, not
        # present) and never the marks that were sent. An incomplete or altered ballot
        # (ValidationFailed) gets the plain error page, which echoes nothing either.
        db.session.rollback()
        return _ballot_page("ballots/ballot.html", round_, {}, refused.status,
                            refusal=refused.text())
    db.session.commit()
    # Post/redirect/get: the receipt is a page of its own that a reload shows again. The
    # tracker goes into the signed session cookie, never into the database (see receipts).
    receipts.remember(current_user, round_.id, tracker)
    return redirect(url_for("ballots.receipt", round_id=round_.id), 303)


@bp.get("/vote/<int:round_id>/receipt")
@login_required
def receipt(round_id: int):
    round_ = _voting_round(round_id)
    tracker = receipts.tracker_for(current_user, round_.id)
    if tracker is None and not services.has_voted(round_, current_user.person_id):
        return redirect(url_for("ballots.ballot", round_id=round_.id))
    return render_template("ballots/receipt.html", round=round_, tracker=tracker,
                           can_see_trackers=services.can_see_trackers(current_user, round_))


@bp.get("/vote/<int:round_id>/receipt.txt")
@login_required
def receipt_file(round_id: int):
    round_ = _voting_round(round_id)
    tracker = receipts.tracker_for(current_user, round_.id)
    if tracker is None:
        raise NotFound(_("This device keeps no receipt for this round."))
    return Response(receipts.receipt_text(round_, tracker), mimetype="text/plain", headers={
        "Content-Disposition": f'attachment; filename="bien-nhan-phieu-dot-{round_.id}.txt"'})


# On this blueprint: the documents of a round (issuing, the notices ZIP, signing all at once),
# the counting team's paper pages (entry, reconciliation, totals), and anonymous ballot codes
# (the secretary's slips, the code ballot without login).
from evalapp.ballots import code_routes, document_routes, paper_routes  # noqa: E402,F401
