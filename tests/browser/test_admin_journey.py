"""The administrator's first hour, in a real browser: log in as the demo admin, create a unit and
a person, import a small .xlsx, and see the people listed in Vietnamese alphabetical order.

Selectors use element ids and attributes rather than visible text, so the test holds whether
the labels are shown in Vietnamese or in English.
"""

from __future__ import annotations

import re

from openpyxl import Workbook
from playwright.sync_api import Page, expect

UNIT_NAME = "Phòng Thử nghiệm Ánh Dương"
PARENT_NAME = "Sở Nội vụ"
TYPED_PERSON = ("TN0001", "Đặng Thị Ánh")

HEADINGS = ["Mã cán bộ", "Họ và tên", "Giới tính", "Năm sinh", "Chức vụ", "Đơn vị",
            "Nhóm nhiệm vụ"]
IMPORTED = [  # staff code, full name, gender, year of birth, post, duty group
    ("TN0002", "Trần Văn Đạt", "Nam", 1985, "Trưởng phòng", "Lãnh đạo cấp phòng"),
    ("TN0003", "Lê Thị Ánh", "Nữ", 1990, "Chuyên viên", "Chuyên viên"),
    ("TN0004", "Phạm Văn An", "Nam", 1988, "Chuyên viên", "Chuyên viên"),
    ("TN0005", "Ngô Thị Ân", "Nữ", 1992, "Chuyên viên", "Chuyên viên"),
    ("TN0006", "Vũ Văn Dũng", "Nam", 1979, "Phó Trưởng phòng", "Lãnh đạo cấp phòng"),
    ("TN0007", "Hồ Thị Uyên", "Nữ", 1995, "Cán sự", "Chuyên viên"),
    ("TN0008", "Bùi Văn Ước", "Nam", 1983, "Chuyên viên", "Chuyên viên"),
    ("TN0009", "Nguyễn Văn Anh", "Nam", 1986, "Chuyên viên", "Chuyên viên"),
]

# Written out by hand, not computed by the app's collation. By given name in the Vietnamese
# alphabet (a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y; a tone mark only counts
# after the letters): An < Anh < Ánh < Ân < Dũng < Đạt < Uyên < Ước. The two people named Ánh
# are then ordered by full name: Đặng (Đ) before Lê (L).
EXPECTED_ORDER = [
    "Phạm Văn An",
    "Nguyễn Văn Anh",
    "Đặng Thị Ánh",
    "Lê Thị Ánh",
    "Ngô Thị Ân",
    "Vũ Văn Dũng",
    "Trần Văn Đạt",
    "Hồ Thị Uyên",
    "Bùi Văn Ước",
]


def option_value(page: Page, select: str, text: str) -> str:
    """The value of the one option of `select` whose text (tree indentation aside) is `text`."""
    option = page.locator(f"{select} option").filter(
        has_text=re.compile(rf"^\s*{re.escape(text)}\s*$"))
    expect(option).to_have_count(1)
    return option.get_attribute("value")


def write_people_file(path, unit_name: str) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADINGS)
    for code, name, gender, year, post, group in IMPORTED:
        sheet.append([code, name, gender, year, post, unit_name, group])
    workbook.save(path)


def test_admin_creates_unit_and_person_imports_and_sees_vietnamese_order(
        demo, page: Page, login, watch_errors, tmp_path):
    errors = watch_errors(page)

    # Log in as the demo administrator.
    login(page, "admin")
    expect(page.locator("html")).to_have_attribute("lang", "vi")

    # A new unit under Sở Nội vụ.
    page.goto("/org/units")
    page.locator('#main a[href$="/org/units/new"]').click()
    expect(page).to_have_url(re.compile(r"/org/units/new$"))
    page.locator("#name").fill(UNIT_NAME)
    page.locator("#code").fill("PTNAD")
    page.locator("#parent_id").select_option(option_value(page, "#parent_id", PARENT_NAME))
    page.locator("#main form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/org/units$"))
    expect(page.locator("#main .alert-success")).to_contain_text(UNIT_NAME)
    unit_link = page.locator("#main table a", has_text=UNIT_NAME)
    expect(unit_link).to_have_count(1)
    # Sở Nội vụ sits under the People's Committee, so its new sub-unit is two levels down.
    expect(unit_link.locator("xpath=..")).to_have_class(re.compile(r"\btree-indent-2\b"))
    unit_id = re.search(r"/org/units/(\d+)$", unit_link.get_attribute("href")).group(1)

    # A person typed into the form, in that unit.
    page.goto("/org/people")
    page.locator('#main a[href*="/org/people/new"]').click()
    expect(page).to_have_url(re.compile(r"/org/people/new"))
    code, full_name = TYPED_PERSON
    page.locator("#full_name").fill(full_name)
    page.locator("#staff_code").fill(code)
    page.locator("#gender").select_option("female")
    page.locator("#birth_year").fill("1991")
    page.locator("#unit_id").select_option(unit_id)
    page.locator("#post_id").select_option(option_value(page, "#post_id", "Chuyên viên"))
    page.locator("#main form [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/org/people\?q="))
    expect(page.locator("#main .alert-success")).to_contain_text(full_name)
    expect(page.locator("#people-table td.person-name")).to_have_text([full_name])

    # Import eight more people from a small workbook.
    people_file = tmp_path / "can-bo-thu-nghiem.xlsx"
    write_people_file(people_file, UNIT_NAME)
    page.goto("/org/people/import")
    page.locator("#file").set_input_files(people_file)
    page.locator('#main form[enctype="multipart/form-data"] [type=submit]').click()
    summary = page.locator("#import-summary li")
    expect(summary).to_have_count(4)  # rows read, new, updated, unchanged: no new post or group
    expect(summary.nth(0)).to_have_text(re.compile(rf"\D{len(IMPORTED)}$"))
    expect(summary.nth(1)).to_have_text(re.compile(rf"\D{len(IMPORTED)}$"))
    expect(summary.nth(2)).to_have_text(re.compile(r"\D0$"))
    expect(summary.nth(3)).to_have_text(re.compile(r"\D0$"))
    preview = page.locator('#main section[aria-labelledby="preview-title"]')
    preview_names = preview.locator("tbody td:nth-child(3)")
    expect(preview_names).to_have_text([name for _, name, *_ in IMPORTED])
    page.locator('#main form[action*="/apply"] [type=submit]').click()
    expect(page).to_have_url(re.compile(r"/org/people$"))
    expect(page.locator("#main .alert-success")).to_contain_text(str(len(IMPORTED)))

    # The unit's people, filtered through the search form, in Vietnamese order.
    page.locator("#unit").select_option(unit_id)
    page.locator('#main form[role="search"] [type=submit]').click()
    expect(page).to_have_url(re.compile(rf"[?&]unit={unit_id}(&|$)"))
    expect(page.locator("#people-table td.person-name")).to_have_text(EXPECTED_ORDER)
    rows = page.locator("#people-table tbody tr")
    expect(rows.first.locator("td").nth(0)).to_have_text("1")  # numbered from 1
    expect(rows.last.locator("td").nth(6)).to_have_text(UNIT_NAME)

    assert errors == [], "console errors or CSP violations:\n" + "\n".join(errors)
