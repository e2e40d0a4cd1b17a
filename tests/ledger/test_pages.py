"""The ledger's pages: the manager assigns a month's items on the person's period page, the
person completes them from their own list (a phone page) with evidence, the manager judges,
scores and confirms; the person cannot confirm their own month; a bad number changes
nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from evalapp.ledger.models import Item, Period, PeriodStatus
from tests.ledger.test_services import world


def test_a_month_through_the_pages(factory, db, client, login_as):
    w = world(factory, db)
    url = f"/ledger/people/{w.staff.id}/2026/m03"
    login_as(w.users["head"])
    assert client.post(url + "/items", data={"product": str(w.report.id), "quantity": "2",
                                             "due_on": "2026-03-20"}).status_code == 302
    assert client.post(url + "/items", data={"product": str(w.report.id),
                                             "quantity": "abc"}).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Item)) == 1
    item = db.session.scalars(select(Item)).one()
    client.post("/logout")

    login_as(w.users["staff"])
    mine = client.get("/ledger/mine").get_data(as_text=True)
    assert "Báo cáo chuyên đề" in mine and f'action="/ledger/items/{item.id}/complete"' in mine
    assert client.post(f"/ledger/items/{item.id}/complete", data={
        "delivered": "2", "delivered_on": "2026-03-19",
        "evidence": "https://vanban.example.vn/bc-03"}).status_code == 302
    assert client.post(url + "/confirm").status_code == 403      # not their own
    assert client.post(f"/ledger/items/{item.id}/judge", data={"errors": "0"}).status_code == 403
    client.post("/logout")

    login_as(w.users["head"])
    assert client.post(f"/ledger/items/{item.id}/judge", data={
        "errors": "1", "errors_accepted": "0", "delays": "0",
        "delays_accepted": "0"}).status_code == 302
    assert client.post(url + "/score", data={"general": "28"}).status_code == 302
    assert client.post(url + "/confirm").status_code == 302
    page = client.get(url).get_data(as_text=True)
    # a = c = 1, b = 3/4: (2.75 / 3) × 70 = 64.17; + 28
    assert 'id="task-score">64.17<' in page and 'id="period-score">92.17<' in page
    assert 'id="reopen"' in page and 'id="assign"' not in page
    assert client.post(url + "/reopen", data={"reason": ""}).status_code == 422
    period = db.session.scalars(select(Period)).one()
    assert period.status is PeriodStatus.CONFIRMED and period.score == 9217
