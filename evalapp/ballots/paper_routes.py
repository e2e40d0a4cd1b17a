"""The counting team's paper pages, on the ballots blueprint (imported at the end of
evalapp/ballots/routes.py): keying paper ballots one by one, the reconciliation of entries that
disagree, the totals counted by hand, and re-checks (phúc tra) of a counted round's sealed
batches on the same entry screen. Each page is a plain form that works without
JavaScript; static/js/paper-entry.js only adds the keys (one per level, 0 for blank, + for
several marks, Enter for the next ballot)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from evalapp.ballots import documents, paper, recheck
from evalapp.ballots.forms import ActionForm
from evalapp.ballots.lifecycle import ROUND_STEPS
from evalapp.ballots.routes import _checked_form, _round, bp
from evalapp.core.errors import DomainError, ValidationFailed
from evalapp.core.web import public_base_url
from evalapp.extensions import db
from evalapp.tally.paper import BLANK, SEVERAL, InvalidReason


def _lines_from_form(round_) -> list[str | None]:
    return [request.form.get(f"line-{n}", "")[:40] or None
            for n in range(1, len(round_.active_candidates) + 1)]


def _number_from_form() -> int:
    text = request.form.get("ballot_number", "").strip()[:10]
    if not text.isdigit():
        raise ValidationFailed(_("Enter the number written on the ballot."),
                               field="ballot_number")
    return int(text)


def _entry_page(round_, *, number: int, lines=None, invalid_reason: str = "",
                error: DomainError | None = None):
    if error is not None:
        db.session.rollback()
    return render_template(
        "ballots/paper_entry.html", round=round_, number=number,
        lines=lines or [None] * len(round_.active_candidates), invalid_reason=invalid_reason,
        reasons=list(InvalidReason), blank=BLANK, several=SEVERAL,
        entries=paper.entries_of(round_), action_form=ActionForm(),
        problem=error.text() if error else None), error.status if error else 200


@bp.route("/ballots/<int:round_id>/paper/enter", methods=["GET", "POST"])
@login_required
def paper_entry(round_id: int):
    """Key one numbered paper ballot; saved, the next number is offered."""
    round_ = _round(round_id, "ballots.count")
    ROUND_STEPS.check(current_user, round_, "enter-paper")
    if request.method == "GET":
        number = request.args.get("number", type=int)
        if number is None or not 1 <= number <= paper.MAX_BALLOT_NUMBER:
            number = paper.next_number(round_, current_user)
        return _entry_page(round_, number=number)
    _checked_form()
    lines = _lines_from_form(round_)
    reason = request.form.get("invalid_reason", "")[:20]
    try:
        number = _number_from_form()
        entry = paper.enter_ballot(current_user, round_, number, lines, reason or None)
    except DomainError as error:
        shown = request.form.get("ballot_number", "")[:10]
        return _entry_page(round_, number=int(shown) if shown.isdigit() else 1, lines=lines,
                           invalid_reason=reason, error=error)
    db.session.commit()
    flash(_("Ballot no. %(number)s saved (entry %(entry)s).", number=entry.ballot_number,
            entry=entry.entry_number), "success")
    return redirect(url_for("ballots.paper_entry", round_id=round_.id))


def _reconcile_page(round_, error: DomainError | None = None):
    if error is not None:
        db.session.rollback()
    return render_template(
        "ballots/paper_reconcile.html", round=round_,
        disagreements=paper.disagreements(round_), content=paper.content,
        blockers=paper.count_blockers(round_), reasons=list(InvalidReason), blank=BLANK,
        several=SEVERAL, may_resolve=ROUND_STEPS.can(current_user, round_, "reconcile"),
        action_form=ActionForm(), problem=error.text() if error else None), \
        error.status if error else 200


@bp.route("/ballots/<int:round_id>/paper/reconcile", methods=["GET", "POST"])
@login_required
def paper_reconcile(round_id: int):
    """Every ballot whose entries disagree, line by line; the team head confirms the content."""
    round_ = _round(round_id, "ballots.count")
    if request.method == "GET":
        return _reconcile_page(round_)
    _checked_form()
    try:
        number = _number_from_form()
        paper.resolve(current_user, round_, number, _lines_from_form(round_),
                      request.form.get("invalid_reason", "")[:20] or None,
                      request.form.get("reason", "")[:paper.REASON_LENGTH + 1])
    except DomainError as error:
        return _reconcile_page(round_, error)
    db.session.commit()
    flash(_("The entry of ballot no. %(number)s is confirmed.", number=number), "success")
    return redirect(url_for("ballots.paper_reconcile", round_id=round_.id))


COUNT_DIGITS = 9


def _whole(name: str) -> int:
    text = request.form.get(name, "").strip()[:COUNT_DIGITS + 1] or "0"
    if not text.isdigit():
        raise ValidationFailed(_("Counts are whole numbers, 0 or more."), field=name)
    if len(text) > COUNT_DIGITS:
        raise ValidationFailed(_("A count has at most %(n)s digits.", n=COUNT_DIGITS),
                               field=name)
    return int(text)


def _totals_page(round_, error: DomainError | None = None):
    if error is not None:
        db.session.rollback()
    stored = paper.stored_totals(round_)
    return render_template(
        "ballots/paper_totals.html", round=round_, stored=stored,
        form_values=request.form if error else None, action_form=ActionForm(),
        problem=error.text() if error else None), error.status if error else 200


@bp.route("/ballots/<int:round_id>/paper/totals", methods=["GET", "POST"])
@login_required
def paper_totals(round_id: int):
    """The paper ballots counted by hand: the round's totals and each person's counts."""
    round_ = _round(round_id, "ballots.count")
    ROUND_STEPS.check(current_user, round_, "enter-totals")
    if request.method == "GET":
        return _totals_page(round_)
    _checked_form()
    try:
        keys = [level.value for level in round_.scale.levels] + ["invalid"]
        lines = {c.id: {key: _whole(f"c{c.id}-{key}") for key in keys}
                 for c in round_.active_candidates}
        totals = paper.enter_totals(current_user, round_, issued=_whole("issued"),
                                    collected=_whole("collected"), valid=_whole("valid"),
                                    invalid=_whole("invalid"), lines=lines)
    except DomainError as error:
        return _totals_page(round_, error)
    db.session.commit()
    flash(_("The totals of the paper ballots are saved: %(issued)s issued, %(collected)s "
            "collected, %(missing)s issued and not collected.", issued=totals.issued,
            collected=totals.collected, missing=totals.issued - totals.collected), "success")
    return redirect(url_for("ballots.round_page", round_id=round_.id))


# ---------------------------------------------------------------- re-check (phúc tra)


def _rechecks_page(round_, error: DomainError | None = None, batch_text: str = ""):
    if error is not None:
        db.session.rollback()
    return render_template(
        "ballots/paper_rechecks.html", round=round_, rechecks=recheck.rechecks_of(round_),
        documents={d.subject_id: d for d in documents.round_documents(round_)
                   if d.subject_type == "paper_recheck"},
        batch_text=batch_text, action_form=ActionForm(),
        problem=error.text() if error else None), error.status if error else 200


@bp.route("/ballots/<int:round_id>/paper/recheck", methods=["GET", "POST"])
@login_required
def paper_rechecks(round_id: int):
    """The round's re-checks, and opening one for a sealed batch of paper ballots."""
    round_ = _round(round_id, "ballots.count")
    ROUND_STEPS.check(current_user, round_, "recheck-paper")
    if request.method == "GET":
        return _rechecks_page(round_)
    _checked_form()
    text = request.form.get("ballots", "")[:recheck.BATCH_TEXT + 1]
    try:
        batch = recheck.open_recheck(current_user, round_, text)
    except DomainError as error:
        return _rechecks_page(round_, error, text)
    db.session.commit()
    return redirect(url_for("ballots.paper_recheck_entry", round_id=round_.id,
                            recheck_id=batch.id))


