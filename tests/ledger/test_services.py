"""The product ledger's services: a month assigned, completed with evidence, judged and
confirmed by the manager (never by the person), locked, reopened only with a reason (audited),
imported from .xlsx with errors row by row (nothing saved), and fed into the year's evaluation
round without retyping, a transferred person's old-unit periods included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from sqlalchemy import func, select

from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role, User
from evalapp.auth.permissions import SYSTEM, can
from evalapp.core.errors import InvalidState, NotAllowed, NotFound, ValidationFailed
from evalapp.core.spreadsheets import new_workbook, workbook_bytes
from evalapp.evaluations import assessments, builder, services
from evalapp.evaluations.models import RatedPerson
from evalapp.ledger import services as ledger
from evalapp.ledger.models import Item, Period, PeriodStatus
from evalapp.org.models import Person


@dataclass
class World:
    dept: builder.Department
    staff: Person
    head: Person
    users: dict[str, User]
    report: object   # product, factor 2
    letter: object   # product, factor 0.5, a difficulty level ×2


def world(factory, db) -> World:
    dept = builder.department(subunits=2, staff_per_unit=2)
    regulation = services.seed_regulation(SYSTEM, dept.unit, "decree-335-2025")
    content = regulation.content | {"period": "month"}
    services.save_regulation(SYSTEM, dept.unit, preset_key="decree-335-2025",
                             title="Quy chế theo tháng", content=content)
    sub = dept.subunits[0]
    head, staff, colleague = dept.people[sub.id][:3]
    staff.manager_id = colleague.manager_id = head.id
    report = ledger.add_product(SYSTEM, dept.unit, name="Báo cáo chuyên đề", group="N2",
                                measure="báo cáo", factor="2")
    letter = ledger.add_product(SYSTEM, dept.unit, name="Công văn", group="N4",
                                measure="văn bản", factor="0.5",
                                levels=[{"name": "Phức tạp", "factor": "2"}])
    db.session.commit()
    users = {
        # The person is also an admin of the department: still never manages their own work.
        "staff": factory.user("staff", roles=(Role.EVALUEE, Role.ADMIN), unit=dept.unit,
                              person=staff),
        "head": factory.user("head", roles=(Role.EVALUEE,), person=head),
        "colleague": factory.user("colleague", roles=(Role.EVALUEE,), person=colleague),
        "admin": factory.user("deptadmin", roles=(Role.ADMIN,), unit=dept.unit),
    }
    return World(dept, staff, head, users, report, letter)


@pytest.fixture
def w(factory, db):
    return world(factory, db)


def month(w, key="m01", year=2026) -> Period:
    return ledger.period_of(w.users["head"], w.staff, year, key)


def scored_month(w, db, key="m01") -> Period:
    """Two items: 2 reports (factor 2) delivered late with 1 error; 10 complex letters
    (0.5 × 2) all delivered on time; general criteria 27."""
    head, staff = w.users["head"], w.users["staff"]
    period = month(w, key)
    reports = ledger.assign_item(head, period, product_id=w.report.id, quantity="2",
                                 due_on=date(2026, 1, 20))
    letters = ledger.assign_item(head, period, product_id=w.letter.id, quantity="10",
                                 level="Phức tạp", due_on=date(2026, 1, 31))
    ledger.complete_item(staff, reports, delivered="2", delivered_on=date(2026, 1, 22),
                         evidence="https://vanban.example.vn/bc-01", cause="Chờ số liệu")
    ledger.complete_item(staff, letters, delivered="10", delivered_on=date(2026, 1, 30),
                         evidence="cong-van-thang-1.pdf")
    ledger.judge_item(head, reports, errors=1, delays=1)
    ledger.score_period(head, period, general="27")
    db.session.commit()
    return period


def test_a_month_is_scored_from_its_products(w, db):
    period = scored_month(w, db)
    outcome = ledger.result(period)
    # converted: reports 4, letters 10 → a = 1; b = (4 × 3/4 + 10) / 14; c likewise (1 delay)
    assert outcome.ratios.a == 1
    assert outcome.ratios.b == outcome.ratios.c == Fraction(13, 14)
    assert outcome.task == Decimal("66.67")      # (1 + 13/14 + 13/14) / 3 × 70 = 66.666…
    assert outcome.score == Decimal("93.67")
    # The delay's cause accepted: the timeliness ratio is whole again.
    reports = ledger.items_of(period)[0]
    ledger.judge_item(w.users["head"], reports, errors=1, delays=1, delays_accepted=1)
    assert ledger.result(period).task == Decimal("68.33")  # (1 + 13/14 + 1) / 3 × 70


def test_a_proposed_item_counts_only_once_accepted(w, db):
    period = month(w)
    ledger.assign_item(w.users["head"], period, product_id=w.report.id, quantity="1")
    proposed = ledger.propose_item(w.users["staff"], period, product_id=w.report.id,
                                   quantity="3")
    assert sum(i.assigned for i in ledger.items_of(period) if i.accepted) == 100
    with pytest.raises(NotAllowed):
        ledger.accept_item(w.users["staff"], proposed)
    ledger.accept_item(w.users["head"], proposed)
    assert ledger.result(period).ratios.a == 0  # 4 reports assigned, none delivered
    with pytest.raises(NotAllowed):   # the manager does not propose in the person's name
        ledger.propose_item(w.users["head"], period, product_id=w.report.id, quantity="1")


def test_nobody_confirms_their_own_period(w, db):
    period = scored_month(w, db)
    for who in ("staff", "colleague"):
        with pytest.raises(NotAllowed):
            ledger.confirm(w.users[who], period)
        db.session.rollback()
    assert period.status is PeriodStatus.OPEN and period.score is None
    ledger.confirm(w.users["head"], period)
    assert period.status is PeriodStatus.CONFIRMED and period.score == 9367


def test_a_confirmed_period_is_locked_and_reopened_only_with_a_reason(w, db):
    period = scored_month(w, db)
    ledger.confirm(w.users["head"], period)
    db.session.commit()
    item = ledger.items_of(period)[0]
    for change in (
            lambda: ledger.assign_item(w.users["head"], period, product_id=w.report.id,
                                       quantity="1"),
            lambda: ledger.complete_item(w.users["staff"], item, delivered="1",
                                         delivered_on=None),
            lambda: ledger.judge_item(w.users["head"], item, errors=0),
            lambda: ledger.score_period(w.users["head"], period, general="30"),
            lambda: ledger.remove_item(w.users["head"], item),
            lambda: ledger.confirm(w.users["head"], period)):
        with pytest.raises(InvalidState):
            change()
        db.session.rollback()
    for who in ("staff", "colleague"):
        with pytest.raises(NotAllowed):
            ledger.reopen(w.users[who], period, "Sửa số liệu")
        db.session.rollback()
    with pytest.raises(ValidationFailed):
        ledger.reopen(w.users["head"], period, "  ")
    db.session.rollback()
    assert period.status is PeriodStatus.CONFIRMED and item.errors == 1
    ledger.reopen(w.users["admin"], period, "Nhập sai số lượng công văn")
    db.session.commit()
    assert period.status is PeriodStatus.OPEN and period.score is None
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry.action == "ledger_period.reopened"
    assert "Nhập sai số lượng công văn" in entry.details


def test_confirming_needs_the_general_criteria_and_an_item(w, db):
    period = month(w)
    db.session.commit()
    with pytest.raises(ValidationFailed):
        ledger.confirm(w.users["head"], period)
    db.session.rollback()
    ledger.assign_item(w.users["head"], period, product_id=w.report.id, quantity="1")
    with pytest.raises(ValidationFailed):   # no general criteria yet (scored per month)
        ledger.confirm(w.users["head"], period)
    db.session.rollback()
    assert period.status is PeriodStatus.OPEN


def test_only_the_person_and_their_managers_see_the_ledger(w, db):
    expected = {"staff": (True, False), "head": (True, True), "colleague": (False, False),
                "admin": (True, True)}
    for who, (see, manage) in expected.items():
        assert (can(w.users[who], "ledger.see", w.staff),
                can(w.users[who], "ledger.manage", w.staff)) == (see, manage), who
    with pytest.raises(NotFound):
        ledger.period_of(w.users["colleague"], w.staff, 2026, "m01")
    with pytest.raises(ValidationFailed):   # a quarter in a ledger kept by month
        ledger.period_of(w.users["head"], w.staff, 2026, "q1")


def test_a_product_outside_the_catalogue_or_level_is_refused(w, db, factory):
    other = builder.department("Sở Y tế", subunits=0, surname="Phạm")
    foreign = ledger.add_product(SYSTEM, other.unit, name="Hồ sơ", group="N3", measure="hồ sơ",
                                 factor="1")
    period = month(w)
    for kwargs in ({"product_id": foreign.id}, {"product_id": w.letter.id, "level": "Khó"},
                   {"product_id": w.report.id, "quantity": "0"},
                   {"product_id": w.report.id, "quantity": "1.234"}):
        with pytest.raises(ValidationFailed):
            ledger.assign_item(w.users["head"], period, **({"quantity": "1"} | kwargs))
    assert ledger.items_of(period) == []


def sheet(rows) -> bytes:
    workbook = new_workbook()
    table = workbook.active
    table.append(["Mã cán bộ", "Kỳ", "Sản phẩm", "Mức độ", "Số lượng", "Hạn hoàn thành"])
    for row in rows:
        table.append(row)
    return workbook_bytes(workbook)


def column(key: str) -> str:
    """A column's heading as the errors name it (in the locale of the moment)."""
    return str(ledger.COLUMNS[key][0])


