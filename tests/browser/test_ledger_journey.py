"""Issue 13 in Chromium, as the issue tells it: the head of an office assigns a month's work
items on a specialist's period page; the specialist completes them on a phone with their
evidence (one late, with an objective cause); a citizen rates the specialist on another phone
from the address of the desk card's QR code, and is refused a second rating the same day; the
head judges the items (the cause of the delay accepted), scores the general criteria and
confirms the month, which locks it (the specialist can neither see a confirm button nor
confirm); at year end the personnel office's form page shows the year's task score computed
from the confirmed periods and the public ratings' count and mean beside the general criteria;
the specialist's history shows the confirmed month.

The world (units, people, accounts, the monthly Quy chế, the catalogue, a desk, an earlier
confirmed month, two earlier ratings, the year-end round) is built through the services;
everything else through the pages. Every figure is checked against the pure rules
(evalapp.tally.ledger)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.core.time import utcnow
from evalapp.core.web import vn_number
from evalapp.evaluations import assessments, builder, services
from evalapp.evaluations.models import RatedPerson
from evalapp.ledger import ratings
from evalapp.ledger import services as ledger
from evalapp.ledger.models import PeriodStatus
from evalapp.org.models import Person
from evalapp.tally import evaluation as eval_rules
from evalapp.tally import ledger as rules
from tests.conftest import PASSWORD

REPORT, LETTER = "Báo cáo chuyên đề", "Công văn"
CAUSE = "Chờ số liệu của Sở Tài chính gửi chậm"
COMMENT = "Cán bộ hướng dẫn tận tình, chu đáo."
GENERAL = "27.5"


@dataclass
class World:
    dept: builder.Department
    office_id: int
    staff_id: int
    staff_name: str
    year: int
    key: str               # the month of the journey (this month: the public rates today)
    other: str             # an earlier month, confirmed through the services
    other_score: Decimal
    first_day: date
    content: dict          # the Quy chế's content (the ledger's rules)
    earlier_ratings: list[int]


def _today(app) -> date:
    """The day the app counts a rating for (in its time zone)."""
    return utcnow().astimezone(ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def _world(app, db, factory) -> World:
    today = _today(app)
    year, key = today.year, f"m{today.month:02d}"
    other = "m01" if key != "m01" else "m02"
    dept = builder.department("Sở Nội vụ Thử nghiệm", subunits=1, staff_per_unit=3)
    regulation = services.seed_regulation(SYSTEM, dept.unit, "decree-335-2025")
    content = regulation.content | {"period": "month"}
    services.save_regulation(SYSTEM, dept.unit, preset_key="decree-335-2025",
                             title="Quy chế đánh giá theo tháng", content=content)
    office = dept.subunits[0]
    head, staff = dept.people[office.id][:2]
    staff.manager_id = head.id
    report = ledger.add_product(SYSTEM, dept.unit, name=REPORT, group="N2", measure="báo cáo",
                                factor="2")
    ledger.add_product(SYSTEM, dept.unit, name=LETTER, group="N4", measure="văn bản",
                       factor="0.5")
    db.session.commit()
    # The specialist is also an administrator of the office: still never confirms their own.
    factory.user("chuyenvien", roles=(Role.EVALUEE, Role.ADMIN), unit=office, person=staff)
    head_user = factory.user("truongphong", roles=(Role.EVALUEE,), person=head)
    factory.user("tochuc", roles=(Role.ADMIN,), unit=dept.unit)

    # An earlier month, confirmed: one report delivered on time; general criteria 25.
    earlier = ledger.period_of(head_user, staff, year, other)
    month = int(other[1:])
    item = ledger.assign_item(head_user, earlier, product_id=report.id, quantity="1",
                              due_on=date(year, month, 20))
    ledger.complete_item(head_user, item, delivered="1", delivered_on=date(year, month, 15),
                         evidence="bao-cao-thang-truoc.pdf")
    ledger.score_period(head_user, earlier, general="25")
    ledger.confirm(head_user, earlier)
    ledger_rules = rules.LedgerRules.from_regulation(content)
    other_score = rules.period_score(rules.task_score(rules.ratios(
        [rules.WorkItem(assigned=1, delivered=1, factor=2, due=date(year, month, 20),
                        delivered_on=date(year, month, 15))], ledger_rules)), "25", ledger_rules)

    # The specialist serves the public at a desk; two people rated them earlier today.
    desk = ratings.set_desk(head_user, staff, True)
    earlier_ratings = [2, 4]
    for n, face in enumerate(earlier_ratings):
        ratings.rate(desk, device_id=f"thiet-bi-khac-{n}", choice=face, comment=None,
                     day=today)
    db.session.commit()
    world = World(dept, office.id, staff.id, staff.full_name, year, key, other, other_score,
                  date(year, today.month, 1), content, earlier_ratings)
    db.session.commit()  # no read transaction left open: the live server writes next
    return world


def _log_in(context: BrowserContext, username: str) -> Page:
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#main form [type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login(\?|$)"))
    page.wait_for_load_state()
    return page


def _vn(app, value, digits: int = 2) -> str:
    """A number as the Vietnamese pages write it (1.234,56)."""
    with app.test_request_context(), force_locale("vi"):
        return vn_number(value, digits)


def _period_label(app, key: str) -> str:
    with app.test_request_context(), force_locale("vi"):
        return assessments.period_label(key)


def _option(page: Page, text: str) -> str:
    """The value of the catalogue's product whose option names `text`."""
    return page.locator("#product option", has_text=text).get_attribute("value")


