"""History pages (issue 13): a person's levels and scores across confirmed periods, quarterly
reviews and years, as an SVG chart and the same figures in tables, with the products behind
each period's task score; a level is shown only once its round is finalised AND released;
someone else's history is 404; a unit's distribution of levels counts only released rounds the
viewer may see the levels of."""

from __future__ import annotations

import re
from datetime import date

import pytest

from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.core.time import utcnow
from evalapp.evaluations import builder, services
from evalapp.evaluations.models import EvaluationRound, RatedPerson, RoundStatus
from evalapp.ledger import services as ledger
from evalapp.tally.scales import Level
from tests.ledger.test_services import world


def confirmed(w, db, year: int, key: str, *, delivered="2", errors=0, general="27"):
    """A confirmed month of the staff member: 2 reports (factor 2) assigned."""
    head, staff = w.users["head"], w.users["staff"]
    period = ledger.period_of(head, w.staff, year, key)
    item = ledger.assign_item(head, period, product_id=w.report.id, quantity="2",
                              due_on=date(year, int(key[1:]), 20))
    ledger.complete_item(staff, item, delivered=delivered,
                         delivered_on=date(year, int(key[1:]), 19), evidence="bc.pdf")
    ledger.judge_item(head, item, errors=errors)
    ledger.score_period(head, period, general=general)
    ledger.confirm(head, period)
    db.session.commit()
    return period


def released(round_: EvaluationRound, levels: dict, *, release=True, publish=False):
    """Finalise a round by hand (the decision pages are another part's): each person's level
    and retained score (hundredths), then release (and publish) its results."""
    rows = {r.person_id: r for r in RatedPerson.query.filter_by(round_id=round_.id)}
    for person_id, (level, score) in levels.items():
        rows[person_id].level, rows[person_id].score = level, score
    round_.status = RoundStatus.FINALISED
    round_.finalised_at = utcnow()
    if release:
        round_.released_at = utcnow()
    if publish:
        round_.published_at = utcnow()


def quarterly(w, year: int, quarter: str) -> EvaluationRound:
    """A quarterly leader review as the contract describes it: settings round_type
    "quarterly", period "Q1".."Q4"."""
    round_ = services.create_round(SYSTEM, w.dept.unit, title=f"Đánh giá quý {quarter}",
                                   year=year, preset_key="decree-335-2025", period="q1")
    # Everyone taken (a real quarterly review takes the leaders only), then marked quarterly.
    services.take_people(SYSTEM, round_, services.Selection(w.dept.unit))
    round_.period = quarter
    round_.settings = round_.settings | {"round_type": "quarterly"}
    return round_


@pytest.fixture
def history_world(factory, db):
    w = world(factory, db)
    confirmed(w, db, 2025, "m11")
    confirmed(w, db, 2025, "m12", delivered="1")          # a = 1/2
    confirmed(w, db, 2026, "m02", errors=1, general="25")  # m01 missing: a gap
    released(builder.round_for(w.dept, year=2025), {w.staff.id: (Level.GOOD, 8850)})
    released(builder.round_for(w.dept, year=2026), {w.staff.id: (Level.EXCELLENT, 9340)})
    released(quarterly(w, 2026, "Q1"), {w.staff.id: (Level.GOOD, None)})
    released(quarterly(w, 2026, "Q2"), {w.staff.id: (Level.EXCELLENT, None)})
    # Finalised but not released, and still open: never shown.
    released(quarterly(w, 2026, "Q3"), {w.staff.id: (Level.NOT_COMPLETED, None)},
             release=False)
    still_open = quarterly(w, 2026, "Q4")
    RatedPerson.query.filter_by(round_id=still_open.id, person_id=w.staff.id).one().level = \
        Level.NOT_COMPLETED
    db.session.commit()
    return w


def cells(page: str, row_id: str) -> list[str]:
    row = re.search(rf'<tr id="{row_id}">(.*?)</tr>', page, re.S)
    assert row, row_id
    return [re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row.group(1), re.S)]


