"""Evidence files of work items (issue 13: "evidence (a file or a link)"): the person attaches
one from the phone page while completing the item; its type is what its bytes are; the manager
downloads it; nobody else sees it; a wrong, empty or too large file changes nothing; a
confirmed period takes no file."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import func, select

from evalapp.ledger import services as ledger
from evalapp.ledger.models import EVIDENCE_FILE_MAX, ItemFile
from tests.ledger.test_services import month, w  # noqa: F401  (the fixture)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


def _files() -> int:
    from evalapp.extensions import db

    return db.session.scalar(select(func.count()).select_from(ItemFile))


def _send(client, item, content, name, **fields):
    data = {"delivered": "2", "delivered_on": "2026-01-20", **fields}
    if content is not None:
        data["evidence_file"] = (io.BytesIO(content), name)
    return client.post(f"/ledger/items/{item.id}/complete", data=data,
                       content_type="multipart/form-data")


def test_the_person_attaches_a_file_the_manager_downloads_it(w, db, client, login_as):  # noqa: F811
    period = month(w)
    item = ledger.assign_item(w.users["head"], period, product_id=w.report.id, quantity="2",
                              due_on=date(2026, 1, 25))
    db.session.commit()
    login_as(w.users["staff"])
    response = _send(client, item, PDF, "Báo cáo tháng 1.pdf", evidence="https://vb.gov.vn/1")
    assert response.status_code == 302
    kept = db.session.scalars(select(ItemFile)).one()
    assert (kept.file_name, kept.media_type, kept.size) == ("Báo cáo tháng 1.pdf",
                                                            "application/pdf", len(PDF))
    mine = client.get("/ledger/mine").get_data(as_text=True)
    assert f'href="/ledger/items/{item.id}/file"' in mine and "https://vb.gov.vn/1" in mine
    # A photo from the phone replaces it; named as what it is, whatever the upload said.
    assert _send(client, item, PNG, "IMG_0042.pdf").status_code == 302
    db.session.expire_all()
    kept = db.session.scalars(select(ItemFile)).one()
    assert (kept.file_name, kept.media_type) == ("IMG_0042.png", "image/png")

    client.post("/logout")
    login_as(w.users["head"])
    page = client.get(f"/ledger/people/{w.staff.id}/2026/m01").get_data(as_text=True)
    assert "IMG_0042.png" in page
    download = client.get(f"/ledger/items/{item.id}/file")
    assert download.status_code == 200 and download.data == PNG
    assert download.mimetype == "image/png"
    assert download.headers["Content-Disposition"].startswith("attachment")
    # A colleague of the same unit does not see it.
    client.post("/logout")
    login_as(w.users["colleague"])
    assert client.get(f"/ledger/items/{item.id}/file").status_code == 404


def test_a_wrong_empty_or_too_large_file_changes_nothing(w, db, client, login_as):  # noqa: F811
    period = month(w)
    item = ledger.assign_item(w.users["head"], period, product_id=w.report.id, quantity="2")
    db.session.commit()
    login_as(w.users["staff"])
    for content, name in ((b"<html><script>alert(1)</script></html>", "minh-chung.pdf"),
                          (b"MZ\x90\x00" + b"\x00" * 64, "chay.exe"),
                          (b"", "rong.pdf"),
                          (PDF + b"\x00" * EVIDENCE_FILE_MAX, "lon.pdf")):
        response = _send(client, item, content, name)
        assert response.status_code == 422, name
        assert "tệp" in response.get_data(as_text=True).lower()
        db.session.expire_all()
        assert _files() == 0 and db.session.get(type(item), item.id).delivered is None


def test_a_confirmed_period_takes_no_file(w, db, client, login_as):  # noqa: F811
    period = month(w)
    item = ledger.assign_item(w.users["head"], period, product_id=w.report.id, quantity="2")
    ledger.complete_item(w.users["staff"], item, delivered="2", delivered_on=date(2026, 1, 5))
    ledger.score_period(w.users["head"], period, general="27")
    ledger.confirm(w.users["head"], period)
    db.session.commit()
    login_as(w.users["staff"])
    assert _send(client, item, PDF, "muon.pdf").status_code == 409
    assert _files() == 0
