"""The forms' pages: the phone-first self-assessment (fields, the four levels, the draft and
the send with its confirmation, the total computed again by the server), the manager's page
beside the sent self-assessment (never a draft), reopening with a reason, the read-only view in
Phụ lục II's layout for a viên chức, and forcing events."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from evalapp.audit.models import AuditEntry
from evalapp.evaluations import assessments as forms
from evalapp.evaluations.models import FormStatus, FormStep
from evalapp.org.models import StaffKind
from tests.evaluations.forms_world import forms_world, full_points


@pytest.fixture
def w(factory, db):
    return forms_world(factory, db)


def _data(rated, action, **extra):
    data = {f"points-{k}": v.replace(".", ",") for k, v in full_points(rated).items()}
    data.update({"action": action, "proposed_level": "htxs", "comment": "Tự đánh giá"})
    data.update(extra)
    return data


def test_the_self_form_lists_each_criterion_with_its_points_and_the_four_levels(w, client,
                                                                                  login_as):
    login_as(w.users["staff"])
    page = client.get(f"/evaluations/{w.round.id}/forms/self")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for item in forms.items_for(w.staff):
        assert f'name="points-{item.key}"' in html and f'name="comment-{item.key}"' in html
    assert html.count('name="proposed_level"') == 4
    assert 'value="save"' in html and 'value="send"' in html and 'name="confirm"' in html
    assert 'id="running-total"' in html and "evaluation-form.js" in html


def test_sending_needs_the_confirmation_then_locks_with_the_servers_total(w, db, client,
                                                                          login_as):
    login_as(w.users["staff"])
    url = f"/evaluations/{w.round.id}/forms/self"
    refused = client.post(url, data=_data(w.staff, "send"))
    assert refused.status_code == 422 and 'id="form-error"' in refused.get_data(as_text=True)
    assert forms.form_for(w.round, w.staff, FormStep.SELF) is None
    # A total typed by hand is ignored: the server sums the items.
    sent = client.post(url, data=_data(w.staff, "send", confirm="yes", total="1"))
    assert sent.status_code == 302
    form = forms.form_for(w.round, w.staff, FormStep.SELF)
    assert form.status is FormStatus.SENT and form.total == 10000
    page = client.get(url).get_data(as_text=True)
    assert 'id="form-locked"' in page and 'value="send"' not in page
    again = client.post(url, data=_data(w.staff, "save", comment="đổi"))
    assert again.status_code == 409
    db.session.expire_all()
    assert forms.form_for(w.round, w.staff, FormStep.SELF).comment == "Tự đánh giá"


def test_an_over_max_item_is_refused_with_the_typed_values_kept(w, client, login_as):
    login_as(w.users["staff"])
    item = forms.items_for(w.staff)[0]
    data = _data(w.staff, "save", **{f"points-{item.key}": "99"})
    page = client.post(f"/evaluations/{w.round.id}/forms/self", data=data)
    html = page.get_data(as_text=True)
    assert page.status_code == 422 and item.code in html and 'value="99"' in html
    assert forms.form_for(w.round, w.staff, FormStep.SELF) is None


def test_the_manager_sees_the_self_assessment_only_once_sent(w, db, client, login_as):
    forms.save_draft(w.users["staff"], w.round, w.staff, FormStep.SELF, full_points(w.staff),
                     {}, "htxs", "BÍ MẬT NHÁP")
    db.session.commit()
    login_as(w.users["head"])
    url = f"/evaluations/{w.round.id}/people/{w.staff.id}/manager"
    html = client.get(url).get_data(as_text=True)
    assert 'id="self-not-sent"' in html and "BÍ MẬT NHÁP" not in html
    form = forms.form_for(w.round, w.staff, FormStep.SELF)
    assert client.get(f"/evaluations/{w.round.id}/forms/{form.id}").status_code == 404
    forms.send(w.users["staff"], w.round, w.staff, FormStep.SELF, full_points(w.staff), {},
               "htxs", "ĐÃ GỬI")
    db.session.commit()
    html = client.get(url).get_data(as_text=True)
    assert "ĐÃ GỬI" in html and 'id="self-not-sent"' not in html
    assert client.get(f"/evaluations/{w.round.id}/forms/{form.id}").status_code == 200
    # The manager's own form is sent from the same page.
    assert client.post(url, data=_data(w.staff, "send", confirm="yes")).status_code == 302
    assert forms.form_for(w.round, w.staff, FormStep.MANAGER).author_id == w.users["head"].id


def test_the_person_does_not_see_the_managers_form_before_release(w, db, client, login_as):
    form = forms.send(w.users["head"], w.round, w.staff, FormStep.MANAGER,
                      full_points(w.staff), {}, "htt", "NHẬN XÉT QUẢN LÝ")
    db.session.commit()
    login_as(w.users["staff"])
    assert client.get(f"/evaluations/{w.round.id}/forms/{form.id}").status_code == 404
    assert client.get(
        f"/evaluations/{w.round.id}/people/{w.staff.id}/manager").status_code == 403


def test_an_admin_reopens_with_a_reason_from_the_view(w, db, client, login_as):
    form = forms.send(w.users["staff"], w.round, w.staff, FormStep.SELF, full_points(w.staff),
                      {}, "htxs", None)
    db.session.commit()
    login_as(w.users["admin"])
    view = client.get(f"/evaluations/{w.round.id}/forms/{form.id}").get_data(as_text=True)
    assert 'id="reopen"' in view
    url = f"/evaluations/{w.round.id}/forms/{form.id}/reopen"
    assert client.post(url, data={"reason": " "}).status_code == 422
    assert client.post(url, data={"reason": "Điểm mục 3a nhập sai"}).status_code == 302
    db.session.expire_all()
    assert forms.form_for(w.round, w.staff, FormStep.SELF).status is FormStatus.DRAFT
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry.action == "evaluation_form.reopened" and "Điểm mục 3a nhập sai" in entry.details


def test_a_vien_chucs_form_reads_as_annex_ii(w, db, client, login_as):
    w.staff.staff_kind = StaffKind.PUBLIC_EMPLOYEE
    form = forms.send(w.users["staff"], w.round, w.staff, FormStep.SELF, full_points(w.staff),
                      {}, "htxs", "Ý KIẾN")
    db.session.commit()
    login_as(w.users["staff"])
    client.get("/lang/vi")
    html = client.get(f"/evaluations/{w.round.id}/forms/{form.id}").get_data(as_text=True)
    for anchor in ('id="annex-title"', 'id="annex-part-1"', 'id="part-level"',
                   'id="annex-part-3"', 'id="part-comments"'):
        assert anchor in html
    assert "PHIẾU XẾP LOẠI CHẤT LƯỢNG VIÊN CHỨC" in html
    assert "100,00" in html and "Ý KIẾN" in html


def test_a_unit_form_shows_the_level_the_rules_compute(w, db, client, login_as):
    login_as(w.users["head"])
    url = f"/evaluations/{w.round.id}/units/{w.office.id}/self"
    data = _data(w.office, "send", confirm="yes", tasks="10", done="10", on_time="10",
                 exceeded="1", plan_share_done="90%")
    assert client.post(url, data=data).status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert 'id="unit-outcome"' in html
    assert forms.unit_outcome(w.round, w.office, forms.form_for(
        w.round, w.office, FormStep.SELF)).level.value == "htt"


def test_events_are_listed_added_and_removed_by_an_admin(w, db, client, login_as):
    forms.send(w.users["staff"], w.round, w.staff, FormStep.SELF, full_points(w.staff), {},
               "htxs", None)
    db.session.commit()
    login_as(w.users["admin"])
    url = f"/evaluations/{w.round.id}/people/{w.staff.id}/events"
    assert client.post(url, data={"kind": "discipline_duty", "act": "", "year": "2026",
                                  "unit_id": str(w.staff.unit_id)}).status_code == 422
    assert client.post(url, data={"kind": "degradation", "act": "Kết luận số 5",
                                  "year": "2026"}).status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert "Kết luận số 5" in html and 'id="person-outcome"' in html
    assert forms.person_outcome(w.staff).level.value == "kht"
    event = forms.events_of(w.staff)[0]
    assert client.post(f"{url}/{event.id}/remove").status_code == 302
    assert forms.events_of(w.staff) == []