def marks(page: str, kind: str) -> dict[str, str]:
    return dict(re.findall(rf'class="{kind}" data-period="([^"]+)" data-value="([^"]+)"', page))


def test_a_persons_history_shows_periods_quarters_and_years(history_world, client, login_as):
    w = history_world
    login_as(w.users["staff"])
    response = client.get(f"/ledger/people/{w.staff.id}/history")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Lịch sử đánh giá" in page
    # The periods' table: task score, general criteria, total.
    assert cells(page, "p-2025-m11")[:5] == ["Tháng 11/2025", w.dept.subunits[0].name,
                                             "70.00", "27.00", "97.00"]
    assert cells(page, "p-2025-m12")[2:5] == ["58.33", "27.00", "85.33"]   # (½+1+1)/3 × 70
    assert cells(page, "p-2026-m02")[2:5] == ["64.17", "25.00", "89.17"]   # (1+¾+1)/3 × 70
    assert 'id="p-2026-m01"' not in page
    # The years' and the quarters' tables.
    assert cells(page, "r-2025-year") == ["2025", "Hoàn thành tốt nhiệm vụ", "88.50",
                                          "Đánh giá năm 2025"]
    assert cells(page, "r-2026-year")[:3] == ["2026", "Hoàn thành xuất sắc nhiệm vụ", "93.40"]
    assert cells(page, "r-2026-q1")[:2] == ["Quý 1/2026", "Hoàn thành tốt nhiệm vụ"]
    assert cells(page, "r-2026-q2")[:2] == ["Quý 2/2026", "Hoàn thành xuất sắc nhiệm vụ"]
    # The chart: an accessible SVG, one point per period with a value, a line broken at the
    # missing month, one mark per quarter and per year.
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert '<title id="history-chart-title">' in svg and "<script" not in svg.lower()
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert marks(svg, "pt-period") == {"2025-m11": "97.00", "2025-m12": "85.33",
                                       "2026-m02": "89.17"}
    assert svg.count("<polyline") == 1                      # m11–m12 joined; m02 alone
    assert marks(svg, "pt-quarter") == {"2026-q1": "htt", "2026-q2": "htxs"}
    assert marks(svg, "pt-year") == {"2025-year": "htt", "2026-year": "htxs"}
    assert marks(svg, "pt-year-score") == {"2025-year": "88.50", "2026-year": "93.40"}
    # The products behind a period's task score, unfolded under its row.
    row = page[page.index('id="p-2026-m02"'):]
    row = row[:row.index("</details>")]
    assert "Báo cáo chuyên đề" in row and "2.00 / 2.00 báo cáo" in row
    assert "4.00" in row                                    # 2 reports × factor 2


def test_a_level_not_released_is_never_shown(history_world, client, login_as):
    w = history_world
    for who in ("staff", "head", "admin"):
        login_as(w.users[who])
        page = client.get(f"/ledger/people/{w.staff.id}/history").get_data(as_text=True)
        assert "2026-q3" not in page and "2026-q4" not in page, who
        assert "Quý 3/2026" not in page and "Quý 4/2026" not in page, who
        client.post("/logout")
    round_ = EvaluationRound.query.filter_by(period="Q3").one()
    round_.released_at = utcnow()
    from evalapp.extensions import db
    db.session.commit()
    login_as(w.users["staff"])
    page = client.get(f"/ledger/people/{w.staff.id}/history").get_data(as_text=True)
    assert cells(page, "r-2026-q3")[:2] == ["Quý 3/2026", "Không hoàn thành nhiệm vụ"]


def test_someone_elses_history_is_404(history_world, client, login_as):
    w = history_world
    expected = {"staff": 200, "head": 200, "admin": 200, "colleague": 404}
    for who, status in expected.items():
        login_as(w.users[who])
        assert client.get(f"/ledger/people/{w.staff.id}/history").status_code == status, who
        client.post("/logout")
    login_as(w.users["colleague"])
    assert client.get("/ledger/people/999999/history").status_code == 404


