from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from evalapp.core.home import sections_for
from evalapp.core.services import database_ping
from evalapp.core.web import LANGUAGES, is_safe_next

bp = Blueprint("core", __name__)


@bp.get("/")
@login_required
def home():
    return render_template("core/home.html", sections=sections_for(current_user))


@bp.get("/lang/<code>")
def set_language(code: str):
    if code in LANGUAGES:
        session["lang"] = code
    target = request.args.get("next")
    return redirect(target if is_safe_next(target) else url_for("core.home"))


@bp.get("/healthz")
def health():
    database_ping()
    return {"status": "ok"}
