"""Proposals through the pages: the person proposes an item for a period of the year from
their phone list; the manager sees it marked on the period page, accepts one (it then counts)
and removes another; the person can remove nothing, and a bad quantity changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from evalapp.core.time import utcnow
from evalapp.ledger import services as ledger
from evalapp.ledger.models import Item, Period
from tests.ledger.test_services import world


def test_a_proposal_is_sent_accepted_or_removed(factory, db, client, login_as):
    w = world(factory, db)
    year = utcnow().year
    login_as(w.users["staff"])
    assert 'id="propose-link"' in client.get("/ledger/mine").get_data(as_text=True)
    form = client.get("/ledger/mine/propose").get_data(as_text=True)
    assert "Báo cáo chuyên đề" in form and 'value="m04"' in form
    for quantity in ("3", "1"):
        assert client.post("/ledger/mine/propose", data={
            "period": "m04", "product": str(w.report.id), "quantity": quantity}
        ).status_code == 302
    assert client.post("/ledger/mine/propose", data={
        "period": "m04", "product": str(w.report.id), "quantity": "-2"}).status_code == 422
    assert client.post("/ledger/mine/propose", data={
        "period": "q9", "product": str(w.report.id), "quantity": "2"}).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Item)) == 2
    first, second = db.session.scalars(select(Item).order_by(Item.id)).all()
    assert not first.accepted and not second.accepted
    assert client.post(f"/ledger/items/{second.id}/remove").status_code == 403
    client.post("/logout")

    login_as(w.users["head"])
    url = f"/ledger/people/{w.staff.id}/{year}/m04"
    page = client.get(url).get_data(as_text=True)
    assert page.count("data-remove=") == 2
    assert client.post(f"/ledger/items/{first.id}/judge", data={
        "errors": "0", "errors_accepted": "0", "delays": "0", "delays_accepted": "0"}
    ).status_code == 302
    assert client.post(f"/ledger/items/{second.id}/remove").status_code == 302
    period = db.session.scalars(select(Period)).one()
    items = ledger.items_of(period)
    assert [(i.id, i.accepted) for i in items] == [(first.id, True)]
    assert ledger.result(period).ratios.a == 0     # 3 reports accepted, none delivered
    assert client.get(url).get_data(as_text=True).count("data-remove=") == 0
