"""The documents of an evaluation round through the document engine: each kind rendered and
read back with pdftotext (names, scores, levels, the quota lines), the decision signed and
checked by poppler's pdfsig, the bulk forms (one WeasyPrint layout for N people, a ZIP of one
PDF each), and who may read what (a person only their own notice, only once released).

The data is made directly with the models (forms SENT, Decision rows, levels): the form and
decision pages are other parts of the round."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from evalapp.audit.models import AuditEntry
from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.core.errors import InvalidState, NotAllowed, NotFound
from evalapp.documents import prepared, signing
from evalapp.documents import services as engine
from evalapp.documents.models import PreparedFile
from evalapp.evaluations import builder, services
from evalapp.evaluations import documents as docs
from evalapp.evaluations.documents import EvaluationDocumentKind as Kind
from evalapp.evaluations.models import (
    Decision,
    EvaluationForm,
    FormStatus,
    FormStep,
    Meeting,
    MeetingComment,
    RoundStatus,
    hundredths,
)
from evalapp.org.models import StaffKind
from evalapp.tally import evaluation as rules
from evalapp.tally.scales import Level
from tests.documents.pdftext import flat, pdf_text
from tests.documents.signing_fixtures import pdfsig

SENT_AT = datetime(2026, 11, 15, 3, 0, tzinfo=UTC)
# Sub-unit levels: the head HTT, one specialist HTXS, the others HTT, the last HTNV.
SUB_LEVELS = [Level.GOOD, Level.EXCELLENT, Level.GOOD, Level.GOOD, Level.GOOD, Level.COMPLETED]
SUB_SCORES = ["88.00", "95.50", "85.00", "80.25", "78.00", "65.00"]


def _self_form(round_, rated, total: str, level: Level, regulation: dict):
    items = regulation["general"] + regulation["task_leader" if rated.is_leader
                                                else "task_staff"]
    # Every item at its maximum, less what makes the total: the first task item takes it.
    points = {str(i["code"]): str(i["points"]) for i in items}
    full = sum(rules._points(i["points"]) for i in items)
    first_task = str((regulation["task_leader" if rated.is_leader else "task_staff"])[0]["code"])
    points[first_task] = str(rules._points(points[first_task]) - (full - rules._points(total)))
    form = EvaluationForm(round_id=round_.id, step=FormStep.SELF, rated_person_id=rated.id,
                          content={"points": points, "comments": {"1a": "Luôn chấp hành."},
                                   "facts": {}},
                          total=hundredths(rules._points(total)), proposed_level=level,
                          comment=f"Tự nhận xét của {rated.full_name}",
                          status=FormStatus.SENT, sent_at=SENT_AT)
    return form


@pytest.fixture
def rated_round(db, factory):
    """A department of viên chức (NĐ 233): its director heads it; one office of six, with
    their self-assessments sent, a meeting with an opinion ballot counted, decisions and
    levels; the round finalised (not released)."""
    dept = builder.department("Sở Nội vụ", subunits=1, staff_per_unit=5,
                              kind=StaffKind.PUBLIC_EMPLOYEE)
    round_ = builder.round_for(dept, preset="decree-233-2026", title="Đánh giá viên chức 2026")
    round_.body_name = "Sở Nội vụ"
    round_.authority_name = "Giám đốc Sở Nội vụ"
    db.session.commit()
    director = dept.heads[dept.unit.id]
    sub = dept.subunits[0]
    people = {p.person_id: p for p in services.rated_people(round_)}
    admin = factory.user("admin-dg", roles=(Role.ADMIN,), unit=dept.unit)
    head_user = factory.user("giamdoc", roles=(Role.EVALUEE,), person=director,
                             full_name=director.full_name)
    staff = dept.people[sub.id]
    own_user = factory.user("vienchuc1", roles=(Role.EVALUEE,), person=staff[1],
                            full_name=staff[1].full_name)
    other_user = factory.user("vienchuc2", roles=(Role.EVALUEE,), person=staff[2],
                              full_name=staff[2].full_name)
    secretary = factory.user("thuky-dg", roles=(Role.SECRETARY,), unit=dept.unit,
                             full_name="Lê Thị Thư Ký")
    regulation = services.latest_regulation(dept.unit).content
    for person, level, score in zip(staff, SUB_LEVELS, SUB_SCORES, strict=True):
        rated = people[person.id]
        db.session.add(_self_form(round_, rated, score, level, regulation))
        rated.score = hundredths(rules._points(score))
        rated.proposed_level = rated.level = level
    top = people[director.id]
    db.session.add(_self_form(round_, top, "92.00", Level.EXCELLENT, regulation))
    top.score, top.proposed_level, top.level = 9200, Level.GOOD, Level.GOOD
    units = {u.unit_id: u for u in services.rated_units(round_)}
    units[dept.unit.id].level = Level.GOOD
    units[sub.id].level = Level.COMPLETED   # its head (HTT) is then above it
    db.session.flush()
    for rated in people.values():
        db.session.add(Decision(round_id=round_.id, rated_person_id=rated.id, level=rated.level,
                                score=rated.score, number="15/QĐ-SNV",
                                decided_on=date(2026, 12, 20)))
    meeting = Meeting(round_id=round_.id, unit_id=sub.id, held_on=date(2026, 11, 25),
                      place="Phòng họp tầng 2", chair_name=director.full_name,
                      secretary_name=secretary.full_name, members_total=6, members_present=6,
                      opinion_ballot=True,
                      content={"present": [p.id for p in staff],
                               "chair_user_id": head_user.id,
                               "secretary_user_id": secretary.id,
                               "opinions": {str(people[staff[1].id].id):
                                            {"htxs": 4, "htt": 2, "htnv": 0, "kht": 0}}})
    db.session.add(meeting)
    db.session.flush()
    db.session.add(MeetingComment(meeting_id=meeting.id, rated_person_id=people[staff[1].id].id,
                                  text="Chủ động, sáng tạo, vượt tiến độ."))
    round_.status = RoundStatus.FINALISED
    round_.finalised_at = datetime(2026, 12, 20, 2, 0, tzinfo=UTC)
    round_.decision_number = "15/QĐ-SNV"
    round_.decision_date = date(2026, 12, 20)
    db.session.commit()
    return {"round": round_, "dept": dept, "people": people, "staff": staff,
            "admin": admin, "head": head_user, "own": own_user, "other": other_user,
            "secretary": secretary, "meeting": meeting, "sub": sub, "director": director}


def text_of(document) -> str:
    return flat(pdf_text(document.pdf))


def test_the_form_of_a_public_employee_is_annex_ii_with_each_item_and_the_levels(
        db, rated_round):
    round_, staff, people = rated_round["round"], rated_round["staff"], rated_round["people"]
    rated = people[staff[1].id]
    document = docs.issue_document(rated_round["admin"], round_, Kind.FORM, rated)
    db.session.commit()
    words = text_of(document)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in words
    assert "PHIẾU XẾP LOẠI CHẤT LƯỢNG VIÊN CHỨC" in words and "Năm 2026" in words
    assert "Nghị định số 233/2026/NĐ-CP" in words
    assert staff[1].full_name in words and rated.unit_name in words
    # I: each item (a criterion of Phụ lục I) and the totals: 30 + 65,50 = 95,50.
    assert "Chấp hành đường lối, chủ trương của Đảng" in words
    assert "30,00" in words and "95,50" in words and "Luôn chấp hành." in words
    # II: four boxes, the chosen one ticked; III: the level decided.
    assert "☒ Hoàn thành xuất sắc nhiệm vụ (HTXS)" in words
    assert words.count("☐") == 3
    assert "III." in words and words.count("Hoàn thành xuất sắc nhiệm vụ (HTXS)") == 2
    assert f"Tự nhận xét của {staff[1].full_name}" in words
    # Signed by the person and by the competent authority, the head of the unit.
    assert [(s.field_name, s.signer_id) for s in document.slots] == [
        ("sig-1", rated_round["own"].id), ("sig-2", rated_round["head"].id)]


def test_a_civil_servant_and_the_historical_preset_get_their_own_forms(db, factory):
    dept = builder.department("Sở Tư pháp", subunits=1, staff_per_unit=1,
                              kind=StaffKind.CIVIL_SERVANT, surname="Trần")
    round_ = builder.round_for(dept, preset="decree-335-2025")
    admin = factory.user("admin-tp", roles=(Role.ADMIN,), unit=dept.unit)
    rated = services.rated_people(round_)[-1]
    words = text_of(docs.issue_document(admin, round_, Kind.FORM, rated))
    assert "PHIẾU XẾP LOẠI CHẤT LƯỢNG CÔNG CHỨC" in words
    assert "335/2025/NĐ-CP" in words and rated.full_name in words

    old = builder.department("Sở Xây dựng", subunits=1, staff_per_unit=1,
                             kind=StaffKind.PUBLIC_EMPLOYEE, surname="Phạm")
    round_90 = builder.round_for(old, year=2024, preset="decree-90-2020")
    admin_90 = factory.user("admin-xd", roles=(Role.ADMIN,), unit=old.unit)
    rated_90 = services.rated_people(round_90)[-1]
    words = text_of(docs.issue_document(admin_90, round_90, Kind.FORM, rated_90))
    assert "Mẫu số 03" in words and "90/2020/NĐ-CP" in words
    assert "Chính trị tư tưởng" in words and rated_90.full_name in words


def test_the_minutes_give_attendance_proposals_comments_and_the_ballot_counts(
        db, rated_round):
    round_, meeting = rated_round["round"], rated_round["meeting"]
    document = docs.issue_document(rated_round["admin"], round_, Kind.MINUTES, meeting)
    db.session.commit()
    words = text_of(document)
    assert "BIÊN BẢN" in words and document.number.label == "01/BB-SNV"
    assert "ngày 25 tháng 11 năm 2026" in words and "Phòng họp tầng 2" in words
    assert "Số người có mặt: 6 / 6." in words
    assert "Chủ động, sáng tạo, vượt tiến độ." in flat(pdf_text(document.pdf, layout=False))
    for person in rated_round["staff"]:
        assert person.full_name in words
    # The opinion ballot's counts for the person it was counted on: 4 HTXS, 2 HTT.
    assert "95,50 HTXS" in words and "HTXS HTT HTNV KHT" in words
    assert "4 2 0 0" in words and words.count("4 2 0 0") == 1
    assert [(s.field_name, s.signer_id, s.role_label) for s in document.slots] == [
        ("sig-1", rated_round["secretary"].id, "Thư ký"),
        ("sig-2", rated_round["head"].id, "Chủ trì hội nghị")]


def test_the_summary_table_counts_levels_and_prints_every_quota_line(db, rated_round):
    round_ = rated_round["round"]
    words = text_of(docs.issue_document(rated_round["admin"], round_, Kind.SUMMARY))
    sub_name = rated_round["sub"].name
    # The office: 1 HTXS for 4 HTT → 20 % of 4 = 0 (floor): over the quota.
    assert f"{sub_name} — HTXS: 1 / HTT: 4 → tối đa 0 (20 %): VƯỢT ĐỊNH MỨC" in words
    # Its groups: the specialists (1 HTXS, 2 HTT → 0), the leaders (head: HTT), support.
    assert "Chuyên môn, nghiệp vụ — HTXS: 1 / HTT: 3 → tối đa 0 (20 %): VƯỢT ĐỊNH MỨC" in words
    assert "Lãnh đạo, quản lý — HTXS: 0 / HTT: 1 → tối đa 0 (20 %): trong định mức" in words
    assert "HTXS: 1; HTT: 4; HTNV: 1; KHT: 0." in words
    assert "95,50" in words and "65,00" in words
    # Head ≤ unit: the office's head (HTT) above the office (HTNV); the director (HTT) is not
    # above the department (HTT).
    head = rated_round["staff"][0]
    assert (f"Trưởng ≤ đơn vị: {head.full_name} (HTT) ≤ {sub_name} (HTNV): "
            "cao hơn đơn vị, không được phép") in words
    assert f"{rated_round['director'].full_name} (HTT) ≤ Sở Nội vụ (HTT): bảo đảm" in words


def test_the_decision_lists_people_per_level_with_its_number_and_date_and_is_signed(
        app, db, rated_round, tmp_path):
    round_ = rated_round["round"]
    document = docs.issue_document(rated_round["admin"], round_, Kind.DECISION)
    db.session.commit()
    words = text_of(document)
    assert "QUYẾT ĐỊNH" in words and "Số: 15/QĐ-SNV" in words
    assert "ngày 20 tháng 12 năm 2026" in words
    assert "Hoàn thành xuất sắc nhiệm vụ (HTXS): 1" in words
    assert "Hoàn thành tốt nhiệm vụ (HTT): 5" in words
    assert "Hoàn thành nhiệm vụ (HTNV): 1" in words
    assert rated_round["staff"][1].full_name in words and "95,50" in words
    [slot] = document.slots
    assert slot.signer_id == rated_round["head"].id

    signing.create_demo_pki(SYSTEM)
    db.session.commit()
    signing.sign_document(rated_round["head"], engine.get_document(document.id))
    db.session.commit()
    db.session.refresh(document)
    verdicts = pdfsig(document.pdf, tmp_path, None)
    assert [v["field"] for v in verdicts] == ["sig-1"]
    assert verdicts[0]["signed"] and verdicts[0]["signature"] == "Signature is Valid."
    assert signing.verify_pdf(document.pdf).ok


def test_the_notice_tells_one_person_their_score_level_and_decision(db, rated_round):
    round_, rated = rated_round["round"], rated_round["people"][rated_round["staff"][1].id]
    document = docs.issue_document(rated_round["admin"], round_, Kind.NOTICE, rated)
    db.session.commit()
    words = text_of(document)
    assert "THÔNG BÁO" in words and document.number.label == "01/TB-SNV"
    assert rated.full_name in words and "95,50" in words
    assert "Hoàn thành xuất sắc nhiệm vụ" in words and "15/QĐ-SNV" in words
    other = rated_round["people"][rated_round["staff"][2].id]
    assert other.full_name not in words


def test_decision_and_notices_wait_for_the_finalised_round(db, rated_round):
    round_ = rated_round["round"]
    round_.status = RoundStatus.OPEN
    db.session.flush()
    with pytest.raises(InvalidState):
        docs.issue_document(rated_round["admin"], round_, Kind.DECISION)
    with pytest.raises(InvalidState):
        docs.issue_document(rated_round["admin"], round_, Kind.NOTICE,
                            rated_round["people"][rated_round["staff"][1].id])


def _spy_layouts(monkeypatch) -> list:
    """Counts WeasyPrint layouts (HTML.render), calling the real one."""
    import weasyprint

    calls = []
    real = weasyprint.HTML.render

    def counted(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "render", counted)
    return calls


def test_a_rounds_forms_are_one_layout_one_pdf_and_a_zip_of_one_pdf_each(
        db, rated_round, monkeypatch):
    round_ = rated_round["round"]
    people = services.rated_people(round_, included=True)
    layouts = _spy_layouts(monkeypatch)
    whole_pdf = docs.render_forms(rated_round["admin"], round_, per_person=False)
    assert len(layouts) == 1 and (whole_pdf.layouts, whole_pdf.laid_out) == (1, 7)
    whole = flat(pdf_text(whole_pdf.pdf))
    assert whole.count("PHIẾU XẾP LOẠI CHẤT LƯỢNG VIÊN CHỨC") == 7
    for person in people:
        assert person.full_name in whole
    # Each form was kept once laid out: the zip of one PDF each lays out nothing again.
    bulk = docs.render_forms(rated_round["admin"], round_)
    assert len(layouts) == 1 and (bulk.layouts, bulk.laid_out) == (0, 0)
    assert len(bulk.people) == len(people) == 7
    _check_zip(docs.forms_zip(bulk), people)
    # One unit only: kept too.
    only = docs.render_forms(rated_round["admin"], round_, rated_round["sub"], per_person=False)
    assert flat(pdf_text(only.pdf)).count("PHIẾU XẾP LOẠI") == 6 and only.laid_out == 0
    # One person's form changes: only theirs is laid out again, and it shows the change.
    changed = people[3]
    form = db.session.execute(select(EvaluationForm).where(
        EvaluationForm.rated_person_id == changed.id,
        EvaluationForm.step == FormStep.SELF)).scalar_one()
    form.comment = "Đã bổ sung minh chứng kết quả quý IV."
    db.session.commit()
    again = docs.render_forms(rated_round["admin"], round_)
    assert len(layouts) == 2 and (again.layouts, again.laid_out) == (1, 1)
    fresh = dict((p.id, pdf) for p, pdf in again.people)
    assert "Đã bổ sung minh chứng" in flat(pdf_text(fresh[changed.id]))
    assert [fresh[p.id] for p in people if p.id != changed.id] == \
        [pdf for p, pdf in bulk.people if p.id != changed.id]


def _check_zip(content: bytes, people) -> None:
    archive = zipfile.ZipFile(io.BytesIO(content))
    names = archive.namelist()
    assert len(names) == len(people) and len(set(names)) == len(people)
    for person, name in zip(people, names, strict=True):
        assert name == docs.form_file_name(person)
        one = flat(pdf_text(archive.read(name)))
        assert person.full_name in one and one.count("PHIẾU XẾP LOẠI") == 1
        assert all(p.full_name not in one for p in people
                   if p.full_name != person.full_name and p.full_name not in person.full_name)


def test_many_forms_are_laid_out_in_chunks_on_every_core(db, rated_round, monkeypatch):
    """Chunks of CHUNK forms, laid out by a pool of worker processes; each person still gets
    exactly their own pages."""
    monkeypatch.setattr(docs, "CHUNK", 3)
    monkeypatch.setattr(docs, "_workers", lambda chunks: 2)
    round_ = rated_round["round"]
    people = services.rated_people(round_, included=True)
    bulk = docs.render_forms(rated_round["admin"], round_)
    assert (bulk.layouts, bulk.laid_out) == (3, 7)  # 7 forms in chunks of 3
    assert [p.id for p, _pdf in bulk.people] == [p.id for p in people]
    _check_zip(docs.forms_zip(bulk), people)
    # Each form is numbered on its own (none on its first page, then 2, 3, …), so a person's
    # own PDF cut from a chunk reads as if printed alone.
    for _person, pdf in bulk.people[1:3]:
        pages = PdfReader(io.BytesIO(pdf)).pages
        assert len(pages) >= 2
        heads = [pdf_text(pdf, first=n, last=n).strip().split("\n")[0].strip()
                 for n in range(1, len(pages) + 1)]
        assert not heads[0].isdigit() and heads[1:] == [str(n) for n in range(2, len(pages) + 1)]


def test_a_print_of_every_form_is_prepared_in_the_background(db, rated_round, client, login_as,
                                                              monkeypatch):
    """Asked for on the round page, made on a thread after the request (chunks laid out on
    every core, merged into one PDF), its progress on its own page (which reloads itself until
    it is done), the file its asker's alone."""
    monkeypatch.setattr(docs, "CHUNK", 4)
    round_ = rated_round["round"]
    login_as(rated_round["admin"])
    page = client.get(f"/evaluations/{round_.id}").get_data(as_text=True)
    assert 'id="print-forms"' in page
    response = client.post(f"/evaluations/{round_.id}/documents/forms",
                           data={"format": "pdf", "unit_id": str(rated_round["sub"].id)})
    assert response.status_code == 302
    file_id = response.headers["Location"].rsplit("/", 1)[1]
    prepared.wait(file_id)
    shown = client.get(f"/documents/prepared/{file_id}").get_data(as_text=True)
    assert 'data-status="done"' in shown
    pdf = client.get(f"/documents/prepared/{file_id}/file")
    assert pdf.mimetype == "application/pdf"
    text = flat(pdf_text(pdf.data))
    assert text.count("PHIẾU XẾP LOẠI") == 6  # the sub-unit's forms, from two layouts, in order
    people = services.rated_people(round_, unit=rated_round["sub"], included=True)
    positions = [text.index(p.full_name) for p in people]
    assert positions == sorted(positions)
    # The verification QR code is one image per form however many pages, not drawn again on
    # each page.
    reader = PdfReader(io.BytesIO(pdf.data))
    assert len(reader.pages) >= 12
    assert len({xobject.indirect_reference.idnum for page in reader.pages
                for xobject in page["/Resources"]["/XObject"].values()}) == 6
    row = db.session.get(PreparedFile, file_id)
    assert (row.done, row.total, row.size) == (6, 6, len(pdf.data))
    last = db.session.execute(select(AuditEntry).order_by(AuditEntry.id.desc())).scalars().first()
    assert (last.action, last.target_id) == ("evaluation_round.forms_printed", str(round_.id))
    # A file nobody wrote to for long was interrupted: failed, and no refresh loop.
    row.status, row.heartbeat_at = "running", datetime(2026, 1, 1, tzinfo=UTC)
    db.session.commit()
    shown = client.get(f"/documents/prepared/{file_id}").get_data(as_text=True)
    assert 'data-status="failed"' in shown and 'http-equiv="refresh"' not in shown
    assert client.get(f"/documents/prepared/{file_id}/file").status_code == 404
    # Old files go, from the disk too, when the next one is asked for.
    row.created_at = datetime(2026, 1, 1, tzinfo=UTC)
    db.session.commit()
    on_disk = prepared.directory() / file_id
    assert on_disk.exists()
    client.post(f"/evaluations/{round_.id}/documents/forms", data={"format": "zip"})
    assert not on_disk.exists() and db.session.get(PreparedFile, file_id) is None


