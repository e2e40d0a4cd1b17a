"""Rendering documents to PDF: WeasyPrint through a fetcher that serves the app's own static
files only, with an empty signature field of the first revision over every `sig-N` element; the
Vietnamese formats documents print numbers, dates and register numbers in; the heading's place
name and abbreviations; canonical fingerprints.

Rendering is deterministic: the same template, context, document id, issue time and base URL give
the same bytes (fonts are shipped in static/fonts and loaded with @font-face; the PDF's dates and
/ID come from the document, never from the clock at rendering time). WeasyPrint fetches nothing
but the app's own static files: every other URL (file:, outside hosts) stops the rendering.

Every element with an id `sig-N` becomes an empty signature field of the first revision, placed
over that element, so that the signers fill existing fields in later revisions and no signature
ever invalidates an earlier one.

Nothing here knows who owns a document: this module imports no other area.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import DataHandler, Request

from flask import current_app, render_template
from flask_babel import force_locale
from markupsafe import Markup

from evalapp.core.text import clean_text, fold_for_search
from evalapp.core.time import as_utc

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
    # nosec B704 - segno writes the SVG; the encoded text is inside it as modules, not markup
    return Markup(buffer.getvalue().decode("ascii"))  # nosec B704


def qr_image(text: str) -> Markup:
    """A QR code as a PNG image in a data: address. A document's verification code is the same
    on every page: WeasyPrint decodes one image once and the PDF holds it once, where an SVG is
    drawn again, module by module, on every page (measured: bench/evaluation_forms.py)."""
    import segno

    uri = segno.make(text, error="m").png_data_uri(scale=10, border=0)
    # nosec B704 - segno writes the data address (base64 of a PNG), nothing of the text as markup
    return Markup(f'<img class="qr-code" alt="" src="{uri}">')  # nosec B704


def _nfc_strings(value):
    """Every string in a template context as text is stored (NFC, no bidirectional controls:
    core.text.clean_text), lists, tuples and dicts too, before the template escapes it. The
    HTML the template makes is never normalised: NFC after escaping would merge a combining mark
    at the start of a value (U+0338) with the `>` before it and turn the value into markup."""
    if isinstance(value, Markup):
        return value
    if isinstance(value, str):
        return clean_text(value)
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
        html = render_template(template_name, stamp=stamp, qr=qr_image(stamp.verify_url),
                               fmt=Formats, **_nfc_strings(context))
    labels = json.dumps(dict(field_labels or {}), sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256((html + "\0" + labels).encode("utf-8")).hexdigest()
    return html, digest


def render(template_name: str, *, stamp: Stamp, field_labels: Mapping[str, str] | None = None,
           url_fetcher=None, **context: Any) -> RenderedPdf:
    """Render `templates/<template_name>` to PDF, with a signature field over every `sig-N`
    element. The template gets `stamp`, `qr` (the verification QR code, an image) and `fmt`."""
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
        """53.19 -> "53,19", 53.2 -> "53,2": the decimals the value carries (a round's
        percentages have the places it publishes, evalapp.tally.rules.percent)."""
        if value is None:
            return ""
        value = Decimal(value)
        text = f"{value:f}" if value.as_tuple().exponent < 0 else f"{value:.2f}"
        return text.replace(".", ",")

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


# ---------------------------------------------------------------- fingerprints and file names


def sha256_json(payload: Any) -> str:
    """SHA-256 (hex) of the canonical JSON of `payload`: keys sorted, no spaces, UTF-8, NFC."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(unicodedata.normalize("NFC", text).encode("utf-8")).hexdigest()


def slug(text: str, limit: int = 60) -> str:
    """ASCII words joined by hyphens, for file names: "Nguyễn Thị Hường" → "nguyen-thi-huong"."""
    return re.sub(r"[^a-z0-9]+", "-", fold_for_search(text)).strip("-")[:limit].strip("-")


# ---------------------------------------------------------------- heading and number

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


def abbreviation(text: str) -> str:
    """Initials without tone marks, Đ kept: "Sở Nội vụ" → "SNV", "Ủy ban nhân dân" → "UBND",
    "Hội đồng nhân dân" → "HĐND"."""
    initials = []
    for word in re.findall(r"\w+", unicodedata.normalize("NFC", text)):
        first = word[0].upper()
        if first != "Đ":
            first = unicodedata.normalize("NFD", first)[0]
        initials.append(first)
    return "".join(initials)[:12]


def organ(name: str) -> str:
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


def issuer_code(body_name: str, unit_code: str | None = None) -> str:
    """The body's part of a document symbol: the code of the unit named like the body ("SNV",
    "TU"), else the initials of the body's name without its place ("Tỉnh ủy Hòa Bình" → "TU",
    "Ban Tổ chức" → "BTC", "Ủy ban nhân dân xã Tân Lập" → "UBND")."""
    code = re.sub(r"[^\w-]+", "", unicodedata.normalize("NFC", unit_code or "")).upper()
    return code[:20] or abbreviation(organ(body_name)) or "VB"


def number_label(is_party: bool, kind_code: str, issuer: str, number: int) -> str:
    """The number as printed after "Số": "01/BB-SNV" (state), "01-BB/TU" (Party). Numbers
    under 10 take a leading zero (Nghị định 30/2020, Hướng dẫn of the Party's Office)."""
    if is_party:
        return f"{number:02d}-{kind_code}/{issuer}"
    return f"{number:02d}/{kind_code}-{issuer}"
