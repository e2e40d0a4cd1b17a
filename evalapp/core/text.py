"""Text rules for Vietnamese data: NFC everywhere, collation by the Vietnamese alphabet."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import icu

_SPACES = re.compile(r"\s+")

# Bidirectional controls: embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069),
# the left-to-right and right-to-left marks (U+200E, U+200F) and the Arabic letter mark
# (U+061C). Vietnamese text never needs them; in a name they reverse what follows it (the fixed
# text of a minutes, the rest of a line). Stripped on entry (see clean_text).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
                          "\u200e\u200f\u061c")
_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")


def clean_text(value: str) -> str:
    """Text as it is stored: NFC, without bidirectional controls; white space and line breaks
    kept (for text areas). Applied where text enters, by the forms (AppForm), the API's schemas
    (core.schemas.text) and nfc(); never to markup that has been escaped already (NFC could
    merge a combining mark at the start of a value with the `>` before it).

    Bidirectional controls are stripped, not refused: they are invisible, come in with text
    pasted from word processors and web pages (the marks U+200E/U+200F above all) and from
    spreadsheets, and a refusal would name a character nobody can see or delete; without them
    the text reads in the order it was typed.
    """
    return unicodedata.normalize("NFC", _BIDI.sub("", value))


def nfc(value: str | None) -> str:
    """NFC-normalised text without bidirectional controls, surrounding and repeated white space
    removed.

    Text typed on some systems arrives decomposed (NFD); stored that way it renders the same but
    no longer matches in search, comparison or uniqueness checks.
    """
    if value is None:
        return ""
    return _SPACES.sub(" ", clean_text(str(value))).strip()


def nfc_or_none(value: str | None) -> str | None:
    cleaned = nfc(value)
    return cleaned or None


@lru_cache(maxsize=1)
def _collator() -> icu.Collator:
    return icu.Collator.createInstance(icu.Locale("vi_VN"))


def collation_key(text: str) -> bytes:
    """A byte string whose byte order is the Vietnamese alphabetical order of `text`.

    Stored beside a name, it lets SQLite and PostgreSQL sort by the Vietnamese alphabet
    (A Ă Â B C D Đ E Ê ...; tones after the base letter) with a plain byte comparison.
    """
    return bytes(_collator().getSortKey(nfc(text)))


def given_name(full_name: str) -> str:
    """The given name (tên): the last word of a Vietnamese full name."""
    parts = nfc(full_name).split(" ")
    return parts[-1] if parts else ""


def person_sort_key(full_name: str) -> bytes:
    """Vietnamese lists are ordered by given name, then by the whole name.

    ICU keys end in a single zero byte that appears nowhere else, so two keys laid end to end
    still compare first by the given name and then by the full name.
    """
    return collation_key(given_name(full_name)) + collation_key(full_name)


def vietnamese_sorted(items, key=lambda item: item):
    return sorted(items, key=lambda item: collation_key(key(item)))


def fold_for_search(text: str) -> str:
    """Lower case without tone marks, for searching names typed without diacritics.

    'Nguyễn Văn Đức' and 'nguyen van duc' fold to the same string.
    """
    decomposed = unicodedata.normalize("NFD", nfc(text).lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
