from __future__ import annotations

import math

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from evalapp.audit.services import list_entries, verify_chain
from evalapp.auth.permissions import can_manage_accounts

bp = Blueprint("audit", __name__, url_prefix="/audit")

PAGE_SIZE = 100


@bp.get("/")
@login_required
def entries():
    if not can_manage_accounts(current_user):
        abort(403)
    total, rows = list_entries(page=request.args.get("page", 1, type=int), size=PAGE_SIZE)
    return render_template("audit/entries.html", entries=rows, total=total,
                           page=request.args.get("page", 1, type=int),
                           pages=max(1, math.ceil(total / PAGE_SIZE)), problem=verify_chain())
