"""Anonymous ballot codes in the box: their format, their storage (hashes only), one ballot per
code, void once the box closes."""

from __future__ import annotations

import hashlib
import math
import random
import unicodedata

import pytest
from sqlalchemy import select, text
from stdnum import luhn

from evalapp.box import codes
from evalapp.box import services as box
from evalapp.box.models import BoxCode
from evalapp.core.errors import AlreadyVoted, InvalidState
from evalapp.extensions import db as _db
from evalapp.tally.scales import Scale
from tests.box.conftest import open_test_box

BALLOT = box.WrittenBallot(marks={1: "high", 2: "low"})


def _valid(text: str) -> bool:
    return codes.canonical(text) is not None


def test_a_code_has_60_random_bits_and_no_lookalike_symbols(app):
    assert math.log2(len(codes.RANDOM_SYMBOLS)) * codes.LENGTH >= 60
    assert not set("0O1lIiL") & set(codes.ALPHABET)
    with app.app_context():
        made = [codes.generate() for _ in range(300)]
    assert len(set(made)) == 300
    for code in made:
        assert len(code) == 17 and code.count("-") == 3 and _valid(code)
    # Every random symbol turns up (drawn from the whole alphabet, not a part of it).
    assert set("".join(c.replace("-", "")[:-1] for c in made)) == set(codes.RANDOM_SYMBOLS)


def test_the_check_symbol_catches_every_single_error_and_adjacent_swap():
    rng = random.Random(12)
    for _ in range(200):
        symbols = "".join(rng.choice(codes.RANDOM_SYMBOLS) for _ in range(codes.LENGTH))
        full = symbols + luhn.calc_check_digit(symbols, codes.ALPHABET)
        assert _valid(full)
        for i, ch in enumerate(full):
            for other in codes.ALPHABET:
                if other != ch:
                    assert not _valid(full[:i] + other + full[i + 1:]), (full, i, other)
        for i in range(len(full) - 1):
            if full[i] != full[i + 1]:
                swapped = full[:i] + full[i + 1] + full[i] + full[i + 2:]
                assert not _valid(swapped), (full, i)


def test_a_code_is_read_in_any_case_with_or_without_dashes(app):
    with app.app_context():
        code = codes.generate()
    plain = code.replace("-", "")
    for typed in (code, code.lower(), plain, plain.lower(), f"  {code[:9]} {code[10:]} "):
        assert codes.canonical(typed) == plain
    assert codes.canonical(plain[:-1]) is None and codes.canonical(plain + "A") is None
    assert codes.canonical("") is None and codes.canonical(None) is None
    # What a phone's keyboard sends: typographic dashes (its "smart punctuation"), a no-break
    # space, full-width characters, dots; all read as the code they look like.
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in plain)
    for typed in (code.replace("-", "\u2013"), code.replace("-", "\u2014"),
                  code.replace("-", "\u2011"), code.replace("-", "\u00a0"), full_width,
                  code.replace("-", "."), code.replace("-", " \u2212 ")):
        assert codes.canonical(typed) == plain, typed
        assert not codes.accented(typed)
    # A Vietnamese keyboard's letters (Telex: W -> Ư, AA -> Â, DD -> Đ, AS -> Á) are no code,
    # and are told apart from a mistyped symbol.
    for typed in ("ƯX3D-9RTF-HP7K-QM", "ÂB3D-9RTF-HP7K-QM", "Đ3D9-RTFH-P7KQ-M",
                  "Á" + plain[1:], unicodedata.normalize("NFD", "Á" + plain[1:])):
        assert codes.canonical(typed) is None and codes.accented(typed), typed
    assert not codes.accented(plain[:-1] + "0") and not codes.accented(None)


def test_only_keyed_hashes_are_stored(db):
    opened = open_test_box(Scale.THREE_LEVEL, 2)
    made = box.add_codes(opened, 5)
    _db.session.commit()
    stored = _db.session.execute(select(BoxCode.hash, BoxCode.spent)
                                 .where(BoxCode.box_id == opened.id)).all()
    assert len(stored) == 5 and not any(spent for _, spent in stored)
    expected = {codes.code_hash(codes.canonical(code)) for code in made}
    assert {h for h, _ in stored} == expected
    # Keyed: not the plain SHA-256 of the code, so a database copy alone tests no guess.
    plain = {hashlib.sha256(codes.canonical(code).encode()).hexdigest() for code in made}
    assert not plain & expected
    assert box.codes_count(opened) == (5, 0)


def test_codes_are_stored_in_no_order_of_the_slips(db):
    # Rows lie in the order written (SQLite's rowid, PostgreSQL's heap): written in the slips'
    # order, a copy of the tables would tell which row is which slip of the printed sheet.
    opened = open_test_box(Scale.THREE_LEVEL, 2)
    made = box.add_codes(opened, 30)
    _db.session.commit()
    printed = [codes.code_hash(codes.canonical(code)) for code in made]
    if _db.engine.dialect.name == "sqlite":
        # A table WITHOUT ROWID: its rows lie in the order of (box, hash), whatever the order
        # they were written in.
        table = _db.session.execute(text(
            "SELECT sql FROM sqlite_master WHERE name = 'box_code'")).scalar_one()
        assert "WITHOUT ROWID" in table.upper()
        return
    stored = _db.session.execute(text(
        "SELECT hash FROM box_code WHERE box_id = :box ORDER BY ctid"),
        {"box": opened.id}).scalars().all()
    assert stored == sorted(printed) != printed


def test_a_code_casts_one_ballot_and_then_says_it_is_spent(db):
    opened = open_test_box(Scale.THREE_LEVEL, 2)
    code = box.add_codes(opened, 2)[0]
    _db.session.commit()
    found, right, spent = box.find_code(codes.canonical(code))
    assert found.id == opened.id and not spent
    tracker = box.cast(opened, right, BALLOT)
    _db.session.commit()
    with pytest.raises(AlreadyVoted):
        box.cast(opened, right, BALLOT)
    _db.session.rollback()
    assert box.find_code(codes.canonical(code))[2] is True
    assert box.trackers(opened) == [tracker]
    assert box.codes_count(opened) == (2, 1)
    # A code that no box issued is not found.
    assert box.find_code(codes.canonical(codes.generate())) is None


def test_unused_codes_are_void_once_the_box_closes(db):
    opened = open_test_box(Scale.THREE_LEVEL, 2)
    used, unused = box.add_codes(opened, 2)
    _db.session.commit()
    box.cast(opened, box.find_code(codes.canonical(used))[1], BALLOT)
    _db.session.commit()
    box.close_box(opened)
    _db.session.commit()
    found, right, spent = box.find_code(codes.canonical(unused))
    assert not spent
    with pytest.raises(InvalidState):
        box.cast(found, right, BALLOT)
    _db.session.rollback()
    with pytest.raises(InvalidState):
        box.add_codes(found, 1)
    _db.session.rollback()
    # The close rewrote the codes with the rest of the box: both still there, one spent.
    assert box.codes_count(opened) == (2, 1)