# ---------------------------------------------------------------- who may read what


def test_a_person_reads_only_their_own_notice_and_only_once_released(app, db, rated_round):
    round_, people, staff = rated_round["round"], rated_round["people"], rated_round["staff"]
    own = docs.issue_document(rated_round["admin"], round_, Kind.NOTICE, people[staff[1].id])
    other = docs.issue_document(rated_round["admin"], round_, Kind.NOTICE, people[staff[2].id])
    form = docs.issue_document(rated_round["admin"], round_, Kind.FORM, people[staff[1].id])
    decision = docs.issue_document(rated_round["admin"], round_, Kind.DECISION)
    db.session.commit()
    me = rated_round["own"]

    # Before the release: nothing, neither by the engine's page nor by their own.
    assert not engine.can_download(me, own)
    with pytest.raises(NotAllowed):
        docs.own_notice(me, round_)
    client = app.test_client()
    client.post("/login", data={"username": me.username, "password": "correct-horse-9"})
    assert client.get(f"/documents/{own.id}.pdf").status_code == 403
    assert client.get(f"/evaluations/{round_.id}/my-notice.pdf").status_code == 403

    round_.released_at = datetime(2026, 12, 21, tzinfo=UTC)
    db.session.commit()
    assert engine.can_download(me, own) and engine.can_download(me, form)
    assert not engine.can_download(me, other) and not engine.can_download(me, decision)
    assert client.get(f"/documents/{own.id}.pdf").status_code == 200
    assert client.get(f"/documents/{other.id}.pdf").status_code == 403
    assert client.get(f"/documents/{decision.id}.pdf").status_code == 403
    response = client.get(f"/evaluations/{round_.id}/my-notice.pdf")
    assert response.status_code == 200 and response.data == own.pdf
    # The admin reads everything; someone rated elsewhere is not told the round exists.
    assert all(engine.can_download(rated_round["admin"], d) for d in (own, other, decision))
    assert docs.own_notice(rated_round["other"], round_).id == other.id
    with pytest.raises(NotFound):
        docs.own_notice(rated_round["secretary"], round_)


