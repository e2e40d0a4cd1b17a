"""Service-quality ratings from the public (issue 13, "many sources of evidence").

A unit's manager or admin marks a front-desk official as serving the public (a desk, with an
unguessable random token); the desk card carries a QR code of the rating address. Anyone may
rate the official there, without an account: one rating per device, official and day. What is
stored is what the page says: the rating (1–5; three faces are kept as 1, 3, 5), the optional
comment, the date — and, to refuse a second rating the same day, a keyed hash of (device id,
official, day) in a table of its own (ledger_rating_mark), deleted after the day. No address,
no browser, no cookie value, no time of day.

A comment is shown to nobody but the official's moderators (their manager, the unit's admins)
until one approves it; hidden, it stays hidden, and the rating's value counts either way.

The average per period (`ratings_summary`) feeds the ledger's period page and, through the
evidence registry of evalapp.evaluations.period_sources, the evaluation round, as evidence beside
the general criteria (not added to the score unless a Quy chế says so).

Public ratings write no audit entry: they are no official's act, and an entry would keep the
time of day the page promises not to keep. Opening and closing desks and moderating do.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from evalapp.audit.services import record
from evalapp.auth.permissions import can, require
from evalapp.core.errors import DomainError, InvalidState, NotFound, ValidationFailed
from evalapp.core.text import nfc
from evalapp.evaluations import period_sources
from evalapp.evaluations.services import regulation_for_unit
from evalapp.extensions import db
from evalapp.ledger import permissions  # noqa: F401  (registers the ledger's actions)
from evalapp.ledger.models import CommentState, Desk, Rating, RatingMark
from evalapp.org.models import Person, Unit
from evalapp.tally import ledger as rules

FACES = (3, 5)
DEFAULT_FACES = 5
COMMENT_MAX = 500
KEEP_YEARS = 5          # what the page tells the public (the evaluation records' life)
YEAR = "year"
# Three faces are kept on the five-point scale so that every mean is on one scale.
THREE_FACES = {1: 1, 2: 3, 3: 5}
_LINK = re.compile(r"(?i)(https?:|ftp:|www\.|://|\b[\w-]+\.(?:com|net|org|info|biz|vn|xyz|top|"
                   r"io|ru|cn|link|click|online|site|shop|me|co)\b)")


class AlreadyRated(DomainError):
    status = 409
    default_message = _l("This device has already rated this official today. Thank you: one "
                         "rating per day is counted. You may rate again tomorrow.")


class DeskClosed(DomainError):
    status = 410
    default_message = _l("This official is not taking ratings at the moment (the desk is "
                         "closed or the official has left). Nothing was recorded.")


UNKNOWN_DESK = _l("This rating address does not exist. Check the address on the desk card.")


@dataclass(frozen=True)
class RatingSummary:
    count: int
    mean: Decimal | None   # to the hundredth, half up; None without ratings


# ---------------------------------------------------------------- desks


def faces_for(unit: Unit) -> int:
    """Three or five faces: the Quy chế's "ratings": {"faces": 3} setting, else five."""
    regulation = regulation_for_unit(unit)
    content = regulation.content if regulation is not None else {}
    setting = content.get("ratings", {}) if isinstance(content, dict) else {}
    faces = setting.get("faces") if isinstance(setting, dict) else None
    return faces if faces in FACES else DEFAULT_FACES


def desk_of(person: Person) -> Desk | None:
    return db.session.scalar(select(Desk).where(Desk.person_id == person.id))


def desks_of(unit: Unit) -> dict[int, Desk]:
    """The desks of the unit's people, by person id."""
    return {d.person_id: d for d in db.session.scalars(
        select(Desk).join(Person, Desk.person_id == Person.id).where(Person.unit_id == unit.id))}


def set_desk(actor, person: Person, active: bool) -> Desk:
    """Mark the person as serving the public (a new desk gets its random token), or not."""
    require(actor, "ledger.manage", person)
    desk = desk_of(person)
    if active and not person.active:
        raise InvalidState(_l("A person who has left cannot serve at a desk."))
    if desk is None:
        if not active:
            raise InvalidState(_l("This person does not serve the public."))
        desk = Desk(person_id=person.id, token=secrets.token_urlsafe(18), active=True)
        db.session.add(desk)
    elif desk.active == active:
        return desk
    desk.active = active
    db.session.flush()
    record(actor, "ledger_desk.opened" if active else "ledger_desk.closed", person)
    return desk


