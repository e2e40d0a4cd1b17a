"""Access rows for /api/v1/evaluation-rounds (see access_world.py): SECRETARY is an
organisation-wide secretary (sees every round, manages none), COUNTER has no part in any
evaluation round, VOTER manages the EVALUEE in eval_open, EVALUEE is rated in it. POST rows send
no body: those allowed get 400 (or 409 for a step the state refuses)."""


def expect(anonymous=401, admin=403, scoped_admin=403, secretary=403, counter=404, voter=403,
           evaluee=403):
    return {"anonymous": anonymous, "admin": admin, "scoped_admin": scoped_admin,
            "secretary": secretary, "counter": counter, "voter": voter, "evaluee": evaluee}


A = "/api/v1/evaluation-rounds"
R = A + "/<int:round_id>"
SEES = dict(admin=200, scoped_admin=200, secretary=200, voter=200, evaluee=200)

ROWS = [
    ("GET", A, A, expect(admin=200, scoped_admin=200, secretary=200, counter=200, voter=200,
                         evaluee=200)),
    ("POST", A, A, expect(admin=400, scoped_admin=400, counter=403)),
    ("GET", A + "/{eval_open}", R, expect(**SEES)),
    ("GET", A + "/{eval_other}", R, expect(admin=200, scoped_admin=404, secretary=200, voter=404,
                                            evaluee=404)),
    ("POST", A + "/{eval_open}/people", R + "/people", expect(admin=400, scoped_admin=400)),
    ("POST", A + "/{eval_other}/people", R + "/people",
     expect(admin=400, scoped_admin=404, voter=404, evaluee=404)),
    ("POST", A + "/{eval_open}/units", R + "/units", expect(admin=400, scoped_admin=400)),
    ("POST", A + "/{eval_open}/open", R + "/open", expect(admin=409, scoped_admin=409)),
    ("GET", A + "/{eval_open}/rated-people", R + "/rated-people",
     expect(admin=200, scoped_admin=200)),
]