def test_an_import_with_a_wrong_row_saves_nothing_and_names_each_error(w, db):
    code = w.staff.staff_code
    bad = sheet([
        [code, "01/2026", "Báo cáo chuyên đề", "", "2", "20/01/2026"],
        ["KHONGCO", "01/2026", "Công văn", "", "3", ""],               # row 3: nobody
        [code, "13/2026", "Công văn", "Dễ", "-1", "31/02/2026"],       # row 4: four errors
        [w.dept.heads[w.dept.unit.id].staff_code, "02/2026", "Công văn", "", "1", ""],
    ])
    with pytest.raises(ValidationFailed) as failure:
        ledger.import_items(w.users["admin"], w.dept.unit, "theo-doi.xlsx", bad)
    db.session.rollback()
    found = {(e.row, e.column) for e in failure.value.errors}
    assert found == {(3, column("staff_code")), (4, column("period")), (4, column("level")),
                     (4, column("quantity")), (4, column("due_on"))}
    assert db.session.scalar(select(func.count()).select_from(Item)) == 0
    good = sheet([[code, "01/2026", "Báo cáo chuyên đề", "", "2", "20/01/2026"],
                  [code, "02/2026", "công văn", "Phức tạp", "4,5", None]])
    assert ledger.import_items(w.users["admin"], w.dept.unit, "theo-doi.xlsx", good).items == 2
    db.session.commit()
    items = db.session.scalars(select(Item).order_by(Item.id)).all()
    assert [(i.period.period, i.assigned, i.factor) for i in items] == [
        ("m01", 200, 200), ("m02", 450, 100)]


