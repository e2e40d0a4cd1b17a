import unicodedata

import pytest

from evalapp.core.text import collation_key, fold_for_search, given_name, nfc, person_sort_key


def test_nfc_composes_decomposed_text_and_trims_spaces():
    decomposed = unicodedata.normalize("NFD", "  Nguyễn   Thị  Ánh ")
    assert decomposed != nfc(decomposed)
    assert nfc(decomposed) == "Nguyễn Thị Ánh"
    assert unicodedata.is_normalized("NFC", nfc(decomposed))


@pytest.mark.parametrize("words", [
    # The Vietnamese alphabet: a ă â b c d đ e ê ... o ô ơ ... u ư v x y.
    ["An", "Ăn", "Ân", "Bình", "Cúc", "Dũng", "Đạt", "Em", "Êm", "Giang", "Ôn", "Ơn", "Uyên",
     "Ưng", "Vân", "Xuân", "Yến"],
    # Tones after the base letters, in the order ngang, huyền, hỏi, ngã, sắc, nặng.
    ["Ba", "Bà", "Bả", "Bã", "Bá", "Bạ"],
    # Á and Đ sort with A and after D, never after Z.
    ["Anh", "Ánh", "Dung", "Đặng", "Trần", "Zô"],
])
def test_collation_follows_the_vietnamese_alphabet(words):
    shuffled = list(reversed(words))
    assert sorted(shuffled, key=collation_key) == words


def test_people_sort_by_given_name_then_full_name():
    names = ["Trần Văn Đạt", "Lê Thị Ánh", "Phạm Văn An", "Nguyễn Văn An", "Ngô Thị Ân"]
    ordered = sorted(names, key=person_sort_key)
    assert ordered == ["Nguyễn Văn An", "Phạm Văn An", "Lê Thị Ánh", "Ngô Thị Ân",
                       "Trần Văn Đạt"]
    assert given_name("  Nguyễn   Văn  An ") == "An"


def test_collation_key_is_the_same_for_nfd_and_nfc_input():
    text = "Đặng Thị Ánh"
    assert collation_key(unicodedata.normalize("NFD", text)) == collation_key(text)


def test_search_folding_ignores_tones_case_and_d_stroke():
    assert fold_for_search("Nguyễn Văn ĐỨC") == "nguyen van duc"
    assert fold_for_search(unicodedata.normalize("NFD", "Ánh")) == "anh"
