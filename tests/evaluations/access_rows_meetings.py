"""Access rows for the collective meetings (eval_meeting: the meeting of eval_open's unit, in
draft, VOTER present, EVALUEE absent). Who sees eval_open: admins, SECRETARY (organisation-wide
secretary: runs meetings), VOTER and EVALUEE (rated); COUNTER does not (404).

POST rows send an empty form (CSRF is off in tests): allowed roles get the page's own answer
(422 bad input, 409 wrong stage; an empty attendance/comments/details form is valid), others 403."""

R = "/evaluations/<int:round_id>/meetings"
M = R + "/<int:meeting_id>"


def on_open(**allowed) -> dict:
    table = {"anonymous": 302, "admin": 403, "scoped_admin": 403, "secretary": 403,
             "counter": 404, "voter": 403, "evaluee": 403}
    table.update(allowed)
    return table


def on_other(**allowed) -> dict:
    table = {"anonymous": 302, "admin": 403, "scoped_admin": 404, "secretary": 403,
             "counter": 404, "voter": 404, "evaluee": 404}
    table.update(allowed)
    return table


STEP = M + "/<any('open-ballot','close-ballot','count-ballot',record):step>"
RUNS = ("admin", "scoped_admin", "secretary")
U = "/evaluations/{eval_open}/meetings/{eval_meeting}"


def runs(status: int) -> dict:
    return on_open(**{role: status for role in RUNS})


ROWS = [
    ("GET", "/evaluations/{eval_open}/meetings", R,
     on_open(admin=200, scoped_admin=200, secretary=200, voter=200, evaluee=200)),
    ("GET", "/evaluations/{eval_other}/meetings", R, on_other(admin=200, secretary=200)),
    ("POST", "/evaluations/{eval_open}/meetings", R, runs(422)),
    ("GET", U, M, runs(200)),
    ("GET", "/evaluations/{eval_open}/meetings/999999", M,
     on_open(admin=404, scoped_admin=404, secretary=404)),
    ("POST", U + "/details", M + "/details", runs(302)),  # every field optional
    ("POST", U + "/attendance", M + "/attendance", runs(302)),  # nobody present
    ("POST", U + "/comments", M + "/comments", runs(302)),  # nothing sent
    ("POST", U + "/open-ballot", STEP, runs(409)),
    ("GET", U + "/keys", M + "/keys", runs(200)),
    ("POST", U + "/keys", M + "/keys", runs(422)),
    ("POST", U + "/keys/file", M + "/keys/file", runs(422)),
    ("POST", U + "/keys/1/remove", M + "/keys/<int:number>/remove", runs(422)),
    ("POST", U + "/keys/unlock", M + "/keys/unlock", runs(422)),
    # Only a member on the present list (VOTER) reaches the ballot; EVALUEE is absent.
    ("GET", U + "/vote", M + "/vote", on_open(voter=200)),
    ("POST", U + "/vote/review", M + "/vote/review", on_open(voter=422)),
    ("POST", U + "/vote/change", M + "/vote/change", on_open(voter=200)),
    ("POST", U + "/vote/cast", M + "/vote/cast", on_open(voter=409)),  # not open
    ("GET", U + "/vote/receipt", M + "/vote/receipt", on_open(voter=302)),
]