def open_desk(token: str | None) -> Desk:
    """The desk of a rating address that takes ratings: NotFound for an unknown address,
    DeskClosed (410) when the desk is off, or the official or their unit is no longer active."""
    token = (token or "")[:64]
    desk = db.session.scalar(select(Desk).where(Desk.token == token)) if token else None
    if desk is None:
        raise NotFound(UNKNOWN_DESK)
    if not (desk.active and desk.person.active and desk.person.unit.active):
        raise DeskClosed()
    return desk


# ---------------------------------------------------------------- rating


def _device_key() -> bytes:
    secret = str(current_app.secret_key).encode("utf-8")
    return hmac.new(secret, b"evalapp.ledger.rating-device", hashlib.sha256).digest()


def device_digest(device_id: str, person_id: int, day: date) -> str:
    """The keyed hash that stands for "this device rated this official on this day"."""
    message = f"{device_id}\0{person_id}\0{day.isoformat()}".encode()
    return hmac.new(_device_key(), message, hashlib.sha256).hexdigest()


def clean_comment(raw: str | None) -> str | None:
    comment = nfc((raw or "")[:COMMENT_MAX * 4])
    if len(comment) > COMMENT_MAX:
        raise ValidationFailed(_l("The comment may have at most %(max)s characters."),
                               field="comment", max=COMMENT_MAX)
    if _LINK.search(comment):
        raise ValidationFailed(_l("The comment may not contain web addresses. Write it without "
                                  "the link."), field="comment")
    return comment or None


def rate(desk: Desk, *, device_id: str, choice, comment: str | None, day: date) -> Rating:
    """Store one rating of the desk's official on `day` from the device `device_id`; refuse a
    second one from the same device the same day (AlreadyRated). `choice` is the face's number,
    1..faces."""
    if not device_id:
        raise ValidationFailed(_l("Your browser must accept cookies to rate: they keep one "
                                  "rating per day from each device."))
    person = desk.person
    faces = faces_for(person.unit)
    try:
        number = int(str(choice))
    except ValueError:
        number = 0
    if not 1 <= number <= faces:
        raise ValidationFailed(_l("Choose one of the faces."), field="rating")
    text = clean_comment(comment)
    db.session.execute(delete(RatingMark).where(RatingMark.day < day - timedelta(days=1)))
    forget_old_ratings(day)
    digest = device_digest(device_id, person.id, day)
    if db.session.scalar(select(RatingMark.id).where(RatingMark.digest == digest)):
        raise AlreadyRated()
    try:
        with db.session.begin_nested():
            db.session.add(RatingMark(digest=digest, day=day))
    except IntegrityError:  # the same device, twice at once
        raise AlreadyRated() from None
    rating = Rating(person_id=person.id, unit_id=person.unit_id, rated_on=day,
                    value=THREE_FACES[number] if faces == 3 else number, faces=faces,
                    comment=text,
                    comment_state=(CommentState.PENDING if text else CommentState.NONE).value)
    db.session.add(rating)
    db.session.flush()
    return rating


def forget_old_ratings(today: date) -> int:
    """Delete the ratings older than the KEEP_YEARS the rating page promises, as new ratings
    arrive (a rating of 10/03/2021 goes on 10/03/2026)."""
    limit = date(today.year - KEEP_YEARS, today.month, min(today.day, 28 if today.month == 2
                                                           else today.day))
    return db.session.execute(delete(Rating).where(Rating.rated_on < limit)).rowcount or 0


# ---------------------------------------------------------------- moderation


def moderation_queue(actor, unit: Unit) -> list[Rating]:
    """Comments waiting for a moderator, on the unit's people the actor manages."""
    pending = db.session.scalars(
        select(Rating).join(Person, Rating.person_id == Person.id)
        .where(Person.unit_id == unit.id, Rating.comment_state == CommentState.PENDING.value)
        .order_by(Rating.rated_on, Rating.id)).all()
    return [r for r in pending if can(actor, "ledger.manage", r.person)]


def moderate(actor, rating: Rating, approve: bool) -> Rating:
    """Approve a comment (shown to whoever sees the official's ledger) or hide it (never
    shown). The audit entry names the official and the rating, never the comment."""
    require(actor, "ledger.manage", rating.person)
    if rating.comment_state == CommentState.NONE.value:
        raise InvalidState(_l("This rating has no comment."))
    state = (CommentState.APPROVED if approve else CommentState.HIDDEN).value
    if rating.comment_state == state:
        raise InvalidState(_l("The comment is already in that state."))
    rating.comment_state = state
    rating.moderated_by_id = getattr(actor, "id", None)
    db.session.flush()
    record(actor, "ledger_rating.comment_approved" if approve else "ledger_rating.comment_hidden",
           rating.person, rating=rating.id)
    return rating


