"""A whole evaluation round in Chromium, as issue 11 tells it: the admin opens a round for a
department through the pages; a specialist self-assesses on a 360 px phone; the secretary
records the office's collective meeting with its encrypted opinion ballot (two members vote in
their own browsers, the counting team unlocks and counts); the office's head scores the
specialist beside the sent self-assessment; the admin proposes levels, is refused with both
"too many HTXS" and "a head above their unit", fixes them, finalises and releases; the
specialist downloads their notice (read back with pdftotext) and petitions; the admin's new
decision supersedes the old one, which is kept.

The world (units, people, accounts) is built through the services; everything else is done
through the pages, each actor in their own browser context. The other people's and the units'
forms are sent through the services (with their own accounts as actors) to save time."""

from __future__ import annotations

import re
import subprocess
from datetime import date
from decimal import ROUND_DOWN, Decimal
from urllib.parse import parse_qs

from flask_babel import force_locale
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import select

from evalapp.auth.models import Role
from evalapp.evaluations import assessments, decisions, services
from evalapp.evaluations import builder as eval_builder
from evalapp.evaluations.models import (
    Decision,
    EvaluationRound,
    FormStep,
    Meeting,
    RatedPerson,
)
from evalapp.tally.scales import Level
from tests.browser.axe import assert_accessible
from tests.conftest import PASSWORD

TITLE = "Đánh giá, xếp loại chất lượng năm 2026"
PRESET = "decree-335-2025"
PASSPHRASES = [("Tổ viên Lê Văn Kiểm", "mật khẩu tổ kiểm phiếu một"),
               ("Tổ viên Đỗ Thị Phiếu", "mật khẩu tổ kiểm phiếu hai")]
FIRST_NUMBER, NEW_NUMBER = "15/QĐ-SNV", "21/QĐ-SNV"


