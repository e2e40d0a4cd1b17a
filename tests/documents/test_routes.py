"""The secretary issues and downloads documents from the round page; the JSON API lists, issues
and serves them; nobody else gets them."""

from __future__ import annotations

import re

from sqlalchemy import select

from evalapp.auth.models import Role
from evalapp.auth.services import create_api_token
from evalapp.ballots.models import RoundStatus
from evalapp.documents.models import IssuedDocument
from evalapp.org.models import UnitKind
from tests.documents.helpers import PASSWORD, build_round
from tests.documents.pdftext import flat, pdf_text


def login(app, user):
    client = app.test_client()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def bearer(db, user) -> dict:
    _token, plain = create_api_token(user, "documents")
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_the_secretary_issues_and_downloads_the_minutes(app, db):
    built = build_round()
    round_id = built.round.id
    secretary = login(app, built.users["secretary"])
    page = secretary.get(f"/ballots/{round_id}").get_data(as_text=True)
    assert 'id="documents-title"' in page and "Chưa có văn bản nào" in page
    assert f'action="/ballots/{round_id}/documents/minutes"' in page
    assert f'action="/ballots/{round_id}/documents/notice"' in page

    response = secretary.post(f"/ballots/{round_id}/documents/minutes")
    assert response.status_code == 302
    doc_id = re.fullmatch(r"/documents/([0-9a-f]{32})\.pdf", response.headers["Location"])[1]
    download = secretary.get(response.headers["Location"])
    assert download.status_code == 200
    assert download.mimetype == "application/pdf" and download.data.startswith(b"%PDF-")
    assert download.headers["Content-Disposition"] == (
        f'attachment; filename="bien-ban-kiem-phieu-so-01-bb-tu-{round_id}-{doc_id[:8]}'
        '-chua-ky.pdf"')
    assert "no-store" in download.headers["Cache-Control"]
    assert download.data == db.session.get(IssuedDocument, doc_id).pdf
    # Printed through the request: the QR code leads to this server unless configured.
    assert f"http://localhost/documents/verify/{doc_id}" in flat(pdf_text(download.data))

    page = secretary.get(f"/ballots/{round_id}").get_data(as_text=True)
    assert f'href="/documents/{doc_id}.pdf"' in page and "0 trên 4" in page
    # Asking again gives the same document.
    assert secretary.post(f"/ballots/{round_id}/documents/minutes").headers["Location"] == \
        f"/documents/{doc_id}.pdf"


def test_the_configured_public_address_goes_into_the_qr_code(app, db):
    built = build_round(state=RoundStatus.COUNTED)
    saved = {key: app.config.get(key) for key in ("PUBLIC_BASE_URL", "DOCUMENT_LOCALITY")}
    app.config.update(PUBLIC_BASE_URL="https://bophieu.tinh.gov.vn/",
                      DOCUMENT_LOCALITY="Hòa Bình")
    try:
        response = login(app, built.users["head"]).post(
            f"/ballots/{built.round.id}/documents/minutes")
    finally:
        app.config.update(saved)
    doc_id = response.headers["Location"][len("/documents/"):-len(".pdf")]
    text = flat(pdf_text(db.session.get(IssuedDocument, doc_id).pdf))
    assert f"https://bophieu.tinh.gov.vn/documents/verify/{doc_id}" in text
    assert "Hòa Bình, ngày 01 tháng 12 năm 2026" in text


def test_documents_are_vietnamese_whatever_the_interface_language(app, db):
    built = build_round()
    secretary = login(app, built.users["secretary"])
    secretary.get("/lang/en")
    assert "Documents" in secretary.get(f"/ballots/{built.round.id}").get_data(as_text=True)
    location = secretary.post(f"/ballots/{built.round.id}/documents/minutes").headers["Location"]
    text = flat(pdf_text(secretary.get(location).data))
    assert "BIÊN BẢN" in text and "Số phiếu hợp lệ: 6." in text and "Minutes" not in text
    document = db.session.get(IssuedDocument, location[len("/documents/"):-len(".pdf")])
    assert document.slots[0].role_label == "Tổ trưởng tổ kiểm phiếu"


def test_voters_and_people_voted_on_get_nothing_but_their_own_notice(app, db, factory):
    built = build_round()
    round_ = built.round
    first, second = round_.active_candidates[:2]
    secretary = login(app, built.users["secretary"])
    own = secretary.post(f"/ballots/{round_.id}/documents/notice",
                         data={"candidate_id": str(first.id)}).headers["Location"]
    others = secretary.post(f"/ballots/{round_.id}/documents/notice",
                            data={"candidate_id": str(second.id)}).headers["Location"]
    minutes = secretary.post(f"/ballots/{round_.id}/documents/minutes").headers["Location"]
    assert secretary.post(f"/ballots/{round_.id}/documents/notice",
                          data={"candidate_id": "999999"}).status_code == 404

    person = factory.user("nguoiduoclayphieu", roles=(Role.EVALUEE,), person=first.person)
    candidate = login(app, person)
    assert candidate.get(own).status_code == 200
    assert candidate.get(others).status_code == 403
    assert candidate.get(minutes).status_code == 403
    assert candidate.post(f"/ballots/{round_.id}/documents/minutes").status_code == 403

    # Someone who may not see the round is told its documents do not exist, as its pages are.
    stranger = login(app, factory.user("nguoingoai", roles=(Role.VOTER,)))
    for url in (own, others, minutes):
        assert stranger.get(url).status_code == 404