# ---------------------------------------------------------------- per period


def period_range(year: int, key: str) -> tuple[date, date]:
    """The first and last day of a period: "m01".."m12", "q1".."q4" (capitals accepted) or
    "year". ValueError for anything else."""
    key = key.lower()
    if key == YEAR:
        return date(year, 1, 1), date(year, 12, 31)
    if key in rules.period_keys("month"):
        first_month = last_month = int(key[1:])
    elif key in rules.period_keys("quarter"):
        first_month = 3 * (int(key[1:]) - 1) + 1
        last_month = first_month + 2
    else:
        raise ValueError("bad_period")
    following = date(year + (last_month == 12), last_month % 12 + 1, 1)
    return date(year, first_month, 1), following - timedelta(days=1)


def _mean(total: int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def ratings_summary(person_ids, year: int, period_key: str) -> dict[int, RatingSummary]:
    """Each person's count and mean rating (1–5, to the hundredth, half up) in a period of the
    year ("m01".."m12", "q1".."q4" as the ledger keeps them, or "year"). Every rating counts,
    its comment approved, hidden or waiting. People without a rating: count 0, mean None."""
    ids = sorted({int(i) for i in person_ids})
    first, last = period_range(year, period_key)
    found = {person_id: (count, total) for person_id, count, total in db.session.execute(
        select(Rating.person_id, func.count(Rating.id), func.sum(Rating.value))
        .where(Rating.person_id.in_(ids), Rating.rated_on >= first, Rating.rated_on <= last)
        .group_by(Rating.person_id))} if ids else {}
    summaries = {}
    for i in ids:
        count, total = found.get(i, (0, 0))
        summaries[i] = RatingSummary(count, _mean(total or 0, count))
    return summaries


def periods_of(person: Person, year: int) -> list[tuple[str, RatingSummary]]:
    """The person's summary per period of their unit's ledger (months or quarters)."""
    keys = rules.period_keys(rules_of(person.unit).period)
    return [(key, ratings_summary([person.id], year, key)[person.id]) for key in keys]


def rules_of(unit: Unit) -> rules.LedgerRules:
    regulation = regulation_for_unit(unit)
    try:
        return rules.LedgerRules.from_regulation(regulation.content if regulation else None)
    except ValueError:
        return rules.LedgerRules()


def approved_comments(person: Person, year: int, period_key: str) -> list[Rating]:
    first, last = period_range(year, period_key)
    return list(db.session.scalars(
        select(Rating).where(Rating.person_id == person.id, Rating.rated_on >= first,
                             Rating.rated_on <= last,
                             Rating.comment_state == CommentState.APPROVED.value)
        .order_by(Rating.rated_on, Rating.id)))


def pending_count(person: Person) -> int:
    return db.session.scalar(select(func.count(Rating.id)).where(
        Rating.person_id == person.id, Rating.comment_state == CommentState.PENDING.value)) or 0


def source_name() -> str:
    """The public ratings' name as a source of evidence, and in a Quy chế's weights (the
    Quy chế is the body's Vietnamese text: the name is the Vietnamese one whatever the page's
    language)."""
    from flask_babel import force_locale

    with force_locale("vi"):
        return str(_l("Public service-quality ratings"))


def weighable_value(person_id: int, year: int, key: str) -> Decimal | None:
    """The ratings of a period (or "year") on the 0–100 scale a weight applies to: the mean
    face × 20 (five faces: 100); None without any rating."""
    summary = ratings_summary([person_id], year, key)[person_id]
    return None if summary.mean is None else summary.mean * 20


@period_sources.evidence_source
def service_ratings(person_ids: list[int], year: int
                    ) -> dict[int, list[period_sources.EvidenceEntry]]:
    """The public's service-quality ratings, for the evaluation round (evidence): the count and
    mean of each period of the person's unit's ledger that has any, then of the whole year."""
    label = source_name()
    scale = str(_l("Mean of the faces, 1 to 5."))
    found: dict[int, list[period_sources.EvidenceEntry]] = {}
    for person_id, summary in ratings_summary(person_ids, year, YEAR).items():
        if not summary.count:
            continue
        person = db.session.get(Person, person_id)
        found[person_id] = [
            *(period_sources.EvidenceEntry(label, key, part.count, part.mean, None)
              for key, part in periods_of(person, year) if part.count),
            period_sources.EvidenceEntry(label, YEAR, summary.count, summary.mean, scale)]
    return found
