"""The voter's receipt trackers, kept in Flask's signed session cookie, never in the database.

Why the cookie: the database must never hold a tracker next to the person who received it.
After closing, every tracker is published; a table of "person -> tracker" would let anyone
holding the database say which published tracker is whose (and, were trackers ever tied to a
ballot, which ballot). The session cookie lives on the voter's own device, is signed with the
app's SECRET_KEY (so it cannot be forged or altered), is sent only over TLS in production
(SESSION_COOKIE_SECURE) and never to scripts (HttpOnly). It is not encrypted: whoever holds
the voter's browser can read the voter's own tracker, as they could read the paper it was
written on. The receipt page reads it back, so a reload or a revisit in the same session shows
the receipt again; logging out (or another account logging in on the same browser) drops it.

The entries have a fixed size, so the cookie says nothing about the marks (design §3, threat 4).
"""

from __future__ import annotations

import re

from flask import session
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import user_logged_in, user_logged_out

KEY = "ballot_receipts"
KEEP = 20  # the newest rounds; a cookie holds about 4 kB
GROUP = 4
_NOT_HEX = re.compile(r"[^0-9a-f]")


def remember(user, round_id: int, tracker: str) -> None:
    """Keep `tracker` as the user's receipt for the round, for this session."""
    kept = _entries(user)
    kept.pop(str(round_id), None)
    kept[str(round_id)] = tracker
    while len(kept) > KEEP:
        kept.pop(next(iter(kept)))
    session[KEY] = {"user": user.id, "rounds": kept}


def tracker_for(user, round_id: int) -> str | None:
    return _entries(user).get(str(round_id))


def receipts_of(user) -> dict[int, str]:
    """round id -> tracker, newest first."""
    return {int(k): v for k, v in reversed(list(_entries(user).items()))}


def _entries(user) -> dict[str, str]:
    stored = session.get(KEY)
    if not isinstance(stored, dict) or stored.get("user") != getattr(user, "id", None):
        return {}
    rounds = stored.get("rounds")
    return dict(rounds) if isinstance(rounds, dict) else {}


def grouped(tracker: str) -> str:
    """'6c1d5af3…' -> '6c1d-5af3-…': easier to read aloud, compare and copy by hand."""
    return "-".join(tracker[i:i + GROUP] for i in range(0, len(tracker), GROUP))


def normalised(text: str) -> str:
    """A tracker as typed: with or without dashes or spaces, in any case."""
    return _NOT_HEX.sub("", (text or "").lower())


def receipt_text(round_, tracker: str) -> str:
    """The receipt as a small text file to save: the round, where and when, the tracker."""
    where = [round_.body_name, round_.place or "",
             format_date(round_.meeting_date, "dd/MM/yyyy") if round_.meeting_date else ""]
    lines = [_("Receipt of a secret ballot"), "", round_.title,
             " · ".join(part for part in where if part), "",
             _("Receipt tracker: %(tracker)s", tracker=grouped(tracker)), "",
             _("After voting closes, the list of all trackers is shown; find yours there to "
               "check that your ballot was counted. The tracker says nothing about how you "
               "voted."), ""]
    # CRLF, so that every text editor, old Windows ones too, shows the lines.
    return "\r\n".join(lines)


def _forget(_sender, user=None, **_extra) -> None:
    session.pop(KEY, None)


def _forget_others(_sender, user=None, **_extra) -> None:
    stored = session.get(KEY)
    if isinstance(stored, dict) and stored.get("user") != getattr(user, "id", None):
        session.pop(KEY, None)


# A shared device (a hall's kiosk) must not show one member's receipt to the next.
user_logged_out.connect(_forget)
user_logged_in.connect(_forget_others)
