"""Rendering and issuing the documents of a confidence round: vote-count minutes, blank numbered
ballots and result notices, as A4 PDFs in the Vietnamese administrative layout.

Rendering is deterministic: the same round, document id, issue time and base URL give the same
bytes (fonts are shipped in static/fonts and loaded with @font-face; the PDF's dates and /ID come
from the document, never from the clock at rendering time). WeasyPrint fetches nothing but the
app's own static files: every other URL (file:, outside hosts) stops the rendering.

Every element with an id `sig-N` becomes an empty signature field of the first revision, placed
over that element, so that the signers fill existing fields in later revisions and no signature
ever invalidates an earlier one.

Services take the acting user and the objects, flush, write one audit entry and never commit.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import secrets
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import DataHandler, Request

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from evalapp.audit.services import record
from evalapp.ballots import services as ballots
from evalapp.ballots.models import (
    BASE_LABELS,
    OFFICER_LABELS,
    BallotCandidate,
    BallotRound,
    OfficerRole,
    RoundStatus,
)
from evalapp.core.errors import InvalidState, NotAllowed, NotFound, ValidationFailed
from evalapp.core.text import fold_for_search, nfc_or_none
from evalapp.core.time import as_utc, utcnow
from evalapp.documents.models import (
    DocumentKind,
    DocumentNumber,
    IssuedDocument,
    SignatureSlot,
)
from evalapp.extensions import db
from evalapp.org.models import Gender, Unit
from evalapp.tally import rules
from evalapp.tally.rules import Band, Scale

# Documents are Vietnamese administrative texts whatever the reader's interface language.
DOCUMENT_LOCALE = "vi"
# Vietnam has kept UTC+7 without daylight saving since 1975: a fixed offset needs no tz database.
VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")

# The origin WeasyPrint resolves relative URLs against. `.invalid` never resolves (RFC 6761):
# the fetcher maps it to the static folder and nothing ever leaves the process.
STATIC_ORIGIN = "https://evalapp.invalid/static/"
STATIC_TYPES = {
    ".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2",
    ".css": "text/css", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
}
DEFAULT_PUBLIC_BASE_URL = "http://localhost:5000/"
SIGNATURE_FIELD = re.compile(r"sig-([1-9][0-9]{0,3})")
CSS_PX_TO_PT = 0.75  # WeasyPrint lays out in CSS px (1/96 in); PDF user space is in pt (1/72 in)
# Annotation flags of an empty signature widget: Print (4) and Locked (128), as pyHanko sets.
WIDGET_FLAGS = 132


# ---------------------------------------------------------------- fetching static files only


class ResourceRefused(ValueError):
    """A document asked for something other than the app's own static files."""


def _static_fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves `https://evalapp.invalid/static/<path>` from the static folder and `data:`
        URLs; refuses everything else. Failing on errors stops the rendering instead of leaving
        out a font (and falling back to whatever the machine has)."""

        def __init__(self, static_folder: str | Path):
            super().__init__(fail_on_errors=True, allowed_protocols=("https", "data"))
            self.root = Path(static_folder).resolve()

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                response = DataHandler().data_open(Request(url))
                return URLFetcherResponse(url, response.read(), dict(response.headers))
            parts = urlsplit(url)
            if (parts.scheme != "https" or parts.netloc != "evalapp.invalid"
                    or not parts.path.startswith("/static/") or parts.query):
                raise ResourceRefused(f"refused: {url[:200]}")
            path = (self.root / unquote(parts.path.removeprefix("/static/"))).resolve()
            content_type = STATIC_TYPES.get(path.suffix.lower())
            if not path.is_relative_to(self.root) or content_type is None or not path.is_file():
                raise ResourceRefused(f"refused: {url[:200]}")
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    return StaticOnlyFetcher


def static_fetcher():
    """The URL fetcher every document is rendered with."""
    return _static_fetcher_class()(current_app.static_folder)


# ---------------------------------------------------------------- rendering


@dataclass(frozen=True)
class Stamp:
    """What identifies one rendering: the document's id (printed, in the QR code and as the
    PDF's /ID), its issue time (the PDF's creation date), the public address of the app, and
    the number the body's register gave it."""

    document_id: str
    created: datetime
    base_url: str = DEFAULT_PUBLIC_BASE_URL
    number: str | None = None  # the register number as printed ("01/BB-SNV"), if any

    @property
    def verify_url(self) -> str:
        return self.base_url.rstrip("/") + "/documents/verify/" + self.document_id

    @property
    def created_iso(self) -> str:
        return as_utc(self.created).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class FieldPlacement:
    """A signature field as placed in the PDF: 0-based page, (x1, y1, x2, y2) in pt from the
    bottom-left corner of the page."""

    name: str
    page: int
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class RenderedPdf:
    pdf: bytes
    fields: tuple[FieldPlacement, ...]
    pages: int
    source_sha256: str = ""


def qr_svg(text: str) -> Markup:
    """A QR code as inline SVG (no fetch, scales with CSS)."""
    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", xmldecl=False, svgns=True, border=0,
                                     omitsize=True, nl=False, svgclass="qr-code")
    return Markup(buffer.getvalue().decode("ascii"))


def _nfc_strings(value):
    """Every string in a template context normalised to NFC (lists, tuples and dicts too)."""
    if isinstance(value, Markup):
        return value
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list | tuple):
        return type(value)(_nfc_strings(v) for v in value)
    if isinstance(value, dict):
        return {k: _nfc_strings(v) for k, v in value.items()}
    return value


