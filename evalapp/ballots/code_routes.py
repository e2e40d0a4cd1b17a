"""Anonymous ballot codes, on the ballots blueprint (imported at the end of routes.py): the
secretary's slips, and the code ballot, which needs no login.

The code travels in the QR code's fragment (`/code/#7KQM-…`), which browsers never send to the
server (so it is in no access log); the page's script moves it into the form, or the voter
types it. From there it is posted in the form body of each step, never in a URL. The ballot
pages are the account ballot's (ballot.html, review.html, the device encryption), given the
code instead of a voter. Refusals are shown on the code page with their own status (404 for a
code no box knows: what the wrong-code limits count, see auth.throttle).
"""

from __future__ import annotations

import secrets

from flask import Response, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from evalapp.auth import throttle
from evalapp.ballots import codes, services
from evalapp.ballots.forms import ActionForm
from evalapp.ballots.routes import (
    _checked_form,
    _encrypted_from_form,
    _round,
    bp,
    level_labels,
)
from evalapp.box import codes as code_format
from evalapp.box import services as box
from evalapp.core.errors import DomainError, NotFound, ValidationFailed
from evalapp.core.schemas import id_number
from evalapp.core.time import utcnow
from evalapp.core.transactions import reads_first
from evalapp.core.web import public_base_url, qr_svg
from evalapp.documents.rendering import Stamp, render_pdf
from evalapp.extensions import db, limiter

RECEIPTS = "code_receipts"  # the session's trackers of code ballots: round id -> tracker
KEEP = 5


# ---------------------------------------------------------------- the secretary's slips


@bp.post("/ballots/<int:round_id>/codes")
@login_required
def generate_codes(round_id: int):
    round_ = _round(round_id, "ballots.run_meeting")
    _checked_form()
    # The form offers the number present; an empty or unreadable number changes nothing.
    count = request.form.get("count", type=id_number)
    if count is None:
        raise ValidationFailed(_("The number of codes must be a whole number."), field="count")
    made = codes.generate_codes(current_user, round_, count)
    db.session.commit()
    # The codes exist in clear only in this response: rendered after the commit (never inside
    # the write lock), sent, and forgotten. Nothing caches it.
    base = public_base_url()
    pdf = render_pdf("ballots/documents/code_slips.html",
                     stamp=Stamp(document_id=secrets.token_hex(8), created=utcnow(),
                                 base_url=base),
                     title=_("Ballot code slips"), round=round_, base_url=base,
                     slips=[(code, qr_svg(f"{base}code/#{code}")) for code in made])
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="ma-bo-phieu-dot-{round_.id}.pdf"',
        "Cache-Control": "no-store"})


# ---------------------------------------------------------------- the code ballot


def _code_page(status: int = 200, refusal: str | None = None):
    response = make_response(render_template("ballots/code_entry.html", refusal=refusal,
                                             action_form=ActionForm()), status)
    throttle.remember_code_client(response)
    return response


def _code_ballot_page(template: str, opened: codes.CodeBallot, marks: dict, status: int = 200,
                      **extra):
    round_ = opened.round
    return render_template(
        template, round=round_, marks=marks, present=True, voted=False,
        code=code_format.grouped(code_format.canonical(request.form.get("code"))),
        levels=round_.scale.levels, level_labels=level_labels(round_.scale),
        level_numbers={level.value: n for n, level in enumerate(round_.scale.levels, start=1)},
        box_parameters=services.box_parameters(round_), action_form=ActionForm(), **extra), \
        status


def _marks(round_) -> dict:
    by_number = {str(n): level.value for n, level in enumerate(round_.scale.levels, start=1)}
    return {c.id: by_number.get(request.form.get(f"mark-{c.id}"))
            for c in round_.active_candidates}


_LIMITS = (
    limiter.limit(throttle.code_limit, key_func=throttle.code_client_key, methods=["POST"],
                  deduct_when=throttle.unknown_code, on_breach=throttle.refuse_codes),
    limiter.limit(throttle.code_address_limit, key_func=throttle.code_address_key,
                  methods=["POST"], deduct_when=throttle.unknown_code,
                  on_breach=throttle.refuse_codes),
)


def _limited(view):
    for limit in reversed(_LIMITS):
        view = limit(view)
    return view


@bp.route("/code/", methods=["GET", "POST"])
@_limited
def code_ballot():
    if request.method == "GET":
        return _code_page()
    _checked_form()
    try:
        opened = codes.open_code(request.form.get("code"))
    except DomainError as refused:
        return _code_page(refused.status, refused.text())
    return _code_ballot_page("ballots/ballot.html", opened, {})


@bp.post("/code/review")
@_limited
def code_review():
    _checked_form()
    try:
        opened = codes.open_code(request.form.get("code"))
    except DomainError as refused:
        return _code_page(refused.status, refused.text())
    marks = _marks(opened.round)
    unmarked = [c for c in opened.round.active_candidates if marks.get(c.id) is None]
    if unmarked:
        return _code_ballot_page("ballots/ballot.html", opened, marks, 422, unmarked=unmarked)
    return _code_ballot_page("ballots/review.html", opened, marks)


@bp.post("/code/change")
@_limited
def code_change():
    _checked_form()
    try:
        opened = codes.open_code(request.form.get("code"))
    except DomainError as refused:
        return _code_page(refused.status, refused.text())
    return _code_ballot_page("ballots/ballot.html", opened, _marks(opened.round))


@bp.post("/code/cast")
@_limited
@reads_first  # the write lock is taken by the box, after the checks (core.transactions)
def code_cast():
    _checked_form()
    typed = request.form.get("code")
    try:
        encrypted = _encrypted_from_form()
        if encrypted is None:
            opened = codes.open_code(typed)
            ballot = _checked_marks(opened)
        else:
            ballot = encrypted
        round_, tracker = codes.cast_with_code(typed, ballot)
    except ValidationFailed:
        db.session.rollback()
        raise
    except DomainError as refused:
        db.session.rollback()
        return _code_page(refused.status, refused.text())
    db.session.commit()
    kept = dict(session.get(RECEIPTS) or {})
    kept.pop(str(round_.id), None)
    kept[str(round_.id)] = tracker
    while len(kept) > KEEP:
        kept.pop(next(iter(kept)))
    session[RECEIPTS] = kept
    return redirect(url_for("ballots.code_receipt", round_id=round_.id), 303)


def _checked_marks(opened: codes.CodeBallot) -> box.WrittenBallot:
    numbers = {c.id: n for n, c in enumerate(opened.round.active_candidates, start=1)}
    line_of = box.line_numbers(opened.box)
    marks = _marks(opened.round)
    if any(level is None for level in marks.values()) or set(line_of) != set(numbers):
        raise ValidationFailed(_("Every person on the ballot needs exactly one mark. Nothing "
                                 "was recorded; complete the ballot and send it again."))
    return box.WrittenBallot(marks={line_of[cid]: level for cid, level in marks.items()})


@bp.get("/code/receipt/<int:round_id>")
def code_receipt(round_id: int):
    tracker = (session.get(RECEIPTS) or {}).get(str(round_id))
    if not isinstance(tracker, str):
        raise NotFound(_("This device keeps no receipt of a code ballot in this round."))
    round_ = services.get_round(round_id)
    return render_template("ballots/code_receipt.html", round=round_, tracker=tracker)
