"""The public rating page (no login): /danh-gia/<token>, opened from the QR code of a desk card.

A phone page: the official's name and unit, the faces as big radio buttons (no JavaScript
needed), an optional comment, what is collected and why. Sent ratings are limited per device
and per address through auth.throttle (as the ballot-code pages are); one rating per device,
official and day (ledger.ratings). Spam: a field people never see (a bot that fills it is
thanked and nothing is stored) and a shortest fill time (a signed start time in the form).
Refusals are shown on the page with their own status: 404 an unknown address, 410 a closed desk,
409 already rated today, 422 a bad comment or no face chosen.
"""

from __future__ import annotations

import time
from datetime import date
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer

from evalapp.auth import throttle
from evalapp.core.errors import DomainError, NotFound
from evalapp.core.time import utcnow
from evalapp.extensions import db, limiter
from evalapp.ledger import ratings
from evalapp.ledger.routes import ActionForm

bp = Blueprint("rating", __name__, url_prefix="/danh-gia")
HONEYPOT = "website"
FORM_MAX_AGE = 24 * 3600


def _started_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="evalapp.rating-started")


def form_started(at: float | None = None) -> str:
    """The signed moment the form was shown (the shortest-fill-time check)."""
    return _started_serializer().dumps(int(time.time() if at is None else at))


def _filled_too_fast() -> bool:
    try:
        started = _started_serializer().loads(request.form.get("started", "")[:200])
    except BadSignature:
        return True
    if not isinstance(started, int):
        return True
    age = time.time() - started
    return not current_app.config["RATING_MIN_FILL_SECONDS"] <= age <= FORM_MAX_AGE


def today() -> date:
    """The day in the app's time zone (the day a rating is counted for)."""
    return utcnow().astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def _page(desk, status: int = 200, refusal: str | None = None, chosen=None, comment: str = ""):
    faces = ratings.faces_for(desk.person.unit)
    response = make_response(render_template(
        "ledger/ratings/rate.html", desk=desk, person=desk.person, faces=faces,
        labels=FACE_LABELS[faces], refusal=refusal, chosen=chosen, comment=comment,
        started=form_started(), keep_years=ratings.KEEP_YEARS, comment_max=ratings.COMMENT_MAX,
        action_form=ActionForm()), status)
    throttle.remember_rater(response)
    return response


def _refused(error: DomainError):
    return make_response(render_template("ledger/ratings/refused.html", message=error.text()),
                         error.status)


# The faces' pictures (static/img/faces/face-N.svg, 1 the worst, 5 the best: no emoji font
# needed) and labels; three faces are the worst, the middle and the best.
FACE_LABELS = {
    5: [(1, _l("Very dissatisfied")), (2, _l("Dissatisfied")), (3, _l("Neutral")),
        (4, _l("Satisfied")), (5, _l("Very satisfied"))],
    3: [(1, _l("Dissatisfied")), (3, _l("Neutral")), (5, _l("Satisfied"))],
}

_LIMITS = (
    limiter.limit(throttle.rating_limit, key_func=throttle.rating_client_key, methods=["POST"],
                  on_breach=throttle.refuse_ratings),
    limiter.limit(throttle.rating_address_limit, key_func=throttle.rating_address_key,
                  methods=["POST"], on_breach=throttle.refuse_ratings),
)


def _limited(view):
    for limit in reversed(_LIMITS):
        view = limit(view)
    return view


@bp.route("/<token>", methods=["GET", "POST"])
@_limited
def rate(token: str):
    try:
        desk = ratings.open_desk(token)
    except (NotFound, ratings.DeskClosed) as refused:
        return _refused(refused)
    if request.method == "GET":
        return _page(desk)
    if not ActionForm().validate_on_submit():
        abort(400)
    if request.form.get(HONEYPOT):
        # A bot: thanked like anyone, nothing stored.
        return redirect(url_for("rating.thanks", token=token), 303)
    chosen, comment = request.form.get("rating", "")[:2], request.form.get("comment", "")[:4000]
    if _filled_too_fast():
        return _page(desk, 422, _("The form was sent too quickly or has expired. Choose a face "
                                  "and send it again."), chosen, comment)
    try:
        ratings.rate(desk, device_id=throttle.rater_id() or "", choice=chosen,
                     comment=comment, day=today())
    except DomainError as refused:
        db.session.rollback()
        return _page(desk, refused.status, refused.text(), chosen, comment)
    db.session.commit()
    return redirect(url_for("rating.thanks", token=token), 303)


@bp.get("/<token>/cam-on")
def thanks(token: str):
    return render_template("ledger/ratings/thanks.html", token=token)
