"""The decision screen of a big round is paged (the rules and slots stay those of the whole
round, and finalising is still refused naming people of any page); the personnel office sends
its own score sheet for a person from it, audited, and that score is the one retained."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from sqlalchemy import select

from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role
from evalapp.evaluations import assessments, decisions, services
from evalapp.evaluations.models import FormStatus, FormStep, points
from evalapp.tally.scales import Level
from tests.evaluations.test_decisions import scored_round


def test_a_round_of_60_people_is_paged_and_refusals_name_people_of_every_page(
        db, factory, login_as):
    dept, round_ = scored_round(db, 1, 58)
    people = services.rated_people(round_, included=True)
    assert len(people) == 60
    sub = dept.subunits[0]
    head = next(p for p in people if p.person_id == dept.heads[sub.id].id)
    head.proposed_level = Level.EXCELLENT  # above their unit (HTT): a broken rule
    db.session.commit()
    client = login_as(factory.user("qt-trang", roles=(Role.ADMIN,), unit=dept.unit))
    url = f"/evaluations/{round_.id}/decision"
    first = client.get(url).get_data(as_text=True)
    rows = [p for p in people if f'id="p-{p.id}"' in first]
    assert len(rows) == 50 and head not in rows  # the head's group comes last: page 2
    assert "page=2" in first and head.full_name in first  # named by the broken rule
    second = client.get(url + "?page=2").get_data(as_text=True)
    assert sum(f'id="p-{p.id}"' in second for p in people) == 10
    assert f'id="p-{head.id}"' in second
    assert client.get(url + f"?unit={dept.unit.id}").get_data(as_text=True).count(
        'id="p-') == 1  # the director only
    token = re.search(r'name="csrf_token" value="([^"]+)"', first).group(1)
    refused = client.post(url + "/finalise", data={"csrf_token": token, "number": "1/QĐ",
                                                   "decided_on": "20/12/2026"})
    assert refused.status_code == 422
    assert head.full_name in refused.get_data(as_text=True)
    assert round_.finalised_at is None


def test_the_personnel_office_sends_its_own_score_with_a_comment(db, factory, login_as):
    dept, round_ = scored_round(db, 1, 1)
    rated = next(p for p in services.rated_people(round_)
                 if p.person_id == dept.people[dept.subunits[0].id][1].id)
    client = login_as(factory.user("qt-tcb", roles=(Role.ADMIN,), unit=dept.unit))
    page = client.get(f"/evaluations/{round_.id}/decision").get_data(as_text=True)
    office_url = f"/evaluations/{round_.id}/people/{rated.id}/office"
    assert office_url in page
    html = client.get(office_url).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    items = assessments.items_for(rated)
    data = {"csrf_token": token, "action": "send", "confirm": "yes", "proposed_level": "htt",
            "comment": "Phòng Tổ chức cán bộ đề xuất 98,5 điểm.",
            **{f"points-{i.key}": str(i.max) for i in items}}
    big = max(items, key=lambda i: i.max)
    data[f"points-{big.key}"] = str(big.max - Decimal("1.5"))
    assert client.post(office_url, data=data).status_code == 302
    form = assessments.form_for(round_, rated, FormStep.OFFICE)
    assert form.status is FormStatus.SENT and form.comment.startswith("Phòng Tổ chức")
    assert decisions.picture(round_).line(rated).score == points(form.total) == Decimal("98.5")
    entry = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "evaluation_form.sent").order_by(AuditEntry.seq.desc())).first()
    assert json.loads(entry.details)["step"] == "office"
