"""Access rows for the decision pages (the decision screen, finalising, releasing, each
person's own result and petition, the admins' answers to petitions, the export).

Who sees which evaluation round of the access world (tests/evaluations/access_world.py):
eval_open its admins, the secretary (organisation-wide) and the two people rated in it (VOTER,
who is also EVALUEE's manager, and EVALUEE); eval_draft its admins and the secretary;
eval_other the organisation-wide admin and the secretary. Anyone else gets 404. POST rows send
an empty form: the allowed get a 4xx for the bad input or the round's state (nothing changes).
"""

ROLES = ("anonymous", "admin", "scoped_admin", "secretary", "counter", "voter", "evaluee")
SEES = {
    "eval_open": {"admin", "scoped_admin", "secretary", "voter", "evaluee"},
    "eval_draft": {"admin", "scoped_admin", "secretary"},
    "eval_other": {"admin", "secretary"},
}


def on(round_name: str, refused: int = 403, **allowed: int) -> dict:
    table = {"anonymous": 302}
    for role in ROLES[1:]:
        table[role] = allowed.get(role, refused if role in SEES[round_name] else 404)
    return table


R = "/evaluations/<int:round_id>"
ADMINS = dict(admin=200, scoped_admin=200)

ROWS = [
    ("GET", "/evaluations/{eval_open}/decision", R + "/decision", on("eval_open", **ADMINS)),
    ("GET", "/evaluations/{eval_draft}/decision", R + "/decision", on("eval_draft", **ADMINS)),
    ("GET", "/evaluations/{eval_other}/decision", R + "/decision",
     on("eval_other", admin=200)),
    ("POST", "/evaluations/{eval_open}/decision/propose", R + "/decision/propose",
     on("eval_open", admin=422, scoped_admin=422)),
    ("POST", "/evaluations/{eval_other}/decision/propose", R + "/decision/propose",
     on("eval_other", admin=422)),
    ("POST", "/evaluations/{eval_open}/decision/propose-all", R + "/decision/propose-all",
     on("eval_open", admin=422, scoped_admin=422)),
    # Finalising without a number: 422; releasing an open round: 409.
    ("POST", "/evaluations/{eval_open}/decision/finalise", R + "/decision/finalise",
     on("eval_open", admin=422, scoped_admin=422)),
    ("POST", "/evaluations/{eval_draft}/decision/finalise", R + "/decision/finalise",
     on("eval_draft", admin=409, scoped_admin=409)),
    ("POST", "/evaluations/{eval_open}/decision/release", R + "/decision/release",
     on("eval_open", admin=409, scoped_admin=409)),
    # Only the people rated have a result page (the admins are not rated: 404).
    ("GET", "/evaluations/{eval_open}/my-result", R + "/my-result",
     on("eval_open", refused=404, voter=200, evaluee=200)),
    ("GET", "/evaluations/{eval_draft}/my-result", R + "/my-result",
     on("eval_draft", refused=404)),
    # A petition before the decision: refused by the round's state for all who see it.
    ("POST", "/evaluations/{eval_open}/my-result/petition", R + "/my-result/petition",
     on("eval_open", refused=409)),
    ("GET", "/evaluations/{eval_open}/petitions", R + "/petitions", on("eval_open", **ADMINS)),
    ("GET", "/evaluations/{eval_other}/petitions", R + "/petitions",
     on("eval_other", admin=200)),
    ("POST", "/evaluations/{eval_open}/petitions/999/reject",
     R + "/petitions/<int:petition_id>/reject", on("eval_open", admin=404, scoped_admin=404)),
    ("POST", "/evaluations/{eval_open}/petitions/999/accept",
     R + "/petitions/<int:petition_id>/accept", on("eval_open", admin=404, scoped_admin=404)),
    ("GET", "/evaluations/{eval_open}/export.xlsx", R + "/export.xlsx",
     on("eval_open", **ADMINS)),
    ("GET", "/evaluations/{eval_draft}/export.xlsx", R + "/export.xlsx",
     on("eval_draft", admin=409, scoped_admin=409)),
]
