"""Names that try to become markup or to turn the page's text around (issue 10, fault 6).

A name beginning with a combining mark (U+0338 merges with a `>` into U+226F under NFC) and one
carrying a right-to-left override (U+202E) are entered through the real services and printed on
the official blank ballots and the minutes by WeasyPrint, read back with pdftotext: every
numbered line carries its name and the fixed text reads as written.
"""

from __future__ import annotations

import re

from evalapp.ballots.documents import DocumentKind
from evalapp.ballots.models import RoundStatus
from evalapp.core.text import BIDI_CONTROLS
from evalapp.documents import services as docs
from evalapp.org.models import Gender
from tests.documents.helpers import GOLDEN_STAMP, build_round
from tests.documents.pdftext import flat, pdf_text

HOSTILE = [("\u0338abc Hường", "Bí thư", Gender.FEMALE),
           ("Trần \u202eQuốc Vượng", "Phó Bí thư", Gender.MALE),
           ("\u2067Lê\u2069 Ngọc \u200fẨn\u061c", "Ủy viên", Gender.MALE)]
SHOWN = ["abc Hường", "Trần Quốc Vượng", "Lê Ngọc Ẩn"]


def _render(round_, kind):
    return docs.plan_document(round_, kind, None).render(GOLDEN_STAMP)


def test_hostile_names_print_on_every_numbered_line_of_the_blank_ballots(db):
    built = build_round(candidates=HOSTILE, summoned=3, state=RoundStatus.VOTING)
    stored = [c.full_name for c in built.round.active_candidates]
    assert not any(set(name) & BIDI_CONTROLS for name in stored)  # stripped on entry
    assert stored[0].startswith("\u0338")  # kept as typed: harmless once nothing re-normalises
    rendered = _render(built.round, DocumentKind.BLANK_BALLOTS)
    assert rendered.pages == 3
    for page in range(1, 4):
        raw = pdf_text(rendered.pdf, first=page, last=page, layout=False)
        assert not set(raw) & BIDI_CONTROLS
        lines = [line.strip() for line in raw.splitlines()]
        for number, name in enumerate(SHOWN, start=1):
            # The numbered line holds the name (the bug printed the number alone).
            assert any(re.match(rf"{number}\s+\W?{re.escape(name)}", line) for line in lines), \
                (number, name, lines)
        text = flat(raw)
        assert f"Phiếu số: {page}/3" in text
        for fixed in ("PHIẾU LẤY PHIẾU TÍN NHIỆM", "Dấu treo của cơ quan", "Tín nhiệm cao",
                      "Tín nhiệm thấp", "Không ghi tên người bỏ phiếu"):
            assert fixed in text, fixed


def test_hostile_names_leave_the_fixed_text_of_the_minutes_as_written(db):
    built = build_round(candidates=HOSTILE, summoned=6)
    words = flat(pdf_text(_render(built.round, DocumentKind.MINUTES).pdf, layout=False))
    assert not set(words) & BIDI_CONTROLS
    for name in SHOWN:
        assert name in words, name
    for fixed in ("BIÊN BẢN", "Kiểm phiếu lấy phiếu tín nhiệm",
                  "Tổng số thành viên được triệu tập: 6.", "đủ điều kiện tiến hành lấy phiếu",
                  "Tổ trưởng tổ kiểm phiếu"):
        assert fixed in words, fixed
