"""Access-table rows for the signing and verification pages (see tests/test_access.py).

Verification is open to everyone, logged in or not; signing needs a login (an unknown document
is a 404 for everyone logged in); signing all of a round is for those who may issue its
documents; a demo certificate only for officers (a message and a redirect, whether or not this
instance has a demo CA); certificates are for organisation-wide administrators. POST rows send
an empty form with CSRF off: the allowed get a 4xx for the bad input.
"""

from tests.access_rounds import on_round

ROLES = ("anonymous", "admin", "scoped_admin", "secretary", "counter", "voter", "evaluee")


def expect(default, **overrides):
    return {role: overrides.get(role, default) for role in ROLES}


UNKNOWN_DOC = "0123456789abcdef0123456789abcdef"
SIGN_ALL = "/ballots/<int:round_id>/documents/sign-all"

ROWS = [
    ("GET", "/documents/verify", "/documents/verify", expect(200)),
    ("POST", "/documents/verify", "/documents/verify", expect(422)),
    ("GET", f"/documents/verify/{UNKNOWN_DOC}", "/documents/verify/<doc_id>", expect(404)),
    ("POST", f"/documents/{UNKNOWN_DOC}/sign", "/documents/<doc_id>/sign",
     expect(404, anonymous=302)),
    ("GET", f"/documents/{UNKNOWN_DOC}/sign", "/documents/<doc_id>/sign",
     expect(404, anonymous=302)),
    ("GET", "/ballots/{counted_round}/documents/sign-all", SIGN_ALL,
     on_round("counted_round", anonymous=302, admin=200, scoped_admin=200, secretary=200,
              counter=200)),
    ("POST", "/ballots/{counted_round}/documents/sign-all", SIGN_ALL,
     on_round("counted_round", anonymous=302, admin=422, scoped_admin=422, secretary=422,
              counter=422)),
    # A round the account may not see is 404, as on its own pages (tests/access_rounds.py).
    ("GET", "/ballots/{other_round}/documents/sign-all", SIGN_ALL,
     on_round("other_round", anonymous=302, admin=200)),
    ("POST", "/documents/certificates/demo", "/documents/certificates/demo",
     expect(403, anonymous=302, secretary=302, counter=302)),
    ("GET", "/documents/certificates", "/documents/certificates",
     expect(403, anonymous=302, admin=200)),
    ("POST", "/documents/certificates", "/documents/certificates",
     expect(403, anonymous=302, admin=422)),
    ("POST", "/documents/certificates/999/deactivate",
     "/documents/certificates/<int:certificate_id>/deactivate",
     expect(403, anonymous=302, admin=404)),
]