def test_an_import_into_a_confirmed_period_is_refused_whole(w, db):
    period = scored_month(w, db)
    ledger.confirm(w.users["head"], period)
    db.session.commit()
    with pytest.raises(ValidationFailed) as failure:
        ledger.import_items(w.users["admin"], w.dept.unit, "x.xlsx", sheet([
            [w.staff.staff_code, "02/2026", "Công văn", "", "1", ""],
            [w.staff.staff_code, "01/2026", "Công văn", "", "1", ""]]))
    db.session.rollback()
    assert [(e.row, e.column) for e in failure.value.errors] == [(3, column("period"))]
    assert db.session.scalar(select(func.count()).select_from(Item)) == 2


def rated(round_, person) -> RatedPerson:
    return db_one(select(RatedPerson).where(RatedPerson.round_id == round_.id,
                                            RatedPerson.person_id == person.id))


def db_one(query):
    from evalapp.extensions import db

    return db.session.scalars(query).one()


def test_confirmed_months_feed_the_year_round_without_retyping(w, db):
    head = w.users["head"]
    ledger.confirm(head, scored_month(w, db, "m01"))
    db.session.commit()
    # The round opens after January was confirmed: it takes the month with the people.
    round_ = builder.round_for(w.dept, year=2026)
    db.session.commit()
    row = rated(round_, w.staff)
    assert row.periods == [{"period": "m01", "score": "93.67", "source": None}]
    # February confirmed while the round is open: the round follows.
    february = month(w, "m02")
    item = ledger.assign_item(head, february, product_id=w.report.id, quantity="1")
    ledger.complete_item(w.users["staff"], item, delivered="1", delivered_on=None)
    ledger.score_period(head, february, general="25")
    ledger.confirm(head, february)
    db.session.commit()
    assert [p["score"] for p in row.periods] == ["93.67", "95.00"]
    assert assessments.retained_total(row) == Decimal("94.34")   # (93.67 + 95) / 2, half up
    # Reopened, February leaves the round until it is confirmed again.
    ledger.reopen(head, february, "Bổ sung minh chứng")
    db.session.commit()
    assert [p["period"] for p in row.periods] == ["m01"]
    assert "evaluation_person.periods_fed" in db.session.scalars(
        select(AuditEntry.action)).all()


