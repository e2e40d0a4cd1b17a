"""The catalogue page (an admin of the unit keeps it): the products of the current Quy chế
version with the standard product marked, adding, retiring, carrying into a new version; a
bad factor changes nothing; someone who does not keep the catalogue gets 403."""

from __future__ import annotations

from sqlalchemy import func, select

from evalapp.auth.permissions import SYSTEM
from evalapp.evaluations import services
from evalapp.ledger import services as ledger
from evalapp.ledger.models import Product
from tests.ledger.test_services import world


def test_the_catalogue_page_lists_adds_retires_and_carries(factory, db, client, login_as):
    w = world(factory, db)
    url = f"/ledger/units/{w.dept.unit.id}/products"
    login_as(w.users["head"])
    assert client.get(url).status_code == 403
    client.post("/logout")
    login_as(w.users["admin"])
    page = client.get(url).get_data(as_text=True)
    assert "Báo cáo chuyên đề" in page and "Phức tạp × 2" in page
    assert "data-standard" not in page           # no product of factor 1 yet
    assert client.post(url, data={"name": "Tờ trình", "group": "N3", "measure": "tờ trình",
                                  "factor": "1", "levels": "Phức tạp = 1,5\nRất phức tạp=2"}
                       ).status_code == 302
    standard = db.session.scalar(select(Product).where(Product.name == "Tờ trình"))
    assert standard.factor == 100 and standard.levels == [
        {"name": "Phức tạp", "factor": "1.5"}, {"name": "Rất phức tạp", "factor": "2"}]
    page = client.get(url).get_data(as_text=True)
    assert page.count("data-standard") == 1 and f'id="product-{standard.id}"' in page
    before = db.session.scalar(select(func.count()).select_from(Product))
    for bad in ({"name": "X", "group": "N1", "measure": "cái", "factor": "0"},
                {"name": "X", "group": "N1", "measure": "cái", "factor": "1", "levels": "dở"},
                {"name": "", "group": "N1", "measure": "cái", "factor": "1"}):
        assert client.post(url, data=bad).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Product)) == before

    assert client.post(f"/ledger/products/{w.report.id}/retire").status_code == 302
    db.session.refresh(w.report)
    assert not w.report.active
    assert w.report not in ledger.catalogue(w.dept.unit)

    # A new Quy chế version: its catalogue starts empty until carried.
    old = services.regulation_for_unit(w.dept.unit)
    services.save_regulation(SYSTEM, w.dept.unit, preset_key="decree-335-2025",
                             title="Quy chế 2027", content=old.content)
    db.session.commit()
    assert ledger.catalogue(w.dept.unit) == []
    assert client.post(url + "/carry").status_code == 302
    names = sorted(p.name for p in ledger.catalogue(w.dept.unit))
    assert names == ["Công văn", "Tờ trình"]       # the retired report stays behind
    assert client.post(url + "/carry").status_code == 302   # once: nothing copied twice
    assert len(ledger.catalogue(w.dept.unit)) == 2
