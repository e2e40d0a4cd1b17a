"""The forms of an evaluation round as services: drafts, sending (checked whole, locked, late),
reopening (admins, with a reason, audited), who fills which form, the secrecy of drafts and of
the manager's forms, units' self-assessment, forcing events."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, Decimal

import pytest
from sqlalchemy import func, select

from evalapp.audit.models import AuditEntry
from evalapp.auth.permissions import SYSTEM
from evalapp.core.errors import InvalidState, NotAllowed, NotFound, ValidationFailed
from evalapp.evaluations import assessments as forms
from evalapp.evaluations.models import EvaluationForm, FormStatus, FormStep
from evalapp.tally.scales import Level
from tests.evaluations.forms_world import forms_world, full_points, unit_facts


@pytest.fixture
def w(factory, db):
    return forms_world(factory, db)


def _entries():
    return select(func.count()).select_from(AuditEntry)


def _last_entry(db):
    return db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()


def half(item):
    return (item.max / 2).quantize(Decimal("0.01"), ROUND_DOWN)


def _send_self(w, db, value_of=lambda item: item.max, level="htt"):
    form = forms.send(w.users["staff"], w.round, w.staff, FormStep.SELF,
                      full_points(w.staff, value_of), {}, level, "Tự nhận xét")
    db.session.commit()
    return form


def test_items_of_staff_and_leaders_come_from_the_quy_che(w):
    staff_items = forms.items_for(w.staff)
    leader_items = forms.items_for(w.head)
    assert sum(i.max for i in staff_items if i.part == "general") == 30
    assert sum(i.max for i in staff_items if i.part == "task") == 70
    assert [i.code for i in staff_items if i.part == "task"] == ["a", "b", "c"]
    assert [i.code for i in leader_items if i.part == "task"] == ["a", "b", "c", "d", "đ", "e"]
    unit_items = forms.items_for(w.office)
    assert sum(i.max for i in unit_items) == 100 and unit_items[0].code == "1"


def test_a_draft_saves_partly_and_is_changed_again(w, db):
    items = forms.items_for(w.staff)
    form = forms.save_draft(w.users["staff"], w.round, w.staff, FormStep.SELF,
                            {items[0].key: "0,5"}, {items[0].key: " Tốt "}, None, None)
    db.session.commit()
    assert form.status is FormStatus.DRAFT and form.total == 50
    assert form.content["points"] == {items[0].key: "0.50"}
    assert form.content["comments"] == {items[0].key: "Tốt"}
    assert _last_entry(db).action == "evaluation_form.draft_saved"
    forms.save_draft(w.users["staff"], w.round, w.staff, FormStep.SELF,
                     {items[1].key: "1"}, {}, "htt", "x")
    db.session.commit()
    again = forms.form_for(w.round, w.staff, FormStep.SELF)
    assert again.id == form.id and again.total == 100 and again.proposed_level is Level.GOOD
    assert db.session.scalar(select(func.count()).select_from(EvaluationForm)) == 1


def test_sending_computes_the_total_locks_and_audits(w, db):
    form = _send_self(w, db, value_of=half, level="htnv")
    expected = sum(half(item) for item in forms.items_for(w.staff))
    assert 49 < expected < 50
    assert form.status is FormStatus.SENT and form.sent_at is not None
    assert form.total == int(expected * 100) and form.proposed_level is Level.COMPLETED
    entry = _last_entry(db)
    assert entry.action == "evaluation_form.sent" and entry.target_id == str(form.id)
    assert "Tự nhận xét" not in entry.details  # the content stays out of the audit trail
    before = db.session.scalar(_entries())
    for write in (forms.save_draft, forms.send):
        with pytest.raises(InvalidState) as refused:
            write(w.users["staff"], w.round, w.staff, FormStep.SELF, full_points(w.staff), {},
                  "htxs", "changed")
        assert "khóa" in str(refused.value.text()) or "locked" in refused.value.text()
    db.session.rollback()
    form = forms.form_for(w.round, w.staff, FormStep.SELF)
    assert form.total == int(expected * 100) and form.comment == "Tự nhận xét"
    assert db.session.scalar(_entries()) == before


def test_a_form_sent_is_laid_out_for_print_in_the_background(w, db, app, monkeypatch):
    """Sending changes the person's printed form: it is laid out after the commit (theirs
    only), so that a print of the round finds it made."""
    from evalapp.documents import prepared
    from evalapp.evaluations import documents

    monkeypatch.setitem(app.config, "PREPARED_WARM", True)
    _send_self(w, db)
    prepared.wait_all()
    people = documents.bulk_people(w.round)
    work = documents.plan_forms(w.round, people, per_person=True)
    kept = {p.id for p in people if prepared.has_part(work.parts, work.keys[p.id])}
    assert kept == {w.staff.id}
    bulk = work.render()
    assert (bulk.laid_out, len(bulk.people)) == (len(people) - 1, len(people))


@pytest.mark.parametrize("case", ["missing_item", "over_max", "negative", "three_decimals",
                                  "not_a_number", "no_level", "unknown_item", "bad_level"])
def test_a_form_that_is_not_whole_or_valid_is_refused_and_nothing_changes(w, db, case):
    items = forms.items_for(w.staff)
    forms.save_draft(w.users["staff"], w.round, w.staff, FormStep.SELF, {items[0].key: "1"},
                     {}, None, "bản nháp")
    db.session.commit()
    before = db.session.scalar(_entries())
    given, level = full_points(w.staff), "htt"
    first = items[0].key
    if case == "missing_item":
        del given[items[-1].key]
    elif case == "over_max":
        given[first] = format(items[0].max + 1, "f")
    elif case == "negative":
        given[first] = "-1"
    elif case == "three_decimals":
        given[first] = "0.125"
    elif case == "not_a_number":
        given[first] = "nhiều"
    elif case == "no_level":
        level = None
    elif case == "unknown_item":
        given["zz"] = "1"
    elif case == "bad_level":
        level = "high"  # a level of another scale
    with pytest.raises(ValidationFailed):
        forms.send(w.users["staff"], w.round, w.staff, FormStep.SELF, given, {}, level, "gửi")
    db.session.rollback()
    form = forms.form_for(w.round, w.staff, FormStep.SELF)
    assert form.status is FormStatus.DRAFT and form.total == 100 and form.comment == "bản nháp"
    assert db.session.scalar(_entries()) == before


def test_a_form_sent_after_its_deadline_is_marked_late(w, db):
    settings = w.round.settings
    settings["due"]["self"] = date(2001, 1, 1).isoformat()
    settings["due"]["manager"] = date(2099, 12, 31).isoformat()
    w.round.settings = settings
    db.session.commit()
    assert _send_self(w, db).late is True
    manager = forms.send(w.users["head"], w.round, w.staff, FormStep.MANAGER,
                         full_points(w.staff), {}, "htt", None)
    assert manager.late is False


def test_only_an_admin_reopens_with_a_reason_and_the_reason_is_audited(w, db):
    form = _send_self(w, db)
    for user in ("staff", "head", "secretary"):
        with pytest.raises(NotAllowed):
            forms.reopen(w.users[user], w.round, form, "sửa điểm")
    with pytest.raises(ValidationFailed):
        forms.reopen(w.users["admin"], w.round, form, "   ")
    db.session.rollback()
    assert forms.form_for(w.round, w.staff, FormStep.SELF).status is FormStatus.SENT
    forms.reopen(w.users["admin"], w.round, form, "Nhập nhầm điểm mục 2a")
    db.session.commit()
    entry = _last_entry(db)
    assert entry.action == "evaluation_form.reopened"
    assert "Nhập nhầm điểm mục 2a" in entry.details and entry.target_id == str(form.id)
    assert form.status is FormStatus.DRAFT and form.sent_at is None
    # The person may change and send it again; a draft cannot be "reopened".
    with pytest.raises(InvalidState):
        forms.reopen(w.users["admin"], w.round, form, "lần nữa")
    _send_self(w, db, level="htxs")
    assert forms.form_for(w.round, w.staff, FormStep.SELF).proposed_level is Level.EXCELLENT


# Who fills which form: (user, subject, step) -> the error, or None when allowed.
FILL = [
    ("staff", "staff", FormStep.SELF, None),
    ("colleague", "staff", FormStep.SELF, NotAllowed),
    ("head", "staff", FormStep.SELF, NotAllowed),
    ("admin", "staff", FormStep.SELF, NotAllowed),
    ("outsider", "staff", FormStep.SELF, NotFound),
    ("head", "staff", FormStep.MANAGER, None),
    ("staff", "staff", FormStep.MANAGER, NotAllowed),
    ("director", "staff", FormStep.MANAGER, NotAllowed),
    ("director", "head", FormStep.MANAGER, None),
    ("secretary", "head", FormStep.PARTY, None),
    ("admin", "head", FormStep.PARTY, None),
    ("director", "head", FormStep.PARTY, NotAllowed),
    ("secretary", "staff", FormStep.PARTY, NotAllowed),  # not a leader
    ("head", "office", FormStep.SELF, None),
    ("admin", "office", FormStep.SELF, None),
    ("staff", "office", FormStep.SELF, NotAllowed),
    ("director", "office", FormStep.SELF, NotAllowed),  # heads the department, not the office
    ("outsider", "office", FormStep.SELF, NotFound),
]


@pytest.mark.parametrize("user,subject,step,error", FILL)
def test_who_fills_which_form(w, db, user, subject, step, error):
    rated = getattr(w, subject)
    write = forms.save_unit_form if subject == "office" else None
    def attempt():
        if write:
            return write(w.users[user], w.round, rated, {}, {}, {}, None, "nháp")
        return forms.save_draft(w.users[user], w.round, rated, step, {}, {}, None, "nháp")
    if error is None:
        assert attempt().author_id == w.users[user].id
    else:
        with pytest.raises(error):
            attempt()


def test_nothing_is_filled_outside_an_open_round(w, db):
    from evalapp.evaluations import builder
    from evalapp.evaluations.models import RoundStatus

    dept = builder.department("Sở Tài chính", subunits=1, staff_per_unit=1, surname="Lê")
    draft = builder.round_for(dept, to=RoundStatus.DRAFT)
    db.session.commit()
    rated = draft and forms.services.rated_people(draft)[0]
    with pytest.raises(InvalidState):
        forms.save_draft(SYSTEM, draft, rated, FormStep.OFFICE, {}, {}, None, None)


# The secrecy of forms, as a table: (step, sent?, released?, viewer) -> sees it.
SECRECY = [
    (FormStep.SELF, False, False, "staff", True),
    (FormStep.SELF, False, False, "head", False),       # the manager: not a draft
    (FormStep.SELF, False, False, "admin", False),      # not even an admin
    (FormStep.SELF, True, False, "head", True),         # the manager, once sent
    (FormStep.SELF, True, False, "admin", True),
    (FormStep.SELF, True, False, "colleague", False),
    (FormStep.SELF, True, False, "secretary", False),
    (FormStep.SELF, True, False, "director", False),    # the manager's manager
    (FormStep.SELF, True, False, "outsider", False),
    (FormStep.MANAGER, False, False, "head", True),
    (FormStep.MANAGER, False, False, "staff", False),
    (FormStep.MANAGER, True, False, "staff", False),    # not before the release
    (FormStep.MANAGER, True, True, "staff", True),
    (FormStep.MANAGER, True, True, "colleague", False),
    (FormStep.MANAGER, True, False, "admin", True),
    (FormStep.MANAGER, False, False, "admin", False),
]


@pytest.mark.parametrize("step,sent,released,viewer,sees", SECRECY)
def test_who_sees_a_form(w, db, step, sent, released, viewer, sees):
    from evalapp.core.time import utcnow

    author = "staff" if step is FormStep.SELF else "head"
    write = forms.send if sent else forms.save_draft
    form = write(w.users[author], w.round, w.staff, step, full_points(w.staff), {}, "htt",
                 "nhận xét")
    if released:
        w.round.released_at = utcnow()
    db.session.commit()
    assert forms.may_see_form(w.users[viewer], w.round, form) is sees
    if not sees:
        with pytest.raises(NotFound):
            forms.visible_form(w.users[viewer], w.round, form.id)


def test_a_unit_form_needs_its_figures_and_shows_the_computed_level(w, db):
    head = w.users["head"]
    with pytest.raises(ValidationFailed):
        forms.send_unit_form(head, w.round, w.office, full_points(w.office), {},
                             unit_facts(done="11"), "htxs", None)
    with pytest.raises(ValidationFailed):
        forms.send_unit_form(head, w.round, w.office, full_points(w.office), {},
                             unit_facts(tasks=""), "htxs", None)
    db.session.rollback()
    assert forms.form_for(w.round, w.office, FormStep.SELF) is None
    form = forms.send_unit_form(head, w.round, w.office, full_points(w.office), {},
                                unit_facts(plan_share_done="95%"), "htxs", None)
    db.session.commit()
    assert form.total == 10000 and form.content["facts"]["plan_share_done"] == "0.95"
    assert w.office.facts["tasks"] == 10
    assert forms.unit_outcome(w.round, w.office, form).level is Level.EXCELLENT
    # Fewer than 30 % exceeded: HTT at most, for the authority to decide.
    forms.reopen(w.users["admin"], w.round, form, "sửa số liệu")
    form = forms.send_unit_form(w.users["head"], w.round, w.office, full_points(w.office), {},
                                unit_facts(exceeded="2"), "htxs", None)
    outcome = forms.unit_outcome(w.round, w.office, form)
    assert outcome.level is Level.GOOD and outcome.review


def test_forcing_events_are_admin_only_and_force_kht(w, db):
    _send_self(w, db, level="htxs")
    assert forms.person_outcome(w.staff).level is Level.EXCELLENT
    with pytest.raises(NotAllowed):
        forms.record_event(w.users["head"], w.round, w.staff, kind="discipline_duty",
                           act="QĐ 12", year=2026, unit_id=w.staff.unit_id)
    with pytest.raises(ValidationFailed):  # a discipline needs the unit where it happened
        forms.record_event(w.users["admin"], w.round, w.staff, kind="discipline_duty",
                           act="QĐ 12", year=2026, unit_id=None)
    # Committed in another unit: does not count here (Điều 14.3c).
    forms.record_event(w.users["admin"], w.round, w.staff, kind="discipline_duty",
                       act="QĐ 11", year=2026, unit_id=w.round.unit_id)
    assert forms.person_outcome(w.staff).level is Level.EXCELLENT
    event = forms.record_event(w.users["admin"], w.round, w.staff, kind="discipline_duty",
                               act="QĐ 12", year=2026, unit_id=w.staff.unit_id, note="Khiển trách")
    db.session.commit()
    assert _last_entry(db).action == "evaluation_event.recorded"
    outcome = forms.person_outcome(w.staff)
    assert outcome.level is Level.NOT_COMPLETED and outcome.score_level is Level.EXCELLENT
    forms.remove_event(w.users["admin"], w.round, event)
    db.session.commit()
    assert _last_entry(db).action == "evaluation_event.removed"
    assert forms.person_outcome(w.staff).level is Level.EXCELLENT


def test_the_retained_total_is_the_managers_once_sent(w, db):
    assert forms.person_outcome(w.colleague) is None
    _send_self(w, db, level="htxs")
    three_quarters = full_points(
        w.staff, lambda item: (item.max * 3 / 4).quantize(Decimal("0.01"), ROUND_DOWN))
    forms.send(w.users["head"], w.round, w.staff, FormStep.MANAGER, three_quarters, {}, "htt",
               None)
    db.session.commit()
    outcome = forms.person_outcome(w.staff)
    assert outcome.level is Level.GOOD and forms.retained_form(w.staff).step is FormStep.MANAGER