def _share(value: Decimal, share: str) -> Decimal:
    return (value * Decimal(share)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def _world(db, factory):
    """The Sở with one office: its head, six specialists and one support staff member (the
    office is large enough for one HTXS, in the unit and in the specialists' group)."""
    dept = eval_builder.department("Sở Nội vụ Thử nghiệm", subunits=1, staff_per_unit=7)
    db.session.commit()
    office = dept.subunits[0]
    head, staff, colleague = dept.people[office.id][:3]
    users = {
        "admin": factory.user("sonvadmin", roles=(Role.ADMIN,), unit=dept.unit),
        "secretary": factory.user("sonvthuky", roles=(Role.SECRETARY,), unit=dept.unit),
        "staff": factory.user("chuyenvien", roles=(Role.EVALUEE,), person=staff),
        "colleague": factory.user("dongnghiep", roles=(Role.EVALUEE,), person=colleague),
        "head": factory.user("truongphong", roles=(Role.EVALUEE,), person=head),
    }
    for n, person in enumerate([dept.heads[dept.unit.id], *dept.people[office.id][3:]]):
        users[f"other{n}"] = factory.user(f"nguoikhac{n}", roles=(Role.EVALUEE,), person=person)
    ids = {"unit": dept.unit.id, "office": office.id}
    people = {key: (who.id, who.full_name) for key, who in
              {"head": head, "staff": staff, "colleague": colleague}.items()}
    db.session.commit()  # no read transaction left open: the live server writes next
    return ids, people, users


def _log_in(context: BrowserContext, username: str) -> Page:
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the pages' "are you sure?" questions
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#main form [type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login(\?|$)"))
    page.wait_for_load_state()
    return page


def _fill_sheet(page: Page, share: str, level: str) -> Decimal:
    """Types `share` of each criterion's points (two decimals, down), ticks the level; returns
    the total the page must show."""
    total = Decimal(0)
    inputs = page.locator("#sheet .sheet-points")
    for k in range(inputs.count()):
        box = inputs.nth(k)
        value = _share(Decimal(box.get_attribute("data-max")), share)
        total += value
        box.fill(format(value, "f").replace(".", ","))
    page.locator(f'label[for="level-{level}"]').click()
    return total


def _comma(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f").replace(".", ",")


def _send_the_others(db, round_id: int, users, skip: set[int]) -> None:
    """Every other self-assessment and both units' self-assessments, sent through the
    services by their own fillers (80 % of each criterion, HTT proposed)."""
    round_ = db.session.get(EvaluationRound, round_id)
    by_person = {u.person_id: u for u in users.values() if u.person_id}
    for rated in services.rated_people(round_):
        if rated.id in skip:
            continue
        items = assessments.items_for(rated)
        entry = assessments.Entry({i.key: format(_share(i.max, "0.8"), "f") for i in items}, {},
                                  Level.GOOD.value, None)
        assessments.fill_form(by_person[rated.person_id], round_, rated, FormStep.SELF, entry,
                              send=True)
    for unit in services.rated_units(round_):
        items = assessments.items_for(unit)
        entry = assessments.Entry(
            {i.key: format(_share(i.max, "0.8"), "f") for i in items}, {}, Level.GOOD.value,
            None, {"tasks": "10", "on_time": "10", "exceeded": "1", "done": "10",
                   "plan_share_done": "1"})
        assessments.fill_form(users["admin"], round_, unit, FormStep.SELF, entry, send=True)
    db.session.commit()


def _vote(context: BrowserContext, username: str, ballot_url: str, marks: list[str]) -> None:
    """A present member votes on their own device: the review happens there, and what is posted
    is the encrypted ballot alone (no level of anyone in the clear)."""
    page = _log_in(context, username)
    page.goto(ballot_url)
    page.wait_for_load_state("load")
    lines = page.locator("fieldset.ballot-line")
    expect(lines).to_have_count(len(marks))
    for k, level in enumerate(marks):
        lines.nth(k).locator(f'label[for$="-{level}"]').click()
    page.locator('#ballot-form button[type="submit"]').click()
    expect(page.locator("#device-review")).to_be_visible()
    with page.expect_request(lambda r: r.url.endswith("/vote/cast")) as sent:
        page.locator("#cast-button").click()
    fields = parse_qs(sent.value.post_data, keep_blank_values=True)
    assert sorted(fields) == ["ballot", "csrf_token"]
    assert not any(level in sent.value.post_data for level in ("htxs", "htnv", "kht"))
    expect(page).to_have_url(re.compile(r"/vote/receipt$"))
    context.close()


def _rule(app, key: str) -> str:
    with app.test_request_context(), force_locale("vi"):
        return str(decisions.RULE_LABELS[key])


def _propose(page: Page, rated_id: int, level: str, note: str = "") -> None:
    row = page.locator(f"tr#p-{rated_id}")
    row.locator("select[name=level]").select_option(level)
    row.locator("input[name=note]").fill(note)
    row.locator("button[type=submit]").click()
    expect(page.locator("#main .alert-success")).to_be_visible()


def test_an_evaluation_round_from_opening_to_a_new_decision_after_a_petition(
        app, db, factory, fresh_context, watch_errors, translate, tmp_path):
    ids, people, users = _world(db, factory)
    office_id = ids["office"]
    today = date.today().strftime("%d/%m/%Y")

    # 1. The admin (desktop) creates the round, takes the Sở's units and people, opens it.
    admin = _log_in(fresh_context(), "sonvadmin")
    admin_errors = watch_errors(admin)
    admin.goto("/evaluations/new")
    admin.locator("#title").fill(TITLE)
    admin.locator("#unit_id").select_option(str(ids["unit"]))
    admin.locator("#year").fill("2026")
    admin.locator("#preset").select_option(PRESET)
    admin.locator("#main form [type=submit]").click()
    expect(admin).to_have_url(re.compile(r"/evaluations/\d+/people$"))
    round_id = int(re.search(r"/evaluations/(\d+)/people", admin.url).group(1))
    admin.locator("#unit_id").select_option(str(ids["unit"]))
    admin.locator(f'form[action="/evaluations/{round_id}/people"] [type=submit]').click()
    expect(admin.locator("#taken-result")).to_contain_text(
        translate("%(added)s added, %(already)s already in the round.", added=9, already=0))
    expect(admin.locator("#main")).to_contain_text(
        translate("%(n)s units added to the round.", n=2))
    admin.goto(f"/evaluations/{round_id}")
    admin.locator(f'form[action="/evaluations/{round_id}/open"] button').click()
    expect(admin.locator("#round-status")).to_have_text(translate("In progress"))

    db.session.expire_all()
    round_ = db.session.get(EvaluationRound, round_id)
    rated = {r.person_id: r for r in services.rated_people(round_)}
    staff_row, head_row = rated[people["staff"][0]], rated[people["head"][0]]
    assert head_row.is_head and staff_row.manager_person_id == people["head"][0]
    staff_id, head_id = staff_row.id, head_row.id
    db.session.commit()

    # 2. The specialist self-assesses on a phone: the running total follows the typing.
    staff_context = fresh_context(phone=True)
    phone = _log_in(staff_context, "chuyenvien")
    phone_errors = watch_errors(phone)
    phone.goto(f"/evaluations/{round_id}")
    phone.locator(f'a[href="/evaluations/{round_id}/forms/self"]').click()
    expect(phone.locator("#running-total")).to_have_text("0,00")
    self_total = _fill_sheet(phone, "0.8", "htt")
    expect(phone.locator("#running-total")).to_have_text(_comma(self_total))
    assert_accessible(phone, "the self-assessment on a phone")
    phone.locator("#comment").fill("Hoàn thành đầy đủ các nhiệm vụ được giao.")
    phone.locator("#confirm").check()
    phone.locator('#sheet button[value="send"]').click()
    expect(phone.locator("#form-locked")).to_be_visible()
    expect(phone.locator('#sheet button[value="send"]')).to_have_count(0)
    expect(phone.locator("#sheet .sheet-points").first).to_be_disabled()
    _send_the_others(db, round_id, users, skip={staff_id})

    # 3. The secretary records the office's meeting with its opinion ballot.
    secretary = _log_in(fresh_context(), "sonvthuky")
    secretary_errors = watch_errors(secretary)
    secretary.goto(f"/evaluations/{round_id}")
    secretary.locator("#round-meetings").click()
    secretary.locator(f'#meetings form:has(input[name=unit_id][value="{office_id}"]) '
                      "button").click()
    expect(secretary).to_have_url(re.compile(rf"/evaluations/{round_id}/meetings/\d+$"))
    meeting_url = secretary.url.removeprefix(secretary.url.split("/evaluations/")[0])
    office_people = secretary.locator("#attendance input[name=present]")
    expect(office_people).to_have_count(8)
    for k in range(8):
        office_people.nth(k).check()
    secretary.locator("#attendance [type=submit]").click()
    expect(secretary.locator("#attendance-count")).to_contain_text("8")
    secretary.locator(f"#comment-{staff_id}").fill("Tinh thần trách nhiệm cao.")
    secretary.locator("#comments [type=submit]").click()
    expect(secretary.locator(f"#comment-{staff_id}")).to_have_value(
        "Tinh thần trách nhiệm cao.")
    for holder, passphrase in PASSPHRASES:
        secretary.goto(f"{meeting_url}/keys")
        secretary.locator("#holder").fill(holder)
        secretary.locator("#passphrase").fill(passphrase)
        secretary.locator("#confirmation").fill(passphrase)
        secretary.locator(f'form[action="{meeting_url}/keys"] [type=submit]').click()
        expect(secretary.locator("#key-holders")).to_contain_text(holder)
    secretary.goto(meeting_url)
    secretary.locator(f'form[action="{meeting_url}/open-ballot"] button').click()
    expect(secretary.locator("#voted-count")).to_be_visible()

    order = [p.id for p in db.session.scalars(select(RatedPerson).where(
        RatedPerson.round_id == round_id, RatedPerson.unit_id == ids["office"]))]
    db.session.commit()
    ballot_of_staff = ["htxs" if rid == staff_id else "htt" for rid in order]
    _vote(fresh_context(phone=True), "chuyenvien", f"{meeting_url}/vote", ["htt"] * 8)
    _vote(fresh_context(phone=True), "dongnghiep", f"{meeting_url}/vote", ballot_of_staff)

    secretary.goto(meeting_url)
    expect(secretary.locator("#voted-count")).to_contain_text("2")
    expect(secretary.locator("#opinions")).to_have_count(0)
    secretary.locator(f'form[action="{meeting_url}/close-ballot"] button').click()
    expect(secretary.locator("#opinions")).to_have_count(0)  # closed, not counted
    for number, (_holder, passphrase) in enumerate(PASSPHRASES, start=1):
        secretary.goto(f"{meeting_url}/keys")
        secretary.locator("#number").select_option(str(number))
        secretary.locator("#passphrase").fill(passphrase)
        secretary.locator(f'form[action="{meeting_url}/keys/unlock"] [type=submit]').click()
        expect(secretary.locator("#main .alert-success")).to_be_visible()
    secretary.goto(meeting_url)
    expect(secretary.locator("#opinions")).to_have_count(0)
    secretary.locator(f'form[action="{meeting_url}/count-ballot"] button').click()
    staff_counts = secretary.locator("#opinions tbody tr").nth(order.index(staff_id))
    expect(staff_counts.locator("td")).to_have_text(
        [people["staff"][1], "1", "1", "0", "0"])
    meeting = db.session.scalar(select(Meeting).where(Meeting.round_id == round_id))
    db.session.refresh(meeting)
    assert meeting.content["opinions"][str(staff_id)] == {
        "htxs": 1, "htt": 1, "htnv": 0, "kht": 0}
    db.session.commit()

    # 4. The head of the office scores the specialist beside the sent self-assessment.
    manager = _log_in(fresh_context(), "truongphong")
    manager_errors = watch_errors(manager)
    manager.goto(f"/evaluations/{round_id}/people/{staff_id}/manager")
    expect(manager.locator("#self-assessment tfoot")).to_contain_text(_comma(self_total))
    manager_total = _fill_sheet(manager, "0.85", "htt")
    expect(manager.locator("#running-total")).to_have_text(_comma(manager_total))
    manager.locator("#confirm").check()
    manager.locator('#sheet button[value="send"]').click()
    expect(manager.locator("#form-locked")).to_be_visible()

    # 5. The admin proposes: too many HTXS in the office and its head above it; refused.
    admin.goto(f"/evaluations/{round_id}")
    admin.locator(f'a[href="/evaluations/{round_id}/decision"]').click()
    for k in range(2):  # each unit, then its people, as computed
        admin.locator(f'form[action="/evaluations/{round_id}/decision/propose-all"] '
                      "button").nth(k).click()
        expect(admin.locator("#main .alert-success")).to_be_visible()
    _propose(admin, staff_id, "htxs", "Có sáng kiến được công nhận.")
    _propose(admin, head_id, "htxs", "Đơn vị hoàn thành vượt kế hoạch.")
    assert_accessible(admin, "the decision screen")
    breaches = admin.locator("#breaches-title + .alert")
    expect(breaches).to_contain_text(_rule(app, "unit_quota"))
    expect(breaches).to_contain_text(_rule(app, "head_above_unit"))
    admin.locator("#number").fill(FIRST_NUMBER)
    admin.locator("#decided_on").fill(today)
    admin.locator(f'form[action="/evaluations/{round_id}/decision/finalise"] '
                  "[type=submit]").click()
    refusal = admin.locator("#main .alert-danger")
    expect(refusal).to_contain_text(_rule(app, "unit_quota"))
    expect(refusal).to_contain_text(_rule(app, "head_above_unit"))
    expect(refusal).to_contain_text(people["staff"][1])
    expect(refusal).to_contain_text(people["head"][1])
    db.session.expire_all()
    assert db.session.scalar(select(Decision.id).where(Decision.round_id == round_id)) is None
    db.session.commit()

    _propose(admin, staff_id, "htt")
    _propose(admin, head_id, "htt")
    expect(admin.locator("#breaches-title + p")).to_have_text(translate("Every rule is met."))
    admin.locator("#number").fill(FIRST_NUMBER)
    admin.locator("#decided_on").fill(today)
    admin.locator(f'form[action="/evaluations/{round_id}/decision/finalise"] '
                  "[type=submit]").click()
    expect(admin.locator("#main .alert-success").first).to_contain_text(
        translate("The round is finalised: %(n)s decisions recorded.", n=11))
    admin.locator(f'form[action="/evaluations/{round_id}/decision/release"] button').click()
    expect(admin.locator("#main")).to_contain_text(
        translate("The results are released: each person sees their own."))

    # 6. The specialist sees their own result; once the admin issues the notice, downloads
    # it; petitions.
    phone.goto(f"/evaluations/{round_id}")
    phone.locator("#own-result").click()
    expect(phone.locator("#no-notice")).to_be_visible()
    expect(phone.locator("#my-notice")).to_have_count(0)
    with admin.expect_download():  # the notice is issued (and downloaded by the admin)
        admin.locator(f'tr#p-{staff_id} .notice-form button').click()
    phone.reload()
    good, excellent = translate(Level.GOOD.label), translate(Level.EXCELLENT.label)
    expect(phone.locator("#my-level")).to_have_text(good)
    main = phone.locator("#main")
    expect(main).to_contain_text(FIRST_NUMBER)
    for _other_id, other_name in (people["head"], people["colleague"]):
        expect(main).not_to_contain_text(other_name)
    for page_of_others in ("decision", "petitions", f"people/{head_id}/manager"):
        assert phone.request.get(f"/evaluations/{round_id}/{page_of_others}").status == 403
    with phone.expect_download() as download:
        phone.locator("#my-notice").click()
    pdf = tmp_path / "notice.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = " ".join(text.split())
    assert people["staff"][1] in flat
    assert good.upper() in flat.upper()
    phone.locator("#text").fill("Đề nghị xem xét lại: tôi có sáng kiến được công nhận.")
    phone.locator(f'form[action="/evaluations/{round_id}/my-result/petition"] '
                  "[type=submit]").click()
    expect(phone.locator("#main .alert-success")).to_be_visible()

    admin.goto(f"/evaluations/{round_id}/petitions")
    petition = admin.locator("article[id^=petition-]")
    expect(petition).to_have_count(1)
    expect(petition).to_contain_text(people["staff"][1])
    petition.locator("select[name=level]").select_option("htxs")
    petition.locator("textarea[name=reason]").last.fill("Sáng kiến đã được Hội đồng công nhận.")
    petition.locator("input[name=number]").fill(NEW_NUMBER)
    petition.locator("input[name=decided_on]").fill(today)
    petition.locator('form[action$="/accept"] [type=submit]').click()
    expect(admin.locator("#main .alert-success")).to_be_visible()

    phone.goto(f"/evaluations/{round_id}/my-result")
    expect(phone.locator("#my-level")).to_have_text(excellent)
    expect(phone.locator("#main")).to_contain_text(NEW_NUMBER)
    expect(phone.locator("#main ul").first).to_contain_text(f"{FIRST_NUMBER}")
    expect(phone.locator("#main ul").first).to_contain_text(good)
    db.session.expire_all()
    kept = db.session.scalars(select(Decision).where(
        Decision.rated_person_id == staff_id).order_by(Decision.id)).all()
    assert [(d.number, d.level) for d in kept] == [(FIRST_NUMBER, Level.GOOD),
                                                  (NEW_NUMBER, Level.EXCELLENT)]
    assert admin_errors == phone_errors == secretary_errors == manager_errors == []