def test_a_transferred_person_brings_the_old_units_periods(w, db):
    ledger.confirm(w.users["head"], scored_month(w, db, "m01"))
    db.session.commit()
    old_name = w.staff.unit.name
    w.staff.unit_id = w.dept.subunits[1].id
    db.session.commit()
    db.session.expire_all()
    round_ = builder.round_for(w.dept, year=2026)
    db.session.commit()
    row = rated(round_, w.staff)
    assert row.unit_id == w.dept.subunits[1].id
    assert row.periods == [{"period": "m01", "score": "93.67", "source": old_name}]


def test_the_catalogue_follows_the_quy_che_versions(w, db):
    january = month(w, "m01")   # kept under the current version
    ledger.retire_product(SYSTEM, w.letter)
    regulation = services.latest_regulation(w.dept.unit)
    newer = services.save_regulation(SYSTEM, w.dept.unit, preset_key="decree-335-2025",
                                     title="Quy chế sửa đổi", content=regulation.content)
    assert ledger.catalogue(w.dept.subunits[0]) == []          # a new version starts empty
    assert ledger.carry_catalogue(SYSTEM, w.dept.unit, newer) == 1   # the retired one stays
    assert ledger.carry_catalogue(SYSTEM, w.dept.unit, newer) == 0   # once
    [carried] = ledger.catalogue(w.dept.subunits[0])
    assert (carried.name, carried.factor, carried.regulation_id) == (
        "Báo cáo chuyên đề", 200, newer.id)
    # January keeps its own version's catalogue; a new period takes the new one.
    ledger.assign_item(w.users["head"], january, product_id=w.report.id, quantity="1")
    with pytest.raises(ValidationFailed):
        ledger.assign_item(w.users["head"], january, product_id=carried.id, quantity="1")
    february = month(w, "m02")
    assert february.regulation_id == newer.id
    ledger.assign_item(w.users["head"], february, product_id=carried.id, quantity="1")