def _signature_fields(field_labels: Mapping[str, str], placed: list[FieldPlacement]):
    """A WeasyPrint finisher that adds an empty signature field over every `sig-N` element."""
    import pydyf

    def finisher(document, pdf) -> None:
        page_numbers = pdf.pages["Kids"][::3]
        references = pydyf.Array()
        for index, page in enumerate(document.pages):
            page_object = pdf.objects[page_numbers[index]]
            for name, (x1, y1, x2, y2) in sorted(page.anchors.items()):
                if not SIGNATURE_FIELD.fullmatch(name):
                    continue
                box = (round(x1 * CSS_PX_TO_PT, 2), round((page.height - y2) * CSS_PX_TO_PT, 2),
                       round(x2 * CSS_PX_TO_PT, 2), round((page.height - y1) * CSS_PX_TO_PT, 2))
                width, height = round(box[2] - box[0], 2), round(box[3] - box[1], 2)
                appearance = pydyf.Stream([], extra=pydyf.Dictionary({
                    "Type": "/XObject", "Subtype": "/Form",
                    "BBox": pydyf.Array([0, 0, width, height])}))
                pdf.add_object(appearance)
                widget = pydyf.Dictionary({
                    "Type": "/Annot", "Subtype": "/Widget", "FT": "/Sig",
                    "T": pydyf.String(name), "F": WIDGET_FLAGS,
                    "Rect": pydyf.Array(box), "P": page_object.reference,
                    "AP": pydyf.Dictionary({"N": appearance.reference}),
                })
                if field_labels.get(name):
                    widget["TU"] = pydyf.String(field_labels[name])
                pdf.add_object(widget)
                page_object.setdefault("Annots", pydyf.Array()).append(widget.reference)
                references.append(widget.reference)
                placed.append(FieldPlacement(name=name, page=index, box=box))
        if references:
            # SigFlags 1: the document has signature fields (append-only is set by signing).
            pdf.catalog["AcroForm"] = pydyf.Dictionary({"Fields": references, "SigFlags": 1})

    return finisher


