"""Saving a round's settings page is one change: one service call, one audit entry naming
everything changed, and nothing changed when any part is refused."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.core.errors import ValidationFailed
from evalapp.evaluations import builder, setup
from evalapp.evaluations.models import RoundStatus


def _entries(db, round_):
    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.target_type == round_.audit_type, AuditEntry.target_id == str(round_.id))
        .order_by(AuditEntry.seq)))


def test_saving_the_settings_page_writes_one_audit_entry(db, factory, login_as):
    dept = builder.department("Sở Cài Đặt", subunits=1, staff_per_unit=1, surname="Vũ")
    round_ = builder.round_for(dept, to=RoundStatus.DRAFT)
    db.session.commit()
    before = len(_entries(db, round_))
    client = login_as(factory.user("qt-caidat", roles=(Role.ADMIN,), unit=dept.unit))
    data = {"title": "Đánh giá 2026 (sửa)", "due_units": "10/12/2026", "due_self": "15/11/2026",
            "due_meeting": "20/11/2026", "due_manager": "25/11/2026",
            "due_decision": "05/12/2026", "quota_rounding": "half_up",
            "opinion_ballot": "y"}
    assert client.post(f"/evaluations/{round_.id}/settings", data=data).status_code == 302
    entries = _entries(db, round_)
    assert len(entries) == before + 1
    assert entries[-1].action == "evaluation_round.settings_changed"
    changed = json.loads(entries[-1].details)["changed"]
    assert {"title", "due", "quota_rounding"} <= set(changed)
    # A part refused (an unknown setting): the title is not changed either, nothing audited.
    with pytest.raises(ValidationFailed):
        setup.save_settings(SYSTEM, round_, title="Tên khác", body_name=None,
                            authority_name=None, outstanding=False, settings={"no_such": 1})
    assert round_.title == "Đánh giá 2026 (sửa)" and "no_such" not in round_.settings
    assert len(_entries(db, round_)) == before + 1