def test_the_history_is_linked_from_mine_and_the_period_page(history_world, client, login_as):
    w = history_world
    href = f'href="/ledger/people/{w.staff.id}/history"'
    login_as(w.users["staff"])
    assert href in client.get("/ledger/mine").get_data(as_text=True)
    client.post("/logout")
    login_as(w.users["head"])
    assert href in client.get(f"/ledger/people/{w.staff.id}/2026/m02").get_data(as_text=True)


def test_a_units_distribution_counts_released_levels(history_world, db, client, login_as):
    w = history_world
    sub, other_sub = w.dept.subunits
    head, staff, colleague = w.dept.people[sub.id][:3]
    other_head = w.dept.people[other_sub.id][0]
    round_2025 = EvaluationRound.query.filter_by(year=2025, period="year").one()
    rows = {r.person_id: r for r in RatedPerson.query.filter_by(round_id=round_2025.id)}
    rows[head.id].level = Level.EXCELLENT
    rows[colleague.id].level = Level.COMPLETED
    rows[other_head.id].level = Level.NOT_COMPLETED          # staff: HTT (the fixture)
    db.session.commit()

    login_as(w.users["admin"])
    page = client.get(f"/ledger/units/{w.dept.unit.id}/history").get_data(as_text=True)
    assert "Phân bố mức xếp loại theo năm" in page
    # HTXS, HTT, HTNV, KHT, total
    assert cells(page, "c-2025-year")[1:] == ["1", "1", "1", "1", "4"]
    assert cells(page, "c-2026-year")[1:] == ["1", "0", "0", "0", "1"]
    assert cells(page, "c-2026-q1")[1:] == ["0", "1", "0", "0", "1"]
    assert cells(page, "c-2026-q2")[1:] == ["1", "0", "0", "0", "1"]
    assert 'id="c-2026-q3"' not in page and 'id="c-2026-q4"' not in page  # not released
    years = page[page.index('id="years-chart"'):]
    years = years[:years.index("</svg>")]
    assert "<title id=\"years-chart-title\">" in years
    assert re.findall(r'class="bar" data-column="([^"]+)"', years) == ["2025-year", "2026-year"]
    assert re.findall(r'class="part-(\w+)" data-count="(\d+)"', years) == [
        ("kht", "1"), ("htnv", "1"), ("htt", "1"), ("htxs", "1"), ("htxs", "1")]
    # A sub-unit counts its own people only.
    page = client.get(f"/ledger/units/{sub.id}/history").get_data(as_text=True)
    assert cells(page, "c-2025-year")[1:] == ["1", "1", "1", "0", "3"]


def test_a_units_distribution_is_for_those_who_may_see_the_levels(history_world, db, client,
                                                                   login_as, factory):
    w = history_world
    url = f"/ledger/units/{w.dept.unit.id}/history"
    login_as(w.users["colleague"])                 # rated, no admin: nothing published yet
    assert client.get(url).status_code == 404
    assert client.get("/ledger/units/999999/history").status_code == 404
    round_2025 = EvaluationRound.query.filter_by(year=2025, period="year").one()
    round_2025.published_at = utcnow()
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert cells(page, "c-2025-year")[1:] == ["0", "1", "0", "0", "1"]
    assert 'id="c-2026-year"' not in page          # not published: its admins only
    client.post("/logout")
    # An admin of another department sees none of it.
    other = builder.department("Sở Y tế", subunits=1, staff_per_unit=1, surname="Phạm")
    db.session.commit()
    login_as(factory.user("otheradmin", roles=(Role.ADMIN,), unit=other.unit))
    assert client.get(url).status_code == 404
    assert client.get(f"/ledger/people/{w.staff.id}/history").status_code == 404
