"""Access-table rows for issuing and downloading documents, on the pages and in the API (see
tests/test_access.py and its `world`: SECRETARY and COUNTER are the officers of open_round and
counted_round, VOTER votes in both, EVALUEE is voted on in counted_round; draft_round is in the
scoped admin's unit, other_round is not).

Issuing is for those who may count (officers and the round's admins): on a counted round the
minutes are issued and the browser sent on to the PDF (302); a step not possible yet (minutes
before counting, ballots in a draft, a notice without its person) is a message on the round page
(302 back to it), never an error page. An unknown document is 404 for everyone logged in. The
notices of everyone come as one ZIP; the heading and date line are set by those who issue.
"""

ROLES = ("anonymous", "admin", "scoped_admin", "secretary", "counter", "voter", "evaluee")


def expect(default, **overrides):
    return {role: overrides.get(role, default) for role in ROLES}


UNKNOWN_DOC = "0123456789abcdef0123456789abcdef"
ISSUE = "/ballots/<int:round_id>/documents/<any(minutes,ballots,notice):kind>"
NOTICES = "/ballots/<int:round_id>/documents/notices"
NOTICES_ZIP = "/ballots/<int:round_id>/documents/notices.zip"
DETAILS = "/ballots/<int:round_id>/documents/details"
API_LIST = "/api/v1/ballot-rounds/<int:round_id>/documents"

ROWS = [
    ("POST", "/ballots/{counted_round}/documents/minutes", ISSUE,
     expect(302, voter=403, evaluee=403)),
    ("POST", "/ballots/{counted_round}/documents/notice", ISSUE,
     expect(302, voter=403, evaluee=403)),
    ("POST", "/ballots/{open_round}/documents/minutes", ISSUE,
     expect(302, voter=403, evaluee=403)),
    ("POST", "/ballots/{open_round}/documents/ballots", ISSUE,
     expect(302, voter=403, evaluee=403)),
    ("POST", "/ballots/{draft_round}/documents/ballots", ISSUE,
     expect(403, anonymous=302, admin=302, scoped_admin=302)),
    ("POST", "/ballots/{other_round}/documents/ballots", ISSUE,
     expect(403, anonymous=302, admin=302)),
    ("POST", "/ballots/{counted_round}/documents/notices", NOTICES,
     expect(302, voter=403, evaluee=403)),
    # The world's rounds name no place for the date line: no notice could be issued, and the
    # ZIP page sends the officers back to the round with a message.
    ("GET", "/ballots/{counted_round}/documents/notices.zip", NOTICES_ZIP,
     expect(302, voter=403, evaluee=403)),
    ("POST", "/ballots/{counted_round}/documents/details", DETAILS,
     expect(302, voter=403, evaluee=403)),
    ("POST", "/ballots/{other_round}/documents/details", DETAILS,
     expect(403, anonymous=302, admin=302)),
    ("GET", f"/documents/{UNKNOWN_DOC}.pdf", "/documents/<doc_id>.pdf",
     expect(404, anonymous=302)),
    ("GET", f"/documents/{UNKNOWN_DOC}/preview.pdf", "/documents/<doc_id>/preview.pdf",
     expect(404, anonymous=302)),

    ("GET", "/api/v1/ballot-rounds/{counted_round}/documents", API_LIST,
     expect(200, anonymous=401, voter=403, evaluee=403)),
    ("GET", "/api/v1/ballot-rounds/{other_round}/documents", API_LIST,
     expect(404, anonymous=401, admin=200)),
    ("POST", "/api/v1/ballot-rounds/{counted_round}/documents", API_LIST,
     expect(400, anonymous=401, voter=403, evaluee=403)),
    ("POST", "/api/v1/ballot-rounds/{draft_round}/documents", API_LIST,
     expect(404, anonymous=401, admin=400, scoped_admin=400)),
    ("GET", f"/api/v1/documents/{UNKNOWN_DOC}", "/api/v1/documents/<doc_id>",
     expect(404, anonymous=401)),
    ("GET", f"/api/v1/documents/{UNKNOWN_DOC}/pdf", "/api/v1/documents/<doc_id>/pdf",
     expect(404, anonymous=401)),
]
