"""Anonymous ballot codes: one-time rights to vote in a box, printed on slips handed out in the
hall like paper ballots, so that the server never knows whose ballot a code cast.

The format. 13 symbols drawn uniformly by `secrets` from 28 (62.5 bits), then a check symbol
(Luhn mod N, python-stdnum's `luhn` with our alphabet), shown in capitals in groups of four:
`7KQM-WX3D-9RTF-HP`. The Luhn alphabet is the 30 symbols that cannot be read as another
(the digits 2–9 and the capitals without I, L, O and U; so no 0/O, 1/l/I, U/V). Luhn mod N
with N even catches every single wrong symbol and every swap of two neighbours except the
swap of the alphabet's first and last symbols ("2" and "Z"); the random symbols never use
those two, so only the check symbol can be one of them, and every adjacent swap is caught
(tests/box/test_codes.py checks it exhaustively on a sample). Typed codes are read in any
case, with or without dashes and spaces; a phone's keyboard may send full-width characters, a
no-break space or a typographic dash (– — ‑ −), read as what they look like (NFKC, and every
dash and dot is a separator). Letters with accents (Ư, Â, Đ …) are what a Vietnamese keyboard
(Telex, VNI) makes of W, AA, DD …: `accented` tells them apart, so that the voter is told to
switch the keyboard rather than to check the slip.

The storage. Only HMAC-SHA256(key, code) is kept (box_code.hash), the key derived from the
app's SECRET_KEY. Why keyed: the lookup must be deterministic (the voter brings only the code),
so no random salt can be used; a plain SHA-256 of 62.5 bits could then be searched offline by
whoever holds a database copy (about 2**62 hashes spread over every code of a round). With the
key, a database copy alone tests nothing. The cost: a SECRET_KEY changed while voting is open
voids the codes not yet used (say so in the operator's documentation).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata

from flask import current_app
from stdnum import luhn

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # Luhn's alphabet: 30 symbols, the check uses all
RANDOM_SYMBOLS = ALPHABET[1:-1]  # 28: never "2" or "Z" (see the docstring)
LENGTH = 13  # random symbols: 28**13 ≈ 2**62.5
GROUP = 4
_IGNORED = str.maketrans("", "", " \t\n-\u2010\u2011\u2012\u2013\u2014\u2015\u2212._/")


def generate() -> str:
    """A new code as printed: `XXXX-XXXX-XXXX-XX` (the last symbol is the check)."""
    symbols = "".join(secrets.choice(RANDOM_SYMBOLS) for _ in range(LENGTH))
    return grouped(symbols + luhn.calc_check_digit(symbols, ALPHABET))


def grouped(symbols: str) -> str:
    return "-".join(symbols[i:i + GROUP] for i in range(0, len(symbols), GROUP))


def canonical(typed: str | None) -> str | None:
    """The code `typed` stands for (its 14 symbols, no dashes), or None when it cannot be one:
    wrong length, a symbol outside the alphabet, or a check symbol that does not match (a typing
    mistake, found without asking the server's database)."""
    symbols = unicodedata.normalize("NFKC", (typed or "")[:64]).upper().translate(_IGNORED)
    if len(symbols) != LENGTH + 1 or any(ch not in ALPHABET for ch in symbols):
        return None
    if any(ch not in RANDOM_SYMBOLS for ch in symbols[:-1]):
        return None
    return symbols if luhn.is_valid(symbols, ALPHABET) else None


def accented(typed: str | None) -> bool:
    """Whether the typed text has letters outside A–Z (Ư, Â, Đ …): a Vietnamese keyboard."""
    text = unicodedata.normalize("NFKC", (typed or "")[:64])
    return any(ch.isalpha() and not ch.isascii() for ch in text)


def code_hash(symbols: str) -> str:
    """The keyed hash under which a code (canonical symbols) is stored and looked up."""
    key = hmac.new(str(current_app.secret_key).encode("utf-8"), b"evalapp.ballot-code",
                   hashlib.sha256).digest()
    return hmac.new(key, symbols.encode("ascii"), hashlib.sha256).hexdigest()
