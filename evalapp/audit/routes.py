from __future__ import annotations

import math
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user, login_required

from evalapp.audit.descriptions import action_choices, describe_entries
from evalapp.audit.forms import AuditFilterForm
from evalapp.audit.services import EntryFilter, list_entries, verify_chain
from evalapp.auth.permissions import can_manage_accounts
from evalapp.core.schemas import id_number

bp = Blueprint("audit", __name__, url_prefix="/audit")

PAGE_SIZE = 50


def _local_midnight(day) -> datetime:
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day, time(0), tzinfo=zone)


def _filter_of(form: AuditFilterForm) -> EntryFilter:
    """The filter from valid fields only: a bad date is reported beside its box and ignored."""
    since = form.since.data if not form.since.errors else None
    until = form.until.data if not form.until.errors else None
    return EntryFilter(
        action=form.action.data or None, actor=(form.actor.data or "").strip() or None,
        since=_local_midnight(since) if since else None,
        until=_local_midnight(until + timedelta(days=1)) if until else None)


@bp.get("/")
@login_required
def entries():
    if not can_manage_accounts(current_user):
        abort(403)
    form = AuditFilterForm(request.args)
    valid = form.validate() if request.args else True
    page = max(1, request.args.get("page", 1, type=id_number))
    total, rows = list_entries(page=page, size=PAGE_SIZE, where=_filter_of(form))
    return render_template("audit/entries.html", entries=describe_entries(rows), total=total,
                           page=page, pages=max(1, math.ceil(total / PAGE_SIZE)), form=form,
                           filtered=any(request.args.get(k) for k in ("action", "actor", "since",
                                                                     "until")),
                           action_groups=action_choices(), problem=verify_chain()), \
        200 if valid else 422
