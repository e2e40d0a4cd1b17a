"""Access-table rows for the ballot pages (see tests/test_access.py and its `world` fixture:
draft_round and open_round/counted_round live in a unit the scoped admin manages, other_round
does not; SECRETARY and COUNTER are officers of open_round and counted_round, VOTER is a present
voter on both, EVALUEE is voted on in counted_round).

POST rows send an empty form: allowed roles get a 4xx for the bad input (nothing changes), the
others 403, and those who may not see the round 404 (tests/access_rounds.py); anonymous visitors
are sent to the login page (302).
"""

from tests.access_rounds import on_round


def expect(anonymous=302, admin=403, scoped_admin=403, secretary=403, counter=403, voter=403,
           evaluee=403):
    return {"anonymous": anonymous, "admin": admin, "scoped_admin": scoped_admin,
            "secretary": secretary, "counter": counter, "voter": voter, "evaluee": evaluee}


def on(round_name: str, **allowed) -> dict:
    return on_round(round_name, anonymous=302, **allowed)


EVERYONE = dict(admin=200, scoped_admin=200, secretary=200, counter=200, voter=200, evaluee=200)
ADMINS = dict(admin=200, scoped_admin=200)
R = "/ballots/<int:round_id>"
STEP = "/ballots/<int:round_id>/<any('start-attendance',open,close,count,finalise,publish):step>"

