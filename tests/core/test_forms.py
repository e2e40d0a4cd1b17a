"""The shared form fields: dates typed as dd/mm/yyyy whatever the browser's language, and file
pickers labelled in the page's language."""

from __future__ import annotations

import re
from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from evalapp.core.forms import AppForm, DayMonthYearField, parse_day_month_year
from tests.conftest import PASSWORD


class DateForm(AppForm):
    day = DayMonthYearField("Day")


@pytest.mark.parametrize("text, expected", [
    ("02/09/2026", date(2026, 9, 2)), ("2/9/2026", date(2026, 9, 2)),
    ("02-09-2026", date(2026, 9, 2)), ("02.09.2026", date(2026, 9, 2)),
    (" 29/02/2028 ", date(2028, 2, 29)), ("2026-09-02", date(2026, 9, 2)),
])
def test_dates_are_read_day_first(text, expected):
    assert parse_day_month_year(text) == expected


@pytest.mark.parametrize("text, message", [
    ("09/02", "dd/mm/yyyy"), ("2/9/26", "dd/mm/yyyy"), ("hôm nay", "dd/mm/yyyy"),
    ("31/02/2026", "31/02/2026"), ("12/13/2026", "12/13/2026"),
])
def test_a_bad_date_gets_a_vietnamese_message_and_no_value(app, text, message):
    with app.test_request_context(method="POST"):
        form = DateForm(formdata=MultiDict({"day": text}), meta={"csrf": False})
        assert not form.validate()
        assert form.day.data is None
        [error] = form.day.errors
        assert message in error and ("Hãy" in error or "Không có" in error), error
        assert f'value="{text.strip() if text != " " else ""}"' in str(form.day())


def test_the_date_box_is_a_text_input_showing_dd_mm_yyyy(app):
    with app.test_request_context():
        form = DateForm(data={"day": date(2026, 12, 1)}, meta={"csrf": False})
        html = str(form.day())
    assert 'type="text"' in html and 'value="01/12/2026"' in html
    assert 'placeholder="dd/mm/yyyy"' in html and 'inputmode="numeric"' in html
    with app.test_request_context(method="POST"):
        empty = DateForm(formdata=MultiDict({"day": ""}), meta={"csrf": False})
        assert empty.validate() and empty.day.data is None


def test_the_meeting_date_is_typed_and_shown_day_first(app, db, factory):
    from evalapp.auth.models import Role
    from evalapp.ballots.models import BallotRound

    unit = factory.unit("Chi bộ Ngày tháng")
    factory.user("ngay", roles=(Role.ADMIN,))
    client = app.test_client()
    client.post("/login", data={"username": "ngay", "password": PASSWORD})
    fields = {"title": "Lấy phiếu 2026", "body_name": "Chi bộ", "unit_id": str(unit.id),
              "scale": "three_level", "preset": "party-2023"}
    page = client.get("/ballots/new").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="meeting_date"[^>]*type="text"', page)
    assert "dd/mm/yyyy" in page

    refused = client.post("/ballots/new", data=fields | {"meeting_date": "31/02/2026"})
    assert refused.status_code == 422
    assert "31/02/2026" in refused.get_data(as_text=True)
    assert db.session.query(BallotRound).count() == 0

    response = client.post("/ballots/new", data=fields | {"meeting_date": "01/12/2026"})
    assert response.status_code == 302
    round_ = db.session.query(BallotRound).one()
    assert round_.meeting_date == date(2026, 12, 1)
    settings = client.get(f"/ballots/{round_.id}/settings").get_data(as_text=True)
    assert re.search(r'id="meeting_date"[^>]*value="01/12/2026"|value="01/12/2026"[^>]*'
                     r'id="meeting_date"', settings)


def test_file_fields_are_labelled_in_the_page_language(app, db, factory):
    from evalapp.auth.models import Role

    factory.user("tep", roles=(Role.ADMIN,))
    client = app.test_client()
    client.post("/login", data={"username": "tep", "password": PASSWORD})
    page = client.get("/org/people/import").get_data(as_text=True)
    control = re.search(r'<input[^>]*type="file"[^>]*>', page).group(0)
    assert 'class="file-picker-input visually-hidden"' in control
    assert 'aria-labelledby="file-label"' in control and 'accept=".xlsx,.csv"' in control
    assert "file-chosen" in control and "required" in control
    assert re.search(r'<label for="file" class="btn[^"]*"[^>]*>Chọn tệp</label>', page)
    assert 'data-none="Chưa chọn tệp"' in page
    client.get("/lang/en")
    english = client.get("/org/people/import").get_data(as_text=True)
    assert ">Choose file</label>" in english and 'data-none="No file chosen"' in english
