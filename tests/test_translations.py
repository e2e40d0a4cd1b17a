"""The message catalogs: Vietnamese (the default UI language) must translate every string the code
shows, with the same placeholders and in NFC; the language switch must work.

A failure in test_every_message_has_a_vietnamese_translation means a string was added or changed
without a translation: run scripts/update-translations.sh and fill in the empty msgstr entries
of evalapp/translations/vi/LC_MESSAGES/messages.po.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "evalapp" / "translations"
LOCALES = ("vi", "en")

# The same extraction as scripts/update-translations.sh; keep the two in step.
EXTRACT_ARGS = ["-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-k", "lazy_ngettext:1,2",
                "--sort-output", "--add-location", "file", "--project", "evalapp"]
EXTRACT_DIRS = ["evalapp", "templates"]

# printf-style directives as Python's % operator reads them, %% included.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")


def po_path(locale: str) -> Path:
    return CATALOGS / locale / "LC_MESSAGES" / "messages.po"


def read_catalog(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def compile_if_stale(locale: str) -> None:
    """Compile a catalog when its .mo is missing or older than the .po (scripts/setup.sh
    normally does this). Written to a temporary file and renamed, so parallel test workers never
    read a half-written .mo."""
    po = po_path(locale)
    mo = po.with_suffix(".mo")
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        return
    catalog = read_catalog(po)
    handle, temporary = tempfile.mkstemp(dir=mo.parent, prefix=".messages-", suffix=".mo")
    try:
        with os.fdopen(handle, "wb") as output:
            write_mo(output, catalog)
        os.replace(temporary, mo)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# At import, i.e. before any test of this worker builds the app: Flask-Babel caches the
# translations it loads, so a catalog compiled after the first request would not be seen.
for _locale in LOCALES:
    compile_if_stale(_locale)


def strings_of(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def ids_of(message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def label(message) -> str:
    return ids_of(message)[0]


def entries(locale: str):
    return [m for m in read_catalog(po_path(locale)) if m.id]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages the current code and templates use, extracted afresh."""
    output = tmp_path_factory.mktemp("pot") / "messages.pot"
    cwd = os.getcwd()
    os.chdir(ROOT)  # babel.cfg patterns and the input paths are relative to the project root
    try:
        CommandLineInterface().run(["pybabel", "-q", "extract", *EXTRACT_ARGS,
                                    "-o", str(output), *EXTRACT_DIRS])
    finally:
        os.chdir(cwd)
    catalog = read_catalog(output)
    ids = [m.id for m in catalog if m.id]
    assert len(ids) > 100, "extraction found almost nothing; check babel.cfg"
    return ids


def test_every_message_has_a_vietnamese_translation(extracted):
    translated = {m.id: m for m in entries("vi")}
    missing = [msgid if isinstance(msgid, str) else msgid[0] for msgid in extracted
               if msgid not in translated or not all(strings_of(translated[msgid]))]
    assert not missing, (
        f"{len(missing)} message(s) have no Vietnamese translation; run "
        "scripts/update-translations.sh and translate them in "
        "evalapp/translations/vi/LC_MESSAGES/messages.po:\n  " + "\n  ".join(missing))


def test_english_catalog_knows_every_message(extracted):
    known = {m.id for m in entries("en")}
    missing = [i for i in extracted if i not in known]
    assert not missing, "run scripts/update-translations.sh: " + ", ".join(map(str, missing))


@pytest.mark.parametrize("locale", LOCALES)
def test_no_fuzzy_entries(locale):
    catalog = read_catalog(po_path(locale))
    # A fuzzy header makes pybabel compile skip the whole catalog.
    assert not catalog.fuzzy, f"the header of the {locale} catalog is marked fuzzy"
    fuzzy = [label(m) for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy {locale} entries (check, then remove the flag): {fuzzy}"


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_match(locale):
    wrong = []
    for message in entries(locale):
        expected = sorted(PLACEHOLDER.findall(ids_of(message)[-1]))
        for string in strings_of(message):
            if string and sorted(PLACEHOLDER.findall(string)) != expected:
                wrong.append(f"{label(message)!r} -> {string!r}")
    assert not wrong, "placeholders differ from the msgid:\n  " + "\n  ".join(wrong)


def test_vietnamese_is_nfc():
    wrong = [label(m) for m in entries("vi")
             if any(s != unicodedata.normalize("NFC", s) for s in strings_of(m))]
    assert not wrong, f"Vietnamese translations not in NFC: {wrong}"


def test_import_headings_are_exact():
    """The people import matches these headings with tones removed; exports must re-import."""
    translated = {m.id: m.string for m in entries("vi")}
    assert {key: translated.get(key) for key in (
        "Staff code", "Full name", "Gender", "Year of birth", "Post", "Unit", "Duty group",
        "Still working here")} == {
        "Staff code": "Mã cán bộ", "Full name": "Họ và tên", "Gender": "Giới tính",
        "Year of birth": "Năm sinh", "Post": "Chức vụ", "Unit": "Đơn vị",
        "Duty group": "Nhóm nhiệm vụ", "Still working here": "Đang công tác"}


def test_login_page_is_vietnamese_by_default_and_switches_to_english(client):
    page = client.get("/login")
    assert page.status_code == 200
    html = unicodedata.normalize("NFC", page.get_data(as_text=True))
    assert "Đăng nhập" in html
    assert "Log in" not in html

    switched = client.get("/lang/en?next=/login")
    assert switched.status_code in (302, 303)
    assert switched.headers["Location"].endswith("/login")

    page = client.get("/login")
    html = page.get_data(as_text=True)
    assert "Log in" in html
    assert "Đăng nhập" not in html

    client.get("/lang/vi?next=/login")
    assert "Đăng nhập" in unicodedata.normalize("NFC", client.get("/login").get_data(as_text=True))