def _recheck_entry_page(round_, batch, *, number, lines=None, invalid_reason: str = "",
                        error: DomainError | None = None):
    if error is not None:
        db.session.rollback()
    return render_template(
        "ballots/paper_entry.html", round=round_, recheck=batch, number=number,
        lines=lines or [None] * len(round_.active_candidates), invalid_reason=invalid_reason,
        reasons=list(InvalidReason), blank=BLANK, several=SEVERAL,
        rekeyed=recheck.rekeyed(batch), batch_size=len(recheck.numbers_of(batch)),
        action_form=ActionForm(), problem=error.text() if error else None), \
        error.status if error else 200


@bp.route("/ballots/<int:round_id>/paper/recheck/<int:recheck_id>", methods=["GET", "POST"])
@login_required
def paper_recheck_entry(round_id: int, recheck_id: int):
    """The entry screen in re-check mode: the batch's ballots keyed again, one by one."""
    round_ = _round(round_id, "ballots.count")
    ROUND_STEPS.check(current_user, round_, "recheck-paper")
    batch = recheck.get_recheck(round_, recheck_id)
    if request.method == "GET":
        return _recheck_entry_page(round_, batch, number=recheck.next_number(batch))
    _checked_form()
    lines = _lines_from_form(round_)
    reason = request.form.get("invalid_reason", "")[:20]
    try:
        number = _number_from_form()
        recheck.rekey(current_user, round_, batch, number, lines, reason or None)
    except DomainError as error:
        shown = request.form.get("ballot_number", "")[:10]
        return _recheck_entry_page(round_, batch, number=int(shown) if shown.isdigit() else 1,
                                   lines=lines, invalid_reason=reason, error=error)
    db.session.commit()
    flash(_("Ballot no. %(number)s keyed again.", number=number), "success")
    return redirect(url_for("ballots.paper_recheck_entry", round_id=round_.id,
                            recheck_id=batch.id))


@bp.post("/ballots/<int:round_id>/paper/recheck/<int:recheck_id>/finish")
@login_required
def paper_recheck_finish(round_id: int, recheck_id: int):
    """Finish the re-check and issue its signed record; then download it."""
    round_ = _round(round_id, "ballots.count")
    ROUND_STEPS.check(current_user, round_, "recheck-paper")
    _checked_form()
    batch = recheck.get_recheck(round_, recheck_id)
    try:
        recheck.finish(current_user, round_, batch)
        document = documents.issue_document(current_user, round_, documents.DocumentKind.RECHECK,
                                            batch, base_url=public_base_url())
    except DomainError as error:
        db.session.rollback()
        flash(error.text(), "danger")
        return redirect(url_for("ballots.paper_recheck_entry", round_id=round_.id,
                                recheck_id=batch.id))
    db.session.commit()
    return redirect(url_for("documents.download", doc_id=document.id))
