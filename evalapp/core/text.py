"""Text rules for Vietnamese data: NFC everywhere, collation by the Vietnamese alphabet."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import icu

_SPACES = re.compile(r"\s+")


def nfc(value: str | None) -> str:
    """NFC-normalised text with surrounding and repeated white space removed.

    Text typed on some systems arrives decomposed (NFD); stored that way it renders the same but
    no longer matches in search, comparison or uniqueness checks.
    """
    if value is None:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", str(value))).strip()


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