def render_source(template_name: str, *, stamp: Stamp,
                  field_labels: Mapping[str, str] | None = None,
                  **context: Any) -> tuple[str, str]:
    """The HTML a document is rendered from, and the SHA-256 of everything its PDF is made of
    (that HTML and the labels of its signature fields): the same digest, the same document,
    without laying it out again."""
    with force_locale(DOCUMENT_LOCALE):
        html = render_template(template_name, stamp=stamp, qr=qr_svg(stamp.verify_url),
                               fmt=Formats, **_nfc_strings(context))
    html = unicodedata.normalize("NFC", html)
    labels = json.dumps(dict(field_labels or {}), sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256((html + "\0" + labels).encode("utf-8")).hexdigest()
    return html, digest


def render(template_name: str, *, stamp: Stamp, field_labels: Mapping[str, str] | None = None,
           url_fetcher=None, **context: Any) -> RenderedPdf:
    """Render `templates/<template_name>` to PDF, with a signature field over every `sig-N`
    element. The template gets `stamp`, `qr` (the verification QR code as SVG) and `fmt`."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    html, digest = render_source(template_name, stamp=stamp, field_labels=field_labels,
                                 **context)
    fetcher = url_fetcher or static_fetcher()
    document = HTML(string=html, base_url=STATIC_ORIGIN, url_fetcher=fetcher).render(
        font_config=FontConfiguration())
    placed: list[FieldPlacement] = []
    pdf = document.write_pdf(pdf_identifier=stamp.document_id.encode("ascii"),
                             finisher=_signature_fields(field_labels or {}, placed))
    return RenderedPdf(pdf=pdf, fields=tuple(placed), pages=len(document.pages),
                       source_sha256=digest)


def render_pdf(template_name: str, *, stamp: Stamp, **context: Any) -> bytes:
    """The PDF bytes of a document template (see render)."""
    return render(template_name, stamp=stamp, **context).pdf


# ---------------------------------------------------------------- Vietnamese formats


class Formats:
    """Numbers, dates and times as Vietnamese documents print them (never locale-dependent)."""

    @staticmethod
    def number(value: int | None) -> str:
        return "" if value is None else f"{value:,}".replace(",", ".")

    @staticmethod
    def percent(value: Decimal | None) -> str:
        """53.19 -> "53,19"."""
        return "" if value is None else f"{Decimal(value):.2f}".replace(".", ",")

    @staticmethod
    def local(moment: datetime | None) -> datetime | None:
        return as_utc(moment).astimezone(VIETNAM_TIME) if moment else None

    @staticmethod
    def day(value) -> str:
        """Nghị định 30/2020: days under 10 and the months 1 and 2 take a leading zero."""
        return f"{value.day:02d}"

    @staticmethod
    def month(value) -> str:
        return f"{value.month:02d}" if value.month < 3 else str(value.month)

    @classmethod
    def date_words(cls, value) -> str:
        """"ngày 01 tháng 12 năm 2026", or dotted blanks to fill in by hand."""
        if value is None:
            return "ngày …… tháng …… năm ………"
        return f"ngày {cls.day(value)} tháng {cls.month(value)} năm {value.year}"

    @classmethod
    def time_words(cls, moment: datetime | None) -> str:
        """"10 giờ 30 phút ngày 01 tháng 12 năm 2026" in Vietnam time."""
        if moment is None:
            return "…… giờ …… phút " + cls.date_words(None)
        local = cls.local(moment)
        return f"{local.hour} giờ {local.minute:02d} phút {cls.date_words(local)}"

    @classmethod
    def datetime_short(cls, moment: datetime | None) -> str:
        if moment is None:
            return ""
        return cls.local(moment).strftime("%H:%M %d/%m/%Y")

    @staticmethod
    def number_line(is_party: bool, label: str | None, kind_code: str,
                    issuer_code: str) -> str:
        """"Số: 01/BB-SNV" (Nghị định 30/2020) or "Số 01-BB/TU" (Party documents); dots
        where the number is not known (a rendering that is not issued)."""
        if is_party:
            return "Số " + (label or f"……-{kind_code}/{issuer_code}")
        return "Số: " + (label or f"……/{kind_code}-{issuer_code}")


# ---------------------------------------------------------------- fingerprints


def _sha256_json(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(unicodedata.normalize("NFC", text).encode("utf-8")).hexdigest()


def tally_fingerprint_payload(round_: BallotRound) -> dict:
    """What the tally fingerprint is taken over: the round's counts and, for every person voted
    on in ballot order, the count of each level of the scale (percentages are derived)."""
    counts = ballots.round_counts(round_)
    tally = ballots.tally_of(round_)
    by_id = {c.id: c for c in round_.active_candidates}
    return {
        "format": "evalapp-tally-1",
        "round_id": round_.id,
        "scale": round_.scale.value,
        "base": round_.base.value,
        "counts": {"summoned": counts.summoned, "present": counts.present,
                   "issued": counts.issued, "collected": counts.collected,
                   "valid": counts.valid, "invalid": counts.invalid},
        "candidates": [
            {"position": index, "candidate_id": line.candidate_id,
             "full_name": by_id[line.candidate_id].full_name,
             "counts": {level.value: line.counts[level] for level in round_.scale.levels}}
            for index, line in enumerate(tally.candidates, start=1)],
    }


def tally_fingerprint(round_: BallotRound) -> str:
    """SHA-256 (hex) of the canonical JSON of tally_fingerprint_payload: keys sorted, no
    spaces, UTF-8, NFC."""
    return _sha256_json(tally_fingerprint_payload(round_))


def roll_fingerprint_payload(round_: BallotRound) -> dict:
    """What the roll fingerprint is taken over: every summoned voter (person id, name as on the
    roll, present or not), by person id."""
    return {
        "format": "evalapp-roll-1",
        "round_id": round_.id,
        "voters": [[v.person_id, v.full_name, bool(v.present)]
                   for v in sorted(round_.voters, key=lambda v: v.person_id)],
    }


def roll_fingerprint(round_: BallotRound) -> str:
    """SHA-256 (hex) of the canonical JSON of roll_fingerprint_payload."""
    return _sha256_json(roll_fingerprint_payload(round_))


# ---------------------------------------------------------------- heading, date line, number

# Kinds of document that take a number of the body's register, with the abbreviation of their
# kind in the number ("01/BB-SNV": biên bản; "05/TB-SNV": thông báo). Blank ballots are forms.
NUMBERED_KINDS = {DocumentKind.MINUTES: "BB", DocumentKind.RESULT_NOTICE: "TB"}

# Words that introduce a place name in the name of a Vietnamese body ("Ủy ban nhân dân tỉnh
# Hòa Bình", "Sở Y tế thành phố Hà Nội", "Tỉnh ủy Hòa Bình", "Đảng ủy xã Tân Lập"); the place
# name is what follows the last of them, when it starts with a capital letter.
_PLACE_WORDS = ("tỉnh ủy", "thành ủy", "huyện ủy", "quận ủy", "thị ủy", "đảng ủy xã",
                "đảng ủy phường", "đảng ủy đặc khu", "tỉnh", "thành phố", "đặc khu",
                "thị trấn", "thị xã", "xã", "phường", "huyện", "quận")
_PLACE_WORD = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in _PLACE_WORDS)
                         + r")\s+(?=\w)")


def locality_from_name(name: str | None) -> str | None:
    """The place name a body's name carries: "Ủy ban nhân dân tỉnh Hòa Bình Xanh" → "Hòa Bình
    Xanh", "Tỉnh ủy Hòa Bình" → "Hòa Bình", "UBND xã Tân Lập" → "Tân Lập"; None when the name
    names no place ("Sở Nội vụ", "Ban Tổ chức")."""
    text = unicodedata.normalize("NFC", name or "").strip()
    lowered = text.lower()
    if len(lowered) != len(text):
        return None
    found = None
    for match in _PLACE_WORD.finditer(lowered):
        if text[match.end()].isupper():
            found = match
    if found is None:
        return None
    place = re.split(r"[,;()]", text[found.end():])[0].strip()
    return place or None


def locality_of(round_: BallotRound) -> str | None:
    """The place name of the date line: the round's own, else the one configured for the
    instance (EVALAPP_DOCUMENT_LOCALITY), else the one the name of the body, of its governing
    body, or of the round's unit and the units above it carries."""
    if round_.locality:
        return round_.locality
    configured = current_app.config.get("DOCUMENT_LOCALITY")
    if configured:
        return unicodedata.normalize("NFC", configured)
    names = [round_.body_name, round_.governing_body_name]
    unit = round_.unit
    while unit is not None:
        names.append(unit.name)
        unit = unit.parent
    return next((place for place in map(locality_from_name, names) if place), None)


def document_date(round_: BallotRound) -> date | None:
    """The date a round's documents bear: the meeting's date, else the day voting opened (in
    Vietnam time), never the day of printing."""
    if round_.meeting_date is not None:
        return round_.meeting_date
    for moment in (round_.opened_at, round_.closed_at, round_.counted_at):
        if moment is not None:
            return Formats.local(moment).date()
    return None


def _abbreviation(text: str) -> str:
    """Initials without tone marks, Đ kept: "Sở Nội vụ" → "SNV", "Ủy ban nhân dân" → "UBND",
    "Hội đồng nhân dân" → "HĐND"."""
    initials = []
    for word in re.findall(r"\w+", unicodedata.normalize("NFC", text)):
        first = word[0].upper()
        if first != "Đ":
            first = unicodedata.normalize("NFD", first)[0]
        initials.append(first)
    return "".join(initials)[:12]


def _organ(name: str) -> str:
    """A body's name without its place: "Ủy ban nhân dân tỉnh Hòa Bình" → "Ủy ban nhân dân",
    "Tỉnh ủy Hòa Bình" → "Tỉnh ủy", "Sở Nội vụ" unchanged."""
    text = unicodedata.normalize("NFC", name).strip()
    lowered = text.lower()
    if len(lowered) != len(text):
        return text
    for match in _PLACE_WORD.finditer(lowered):
        if text[match.end()].isupper():
            word = text[match.start():match.end()].strip()
            return (text[:match.start()] + (word if "ủy" in word.lower() else "")).strip()
    return text


def issuing_unit(round_: BallotRound) -> Unit | None:
    """The unit whose name is the body's ("Sở Nội vụ"): the round's unit or one above it first,
    then any other; None when no unit bears that name."""
    wanted = unicodedata.normalize("NFC", round_.body_name).strip().casefold()
    unit = round_.unit
    while unit is not None:
        if unicodedata.normalize("NFC", unit.name).strip().casefold() == wanted:
            return unit
        unit = unit.parent
    return db.session.execute(
        select(Unit).where(Unit.active.is_(True),
                           Unit.name == unicodedata.normalize("NFC", round_.body_name).strip())
        .order_by(Unit.path, Unit.id).limit(1)).scalar()


def register_unit(round_: BallotRound) -> Unit:
    """Whose register numbers the round's documents: the unit named like the body, else the
    round's unit."""
    return issuing_unit(round_) or round_.unit


def issuer_code(round_: BallotRound) -> str:
    """The body's part of a document symbol: the code of the unit named like the body ("SNV",
    "TU"), else the initials of the body's name without its place ("Tỉnh ủy Hòa Bình" → "TU",
    "Ban Tổ chức" → "BTC", "Ủy ban nhân dân xã Tân Lập" → "UBND")."""
    unit = issuing_unit(round_)
    code = re.sub(r"[^\w-]+", "", unicodedata.normalize("NFC", unit.code or "")).upper() \
        if unit is not None else ""
    return code[:20] or _abbreviation(_organ(round_.body_name)) or "VB"


def number_label(round_: BallotRound, kind: DocumentKind, number: int) -> str:
    """The number as printed after "Số": "01/BB-SNV" (state), "01-BB/TU" (Party). Numbers
    under 10 take a leading zero (Nghị định 30/2020, Hướng dẫn of the Party's Office)."""
    kind_code, code = NUMBERED_KINDS[kind], issuer_code(round_)
    if round_.unit.kind.is_party:
        return f"{number:02d}-{kind_code}/{code}"
    return f"{number:02d}/{kind_code}-{code}"


def allocate_number(round_: BallotRound, kind: DocumentKind,
                    candidate: BallotCandidate | None, year: int) -> DocumentNumber:
    """The next number of the body's register (register_unit) for `year`: 1, 2, 3 … (UNIQUE in
    the database; a concurrent issue that took the same number makes this one take the next)."""
    register = register_unit(round_)
    for _attempt in range(5):
        last = db.session.execute(
            select(func.max(DocumentNumber.number)).where(
                DocumentNumber.unit_id == register.id, DocumentNumber.year == year)
        ).scalar()
        number = (last or 0) + 1
        row = DocumentNumber(unit_id=register.id, year=year, number=number, kind=kind,
                             label=number_label(round_, kind, number)[:80], round_id=round_.id,
                             candidate_id=candidate.id if candidate else None,
                             created_at=utcnow())
        try:
            with db.session.begin_nested():
                db.session.add(row)
                db.session.flush()
        except IntegrityError:
            continue
        return row
    raise InvalidState(_l("Another document was numbered at the same moment. Try again."))


# ---------------------------------------------------------------- what each document shows


@dataclass(frozen=True)
class Signer:
    """One signature block: its field (`sig-N`), who signs it, and as what."""

    field_name: str
    position: int
    user_id: int
    full_name: str
    role_label: str
    roles: tuple[OfficerRole, ...] = ()


# Signature blocks of the minutes, in this order: the counting team, the secretary, the chair.
MINUTES_SIGNER_ROLES = (OfficerRole.COUNTER_HEAD, OfficerRole.COUNTER, OfficerRole.SECRETARY,
                        OfficerRole.CHAIR)
# A notice is signed by the chair, or by the head of the counting team when there is no chair.
NOTICE_SIGNER_ROLES = (OfficerRole.CHAIR, OfficerRole.COUNTER_HEAD)


def minutes_role_label(round_: BallotRound, role: OfficerRole) -> str:
    """How a role signs the minutes: a Party body's minutes are signed by the "Người ghi biên
    bản" (the secretary) and the "Chủ trì hội nghị" (Hướng dẫn of the Party's Office)."""
    if role is OfficerRole.SECRETARY and round_.unit.kind.is_party:
        return str(_l("Minutes taker"))
    return str(OFFICER_LABELS[role])


def minutes_signers(round_: BallotRound) -> list[Signer]:
    """One block per person: someone who is both secretary and counter signs once, as both."""
    officers = sorted(round_.officers,
                      key=lambda o: (MINUTES_SIGNER_ROLES.index(o.role), o.id or 0))
    roles: dict[int, list[OfficerRole]] = {}
    users = {}
    for officer in officers:
        roles.setdefault(officer.user_id, []).append(officer.role)
        users[officer.user_id] = officer.user
    signers = []
    for position, (user_id, held) in enumerate(roles.items(), start=1):
        label = ", ".join(minutes_role_label(round_, role) for role in held)
        signers.append(Signer(field_name=f"sig-{position}", position=position, user_id=user_id,
                              full_name=users[user_id].full_name, role_label=label,
                              roles=tuple(held)))
    return signers


@dataclass(frozen=True)
class SignatureRows:
    """Where the minutes' blocks stand: the counting team's first, then the closing row with
    the minutes taker (secretary) on the left and the chair on the right."""

    team: list[Signer]
    left: Signer | None
    right: Signer | None


def signature_rows(signers: list[Signer]) -> SignatureRows:
    right = next((s for s in signers if OfficerRole.CHAIR in s.roles), None)
    left = next((s for s in signers if OfficerRole.SECRETARY in s.roles and s is not right),
                None)
    return SignatureRows(team=[s for s in signers if s is not left and s is not right],
                         left=left, right=right)


def notice_signers(round_: BallotRound) -> list[Signer]:
    for role in NOTICE_SIGNER_ROLES:
        officer = next((o for o in sorted(round_.officers, key=lambda o: o.id or 0)
                        if o.role is role), None)
        if officer is not None:
            return [Signer(field_name="sig-1", position=1, user_id=officer.user_id,
                           full_name=officer.user.full_name,
                           role_label=str(OFFICER_LABELS[role]), roles=(role,))]
    return []


@dataclass
class CandidateLine:
    number: int
    candidate: BallotCandidate
    counts: dict
    percents: dict
    blank: int
    band: Band | None


@dataclass
class RoundFacts:
    """The numbers of a counted round, ready for a template."""

    counts: rules.RoundCounts
    base_label: str
    base_value: int
    quorum_met: bool
    present_percent: Decimal
    lines: list[CandidateLine] = field(default_factory=list)

    @property
    def any_blank(self) -> bool:
        return any(line.blank for line in self.lines)

    def band_lines(self, band: Band) -> list[CandidateLine]:
        return [line for line in self.lines if line.band is band]


def _facts(round_: BallotRound) -> RoundFacts:
    tally = ballots.tally_of(round_)
    counts = tally.counts
    by_id = {c.id: c for c in round_.active_candidates}
    return RoundFacts(
        counts=counts, base_label=str(BASE_LABELS[round_.base]), base_value=tally.base_value,
        quorum_met=rules.quorum_met(counts.present, counts.summoned),
        present_percent=rules.percent(counts.present, counts.summoned),
        lines=[CandidateLine(number=i, candidate=by_id[line.candidate_id],
                             counts=dict(line.counts), percents=dict(line.percents),
                             blank=line.blank, band=line.band)
               for i, line in enumerate(tally.candidates, start=1)])


def _common(round_: BallotRound, kind: DocumentKind) -> dict[str, Any]:
    scale = round_.scale
    return {
        "round": round_,
        "body_name": round_.body_name,
        "governing_body_name": round_.governing_body_name,
        "is_party": round_.unit.kind.is_party,
        "locality": locality_of(round_),
        "document_date": document_date(round_),
        "kind_code": NUMBERED_KINDS.get(kind, ""),
        "issuer_code": issuer_code(round_),
        # The scale's levels, labels and bands are data (evalapp.tally.scales).
        "levels": scale.levels,
        "level_labels": {level: _(level.label) for level in scale.levels},
        "band_labels": {band: _(band.label) for band in scale.bands},
        # The marks of the bands in the minutes' notes column, explained under the table.
        "band_marks": {band: scale.band_number(band) for band in scale.bands},
        "wording": {key: str(text) for key, text in DOCUMENT_WORDING.get(scale, {}).items()},
    }


# How the documents name the vote, per scale (the documents of evaluation rounds are theirs).
DOCUMENT_WORDING = {
    Scale.THREE_LEVEL: {
        "ballot_title": _l("Confidence ballot"),
        "minutes_subtitle": _l("Counting the votes of the confidence ballot"),
        "minutes_no_band": _l("Nobody received more than one half of the base in "
                              "low-confidence votes."),
        "notice_subtitle": _l("Result of the confidence ballot"),
        "notice_no_band": _l("The result is in none of the bands the rules name for more than "
                             "one half of low-confidence votes."),
    },
    Scale.TWO_LEVEL: {
        "ballot_title": _l("No-confidence ballot"),
        "minutes_subtitle": _l("Counting the votes of the no-confidence vote"),
        "minutes_no_band": _l("Nobody received more than one half of the base in "
                              "no-confidence votes."),
        "notice_subtitle": _l("Result of the no-confidence vote"),
        "notice_no_band": _l("The result is in none of the bands the rules name for more than "
                             "one half of no-confidence votes."),
    },
}


def _officer_context(round_: BallotRound) -> dict[str, Any]:
    """The counting team (head first) and the names of the chair and the secretary."""
    officers = sorted(round_.officers, key=lambda o: (MINUTES_SIGNER_ROLES.index(o.role),
                                                      o.id or 0))
    team = [Signer(field_name="", position=0, user_id=o.user_id, full_name=o.user.full_name,
                   role_label=str(OFFICER_LABELS[o.role])) for o in officers
            if o.role in (OfficerRole.COUNTER_HEAD, OfficerRole.COUNTER)]

    def names(role: OfficerRole) -> str:
        return ", ".join(o.user.full_name for o in officers if o.role is role)

    return {"team": team, "chair": names(OfficerRole.CHAIR),
            "secretary": names(OfficerRole.SECRETARY)}


def ballot_count(round_: BallotRound) -> int:
    """How many blank ballots to print: one per member present (frozen when voting opened, or
    as marked so far), or one per member summoned before attendance is taken."""
    if round_.present_count is not None:
        return round_.present_count
    present = sum(1 for v in round_.voters if v.present)
    return present or len(round_.voters)


KIND_TITLES = {
    DocumentKind.MINUTES: _l("Vote-count minutes: %(title)s"),
    DocumentKind.BLANK_BALLOTS: _l("Blank ballots: %(title)s"),
    DocumentKind.RESULT_NOTICE: _l("Result notice to %(name)s: %(title)s"),
}
TEMPLATES = {
    DocumentKind.MINUTES: "documents/minutes.html",
    DocumentKind.BLANK_BALLOTS: "documents/ballots.html",
    DocumentKind.RESULT_NOTICE: "documents/notice.html",
}


@dataclass
class DocumentPlan:
    """Everything needed to render one document of a round, and to record it."""

    kind: DocumentKind
    round: BallotRound
    candidate: BallotCandidate | None
    title: str
    signers: list[Signer]
    tally_fingerprint: str | None
    roll_fingerprint: str
    context: dict[str, Any]

    def _arguments(self) -> dict[str, Any]:
        return dict(field_labels={s.field_name: f"{s.role_label}: {s.full_name}"
                                  for s in self.signers},
                    title=self.title, signers=self.signers,
                    tally_fingerprint=self.tally_fingerprint,
                    roll_fingerprint=self.roll_fingerprint, **self.context)

    def render(self, stamp: Stamp, url_fetcher=None) -> RenderedPdf:
        return render(TEMPLATES[self.kind], stamp=stamp, url_fetcher=url_fetcher,
                      **self._arguments())

    def source_sha256(self, stamp: Stamp) -> str:
        """What render() would be made of, without laying it out (see render_source)."""
        return render_source(TEMPLATES[self.kind], stamp=stamp, **self._arguments())[1]


def plan_document(round_: BallotRound, kind: DocumentKind,
                  candidate: BallotCandidate | None = None) -> DocumentPlan:
    """What a document of `kind` shows for the round as it is now (no permission check)."""
    kind = DocumentKind(kind)
    counted = ballots.results_available(round_)
    signers: list[Signer] = []
    with force_locale(DOCUMENT_LOCALE):
        context = _common(round_, kind)
        if kind is DocumentKind.RESULT_NOTICE:
            if candidate is None:
                raise ValidationFailed(_l("Choose the person the notice is for."),
                                       field="candidate_id")
            title = str(KIND_TITLES[kind]) % {"name": candidate.full_name, "title": round_.title}
        else:
            title = str(KIND_TITLES[kind]) % {"title": round_.title}
        if kind is DocumentKind.MINUTES:
            signers = minutes_signers(round_)
            context["facts"] = _facts(round_)
            context["rows"] = signature_rows(signers)
            context.update(_officer_context(round_))
        elif kind is DocumentKind.RESULT_NOTICE:
            signers = notice_signers(round_)
            facts = _facts(round_)
            context["facts"] = facts
            context["line"] = next(line for line in facts.lines
                                   if line.candidate.id == candidate.id)
            context["salutation"] = _salutation(round_, candidate)
        else:
            context["ballot_numbers"] = range(1, ballot_count(round_) + 1)
            context["candidates"] = round_.active_candidates
    return DocumentPlan(kind=kind, round=round_, candidate=candidate, title=title,
                        signers=signers,
                        tally_fingerprint=tally_fingerprint(round_) if counted else None,
                        roll_fingerprint=roll_fingerprint(round_), context=context)


def _salutation(round_: BallotRound, candidate: BallotCandidate) -> str:
    if round_.unit.kind.is_party:
        return "đồng chí"
    gender = candidate.person.gender if candidate.person else None
    return {Gender.MALE: "ông", Gender.FEMALE: "bà"}.get(gender, "ông/bà")


# ---------------------------------------------------------------- issuing

NOT_ON_LIST = _l("This person is not on the round's list.")


def can_issue(user, round_: BallotRound) -> bool:
    """The secretary, the counting team, the chair and the round's admins."""
    return ballots.can_count(user, round_)


def can_download(user, document: IssuedDocument) -> bool:
    """Those who may issue the round's documents, and the person a notice is addressed to once
    the round lets people voted on see their own result."""
    round_ = ballots.get_round(document.round_id)
    if can_issue(user, round_):
        return True
    if document.kind is DocumentKind.RESULT_NOTICE and ballots.can_see_own_result(user, round_):
        own = ballots.own_candidacy(user, round_)
        return own is not None and own.id == document.candidate_id
    return False


def _check_issuable(round_: BallotRound, kind: DocumentKind,
                    candidate: BallotCandidate | None) -> None:
    if kind in (DocumentKind.MINUTES, DocumentKind.RESULT_NOTICE):
        if not ballots.results_available(round_):
            raise InvalidState(_l("The minutes and the result notices can be issued only "
                                  "after the ballots have been counted."))
    elif round_.status is RoundStatus.DRAFT:
        raise InvalidState(_l("Blank ballots can be printed once the round has left the "
                              "draft: the list of people voted on is final only then."))
    if kind is DocumentKind.RESULT_NOTICE:
        if candidate is None:
            raise ValidationFailed(_l("Choose the person the notice is for."),
                                   field="candidate_id")
        if candidate.round_id != round_.id or candidate.excluded:
            raise NotFound(NOT_ON_LIST)
    elif candidate is not None:
        raise ValidationFailed(_l("Only a result notice is addressed to one person."),
                               field="candidate_id")


def current_document(round_: BallotRound, kind: DocumentKind,
                     candidate: BallotCandidate | None = None) -> IssuedDocument | None:
    """The latest issued document of this kind (and person) for the round."""
    query = select(IssuedDocument).where(IssuedDocument.round_id == round_.id,
                                         IssuedDocument.kind == DocumentKind(kind))
    query = query.where(IssuedDocument.candidate_id == candidate.id) if candidate else \
        query.where(IssuedDocument.candidate_id.is_(None))
    return db.session.execute(query.order_by(IssuedDocument.created_at.desc(),
                                             IssuedDocument.id.desc()).limit(1)).scalar()


def is_signed(document: IssuedDocument) -> bool:
    return any(slot.signed_at is not None for slot in document.slots)


def issue_document(actor, round_: BallotRound, kind: DocumentKind,
                   candidate: BallotCandidate | None = None, *,
                   clock: Callable[[], datetime] | None = None,
                   base_url: str | None = None) -> IssuedDocument:
    """Issue a document of the round, or return the current one when nothing in it changed.

    A document any slot of which is signed is never replaced. An unsigned one whose content
    would change (a name corrected, more members present for the ballots) is superseded by a
    new document with a new id and the same number; the earlier one stays, so that a printed
    copy of it can still be traced. Minutes and notices take the next number of the body's
    register (register_unit) for the year of their date.
    """
    if not can_issue(actor, round_):
        raise NotAllowed()
    kind = DocumentKind(kind)
    _check_issuable(round_, kind, candidate)
    base_url = base_url or current_app.config.get("PUBLIC_BASE_URL") or DEFAULT_PUBLIC_BASE_URL
    plan = plan_document(round_, kind, candidate)
    if kind is not DocumentKind.BLANK_BALLOTS and not plan.signers:
        raise InvalidState(_l("Name the chair and the counting team of the round first: the "
                              "document needs someone to sign it."))
    if kind in NUMBERED_KINDS and not plan.context["locality"]:
        raise InvalidState(NO_LOCALITY)

    existing = current_document(round_, kind, candidate)
    if existing is not None:
        if is_signed(existing):
            return existing
        label = existing.number.label if existing.number else None
        again = Stamp(existing.id, as_utc(existing.created_at), base_url, label)
        if existing.source_sha256:  # the same source gives the same bytes: no layout needed
            if plan.source_sha256(again) == existing.source_sha256:
                return existing
        elif hashlib.sha256(plan.render(again).pdf).hexdigest() == existing.original_sha256:
            return existing

    created = as_utc((clock or utcnow)()).replace(microsecond=0)
    number = None
    if kind in NUMBERED_KINDS:
        year = (document_date(round_) or Formats.local(created).date()).year
        if existing is not None and existing.number is not None and existing.number.year == year:
            number = existing.number
        else:
            number = allocate_number(round_, kind, candidate, year)
    document_id = secrets.token_hex(16)
    rendered = plan.render(Stamp(document_id, created, base_url,
                                 number.label if number else None))
    placed = sorted(f.name for f in rendered.fields)
    wanted = sorted(s.field_name for s in plan.signers)
    if placed != wanted:  # a template that lost a block must never be issued
        raise RuntimeError(f"signature fields {placed} do not match the signers {wanted}")
    digest = hashlib.sha256(rendered.pdf).hexdigest()
    document = IssuedDocument(
        id=document_id, kind=kind, round_id=round_.id,
        candidate_id=candidate.id if candidate else None, title=plan.title[:500],
        tally_fingerprint=plan.tally_fingerprint, roll_fingerprint=plan.roll_fingerprint,
        pdf=rendered.pdf, original_sha256=digest, sha256=digest,
        source_sha256=rendered.source_sha256,
        created_by_id=getattr(actor, "id", None), created_at=created, number=number,
        slots=[SignatureSlot(position=s.position, field_name=s.field_name, signer_id=s.user_id,
                             role_label=s.role_label[:120]) for s in plan.signers])
    db.session.add(document)
    db.session.flush()
    record(actor, "document.issued", document, kind=kind.value, round_id=round_.id,
           candidate_id=document.candidate_id, sha256=digest,
           number=number.label if number else None,
           tally_fingerprint=plan.tally_fingerprint, roll_fingerprint=plan.roll_fingerprint)
    return document


NO_LOCALITY = _l("The date line of the documents needs a place name, and none is known for "
                 "this round: enter it under “Heading and date line” in the round’s "
                 "documents (for example: Hòa Bình).")


def issue_all_notices(actor, round_: BallotRound, *, base_url: str | None = None,
                      clock: Callable[[], datetime] | None = None) -> list[IssuedDocument]:
    """The result notice of every person voted on (issued, or the current one reused), in
    ballot order."""
    if not can_issue(actor, round_):
        raise NotAllowed()
    candidates = round_.active_candidates
    if not candidates:
        raise InvalidState(_l("Nobody is voted on in this round."))
    return [issue_document(actor, round_, DocumentKind.RESULT_NOTICE, candidate,
                           base_url=base_url, clock=clock) for candidate in candidates]


def update_document_details(actor, round_: BallotRound, *, governing_body_name: str | None,
                            locality: str | None) -> BallotRound:
    """The governing body line and the place name of the date line, which those who issue the
    round's documents may set at any time: a signed document never changes, and an unsigned
    one is issued anew, with the same number, the next time it is asked for."""
    if not can_issue(actor, round_):
        raise NotAllowed()
    governing, place = nfc_or_none(governing_body_name), nfc_or_none(locality)
    if governing and len(governing) > 300:
        raise ValidationFailed(_l("At most %(max)d characters.", max=300),
                               field="governing_body_name")
    if place and len(place) > 120:
        raise ValidationFailed(_l("At most %(max)d characters.", max=120), field="locality")
    round_.governing_body_name, round_.locality = governing, place
    db.session.flush()
    record(actor, "ballot_round.document_details_updated", round_,
           governing_body_name=governing, locality=place)
    return round_


# ---------------------------------------------------------------- reading


def get_document(document_id: str) -> IssuedDocument:
    document = None
    if re.fullmatch(r"[0-9a-f]{32}", document_id or ""):
        document = db.session.get(IssuedDocument, document_id)
    if document is None:
        raise NotFound(_l("This document does not exist."))
    return document


def round_documents(round_: BallotRound) -> list[IssuedDocument]:
    """The current document of each kind (and person) of the round: minutes, ballots, then the
    notices in ballot order."""
    everything = db.session.execute(
        select(IssuedDocument).where(IssuedDocument.round_id == round_.id)
        .order_by(IssuedDocument.created_at.desc(), IssuedDocument.id.desc())).scalars()
    current: dict[tuple, IssuedDocument] = {}
    for document in everything:
        current.setdefault((document.kind, document.candidate_id), document)
    order = list(DocumentKind)
    positions = {c.id: c.position for c in round_.candidates}
    return sorted(current.values(), key=lambda d: (order.index(d.kind),
                                                   positions.get(d.candidate_id, 0)))


def signatures_made(document: IssuedDocument) -> int:
    return sum(1 for slot in document.slots if slot.signed_at is not None)


def own_unsigned_slots(user, document: IssuedDocument) -> list[SignatureSlot]:
    user_id = getattr(user, "id", None)
    return [slot for slot in document.slots
            if user_id is not None and slot.signer_id == user_id and slot.signed_at is None]


def awaiting_signature(user, round_: BallotRound | None = None) -> list[IssuedDocument]:
    """The current documents (of `round_`, or of every round) with a block the user has still
    to sign, by round (newest first), then as round_documents orders them."""
    user_id = getattr(user, "id", None)
    if user_id is None:
        return []
    query = (select(IssuedDocument.round_id).join(SignatureSlot)
             .where(SignatureSlot.signer_id == user_id, SignatureSlot.signed_at.is_(None)))
    if round_ is not None:
        query = query.where(IssuedDocument.round_id == round_.id)
    round_ids = sorted(set(db.session.execute(query).scalars()), reverse=True)
    waiting = []
    for round_id in round_ids:
        for document in round_documents(db.session.get(BallotRound, round_id)):
            if own_unsigned_slots(user, document):
                waiting.append(document)
    return waiting


FILE_PREFIXES = {
    DocumentKind.MINUTES: "bien-ban-kiem-phieu",
    DocumentKind.BLANK_BALLOTS: "phieu-tin-nhiem",
    DocumentKind.RESULT_NOTICE: "thong-bao-ket-qua",
}


def _slug(text: str, limit: int = 60) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold_for_search(text)).strip("-")[:limit].strip("-")


