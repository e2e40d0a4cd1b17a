"""What the rendered documents say, read back from the PDFs with poppler's pdftotext; fonts that
travel with the app; the same bytes for the same input; nothing fetched from anywhere else."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import unicodedata
from io import BytesIO

import pytest
from fontTools.ttLib import TTFont
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields

from evalapp import ROOT
from evalapp.ballots import documents as rdocs
from evalapp.ballots.documents import DocumentKind
from evalapp.ballots.models import RoundStatus
from evalapp.documents import services as docs
from evalapp.org.models import UnitKind
from evalapp.tally.rules import Scale
from tests.documents import golden
from tests.documents.helpers import GOLDEN_STAMP, OFFICERS, ballots_for_53_19, build_round
from tests.documents.pdftext import flat, pdf_text

FONTS = ROOT / "static" / "fonts"


def render(round_, kind=DocumentKind.MINUTES, candidate=None, stamp=GOLDEN_STAMP, **kw):
    return docs.plan_document(round_, kind, candidate).render(stamp, **kw)


def top_line(pdf: bytes, page: int) -> str:
    """The first line of text of a page, as laid out."""
    text = pdf_text(pdf, first=page, last=page)
    return next(line for line in text.splitlines() if line.strip()).strip()


def words_with_boxes(pdf: bytes, page: int) -> list[tuple[str, float, float, float, float]]:
    """(word, xMin, yMin, xMax, yMax) in pt from the top-left corner, as pdftotext -bbox sees
    them."""
    import re

    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), "-", "-"],
                          input=pdf, capture_output=True, check=True).stdout.decode("utf-8")
    return [(unicodedata.normalize("NFC", m[4]), float(m[0]), float(m[1]), float(m[2]),
             float(m[3]))
            for m in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                                r'yMax="([\d.]+)">([^<]*)</word>', html)]


# ---------------------------------------------------------------- fonts


def vietnamese_letters() -> set[str]:
    letters = set("đĐ")
    for base in "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY":
        for tone in ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"):
            letters.add(unicodedata.normalize("NFC", base + tone))
    return letters


@pytest.mark.parametrize("name", [
    "LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf", "LiberationSerif-Italic.ttf",
    "LiberationSerif-BoldItalic.ttf", "NotoSerif-Regular.ttf", "NotoSerif-Bold.ttf"])
def test_shipped_fonts_cover_every_vietnamese_letter(name):
    """Debian's fonts-liberation 1.07 lacks ơ, ư and most of the letters with a dot below or a
    hook above: a renderer would fill them from whatever font the machine has. The shipped
    fonts have them all, so no glyph of a Vietnamese name comes from the machine."""
    cmap = TTFont(FONTS / name).getBestCmap()
    missing = sorted(ch for ch in vietnamese_letters() if ord(ch) not in cmap)
    assert not missing


def test_fonts_carry_their_licence_texts():
    for licence, holders in (("LiberationSerif-OFL.txt", ["Red Hat", "Google"]),
                             ("NotoSerif-OFL.txt", ["Google"])):
        text = (FONTS / licence).read_text()
        assert "SIL OPEN FONT LICENSE" in text and "Version 1.1" in text
        assert all(holder in text for holder in holders)


def test_the_stylesheet_loads_the_shipped_fonts_on_the_root():
    css = (ROOT / "static" / "css" / "documents.css").read_text()
    assert 'html { font-family: "Evalapp Serif"' in css
    for face in ("LiberationSerif-Regular", "LiberationSerif-Bold", "LiberationSerif-Italic",
                 "LiberationSerif-BoldItalic", "NotoSerif-Regular"):
        assert f"url(../fonts/{face}.ttf)" in css


def test_every_font_in_the_pdf_is_a_shipped_one(db):
    built = build_round()
    pdf = render(built.round).pdf
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True,
                           check=True).stdout.decode()
    names = [line.split()[0] for line in fonts.splitlines()[2:]]
    # Only the @font-face families of documents.css: no font of the machine stands in.
    assert names and all("+Evalapp-Serif" in name for name in names), fonts
    assert all(" yes " in line for line in fonts.splitlines()[2:])  # embedded


# ---------------------------------------------------------------- the minutes


def test_minutes_of_a_party_body(db):
    built = build_round(summoned=50, present=47, ballots_cast=ballots_for_53_19())
    round_ = built.round
    rendered = render(round_)
    text = pdf_text(rendered.pdf)
    words = flat(text)
    assert rendered.pages == 2
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text and "TỈNH ỦY HÒA BÌNH" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA" not in text
    assert "ngày 01 tháng 12 năm 2026" in text
    assert "BIÊN BẢN" in text and "Kiểm phiếu lấy phiếu tín nhiệm" in text
    assert round_.title in words
    assert ("Hôm nay, vào hồi 10 giờ 30 phút ngày 01 tháng 12 năm 2026, tại Hội trường tầng 3"
            in words)
    for name in OFFICERS.values():
        assert name in text
    assert "Tổ trưởng tổ kiểm phiếu" in text and "TỔ TRƯỞNG TỔ KIỂM PHIẾU" in text
    # Hướng dẫn 05-HD/VPTW: the minutes taker signs on the left, the chair on the right.
    closing = next(line for line in text.splitlines() if "NGƯỜI GHI BIÊN BẢN" in line)
    assert closing.index("NGƯỜI GHI BIÊN BẢN") < closing.index("CHỦ TRÌ HỘI NGHỊ")
    assert "Số 07-BB/TU" in text
    assert "Tổng số thành viên được triệu tập: 50." in words
    assert "Số thành viên có mặt: 47 (bằng 94,00 % tổng số được triệu tập)" in words
    assert "đủ điều kiện tiến hành lấy phiếu" in words
    for line in ("Số phiếu phát ra: 47.", "Số phiếu thu về: 47.", "Số phiếu hợp lệ: 47.",
                 "Số phiếu không hợp lệ: 0.", "Tỷ lệ phần trăm tính trên: Số phiếu thu về (47)"):
        assert line in words
    # Nguyễn Thị Hường: 7 high, 15 confidence, 25 low of 47.
    row = next(line for line in text.splitlines() if "Nguyễn Thị Hường" in line)
    assert row.split()[-7:] == ["7", "14,89", "15", "31,91", "25", "53,19", "(1)"]
    row = next(line for line in text.splitlines() if "Trần Quốc Vượng" in line)
    assert row.split()[-7:] == ["0", "0,00", "15", "31,91", "32", "68,09", "(2)"]
    assert "100,00" in next(line for line in text.splitlines() if "Lê Ngọc Ẩn" in line)
    assert "(1) Trên một nửa tín nhiệm thấp: Nguyễn Thị Hường." in words
    assert "(2) Từ hai phần ba trở lên tín nhiệm thấp: Trần Quốc Vượng." in words
    assert "Việc kiểm phiếu kết thúc vào hồi 11 giờ 05 phút ngày 01 tháng 12 năm 2026" in words
    assert rdocs.tally_fingerprint(round_) in text
    assert rdocs.roll_fingerprint(round_) in text
    assert round_.box_digest in text
    assert f"Hội nghị số {round_.id}" in text
    assert "Trang" not in text  # page numbers are bare numerals at the top, from page 2
    assert top_line(rendered.pdf, 2) == "2" and top_line(rendered.pdf, 1) != "1"
    assert text.count(GOLDEN_STAMP.document_id) >= 2  # in the footer of every page
    assert text.count(GOLDEN_STAMP.verify_url) == 2


def test_minutes_of_a_state_body_carry_the_national_motto(db):
    built = build_round(kind=UnitKind.PEOPLES_COMMITTEE, body_name="Ủy ban nhân dân xã Tân Lập")
    text = pdf_text(render(built.round).pdf)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "ỦY BAN NHÂN DÂN XÃ TÂN LẬP" in text
    assert "ĐẢNG CỘNG SẢN" not in text


def test_no_confidence_vote_minutes_use_the_two_levels(db):
    built = build_round(scale=Scale.TWO_LEVEL, summoned=3,
                        ballots_cast=[["no_confidence"] * 3, ["no_confidence"] * 3,
                                      ["confidence"] * 3])
    words = flat(pdf_text(render(built.round).pdf, layout=False))
    assert "Kiểm phiếu bỏ phiếu tín nhiệm" in words
    assert "Không tín nhiệm" in words and "Tín nhiệm cao" not in words
    assert "(1) Trên một nửa không tín nhiệm: Nguyễn Thị Hường, Trần Quốc Vượng, Lê Ngọc Ẩn." \
        in words
    assert "66,67" in words and "33,33" in words


def test_table_headers_repeat_on_every_page(db):
    many = [(f"Nguyễn Văn Người Số {i:02d}", f"Phó Trưởng phòng {i}", None)
            for i in range(45)]
    built = build_round(candidates=many, summoned=3)
    rendered = render(built.round)
    assert rendered.pages >= 3
    for page in range(1, rendered.pages):
        text = flat(pdf_text(rendered.pdf, first=page, last=page, layout=False))
        if "Nguyễn Văn Người Số" in text:
            assert "Họ và tên" in text and "Tín nhiệm thấp" in text, f"page {page}"


# ---------------------------------------------------------------- heading, number, date, pages

A4_WIDTH_PT = 595.28
TEXT_CENTRE_PT = (30 + 165 / 2) / 25.4 * 72  # left margin 30 mm, text 165 mm wide


def heading_lines(pdf: bytes) -> list[str]:
    return [line.strip() for line in pdf_text(pdf, first=1, last=1).splitlines()
            if line.strip()][:6]


def test_the_heading_of_a_state_document(db):
    """Nghị định 30/2020: the governing body over the issuing body, the number under them; the
    national motto on the right; the date line with the round's place name and the meeting's
    date (28/11), not the day the count ended (01/12) nor the day of printing."""
    from datetime import date

    built = build_round(kind=UnitKind.DEPARTMENT, body_name="Sở Nội vụ",
                        governing_body_name="UBND tỉnh Hòa Bình Xanh", locality="Hòa Bình Xanh",
                        meeting_date=date(2026, 11, 28))
    stamp = docs.Stamp(GOLDEN_STAMP.document_id, GOLDEN_STAMP.created, GOLDEN_STAMP.base_url,
                       "05/BB-SNV")
    lines = heading_lines(render(built.round, stamp=stamp).pdf)
    left = [line.split("  ")[0].strip() for line in lines]
    assert left[:3] == ["UBND TỈNH HÒA BÌNH XANH", "SỞ NỘI VỤ", "Số: 05/BB-SNV"], lines
    assert lines[0].endswith("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    assert lines[1].endswith("Độc lập - Tự do - Hạnh phúc")
    assert any(line.endswith("Hòa Bình Xanh, ngày 28 tháng 11 năm 2026") for line in lines)
    assert "ngày 01 tháng 12" not in " ".join(lines)


def test_the_heading_of_a_party_document(db):
    built = build_round(body_name="Ban Tổ chức", governing_body_name="Tỉnh ủy Hòa Bình Xanh",
                        locality="Hòa Bình Xanh")
    stamp = docs.Stamp(GOLDEN_STAMP.document_id, GOLDEN_STAMP.created, GOLDEN_STAMP.base_url,
                       "03-BB/BTC")
    lines = heading_lines(render(built.round, stamp=stamp).pdf)
    left = [line.split("  ")[0].strip() for line in lines]
    assert left[:4] == ["TỈNH ỦY HÒA BÌNH XANH", "BAN TỔ CHỨC", "*", "Số 03-BB/BTC"], lines
    assert lines[0].endswith("ĐẢNG CỘNG SẢN VIỆT NAM")
    assert any(line.endswith("Hòa Bình Xanh, ngày 01 tháng 12 năm 2026") for line in lines)
    assert "CỘNG HÒA XÃ HỘI" not in " ".join(lines)


def test_a_long_governing_body_wraps_inside_its_column(db):
    built = build_round(kind=UnitKind.DEPARTMENT, body_name="Phòng Tổ chức, biên chế",
                        governing_body_name="Sở Nội vụ thành phố Hòa Bình Xanh Mới Mở Rộng",
                        locality="Hòa Bình Xanh")
    words = words_with_boxes(render(built.round).pdf, 1)
    motto = min(x1 for word, x1, _y1, _x2, _y2 in words if word == "CỘNG")
    heading = [w for w in words if w[0] in ("SỞ", "NỘI", "VỤ", "MỚI", "RỘNG", "PHÒNG")]
    assert len(heading) == 6
    assert all(x2 < motto for _w, _x1, _y1, x2, _y2 in heading)  # never into the motto
    rows = sorted({round(y1) for _w, _x1, y1, _x2, _y2 in heading})
    assert len(rows) >= 3  # the governing line wrapped, then the body under it


def test_the_date_line_falls_back_to_the_place_in_the_body_name_and_the_day_voting_opened(db):
    built = build_round(kind=UnitKind.PEOPLES_COMMITTEE, meeting_date=None,
                        body_name="Ủy ban nhân dân xã Tân Lập")
    assert rdocs.locality_of(built.round) == "Tân Lập"
    # Voting opened at 02:00 UTC on 1 December: 09:00 in Hà Nội, the same day.
    assert "Tân Lập, ngày 01 tháng 12 năm 2026" in flat(pdf_text(render(built.round).pdf))


@pytest.mark.parametrize(("name", "place"), [
    ("Ủy ban nhân dân tỉnh Hòa Bình Xanh", "Hòa Bình Xanh"),
    ("UBND tỉnh Hòa Bình", "Hòa Bình"),
    ("Tỉnh ủy Hòa Bình", "Hòa Bình"),
    ("Thành ủy Hà Nội", "Hà Nội"),
    ("Đảng ủy xã Tân Lập", "Tân Lập"),
    ("Sở Y tế thành phố Hồ Chí Minh", "Hồ Chí Minh"),
    ("Hội đồng nhân dân đặc khu Phú Quốc", "Phú Quốc"),
    ("Ban Tổ chức Tỉnh ủy", None),
    ("Sở Nội vụ", None),
    ("", None),
])
def test_the_place_name_a_body_name_carries(name, place):
    assert docs.locality_from_name(name) == place


def test_page_numbers_at_the_top_centre_from_the_second_page(db):
    many = [(f"Nguyễn Văn Người Số {i:02d}", f"Phó Trưởng phòng {i}", None)
            for i in range(45)]
    rendered = render(build_round(candidates=many, summoned=3).round)
    assert rendered.pages >= 3
    for page in range(1, rendered.pages + 1):
        words = words_with_boxes(rendered.pdf, page)
        top = min(words, key=lambda w: w[2])
        if page == 1:
            assert top[0] != "1" and all(w[0] != "1" or w[2] > 100 for w in words)
            continue
        word, x1, y1, x2, _y2 = top
        assert word == str(page), (page, top)
        assert y1 < 20 / 25.4 * 72  # inside the top margin
        assert abs((x1 + x2) / 2 - TEXT_CENTRE_PT) < 3  # centred over the text


def test_blank_ballots_carry_the_governing_body_and_no_number(db):
    built = build_round(kind=UnitKind.DEPARTMENT, body_name="Sở Nội vụ",
                        governing_body_name="UBND tỉnh Hòa Bình Xanh",
                        state=RoundStatus.VOTING)
    text = pdf_text(render(built.round, DocumentKind.BLANK_BALLOTS).pdf, first=1, last=1)
    assert text.index("UBND TỈNH HÒA BÌNH XANH") < text.index("SỞ NỘI VỤ")
    assert "Số:" not in text


def test_signature_blocks_become_fields_over_their_boxes(db):
    built = build_round()
    rendered = render(built.round)
    assert [f.name for f in rendered.fields] == ["sig-1", "sig-2", "sig-3", "sig-4"]
    reader = PdfFileReader(BytesIO(rendered.pdf))
    found = {name: (value, ref) for name, value, ref in enumerate_sig_fields(reader)}
    assert sorted(found) == ["sig-1", "sig-2", "sig-3", "sig-4"]
    assert all(value is None for value, _ref in found.values())  # nobody has signed yet
    page_refs = [reader.root["/Pages"]["/Kids"].raw_get(i).idnum
                 for i in range(rendered.pages)]
    for placement in rendered.fields:
        widget = found[placement.name][1].get_object()
        assert tuple(float(x) for x in widget["/Rect"]) == placement.box
        assert widget.raw_get("/P").idnum == page_refs[placement.page]
        x1, y1, x2, y2 = placement.box
        # The box of the block: 70 mm x 32 mm, its border included, in pt.
        assert x2 - x1 == pytest.approx(70 / 25.4 * 72, abs=0.05)
        assert y2 - y1 == pytest.approx(32 / 25.4 * 72, abs=0.05)
        assert 0 < x1 < x2 < 595.28 and 0 < y1 < y2 < 841.89
    assert int(reader.root["/AcroForm"]["/SigFlags"]) == 1


def test_the_tooltip_of_a_field_names_its_signer(db):
    built = build_round()
    reader = PdfFileReader(BytesIO(render(built.round).pdf))
    labels = {name: str(ref.get_object()["/TU"]) for name, _v, ref in enumerate_sig_fields(reader)}
    assert labels["sig-1"] == f"Tổ trưởng tổ kiểm phiếu: {OFFICERS['head']}"
    assert labels["sig-4"] == f"Chủ trì hội nghị: {OFFICERS['chair']}"


# ---------------------------------------------------------------- ballots and notices


def test_blank_ballots_one_numbered_ballot_per_member_present(db):
    built = build_round(summoned=6, present=5, state=RoundStatus.VOTING)
    rendered = render(built.round, DocumentKind.BLANK_BALLOTS)
    assert rendered.pages == 5 and rendered.fields == ()
    for number in range(1, 6):
        text = flat(pdf_text(rendered.pdf, first=number, last=number, layout=False))
        assert f"Phiếu số: {number}/5" in text
        assert "PHIẾU LẤY PHIẾU TÍN NHIỆM" in text and "Dấu treo của cơ quan" in text
        assert all(name in text for name in ("Nguyễn Thị Hường", "Trần Quốc Vượng",
                                             "Lê Ngọc Ẩn"))
        assert "Tín nhiệm cao" in text and "Tín nhiệm thấp" in text
        assert "Trang" not in text
    assert rdocs.roll_fingerprint(built.round) in flat(pdf_text(rendered.pdf, first=1, last=1))


def test_before_attendance_there_is_a_ballot_per_member_summoned(db):
    built = build_round(summoned=4, state=RoundStatus.ATTENDANCE, scale=Scale.TWO_LEVEL)
    rendered = render(built.round, DocumentKind.BLANK_BALLOTS)
    assert rendered.pages == 4
    text = flat(pdf_text(rendered.pdf, first=4, last=4, layout=False))
    assert "PHIẾU BỎ PHIẾU TÍN NHIỆM" in text and "Phiếu số: 4/4" in text
    assert "Không tín nhiệm" in text


def test_result_notice_to_one_person(db):
    built = build_round(summoned=50, present=47, ballots_cast=ballots_for_53_19())
    person = built.round.active_candidates[0]
    rendered = render(built.round, DocumentKind.RESULT_NOTICE, person)
    words = flat(pdf_text(rendered.pdf))
    assert "THÔNG BÁO" in words and "Kết quả lấy phiếu tín nhiệm" in words
    assert "Kính gửi: đồng chí Nguyễn Thị Hường, Bí thư" in words
    assert "Tín nhiệm thấp 25 53,19" in words and "Tín nhiệm cao 7 14,89" in words
    assert "Trên một nửa tín nhiệm thấp." in words
    assert "Trần Quốc Vượng" not in words  # nobody else's result
    assert OFFICERS["chair"] in words and "T/M TỈNH ỦY HÒA BÌNH" in words
    assert rdocs.tally_fingerprint(built.round) in words
    assert [f.name for f in rendered.fields] == ["sig-1"]


def test_a_state_body_addresses_the_person_as_ong_or_ba(db):
    built = build_round(kind=UnitKind.DEPARTMENT, body_name="Sở Nội vụ")
    first, second = built.round.active_candidates[:2]
    assert "Kính gửi: bà Nguyễn Thị Hường" in flat(pdf_text(
        render(built.round, DocumentKind.RESULT_NOTICE, first).pdf))
    assert "Kính gửi: ông Trần Quốc Vượng" in flat(pdf_text(
        render(built.round, DocumentKind.RESULT_NOTICE, second).pdf))


# ---------------------------------------------------------------- the same bytes


def test_the_same_input_renders_the_same_bytes(db):
    built = build_round()
    first = render(built.round).pdf
    assert render(built.round).pdf == first
    other = docs.Stamp("f" * 32, GOLDEN_STAMP.created, GOLDEN_STAMP.base_url)
    assert render(built.round, stamp=other).pdf != first


def test_the_pdf_dates_and_id_come_from_the_document(db):
    reader = PdfFileReader(BytesIO(render(build_round().round).pdf))
    info = reader.trailer["/Info"]
    assert str(info["/CreationDate"]).startswith("D:20261201090000")
    assert str(info["/ModDate"]).startswith("D:20261201090000")
    assert reader.document_id[0] == GOLDEN_STAMP.document_id.encode()
    assert str(info["/Title"]).startswith("Biên bản kiểm phiếu: Lấy phiếu tín nhiệm")


def test_a_fresh_process_renders_the_golden_minutes_byte_for_byte(db, tmp_path):
    """The golden round rendered here equals the one a new Python process renders from its own
    new database; and, on the library versions recorded with it, the committed SHA-256."""
    here = hashlib.sha256(golden.render_golden()).hexdigest()
    result = subprocess.run([sys.executable, "-m", "tests.documents.golden", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONHASHSEED": "12345"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == here
    recorded = json.loads(golden.GOLDEN_FILE.read_text())
    if recorded["environment"] == golden.environment():
        assert here == recorded["sha256"], (
            "the golden minutes changed: look at the new PDF, then run "
            "`python -m tests.documents.golden --update`")


# ---------------------------------------------------------------- hostile text


HOSTILE = [
    '<img src="file:///etc/passwd">',
    "<link rel=stylesheet href=http://example.com/x.css>",
    "<style>@import url(https://example.com/y.css);</style>Lê Văn Độc",
    "<script>alert(1)</script><iframe src=http://example.com/></iframe>",
]


def test_hostile_names_render_as_text_and_fetch_nothing(db):
    long_name = "Nguyễn " + "Văn Dàiiiiiiiiiiiiiiii " * 10 + "Cuối"
    people = [(name, None, None) for name in HOSTILE] + [(long_name[:250], "x" * 250, None)]
    built = build_round(candidates=people, summoned=3,
                        body_name='Sở <b>Tài chính</b> <img src="file:///etc/shadow">',
                        title="Lấy phiếu <a href=http://example.com>đây</a>")
    asked = []
    fetcher = docs.static_fetcher()
    original = fetcher.fetch

    def spy(url, headers=None):
        asked.append(url)
        return original(url, headers)

    fetcher.fetch = spy
    for kind, candidate in ((DocumentKind.MINUTES, None), (DocumentKind.BLANK_BALLOTS, None),
                            (DocumentKind.RESULT_NOTICE, built.round.active_candidates[1])):
        rendered = render(built.round, kind, candidate, url_fetcher=fetcher)
        words = flat(pdf_text(rendered.pdf, layout=False)).replace(" ", "")
        if kind is not DocumentKind.RESULT_NOTICE:
            for name in HOSTILE:
                assert name.replace(" ", "") in words
        assert 'SỞ<B>TÀICHÍNH</B><IMGSRC="FILE:///ETC/SHADOW">' in words
        assert "Lấyphiếu<ahref=http://example.com>đây</a>" in words
    assert asked, "the stylesheet and fonts come through the fetcher"
    # …and the verification QR code, a PNG in a data: address made by segno.
    assert all(url == docs.STATIC_ORIGIN + "css/documents.css"
               or url.startswith(docs.STATIC_ORIGIN + "fonts/")
               or url.startswith("data:image/png;base64,") for url in asked), asked


def test_the_fetcher_serves_only_static_files(app):
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

    fetcher = docs.static_fetcher()
    assert fetcher.fetch(docs.STATIC_ORIGIN + "css/documents.css").read().startswith(b"/*")
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    for url in ("file:///etc/passwd", "http://example.com/x.css", "https://example.com/x.css",
                "https://evalapp.invalid/etc/passwd",
                docs.STATIC_ORIGIN + "../../../etc/passwd",
                docs.STATIC_ORIGIN + "%2e%2e/%2e%2e/evalapp/config.py",
                docs.STATIC_ORIGIN + "fonts/missing.ttf",
                "ftp://example.com/x"):
        with pytest.raises(docs.ResourceRefused):
            fetcher.fetch(url)
    # A document that asks for anything else is not rendered at all.
    with pytest.raises(FatalURLFetchingError):
        HTML(string='<img src="file:///etc/passwd">', base_url=docs.STATIC_ORIGIN,
             url_fetcher=fetcher).write_pdf()


def test_decomposed_text_is_printed_composed(db):
    built = build_round()
    round_ = built.round
    round_.title = unicodedata.normalize("NFD", "Lấy phiếu tín nhiệm năm 2026")
    reader = PdfFileReader(BytesIO(render(round_).pdf))
    title = str(reader.trailer["/Info"]["/Title"])
    assert title == unicodedata.normalize("NFC", title)
    assert "Lấy phiếu tín nhiệm năm 2026" in title
    db.session.rollback()


def test_formats():
    from datetime import date
    from decimal import Decimal

    assert docs.Formats.percent(Decimal("53.19")) == "53,19"
    assert docs.Formats.percent(Decimal("100")) == "100,00"
    assert docs.Formats.number(1234567) == "1.234.567"
    assert docs.Formats.date_words(date(2026, 2, 5)) == "ngày 05 tháng 02 năm 2026"
    assert docs.Formats.date_words(date(2026, 12, 31)) == "ngày 31 tháng 12 năm 2026"
    assert docs.Formats.date_words(date(2026, 3, 9)) == "ngày 09 tháng 3 năm 2026"


def test_ballot_roll_fingerprint_is_defined_by_its_payload(db):
    round_ = build_round(state=RoundStatus.ATTENDANCE).round
    payload = rdocs.roll_fingerprint_payload(round_)
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert rdocs.roll_fingerprint(round_) == hashlib.sha256(text.encode()).hexdigest()
    assert [v[0] for v in payload["voters"]] == sorted(v.person_id for v in round_.voters)
    round_.voters[0].present = not round_.voters[0].present
    assert rdocs.roll_fingerprint(round_) != hashlib.sha256(text.encode()).hexdigest()
    db.session.rollback()


def test_tally_fingerprint_covers_every_count(db):
    round_ = build_round(summoned=3, ballots_cast=[["low", "high", "high"]]).round
    payload = rdocs.tally_fingerprint_payload(round_)
    assert payload["counts"] == {"summoned": 3, "present": 3, "issued": 3, "collected": 3,
                                 "valid": 3, "invalid": 0}
    assert [c["counts"] for c in payload["candidates"]] == [
        {"high": 2, "confidence": 0, "low": 1}, {"high": 3, "confidence": 0, "low": 0},
        {"high": 3, "confidence": 0, "low": 0}]
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert rdocs.tally_fingerprint(round_) == hashlib.sha256(text.encode()).hexdigest()
