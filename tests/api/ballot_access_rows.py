"""Access-table rows for the ballot endpoints of the JSON API (see tests/test_access.py).

Requests carry no body, so every row that would change something is one the allowed roles
must refuse: 400 for the missing JSON body, 409 for a step the round's status forbids, 404 for
a candidate or voter that does not exist. A round the account may not see is 404, as if it did
not exist; a round it sees but may not act on is 403.

Who sees which round of the access world (tests/test_access.py::ballot_rounds_for_access):
draft_round and other_round only admins (other_round: not the scoped admin); open_round also
its secretary, counter and the voter; counted_round also the evaluee, who is voted on in it.
"""

ROLES = ("anonymous", "admin", "scoped_admin", "secretary", "counter", "voter", "evaluee")


def expect(admin, scoped_admin, secretary, counter, voter, evaluee, anonymous=401):
    return dict(zip(ROLES, (anonymous, admin, scoped_admin, secretary, counter, voter, evaluee),
                    strict=True))


BASE = "/api/v1/ballot-rounds"
ROUND = BASE + "/<int:round_id>"
CANDIDATE = ROUND + "/candidates/<int:candidate_id>"
TRANSITION = ROUND + "/transitions/<name>"

#                                          admin scoped  sec  count voter evaluee
ROWS: list = [
    ("GET", BASE, BASE, expect(200, 200, 200, 200, 200, 200)),
    ("POST", BASE, BASE, expect(400, 400, 403, 403, 403, 403)),

    ("GET", BASE + "/{draft_round}", ROUND, expect(200, 200, 404, 404, 404, 404)),
    ("GET", BASE + "/{open_round}", ROUND, expect(200, 200, 200, 200, 200, 404)),
    ("GET", BASE + "/{counted_round}", ROUND, expect(200, 200, 200, 200, 200, 200)),
    ("GET", BASE + "/{other_round}", ROUND, expect(200, 404, 404, 404, 404, 404)),
    ("GET", BASE + "/999999", ROUND, expect(404, 404, 404, 404, 404, 404)),
    ("PATCH", BASE + "/{draft_round}", ROUND, expect(400, 400, 404, 404, 404, 404)),
    ("PATCH", BASE + "/{open_round}", ROUND, expect(400, 400, 403, 403, 403, 404)),
    ("PATCH", BASE + "/{other_round}", ROUND, expect(400, 404, 404, 404, 404, 404)),

    ("POST", BASE + "/{draft_round}/candidates", ROUND + "/candidates",
     expect(400, 400, 404, 404, 404, 404)),
    ("POST", BASE + "/{open_round}/candidates", ROUND + "/candidates",
     expect(400, 400, 403, 403, 403, 404)),
    ("PUT", BASE + "/{draft_round}/candidates/order", ROUND + "/candidates/order",
     expect(400, 400, 404, 404, 404, 404)),
    ("PUT", BASE + "/{counted_round}/candidates/order", ROUND + "/candidates/order",
     expect(400, 400, 403, 403, 403, 403)),
    ("POST", BASE + "/{draft_round}/candidates/999999/exclusion", CANDIDATE + "/exclusion",
     expect(400, 400, 404, 404, 404, 404)),
    ("POST", BASE + "/{open_round}/candidates/999999/exclusion", CANDIDATE + "/exclusion",
     expect(400, 400, 403, 403, 403, 404)),
    ("DELETE", BASE + "/{draft_round}/candidates/999999", CANDIDATE,
     expect(404, 404, 404, 404, 404, 404)),
    ("DELETE", BASE + "/{counted_round}/candidates/999999", CANDIDATE,
     expect(409, 409, 403, 403, 403, 403)),

    ("POST", BASE + "/{draft_round}/voters", ROUND + "/voters",
     expect(400, 400, 404, 404, 404, 404)),
    ("POST", BASE + "/{open_round}/voters", ROUND + "/voters",
     expect(400, 400, 403, 403, 403, 404)),
    ("DELETE", BASE + "/{draft_round}/voters/999999", ROUND + "/voters/<int:voter_id>",
     expect(404, 404, 404, 404, 404, 404)),
    ("DELETE", BASE + "/{open_round}/voters/999999", ROUND + "/voters/<int:voter_id>",
     expect(409, 409, 403, 403, 403, 404)),
    ("PUT", BASE + "/{draft_round}/officers", ROUND + "/officers",
     expect(400, 400, 404, 404, 404, 404)),
    ("PUT", BASE + "/{open_round}/officers", ROUND + "/officers",
     expect(400, 400, 403, 403, 403, 404)),

    # The meeting: attendance for the chair, the secretary and admins.
    ("PUT", BASE + "/{open_round}/attendance", ROUND + "/attendance",
     expect(400, 400, 400, 403, 403, 404)),
    ("PUT", BASE + "/{other_round}/attendance", ROUND + "/attendance",
     expect(400, 404, 404, 404, 404, 404)),
    # Every step asked of a round in a status that forbids it: refused, nothing moves.
    ("POST", BASE + "/{counted_round}/transitions/start-attendance", TRANSITION,
     expect(409, 409, 403, 403, 403, 403)),
    ("POST", BASE + "/{counted_round}/transitions/open", TRANSITION,
     expect(409, 409, 409, 403, 403, 403)),
    ("POST", BASE + "/{counted_round}/transitions/close", TRANSITION,
     expect(409, 409, 409, 403, 403, 403)),
    ("POST", BASE + "/{counted_round}/transitions/count", TRANSITION,
     expect(409, 409, 409, 409, 403, 403)),
    ("POST", BASE + "/{open_round}/transitions/finalise", TRANSITION,
     expect(409, 409, 403, 403, 403, 404)),
    ("POST", BASE + "/{open_round}/transitions/publish", TRANSITION,
     expect(409, 409, 403, 403, 403, 404)),
    ("POST", BASE + "/{draft_round}/transitions/open", TRANSITION,
     expect(409, 409, 404, 404, 404, 404)),
    ("POST", BASE + "/{open_round}/transitions/nonsense", TRANSITION,
     expect(404, 404, 404, 404, 404, 404)),

    # Casting: only a voter on the roll (the accounts of officers have no person).
    ("POST", BASE + "/{open_round}/ballot", ROUND + "/ballot",
     expect(403, 403, 403, 403, 400, 404)),
    ("POST", BASE + "/{counted_round}/ballot", ROUND + "/ballot",
     expect(403, 403, 403, 403, 400, 403)),
    ("GET", BASE + "/{open_round}/turnout", ROUND + "/turnout",
     expect(200, 200, 200, 200, 403, 404)),
    ("GET", BASE + "/{counted_round}/turnout", ROUND + "/turnout",
     expect(200, 200, 200, 200, 403, 403)),
    ("GET", BASE + "/{other_round}/turnout", ROUND + "/turnout",
     expect(200, 404, 404, 404, 404, 404)),

    # Results: never before counting; after it the officers and admins, the person voted on
    # their own line, voters only once published (counted_round is not).
    ("GET", BASE + "/{open_round}/results", ROUND + "/results",
     expect(409, 409, 409, 409, 409, 404)),
    ("GET", BASE + "/{counted_round}/results", ROUND + "/results",
     expect(200, 200, 200, 200, 403, 200)),
    ("GET", BASE + "/{open_round}/trackers", ROUND + "/trackers",
     expect(409, 409, 409, 409, 409, 404)),
    ("GET", BASE + "/{counted_round}/trackers", ROUND + "/trackers",
     expect(200, 200, 200, 200, 200, 403)),

    # The encrypted box's parameters, once voting has opened; the counting team's shares.
    ("GET", BASE + "/{open_round}/box", ROUND + "/box", expect(200, 200, 200, 200, 200, 404)),
    ("GET", BASE + "/{draft_round}/box", ROUND + "/box", expect(409, 409, 404, 404, 404, 404)),
    ("POST", BASE + "/{draft_round}/keys", ROUND + "/keys",
     expect(400, 400, 404, 404, 404, 404)),
    ("POST", BASE + "/{open_round}/keys", ROUND + "/keys",
     expect(400, 400, 400, 400, 403, 404)),
    ("POST", BASE + "/{counted_round}/keys/1/unlock", ROUND + "/keys/<int:number>/unlock",
     expect(400, 400, 400, 400, 403, 403)),
]