def test_only_the_rounds_admins_issue_and_print_in_bulk(app, db, rated_round):
    round_, staff = rated_round["round"], rated_round["staff"]
    rated = rated_round["people"][staff[1].id]
    for user in (rated_round["own"], rated_round["secretary"], rated_round["head"]):
        with pytest.raises(NotAllowed):
            docs.issue_document(user, round_, Kind.NOTICE, rated)
        with pytest.raises(NotAllowed):
            docs.render_forms(user, round_)
    client = app.test_client()
    client.post("/login", data={"username": rated_round["own"].username,
                                "password": "correct-horse-9"})
    assert client.post(f"/evaluations/{round_.id}/documents/forms",
                       data={"format": "zip"}).status_code == 403
    admin = app.test_client()
    admin.post("/login", data={"username": rated_round["admin"].username,
                               "password": "correct-horse-9"})
    # The print is prepared in the background; its page is the asker's alone.
    response = admin.post(f"/evaluations/{round_.id}/documents/forms", data={"format": "zip"})
    assert response.status_code == 302
    page = response.headers["Location"]
    file_id = page.rsplit("/", 1)[1]
    prepared.wait(file_id)
    shown = admin.get(page).get_data(as_text=True)
    assert 'data-status="done"' in shown and 'http-equiv="refresh"' not in shown
    response = admin.get(f"{page}/file")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert len(zipfile.ZipFile(io.BytesIO(response.data)).namelist()) == 7
    assert client.get(page).status_code == 404 and client.get(f"{page}/file").status_code == 404
    response = admin.post(f"/evaluations/{round_.id}/documents/notice",
                          data={"subject_id": str(rated.id)})
    assert response.status_code == 302
    issued = engine.current_document(round_, Kind.NOTICE, rated)
    assert response.headers["Location"].endswith(f"/documents/{issued.id}.pdf")