ROWS = [
    ("GET", "/ballots/", "/ballots/", expect(**EVERYONE)),
    ("GET", "/ballots/new", "/ballots/new", expect(**ADMINS)),
    ("POST", "/ballots/new", "/ballots/new", expect(admin=422, scoped_admin=422)),
    ("GET", "/ballots/{draft_round}", R, on("draft_round", **ADMINS)),
    ("GET", "/ballots/{open_round}", R,
     on("open_round", admin=200, scoped_admin=200, secretary=200, counter=200, voter=200)),
    ("GET", "/ballots/{other_round}", R, on("other_round", admin=200)),
    ("GET", "/ballots/{draft_round}/settings", R + "/settings", on("draft_round", **ADMINS)),
    ("POST", "/ballots/{draft_round}/settings", R + "/settings",
     on("draft_round", admin=422, scoped_admin=422)),
    ("GET", "/ballots/{open_round}/settings", R + "/settings", on("open_round", **ADMINS)),
    ("GET", "/ballots/{other_round}/settings", R + "/settings", on("other_round", admin=200)),
    ("GET", "/ballots/{draft_round}/candidates", R + "/candidates",
     on("draft_round", **ADMINS)),
    ("POST", "/ballots/{draft_round}/candidates", R + "/candidates",
     on("draft_round", admin=422, scoped_admin=422)),
    ("POST", "/ballots/{draft_round}/candidates/999/up",
     R + "/candidates/<int:candidate_id>/<any(up,down):direction>",
     on("draft_round", admin=404, scoped_admin=404)),
    ("POST", "/ballots/{draft_round}/candidates/999/exclude",
     R + "/candidates/<int:candidate_id>/exclude", on("draft_round", admin=422, scoped_admin=422)),
    ("POST", "/ballots/{draft_round}/candidates/999/include",
     R + "/candidates/<int:candidate_id>/include", on("draft_round", admin=404, scoped_admin=404)),
    ("POST", "/ballots/{draft_round}/candidates/999/remove",
     R + "/candidates/<int:candidate_id>/remove", on("draft_round", admin=404, scoped_admin=404)),
    ("GET", "/ballots/{draft_round}/voters", R + "/voters", on("draft_round", **ADMINS)),
    ("POST", "/ballots/{draft_round}/voters", R + "/voters",
     on("draft_round", admin=422, scoped_admin=422)),
    ("POST", "/ballots/{draft_round}/voters/file", R + "/voters/file",
     on("draft_round", admin=422, scoped_admin=422)),
    ("POST", "/ballots/{draft_round}/voters/999/remove", R + "/voters/<int:voter_id>/remove",
     on("draft_round", admin=404, scoped_admin=404)),
    ("GET", "/ballots/{draft_round}/officers", R + "/officers", on("draft_round", **ADMINS)),
    ("POST", "/ballots/{other_round}/officers", R + "/officers", on("other_round", admin=302)),
    # Opening a counted round is refused by its state (409) for those who may run the meeting.
    ("POST", "/ballots/{counted_round}/open", STEP,
     on("counted_round", admin=409, scoped_admin=409, secretary=409)),
    ("POST", "/ballots/{draft_round}/close", STEP,
     on("draft_round", admin=409, scoped_admin=409)),
    ("GET", "/ballots/{open_round}/attendance", R + "/attendance",
     on("open_round", admin=200, scoped_admin=200, secretary=200)),
    ("POST", "/ballots/{open_round}/attendance", R + "/attendance",
     on("open_round", admin=409, scoped_admin=409, secretary=409)),
    # A latecomer is admitted by whoever runs the meeting; the empty form names nobody (422).
    ("POST", "/ballots/{open_round}/attendance/latecomer", R + "/attendance/latecomer",
     on("open_round", admin=422, scoped_admin=422, secretary=422)),
    # Paper (issue 12): the hall's hand-out by whoever runs the meeting (the empty form names
    # nobody: 422); entry and totals by the counting team once voting is closed (409 while
    # open); the reconciliation page is the team's, its form the head's (empty form: 422).
    ("POST", "/ballots/{open_round}/hand-out", R + "/hand-out",
     on("open_round", admin=422, scoped_admin=422, secretary=422)),
    # Every member waiting handed the same at once; the empty form names no kind (422).
    ("POST", "/ballots/{open_round}/hand-out-all", R + "/hand-out-all",
     on("open_round", admin=422, scoped_admin=422, secretary=422)),
    ("GET", "/ballots/{open_round}/paper/enter", R + "/paper/enter",
     on("open_round", admin=409, scoped_admin=409, secretary=409, counter=409)),
    ("POST", "/ballots/{open_round}/paper/enter", R + "/paper/enter",
     on("open_round", admin=409, scoped_admin=409, secretary=409, counter=409)),
    ("GET", "/ballots/{open_round}/paper/reconcile", R + "/paper/reconcile",
     on("open_round", admin=200, scoped_admin=200, secretary=200, counter=200)),
    ("POST", "/ballots/{open_round}/paper/reconcile", R + "/paper/reconcile",
     on("open_round", admin=422, scoped_admin=422, secretary=422, counter=422)),
    ("GET", "/ballots/{open_round}/paper/totals", R + "/paper/totals",
     on("open_round", admin=409, scoped_admin=409, secretary=409, counter=409)),
    ("POST", "/ballots/{open_round}/paper/totals", R + "/paper/totals",
     on("open_round", admin=409, scoped_admin=409, secretary=409, counter=409)),
    # Re-checks (phúc tra) of paper ballots: the counting team's, after counting (409 before).
    ("GET", "/ballots/{open_round}/paper/recheck", R + "/paper/recheck",
     on("open_round", admin=409, scoped_admin=409, secretary=409, counter=409)),
    ("POST", "/ballots/{open_round}/paper/recheck", R + "/paper/recheck",
     on("open_round", admin=409, scoped_admin=409, secretary=409, counter=409)),
    ("GET", "/ballots/{open_round}/paper/recheck/1", R + "/paper/recheck/<int:recheck_id>",
     on("open_round", admin=409, scoped_admin=409, secretary=409, counter=409)),
    ("POST", "/ballots/{open_round}/paper/recheck/1", R + "/paper/recheck/<int:recheck_id>",
     on("open_round", admin=409, scoped_admin=409, secretary=409, counter=409)),
    ("POST", "/ballots/{open_round}/paper/recheck/1/finish",
     R + "/paper/recheck/<int:recheck_id>/finish",
     on("open_round", admin=409, scoped_admin=409, secretary=409, counter=409)),
    # Ballot codes: generated by whoever runs the meeting (the empty form gives no number,
    # 422); the code ballot needs no login (an empty form is not a code, 422; no receipt is
    # kept by a browser that cast nothing, 404).
    ("POST", "/ballots/{open_round}/codes", R + "/codes",
     on("open_round", admin=422, scoped_admin=422, secretary=422)),
    ("POST", "/ballots/{draft_round}/codes", R + "/codes",
     on("draft_round", admin=422, scoped_admin=422)),
    ("GET", "/code/", "/code/", expect(anonymous=200, **EVERYONE)),
    ("POST", "/code/", "/code/", expect(anonymous=422, **{r: 422 for r in EVERYONE})),
    ("POST", "/code/review", "/code/review", expect(anonymous=422, **{r: 422 for r in EVERYONE})),
    ("POST", "/code/change", "/code/change", expect(anonymous=422, **{r: 422 for r in EVERYONE})),
    ("POST", "/code/cast", "/code/cast", expect(anonymous=422, **{r: 422 for r in EVERYONE})),
    ("GET", "/code/receipt/{open_round}", "/code/receipt/<int:round_id>",
     expect(anonymous=404, **{r: 404 for r in EVERYONE})),
    ("GET", "/ballots/{open_round}/turnout", R + "/turnout",
     on("open_round", admin=200, scoped_admin=200, secretary=200, counter=200)),
    ("GET", "/ballots/{open_round}/turnout.json", R + "/turnout.json",
     on("open_round", admin=200, scoped_admin=200, secretary=200, counter=200)),
    ("GET", "/ballots/{other_round}/turnout", R + "/turnout", on("other_round", admin=200)),
    ("GET", "/ballots/{open_round}/results", R + "/results", on("open_round")),
    ("GET", "/ballots/{counted_round}/results", R + "/results",
     on("counted_round", admin=200, scoped_admin=200, secretary=200, counter=200, evaluee=200)),
    # The export follows the results page; counted_round has fewer ballots than its secrecy
    # threshold, so without the acknowledgement the export sends back to the warning.
    ("GET", "/ballots/{open_round}/results.xlsx", R + "/results.xlsx", on("open_round")),
    ("GET", "/ballots/{counted_round}/results.xlsx", R + "/results.xlsx",
     on("counted_round", admin=302, scoped_admin=302, secretary=302, counter=302, evaluee=302)),
    ("GET", "/ballots/{counted_round}/results.xlsx?acknowledged=1", R + "/results.xlsx",
     on("counted_round", admin=200, scoped_admin=200, secretary=200, counter=200, evaluee=200)),
    # The voters and officers of the round; the person voted on (EVALUEE) is neither.
    ("GET", "/ballots/{counted_round}/trackers", R + "/trackers",
     on("counted_round", admin=200, scoped_admin=200, secretary=200, counter=200, voter=200)),
    ("GET", "/ballots/{draft_round}/trackers", R + "/trackers", on("draft_round", **ADMINS)),
    # The published box: to those who see the trackers, once counted.
    ("GET", "/ballots/{counted_round}/box.json", R + "/box.json",
     on("counted_round", admin=200, scoped_admin=200, secretary=200, counter=200, voter=200)),
    ("GET", "/ballots/{draft_round}/box.json", R + "/box.json",
     on("draft_round", admin=403, scoped_admin=403)),
    # The counting team's key: whoever runs the meeting, and the counting team itself.
    ("GET", "/ballots/{draft_round}/keys", R + "/keys", on("draft_round", **ADMINS)),
    ("GET", "/ballots/{open_round}/keys", R + "/keys",
     on("open_round", admin=200, scoped_admin=200, secretary=200, counter=200)),
    ("POST", "/ballots/{draft_round}/keys", R + "/keys",
     on("draft_round", admin=422, scoped_admin=422)),
    ("POST", "/ballots/{open_round}/keys", R + "/keys",
     on("open_round", admin=422, scoped_admin=422, secretary=422, counter=422)),
    # An empty number of members needed means "a majority": a valid form, saved as it was.
    ("POST", "/ballots/{draft_round}/keys/file", R + "/keys/file",
     on("draft_round", admin=422, scoped_admin=422)),
    ("POST", "/ballots/{draft_round}/keys/threshold", R + "/keys/threshold",
     on("draft_round", admin=302, scoped_admin=302)),
    ("POST", "/ballots/{draft_round}/keys/999/remove", R + "/keys/<int:number>/remove",
     on("draft_round", admin=422, scoped_admin=422)),
    ("POST", "/ballots/{counted_round}/keys/unlock", R + "/keys/unlock",
     on("counted_round", admin=422, scoped_admin=422, secretary=422, counter=422)),
    ("GET", "/vote/", "/vote/", expect(**EVERYONE)),
    ("GET", "/vote/{open_round}", "/vote/<int:round_id>", on("open_round", voter=200)),
    ("POST", "/vote/{open_round}/review", "/vote/<int:round_id>/review",
     on("open_round", voter=422)),
    ("POST", "/vote/{open_round}/change", "/vote/<int:round_id>/change",
     on("open_round", voter=200)),
    ("POST", "/vote/{open_round}/cast", "/vote/<int:round_id>/cast", on("open_round", voter=422)),
    # The receipt: a voter who has not voted is sent to the ballot; one who voted elsewhere (in
    # another session) is told so; the text file exists only in the session that voted.
    ("GET", "/vote/{open_round}/receipt", "/vote/<int:round_id>/receipt",
     on("open_round", voter=302)),
    ("GET", "/vote/{counted_round}/receipt", "/vote/<int:round_id>/receipt",
     on("counted_round", voter=200)),
    ("GET", "/vote/{counted_round}/receipt.txt", "/vote/<int:round_id>/receipt.txt",
     on("counted_round", voter=404)),
    ("GET", "/vote/{draft_round}", "/vote/<int:round_id>", on("draft_round")),
]

ROWS += [
    ("POST", "/ballots/{other_round}/voters/accounts", R + "/voters/accounts",
     on("other_round", admin=200)),
]
