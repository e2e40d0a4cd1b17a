"""Access-table rows for issuing and downloading documents, on the pages and in the API (see
tests/test_access.py and its `world`: SECRETARY and COUNTER are the officers of open_round and
counted_round, VOTER votes in both, EVALUEE is voted on in counted_round; draft_round is in the
scoped admin's unit, other_round is not).

Issuing is for those who may count (officers and the round's admins): on a counted round the
minutes are issued and the browser sent on to the PDF (302); a step not possible yet (minutes
before counting, ballots in a draft, a notice without its person) is a message on the round page
(302 back to it), never an error page. An unknown document is 404 for everyone logged in. The
notices of everyone come as one ZIP; the heading and date line are set by those who issue. A
round someone may not see is 404 on all of these, as on its own pages (tests/access_rounds.py).
"""

from tests.access_rounds import on_round

ROLES = ("anonymous", "admin", "scoped_admin", "secretary", "counter", "voter", "evaluee")


def expect(default, **overrides):
    return {role: overrides.get(role, default) for role in ROLES}


UNKNOWN_DOC = "0123456789abcdef0123456789abcdef"
ISSUE = "/ballots/<int:round_id>/documents/<any(minutes,ballots,notice,paper_log):kind>"
NOTICES = "/ballots/<int:round_id>/documents/notices"
NOTICES_ZIP = "/ballots/<int:round_id>/documents/notices.zip"
DETAILS = "/ballots/<int:round_id>/documents/details"
API_LIST = "/api/v1/ballot-rounds/<int:round_id>/documents"

def on(round_name: str, **allowed) -> dict:
    return on_round(round_name, anonymous=302, **allowed)


def api_on(round_name: str, **allowed) -> dict:
    return on_round(round_name, anonymous=401, **allowed)


OFFICERS = dict(admin=302, scoped_admin=302, secretary=302, counter=302)

ROWS = [
    ("POST", "/ballots/{counted_round}/documents/minutes", ISSUE,
     on("counted_round", **OFFICERS)),
    ("POST", "/ballots/{counted_round}/documents/notice", ISSUE,
     on("counted_round", **OFFICERS)),
    ("POST", "/ballots/{open_round}/documents/minutes", ISSUE, on("open_round", **OFFICERS)),
    ("POST", "/ballots/{open_round}/documents/ballots", ISSUE, on("open_round", **OFFICERS)),
    ("POST", "/ballots/{draft_round}/documents/ballots", ISSUE,
     on("draft_round", admin=302, scoped_admin=302)),
    ("POST", "/ballots/{other_round}/documents/ballots", ISSUE, on("other_round", admin=302)),
    ("POST", "/ballots/{counted_round}/documents/notices", NOTICES,
     on("counted_round", **OFFICERS)),
    # The world's rounds name no place for the date line: no notice could be issued, and the
    # ZIP page sends the officers back to the round with a message.
    ("GET", "/ballots/{counted_round}/documents/notices.zip", NOTICES_ZIP,
     on("counted_round", **OFFICERS)),
    ("GET", "/ballots/{other_round}/documents/notices.zip", NOTICES_ZIP,
     on("other_round", admin=302)),
    ("POST", "/ballots/{counted_round}/documents/details", DETAILS,
     on("counted_round", **OFFICERS)),
    ("POST", "/ballots/{other_round}/documents/details", DETAILS, on("other_round", admin=302)),
    ("GET", f"/documents/{UNKNOWN_DOC}.pdf", "/documents/<doc_id>.pdf",
     expect(404, anonymous=302)),
    ("GET", f"/documents/{UNKNOWN_DOC}/preview.pdf", "/documents/<doc_id>/preview.pdf",
     expect(404, anonymous=302)),
    # A prepared file is its asker's alone (tests/evaluations/test_documents.py asks for one).
    ("GET", f"/documents/prepared/{UNKNOWN_DOC}", "/documents/prepared/<file_id>",
     expect(404, anonymous=302)),
    ("GET", f"/documents/prepared/{UNKNOWN_DOC}/file", "/documents/prepared/<file_id>/file",
     expect(404, anonymous=302)),

    ("GET", "/api/v1/ballot-rounds/{counted_round}/documents", API_LIST,
     api_on("counted_round", admin=200, scoped_admin=200, secretary=200, counter=200)),
    ("GET", "/api/v1/ballot-rounds/{other_round}/documents", API_LIST,
     api_on("other_round", admin=200)),
    ("POST", "/api/v1/ballot-rounds/{counted_round}/documents", API_LIST,
     api_on("counted_round", admin=400, scoped_admin=400, secretary=400, counter=400)),
    ("POST", "/api/v1/ballot-rounds/{draft_round}/documents", API_LIST,
     api_on("draft_round", admin=400, scoped_admin=400)),
    ("GET", f"/api/v1/documents/{UNKNOWN_DOC}", "/api/v1/documents/<doc_id>",
     expect(404, anonymous=401)),
    ("GET", f"/api/v1/documents/{UNKNOWN_DOC}/pdf", "/api/v1/documents/<doc_id>/pdf",
     expect(404, anonymous=401)),
]