def download_name(document: IssuedDocument) -> str:
    """An ASCII file name that says what the file is and how far it is signed, so that the
    versions of one document never share a name:
    "bien-ban-kiem-phieu-so-01-bb-snv-12-3f2a9c1d-chua-ky.pdf", then "…-da-ky-1-tren-3.pdf",
    "…-da-ky-3-tren-3.pdf". Blank ballots have no signature blocks and no such ending."""
    parts = [FILE_PREFIXES[document.kind]]
    if document.number is not None:
        parts.append("so-" + _slug(document.number.label, 30))
    parts.append(str(document.round_id))
    if document.candidate_id is not None:
        candidate = db.session.get(BallotCandidate, document.candidate_id)
        if candidate is not None and _slug(candidate.full_name):
            parts.append(_slug(candidate.full_name))
    parts.append(document.id[:8])
    if document.slots:
        made = signatures_made(document)
        parts.append("chua-ky" if made == 0 else f"da-ky-{made}-tren-{len(document.slots)}")
    return "-".join(parts) + ".pdf"


def notices_zip_name(round_: BallotRound) -> str:
    return f"thong-bao-ket-qua-{round_.id}-tat-ca.zip"


def notices_zip(documents: list[IssuedDocument]) -> bytes:
    """The notices as they are now, one PDF each under its download name, in one ZIP file: each
    keeps its own signature, which a merged PDF would lose. Entries are dated by their
    document, so the same notices give the same bytes."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for document in documents:
            local = Formats.local(document.created_at)
            info = zipfile.ZipInfo(download_name(document),
                                   date_time=(max(local.year, 1980), local.month, local.day,
                                              local.hour, local.minute, local.second))
            info.external_attr = 0o644 << 16
            archive.writestr(info, document.pdf)
    return buffer.getvalue()
