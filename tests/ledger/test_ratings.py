"""Public service-quality ratings: a citizen rates a front-desk official from the desk card's
address with no login; nothing of the rater is stored but what the page says; one rating per
device, official and day; limits per device without blocking a waiting room; closed desks and
unknown addresses refuse; spam is turned away; comments are shown only once approved; the
averages per period; the desk card PDF."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from evalapp.audit.models import AuditEntry
from evalapp.auth import throttle
from evalapp.auth.models import Role, User
from evalapp.auth.permissions import SYSTEM
from evalapp.core.errors import InvalidState, NotAllowed, NotFound
from evalapp.evaluations import period_sources
from evalapp.extensions import db as _db
from evalapp.ledger import public_ratings, ratings
from evalapp.ledger.models import CommentState, Desk, Rating, RatingMark
from evalapp.org.models import Person
from evalapp.org.services import set_person_active

UA = "RaterPhone/9.1 (unique-user-agent-7Q2X)"
TODAY = date(2026, 3, 10)


@dataclass
class World:
    official: Person
    colleague: Person
    desk: Desk
    other_desk: Desk
    users: dict[str, User]


def world(factory, db) -> World:
    unit = factory.unit("Bộ phận Một cửa")
    post = factory.post("Chuyên viên tiếp nhận", leadership=False)
    head = factory.person("Trần Văn Trưởng", unit)
    official = factory.person("Lê Thị Tiếp Dân", unit, post=post, manager=head)
    colleague = factory.person("Phạm Văn Hồ Sơ", unit, manager=head)
    users = {
        "head": factory.user("head", roles=(Role.EVALUEE,), person=head),
        "official": factory.user("official", roles=(Role.EVALUEE,), person=official),
        "admin": factory.user("unitadmin", roles=(Role.ADMIN,), unit=unit),
    }
    desk = ratings.set_desk(users["head"], official, True)
    other = ratings.set_desk(users["head"], colleague, True)
    db.session.commit()
    return World(official, colleague, desk, other, users)


@pytest.fixture
def w(factory, db):
    return world(factory, db)


def started_ago(seconds: int = 60) -> str:
    import time

    return public_ratings.form_started(time.time() - seconds)


def send(client, desk, rating="4", comment="", **extra):
    data = {"rating": rating, "comment": comment, "started": started_ago(), **extra}
    return client.post(f"/danh-gia/{desk.token}", data=data, headers={"User-Agent": UA})


def phone(app, desk=None):
    client = app.test_client()
    if desk is not None:
        assert client.get(f"/danh-gia/{desk.token}", headers={"User-Agent": UA}).status_code == 200
    return client


def count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def all_rows_text() -> str:
    parts = []
    for table in _db.metadata.sorted_tables:
        for row in _db.session.execute(text(f'SELECT * FROM "{table.name}"')):  # noqa: S608
            parts.append(repr(tuple(row)))
    return "\n".join(parts)


# ---------------------------------------------------------------- the public page


def test_a_citizen_rates_without_login_and_nothing_of_them_is_stored(app, w, db):
    audit_before = count(AuditEntry)
    client = phone(app)
    page = client.get(f"/danh-gia/{w.desk.token}", headers={"User-Agent": UA})
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Lê Thị Tiếp Dân" in body and "Bộ phận Một cửa" in body
    assert "Chuyên viên tiếp nhận" in body
    assert len(re.findall(r'type="radio"[^>]*name="rating"', body)) == 5
    # What is collected, why, how long, and that nothing identifies the rater (Vietnamese).
    assert "chỉ lưu mức đánh giá" in body and "chất lượng phục vụ" in body
    assert f"{ratings.KEEP_YEARS} năm" in body and "Không lưu bất cứ thông tin nào" in body
    assert "<script" not in body.split('id="rating-form"')[1].split("</form>")[0]
    cookie = client.get_cookie(throttle.RATER_COOKIE)
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    device_id = throttle._rater_serializer().loads(cookie.value)

    answer = send(client, w.desk, rating="4", comment="Hướng dẫn tận tình")
    assert answer.status_code == 303
    assert answer.location.endswith(f"/danh-gia/{w.desk.token}/cam-on")
    assert "Cảm ơn" in client.get(answer.location).get_data(as_text=True)

    rating = db.session.scalars(select(Rating)).one()
    assert (rating.person_id, rating.value, rating.faces, rating.comment) == (
        w.official.id, 4, 5, "Hướng dẫn tận tình")
    assert rating.comment_state == CommentState.PENDING.value
    assert set(Rating.__table__.columns.keys()) == {
        "id", "person_id", "unit_id", "rated_on", "value", "faces", "comment", "comment_state",
        "moderated_by_id"}
    assert set(RatingMark.__table__.columns.keys()) == {"id", "digest", "day"}
    dump = all_rows_text()
    for secret in ("127.0.0.1", "unique-user-agent-7Q2X", "RaterPhone", cookie.value,
                   device_id):
        assert secret not in dump
    mark = db.session.scalars(select(RatingMark)).one()
    assert mark.digest == ratings.device_digest(device_id, w.official.id, mark.day)
    assert count(AuditEntry) == audit_before  # no entry, no time of day kept


def test_one_rating_per_device_per_official_per_day(app, w, db):
    client = phone(app, w.desk)
    assert send(client, w.desk, "5").status_code == 303
    again = send(client, w.desk, "1")
    assert again.status_code == 409
    assert "đã đánh giá cán bộ này hôm nay" in again.get_data(as_text=True)
    assert count(Rating) == 1
    # The same device may rate another official the same day; another device this one.
    assert send(client, w.other_desk, "3").status_code == 303
    assert send(phone(app, w.desk), w.desk, "2").status_code == 303
    assert count(Rating) == 3

    # The next day the same device is counted again (the day passed to the service).
    device = "device-under-test"
    ratings.rate(w.desk, device_id=device, choice=4, comment=None, day=TODAY)
    with pytest.raises(ratings.AlreadyRated):
        ratings.rate(w.desk, device_id=device, choice=4, comment=None, day=TODAY)
    db.session.rollback()
    ratings.rate(w.desk, device_id=device, choice=4, comment=None, day=TODAY)  # the first one
    ratings.rate(w.desk, device_id=device, choice=5, comment=None,
                 day=TODAY + timedelta(days=1))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Rating).where(
        Rating.rated_on.in_([TODAY, TODAY + timedelta(days=1)]))) == 2
    # Marks older than the day before are deleted as ratings arrive.
    ratings.rate(w.other_desk, device_id=device, choice=5, comment=None,
                 day=TODAY + timedelta(days=5))
    db.session.commit()
    kept = set(db.session.scalars(select(RatingMark.digest)))
    for day in (TODAY, TODAY + timedelta(days=1)):
        assert ratings.device_digest(device, w.official.id, day) not in kept
    assert ratings.device_digest(device, w.colleague.id, TODAY + timedelta(days=5)) in kept


def test_ratings_are_limited_per_device_not_per_waiting_room(app, w, db, monkeypatch):
    monkeypatch.setitem(app.config, "RATING_RATE_LIMIT", "2 per hour")
    monkeypatch.setitem(app.config, "RATING_ADDRESS_RATE_LIMIT", "6 per hour")
    busy = phone(app, w.desk)
    assert send(busy, w.desk, "5").status_code == 303
    assert send(busy, w.other_desk, "5").status_code == 303
    refused = send(busy, w.desk, "5")
    assert refused.status_code == 429 and "Quá nhiều lượt đánh giá" in refused.get_data(
        as_text=True)
    # Another phone in the same room (same address) is not blocked...
    neighbour = phone(app, w.desk)
    assert send(neighbour, w.desk, "4").status_code == 303
    assert send(neighbour, w.other_desk, "4").status_code == 303
    # ...but the address's ceiling (every request sent counts, the refused one too) holds for
    # a browser throwing its cookie away.
    assert send(phone(app, w.desk), w.desk, "3").status_code == 303
    assert send(phone(app, w.desk), w.desk, "3").status_code == 429
    assert count(Rating) == 5


def test_closed_desks_people_who_left_and_unknown_addresses_refuse(app, w, db):
    client = phone(app)
    unknown = client.get("/danh-gia/khong-co-ma-nay")
    assert unknown.status_code == 404 and "không tồn tại" in unknown.get_data(as_text=True)
    assert send(client, Desk(token="khong-co-ma-nay"), "5").status_code == 404
    ratings.set_desk(w.users["head"], w.official, False)
    db.session.commit()
    closed = client.get(f"/danh-gia/{w.desk.token}")
    assert closed.status_code == 410 and "không nhận đánh giá" in closed.get_data(as_text=True)
    assert send(client, w.desk, "5").status_code == 410
    set_person_active(SYSTEM, w.colleague, False)
    db.session.commit()
    assert client.get(f"/danh-gia/{w.other_desk.token}").status_code == 410
    assert send(client, w.other_desk, "5").status_code == 410
    with pytest.raises(ratings.DeskClosed):
        ratings.open_desk(w.other_desk.token)
    with pytest.raises(InvalidState):  # nobody reopens the desk of someone who left
        ratings.set_desk(w.users["head"], w.colleague, True)
    assert count(Rating) == 0


@pytest.mark.parametrize("data, status", [
    ({"website": "http://spam.example"}, 303),     # the honeypot: thanked, nothing stored
    ({"started": "forged"}, 422),
    ({"started": None}, 422),                       # sent the instant it was shown (future)
    ({"comment": "Xem thêm tại https://quangcao.example"}, 422),
    ({"comment": "ghé www.quangcao.vn nhé"}, 422),
    ({"comment": "x" * 501}, 422),
    ({"rating": ""}, 422),
    ({"rating": "6"}, 422),
])
def test_spam_and_bad_input_store_nothing(app, w, db, data, status):
    import time

    client = phone(app, w.desk)
    if data.get("started", "") is None:
        data = {"started": public_ratings.form_started(time.time() + 3600)}
    payload = {"rating": "4", "comment": "", "started": started_ago(), **data}
    answer = client.post(f"/danh-gia/{w.desk.token}", data=payload)
    assert answer.status_code == status
    if status == 422:
        assert 'id="rating-refused"' in answer.get_data(as_text=True)
    assert count(Rating) == 0 and count(RatingMark) == 0


def test_a_browser_without_the_device_cookie_is_refused(app, w, db):
    client = app.test_client()  # never opened the page: no device id
    answer = send(client, w.desk, "5")
    assert answer.status_code == 422 and "cookie" in answer.get_data(as_text=True)
    forged = app.test_client()
    forged.set_cookie(throttle.RATER_COOKIE, "a-device-id-not-signed-by-the-app")
    assert send(forged, w.desk, "5").status_code == 422
    assert count(Rating) == 0


def test_the_form_needs_its_csrf_token(app, w, db, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    client = phone(app)
    page = client.get(f"/danh-gia/{w.desk.token}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert send(client, w.desk, "5").status_code == 400
    assert count(Rating) == 0
    assert send(client, w.desk, "5", csrf_token=token).status_code == 303
    assert count(Rating) == 1


def test_three_faces_when_the_quy_che_says_so(app, factory, db):
    from evalapp.evaluations import services

    w = world(factory, db)
    regulation = services.seed_regulation(SYSTEM, w.official.unit, "decree-335-2025")
    services.save_regulation(SYSTEM, w.official.unit, preset_key="decree-335-2025",
                             title="Quy chế ba mặt",
                             content=regulation.content | {"ratings": {"faces": 3}})
    db.session.commit()
    client = phone(app)
    page = client.get(f"/danh-gia/{w.desk.token}").get_data(as_text=True)
    assert len(re.findall(r'type="radio"[^>]*name="rating"', page)) == 3
    assert send(client, w.desk, "4").status_code == 422
    assert send(client, w.desk, "2").status_code == 303
    assert db.session.scalars(select(Rating)).one().value == 3  # the middle face, on 1–5


# ---------------------------------------------------------------- moderation


def test_a_comment_is_shown_only_once_approved_and_its_rating_counts_when_hidden(
        app, w, db, client, login_as):
    ratings.rate(w.desk, device_id="a", choice=5, comment="Rất chu đáo, cảm ơn chị",
                 day=date(2026, 3, 2))
    hidden = ratings.rate(w.desk, device_id="b", choice=2, comment="Lời lẽ xúc phạm",
                          day=date(2026, 3, 3))
    db.session.commit()
    url = f"/ledger/people/{w.official.id}/2026/m03"

    login_as(w.users["official"])  # the official sees their average, no waiting comment
    page = client.get(url).get_data(as_text=True)
    assert 'id="ratings-period-count">2<' in page and 'id="ratings-period-mean">3.50<' in page
    assert "Rất chu đáo" not in page and "xúc phạm" not in page and "desks-link" not in page
    assert client.get(f"/ledger/ratings/{w.official.unit_id}/moderation").status_code == 403
    client.post("/logout")

    login_as(w.users["head"])
    page = client.get(url).get_data(as_text=True)
    assert "Rất chu đáo" not in page and "Bình luận chờ kiểm duyệt: 2" in page
    assert f'href="/ledger/desks/{w.official.unit_id}" id="desks-link"' in page
    queue = client.get(f"/ledger/ratings/{w.official.unit_id}/moderation").get_data(as_text=True)
    assert "Rất chu đáo" in queue and "xúc phạm" in queue
    first = db.session.scalars(select(Rating).order_by(Rating.id)).first()
    assert client.post(f"/ledger/ratings/{first.id}/moderate",
                       data={"decision": "approve"}).status_code == 302
    assert client.post(f"/ledger/ratings/{hidden.id}/moderate",
                       data={"decision": "hide"}).status_code == 302
    assert client.post(f"/ledger/ratings/{hidden.id}/moderate",
                       data={"decision": "publish"}).status_code == 422
    client.post("/logout")

    login_as(w.users["official"])
    page = client.get(url).get_data(as_text=True)
    assert "Rất chu đáo, cảm ơn chị" in page and "xúc phạm" not in page
    assert 'id="ratings-period-count">2<' in page  # the hidden comment's rating still counts
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action.like("ledger_rating.%")).order_by(AuditEntry.seq)).all()
    assert [e.action for e in entries] == ["ledger_rating.comment_approved",
                                           "ledger_rating.comment_hidden"]
    assert all("chu đáo" not in e.details and "xúc phạm" not in e.details for e in entries)
    # Nobody but the official's managers moderates: not the official, not another unit's admin.
    with pytest.raises(NotAllowed):
        ratings.moderate(w.users["official"], hidden, True)


# ---------------------------------------------------------------- per period


def test_the_mean_per_month_quarter_and_year_to_the_hundredth_half_up(w, db):
    values = {date(2026, 1, 5): [5, 5, 5, 5, 4, 4, 4, 1],   # 33 / 8 = 4.125 → 4.13
              date(2026, 2, 9): [4, 5],                     # 4.50
              date(2026, 4, 1): [1, 2, 2]}                  # 1.666… → 1.67
    for day, scores in values.items():
        for n, value in enumerate(scores):
            ratings.rate(w.desk, device_id=f"d{n}", choice=value, comment=None, day=day)
    db.session.commit()
    ids = [w.official.id, w.colleague.id]

    def summary(key):
        return ratings.ratings_summary(ids, 2026, key)

    assert summary("m01")[w.official.id] == ratings.RatingSummary(8, Decimal("4.13"))
    assert summary("M02")[w.official.id] == ratings.RatingSummary(2, Decimal("4.50"))
    assert summary("q1")[w.official.id] == ratings.RatingSummary(10, Decimal("4.20"))
    assert summary("Q2")[w.official.id] == ratings.RatingSummary(3, Decimal("1.67"))
    assert summary("m03")[w.official.id] == ratings.RatingSummary(0, None)
    assert summary("year")[w.official.id] == ratings.RatingSummary(13, Decimal("3.62"))
    assert summary("year")[w.colleague.id] == ratings.RatingSummary(0, None)
    assert ratings.ratings_summary(ids, 2025, "year")[w.official.id].count == 0
    with pytest.raises(ValueError):
        summary("m13")
    # The unit keeps months (no Quy chế): twelve periods.
    periods = ratings.periods_of(w.official, 2026)
    assert [k for k, _s in periods][:2] == ["m01", "m02"] and len(periods) == 12
    # The evaluation round reads them as evidence, by the registry (evaluations imports no
    # ledger module).
    entries = period_sources.collect_evidence(ids, 2026)[w.official.id]
    assert [(e.period, e.count, e.value) for e in entries] == [
        ("m01", 8, Decimal("4.13")), ("m02", 2, Decimal("4.50")), ("m04", 3, Decimal("1.67")),
        ("year", 13, Decimal("3.62"))]
    assert {e.source for e in entries} == {"Đánh giá chất lượng phục vụ của người dân"}
    assert w.colleague.id not in period_sources.collect_evidence(ids, 2026)


# ---------------------------------------------------------------- desks and cards


def test_desks_are_kept_by_the_manager_and_audited(app, w, db, client, login_as):
    login_as(w.users["head"])
    page = client.get(f"/ledger/desks/{w.official.unit_id}").get_data(as_text=True)
    assert "Lê Thị Tiếp Dân" in page and f"/danh-gia/{w.desk.token}" in page
    assert client.post(f"/ledger/desks/people/{w.official.id}",
                       data={"active": "0"}).status_code == 302
    assert client.get(f"/danh-gia/{w.desk.token}").status_code == 410
    assert client.get(f"/ledger/desks/people/{w.official.id}/card.pdf").status_code == 404
    assert client.post(f"/ledger/desks/people/{w.official.id}",
                       data={"active": "1"}).status_code == 302
    assert client.get(f"/danh-gia/{w.desk.token}").status_code == 200  # the same card again
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.action.like("ledger_desk.%")).order_by(AuditEntry.seq)).all()
    assert actions == ["ledger_desk.opened", "ledger_desk.opened", "ledger_desk.closed",
                       "ledger_desk.opened"]
    client.post("/logout")
    login_as(w.users["official"])  # nobody opens or closes their own desk
    assert client.post(f"/ledger/desks/people/{w.official.id}",
                       data={"active": "0"}).status_code == 403
    assert client.get(f"/ledger/desks/{w.official.unit_id}").status_code == 403
    with pytest.raises(NotAllowed):
        ratings.set_desk(w.users["official"], w.official, False)
    with pytest.raises(NotFound):
        ratings.open_desk("")


def test_the_desk_card_is_an_a6_pdf_with_the_official_and_the_address(
        app, w, db, client, login_as, tmp_path):
    login_as(w.users["admin"])
    response = client.get(f"/ledger/desks/people/{w.official.id}/card.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "card.pdf"
    path.write_bytes(response.data)
    printed = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                             text=True, check=True).stdout
    for expected in ("Lê Thị Tiếp Dân", "Chuyên viên tiếp nhận", "BỘ PHẬN MỘT CỬA",
                     f"/danh-gia/{w.desk.token}", "Đánh giá chất lượng phục vụ"):
        assert expected in printed, expected
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True,
                          check=True).stdout
    assert "297.638 x 419.528 pts" in info  # A6
    assert re.search(r"^Pages:\s+1$", info, re.M)
    assert b"/Subtype /Image" in response.data or b"/Subtype/Image" in response.data


def test_ratings_are_kept_for_the_years_the_page_promises(w, db):
    """The page says KEEP_YEARS; a rating older than that goes as new ones arrive."""
    from evalapp.ledger.models import Rating

    ratings.rate(w.desk, device_id="a", choice=4, comment=None, day=date(2021, 3, 9))
    ratings.rate(w.desk, device_id="b", choice=5, comment="Rất tốt", day=date(2021, 3, 10))
    db.session.commit()
    assert ratings.KEEP_YEARS == 5
    ratings.rate(w.other_desk, device_id="c", choice=3, comment=None, day=date(2026, 3, 10))
    db.session.commit()
    kept = sorted(r.rated_on for r in db.session.query(Rating))
    assert kept == [date(2021, 3, 10), date(2026, 3, 10)]