def test_the_api_lists_issues_and_serves_documents(app, db, factory):
    built = build_round()
    round_ = built.round
    client = app.test_client()
    headers = bearer(db, built.users["counter"])
    assert client.get(f"/api/v1/ballot-rounds/{round_.id}/documents",
                      headers=headers).json == {"round_id": round_.id, "items": []}

    created = client.post(f"/api/v1/ballot-rounds/{round_.id}/documents", headers=headers,
                          json={"kind": "minutes"})
    assert created.status_code == 201, created.json
    body = created.json
    assert created.headers["Location"] == f"/api/v1/documents/{body['id']}"
    assert body["kind"] == "minutes" and body["round_id"] == round_.id
    assert body["sha256"] == body["original_sha256"] and body["signed"] is False
    assert body["number"] == "01-BB/TU"
    assert (body["signatures_made"], body["signatures_expected"]) == (0, 4)
    assert [s["field_name"] for s in body["signatures"]] == ["sig-1", "sig-2", "sig-3", "sig-4"]
    assert body["signatures"][0]["role_label"] == "Tổ trưởng tổ kiểm phiếu"
    again = client.post(f"/api/v1/ballot-rounds/{round_.id}/documents", headers=headers,
                        json={"kind": "minutes", "candidate_id": None})
    assert again.status_code == 200 and again.json["id"] == body["id"]

    notice = client.post(f"/api/v1/ballot-rounds/{round_.id}/documents", headers=headers,
                         json={"kind": "notice", "candidate_id": round_.active_candidates[2].id})
    assert notice.status_code == 201 and notice.json["candidate_id"]
    listed = client.get(f"/api/v1/ballot-rounds/{round_.id}/documents", headers=headers).json
    assert [d["kind"] for d in listed["items"]] == ["minutes", "notice"]

    assert client.get(f"/api/v1/documents/{body['id']}", headers=headers).json == body
    pdf = client.get(body["pdf_url"], headers=headers)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "Lê Ngọc Ẩn" in pdf_text(pdf.data)

    for bad in ({"kind": "letter"}, {"kind": "notice"}, {"kind": "notice", "candidate_id": 0},
                {"kind": "notice", "candidate_id": 999999}, {"kind": "minutes", "extra": 1}):
        response = client.post(f"/api/v1/ballot-rounds/{round_.id}/documents",
                               headers=headers, json=bad)
        assert response.status_code == 422, (bad, response.json)

    voter = factory.user("cutri", roles=(Role.VOTER,))
    assert client.get(f"/api/v1/documents/{body['id']}",
                      headers=bearer(db, voter)).status_code == 404
    assert client.get(f"/api/v1/documents/{body['id']}/pdf",
                      headers=bearer(db, voter)).status_code == 404
    assert client.get("/api/v1/documents/not-an-id", headers=headers).status_code == 404


def test_each_signer_finds_a_sign_button_for_their_block_on_the_round_page(app, db):
    built = build_round()
    round_id = built.round.id
    secretary = login(app, built.users["secretary"])
    secretary.post(f"/ballots/{round_id}/documents/minutes")
    page = secretary.get(f"/ballots/{round_id}").get_data(as_text=True)
    assert page.count("sign-link") == 1  # only their own block
    assert "Bùi Quang Chủ" in page and "Hoàng Minh Tuấn" in page
    chair_page = login(app, built.users["chair"]).get(f"/ballots/{round_id}").get_data(
        as_text=True)
    assert chair_page.count("sign-link") == 1


def test_the_round_forms_and_the_api_take_the_heading_and_the_date_line(app, db, factory):
    """The governing body line and the place name of the date line: on the new-round form, on
    the settings page, and in the API (with its OpenAPI description)."""
    from evalapp.ballots.models import BallotRound

    unit = factory.unit("Sở Nội vụ", kind=UnitKind.DEPARTMENT, code="SNV")
    admin = factory.user("tochuc", roles=(Role.ADMIN,))
    client = login(app, admin)
    page = client.get("/ballots/new").get_data(as_text=True)
    assert 'name="governing_body_name"' in page and 'name="locality"' in page
    response = client.post("/ballots/new", data={
        "title": "Lấy phiếu tín nhiệm 2026", "body_name": "Sở Nội vụ", "unit_id": str(unit.id),
        "governing_body_name": "UBND tỉnh Hòa Bình Xanh", "locality": "Hòa Bình Xanh",
        "place": "Hội trường", "meeting_date": "2026-12-01", "scale": "three_level",
        "preset": "assembly-2023"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    round_ = db.session.execute(select(BallotRound)).scalar_one()
    assert (round_.governing_body_name, round_.locality) == ("UBND tỉnh Hòa Bình Xanh",
                                                             "Hòa Bình Xanh")
    settings = client.get(f"/ballots/{round_.id}/settings").get_data(as_text=True)
    assert 'value="UBND tỉnh Hòa Bình Xanh"' in settings and 'value="Hòa Bình Xanh"' in settings

    headers = bearer(db, admin)
    body = client.get(f"/api/v1/ballot-rounds/{round_.id}", headers=headers).json
    assert (body["governing_body_name"], body["locality"]) == ("UBND tỉnh Hòa Bình Xanh",
                                                               "Hòa Bình Xanh")
    changed = client.patch(f"/api/v1/ballot-rounds/{round_.id}", headers=headers,
                           json={"locality": "Hà Nội", "governing_body_name": None})
    assert changed.status_code == 200, changed.json
    assert (changed.json["governing_body_name"], changed.json["locality"]) == (None, "Hà Nội")
    schema = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    for name in ("BallotRoundCreate", "BallotRoundUpdate", "BallotRoundSummary"):
        assert {"governing_body_name", "locality"} <= set(schema[name]["properties"])
    assert "number" in schema["Document"]["properties"]