def test_a_month_of_products_feeds_the_year_end_evaluation(
        app, db, factory, fresh_context, watch_errors, translate, monkeypatch):
    # The shortest fill time of the rating form is proven in tests/ledger/test_ratings.py;
    # here the citizen may send at once (the test never waits on the clock).
    monkeypatch.setitem(app.extensions["evalapp.live_app"].config,
                        "RATING_MIN_FILL_SECONDS", 0)
    w = _world(app, db, factory)
    url = f"/ledger/people/{w.staff_id}/{w.year}/{w.key}"
    due_report, due_letter = w.first_day + timedelta(days=9), w.first_day + timedelta(days=19)
    on_report, on_letter = w.first_day + timedelta(days=11), w.first_day + timedelta(days=17)

    # 1. The head of the office assigns two work items on the specialist's period page.
    manager = _log_in(fresh_context(), "truongphong")
    manager_errors = watch_errors(manager)
    manager.goto(url)
    for product, quantity, due in ((REPORT, "2", due_report), (LETTER, "10", due_letter)):
        manager.locator("#product").select_option(_option(manager, product))
        manager.locator("#quantity").fill(quantity)
        manager.locator("#due_on").fill(due.isoformat())
        manager.locator("#assign [type=submit]").click()
        expect(manager.locator("#main .alert-success")).to_contain_text(
            translate("The work item is assigned."))
    expect(manager.locator("#items tbody tr")).to_have_count(2)

    # 2. The specialist completes both items on a phone, with the evidence; the report late
    # with its objective cause.
    phone = _log_in(fresh_context(phone=True), "chuyenvien")
    phone_errors = watch_errors(phone)
    phone.goto("/ledger/mine")
    for product, delivered, day, evidence, cause in (
            (REPORT, "2", on_report, "https://vanban.example.vn/bao-cao-chuyen-de", CAUSE),
            (LETTER, "8", on_letter, "cong-van-thang.pdf", "")):
        card = phone.locator(f"#period-{w.year}-{w.key} .card", has_text=product)
        card.locator("input[name=delivered]").fill(delivered)
        card.locator("input[name=delivered_on]").fill(day.isoformat())
        card.locator("input[name=evidence]").fill(evidence)
        card.locator("input[name=cause]").fill(cause)
        card.locator("button[type=submit]").click()
        expect(phone.locator("#main .alert-success")).to_contain_text(
            translate("The result is saved."))
    expect(phone.locator(f"#period-{w.year}-{w.key} .card", has_text=REPORT)
           .locator("input[name=cause]")).to_have_value(CAUSE)
    csrf = phone.locator("input[name=csrf_token]").first.get_attribute("value")

    # 3. A citizen, on another phone and without any login, rates the specialist from the
    # address the desk card's QR code carries (read on the head's desks page).
    manager.goto(f"/ledger/desks/{w.office_id}")
    address = manager.locator(f"#desk-{w.staff_id} code").inner_text()
    assert address.endswith(
        f"/danh-gia/{ratings.desk_of(db.session.get(Person, w.staff_id)).token}")
    db.session.commit()
    citizen = fresh_context(phone=True).new_page()
    citizen_errors = watch_errors(citizen)
    citizen.goto(address)
    expect(citizen.locator("#official")).to_have_text(w.staff_name)
    expect(citizen.locator("#privacy")).to_be_visible()
    citizen.locator('label[for="rating-5"]').click()
    citizen.locator("#comment").fill(COMMENT)
    citizen.locator("#rating-form [type=submit]").click()
    expect(citizen).to_have_url(re.compile(r"/danh-gia/[^/]+/cam-on$"))
    expect(citizen.locator("#rating-thanks")).to_be_visible()
    citizen.goto(address)
    citizen.locator('label[for="rating-4"]').click()
    citizen.locator("#rating-form [type=submit]").click()
    expect(citizen.locator("#rating-refused")).to_have_text(
        translate(str(ratings.AlreadyRated.default_message)))
    values = [*w.earlier_ratings, 5]
    mean = (Decimal(sum(values)) / len(values)).quantize(Decimal("0.01"), ROUND_HALF_UP)

    # The specialist sees no confirm button on their own period, and is refused a confirm.
    phone.goto(url)
    expect(phone.locator("#items tbody tr")).to_have_count(2)
    expect(phone.locator("#confirm")).to_have_count(0)
    expect(phone.locator("#assign")).to_have_count(0)
    refused = phone.request.post(url + "/confirm", form={"csrf_token": csrf})
    assert refused.status == 403

    # 4. The head judges: the delay's cause accepted, one major error on the letters; scores
    # the general criteria (each period, as the Quy chế says) and confirms the month.
    ledger_rules = rules.LedgerRules.from_regulation(w.content)
    assert ledger_rules.general_per == "period"
    manager.goto(url)
    for product, errors, delays, delays_accepted in ((REPORT, "0", "1", "1"),
                                                     (LETTER, "1", "0", "0")):
        row = manager.locator("#items tbody tr", has_text=product)
        row.locator("input[name=errors]").fill(errors)
        row.locator("input[name=errors_accepted]").fill("0")
        row.locator("input[name=delays]").fill(delays)
        row.locator("input[name=delays_accepted]").fill(delays_accepted)
        row.locator("button[type=submit]").click()
        expect(manager.locator("#main .alert-success")).to_contain_text(
            translate("The verdict is saved."))
    manager.locator("#general").fill(GENERAL)
    manager.locator("#score [type=submit]").click()
    expect(manager.locator("#main .alert-success")).to_contain_text(
        translate("The points are saved."))

    items = [rules.WorkItem(assigned=2, delivered=2, factor=2, delays=1, delays_accepted=1,
                            due=due_report, delivered_on=on_report),
             rules.WorkItem(assigned=10, delivered=8, factor=Decimal("0.5"), errors=1,
                            due=due_letter, delivered_on=on_letter)]
    r = rules.ratios(items, ledger_rules)
    task = rules.task_score(r)
    score = rules.period_score(task, GENERAL, ledger_rules)
    totals = manager.locator("#totals")
    for ratio in (r.a, r.b, r.c):
        expect(totals).to_contain_text(f"{rules.percent(ratio)} %")
    expect(manager.locator("#task-score")).to_have_text(str(task))
    expect(manager.locator("#period-score")).to_have_text(str(score))
    expect(manager.locator("#ratings-period-count")).to_have_text(str(len(values)))
    expect(manager.locator("#ratings-period-mean")).to_have_text(str(mean))
    # The citizen's comment waits for moderation: not shown, counted for the moderator.
    expect(manager.locator("#service-ratings")).not_to_contain_text(COMMENT)
    expect(manager.locator("#service-ratings")).to_contain_text(
        translate("Comments waiting for moderation: %(count)s", count=1))

    manager.locator("#confirm [type=submit]").click()
    expect(manager.locator("#main .alert-success")).to_contain_text(
        translate("The period is confirmed and locked."))
    expect(manager.locator("#period-status")).to_have_text(
        translate(str(PeriodStatus.CONFIRMED.label)))
    for gone in ("#confirm", "#assign", "#score", "#items form"):
        expect(manager.locator(gone)).to_have_count(0)
    expect(manager.locator("#reopen")).to_be_visible()
    expect(manager.locator("#period-score")).to_have_text(str(score))

    # 5. Year end: the personnel office's round for the department (the ledger feeding it);
    # the office's form page shows the periods' year score and the public ratings.
    # The round tracks the periods as the department's Quy chế does (by month, like its
    # ledger), not as its preset (by quarter).
    round_ = builder.round_for(w.dept, year=w.year)
    rated = db.session.scalar(select(RatedPerson).where(
        RatedPerson.round_id == round_.id, RatedPerson.person_id == w.staff_id))
    round_id, rated_id = round_.id, rated.id
    db.session.commit()
    year = eval_rules.year_from_periods(
        [s for _k, s in sorted([(w.other, w.other_score), (w.key, score)])],
        ledger_rules.year_from)

    office = _log_in(fresh_context(), "tochuc")
    office_errors = watch_errors(office)
    office.goto(f"/evaluations/{round_id}/people/{rated_id}/office")
    evidence = office.locator("#evidence")
    for key, count, value in ((w.key, len(values), mean), ("year", len(values), mean)):
        expect(evidence.locator(f'tr[data-period="{key}"] td')).to_have_text(
            [translate("Public service-quality ratings"), _period_label(app, key),
             _vn(app, value), str(count)])
    office.locator("#periods-link").click()
    expect(office.locator("#year-score")).to_have_text(translate(
        "Score of the year from the periods: %(score)s", score=_vn(app, year)))
    expect(office.locator(f"#period-{w.key}")).to_have_value(str(score))
    expect(office.locator(f"#period-{w.other}")).to_have_value(str(w.other_score))

    # 6. The specialist's history shows the confirmed month.
    phone.goto("/ledger/mine")
    phone.locator("#history-link").click()
    row = phone.locator(f"#p-{w.year}-{w.key}")
    expect(row.locator(".task")).to_have_text(str(task))
    expect(row.locator(".score")).to_have_text(str(score))

    assert manager_errors == phone_errors == office_errors == []
    assert citizen_errors == [f"HTTP 409: POST {address}"]
