"""Access rows for the Quy chế and round set-up pages (the set-up part).

Who sees which evaluation round (tests/evaluations/access_world.py): eval_draft and eval_open are
in `sub`, which the scoped admin manages; eval_other is in `other_unit` (only the organisation
admin). SECRETARY holds an organisation-wide secretary role, so sees every round (runs its
meetings); VOTER manages the EVALUEE in eval_open and EVALUEE is rated there. COUNTER sees none.
POST rows send an empty form: allowed roles get 422 (nothing changes), those who see the round
but may not act 403, those who may not see it 404; anonymous visitors go to the login page.
"""

SEES = {
    "eval_draft": {"admin", "scoped_admin", "secretary"},
    "eval_open": {"admin", "scoped_admin", "secretary", "voter", "evaluee"},
    "eval_other": {"admin", "secretary"},
}
ROLES = ("anonymous", "admin", "scoped_admin", "secretary", "counter", "voter", "evaluee")


def on(round_name: str, **allowed) -> dict:
    table = {"anonymous": 302}
    for role in ROLES[1:]:
        table[role] = allowed.get(role, 403 if role in SEES[round_name] else 404)
    return table


def everyone(**overrides) -> dict:
    table = {role: 200 for role in ROLES}
    table["anonymous"] = 302
    table.update(overrides)
    return table


ADMINS = dict(admin=200, scoped_admin=200)
R = "/evaluations/<int:round_id>"
P = R + "/people/<int:rated_id>"

ROWS = [
    ("GET", "/evaluations/", "/evaluations/", everyone()),
    ("GET", "/evaluations/new", "/evaluations/new",
     everyone(secretary=403, counter=403, voter=403, evaluee=403)),
    ("POST", "/evaluations/new", "/evaluations/new",
     everyone(admin=422, scoped_admin=422, secretary=403, counter=403, voter=403,
              evaluee=403)),
    ("GET", "/evaluations/{eval_draft}", R, on("eval_draft", **ADMINS, secretary=200)),
    ("GET", "/evaluations/{eval_open}", R,
     on("eval_open", **ADMINS, secretary=200, voter=200, evaluee=200)),
    ("GET", "/evaluations/{eval_other}", R, on("eval_other", admin=200, secretary=200)),
    ("GET", "/evaluations/{eval_draft}/settings", R + "/settings", on("eval_draft", **ADMINS)),
    ("POST", "/evaluations/{eval_draft}/settings", R + "/settings",
     on("eval_draft", admin=422, scoped_admin=422)),
    ("GET", "/evaluations/{eval_open}/settings", R + "/settings", on("eval_open", **ADMINS)),
    ("POST", "/evaluations/{eval_open}/settings", R + "/settings",
     on("eval_open", admin=409, scoped_admin=409)),
    ("GET", "/evaluations/{eval_other}/settings", R + "/settings",
     on("eval_other", admin=200)),
    ("POST", "/evaluations/{eval_draft}/open", R + "/open",
     on("eval_draft", admin=422, scoped_admin=422)),  # nobody taken yet
    ("POST", "/evaluations/{eval_open}/open", R + "/open",
     on("eval_open", admin=409, scoped_admin=409)),  # already open
    ("GET", "/evaluations/{eval_draft}/people", R + "/people", on("eval_draft", **ADMINS)),
    ("GET", "/evaluations/{eval_open}/people", R + "/people", on("eval_open", **ADMINS)),
    ("GET", "/evaluations/{eval_other}/people", R + "/people", on("eval_other", admin=200)),
    ("POST", "/evaluations/{eval_draft}/people", R + "/people",
     on("eval_draft", admin=422, scoped_admin=422)),
    ("POST", "/evaluations/{eval_other}/people", R + "/people",
     on("eval_other", admin=422)),
    ("POST", "/evaluations/{eval_open}/people/{eval_rated}/include", P + "/include",
     on("eval_open", admin=422, scoped_admin=422)),
    ("POST", "/evaluations/{eval_open}/people/{eval_rated}/exclude", P + "/exclude",
     on("eval_open", admin=422, scoped_admin=422)),
    ("POST", "/evaluations/{eval_open}/people/{eval_rated}/head", P + "/head",
     on("eval_open", admin=422, scoped_admin=422)),
    ("POST", "/evaluations/{eval_draft}/people/999999/head", P + "/head",
     on("eval_draft", admin=404, scoped_admin=404)),
    # The Quy chế: admins of the unit; the world's units have no Quy chế yet.
    ("GET", "/evaluations/regulations", "/evaluations/regulations",
     everyone(secretary=403, counter=403, voter=403, evaluee=403)),
    ("POST", "/evaluations/regulations/{unit}/seed",
     "/evaluations/regulations/<int:unit_id>/seed",
     everyone(admin=422, scoped_admin=422, secretary=403, counter=403, voter=403,
              evaluee=403)),
    ("POST", "/evaluations/regulations/{other_unit}/seed",
     "/evaluations/regulations/<int:unit_id>/seed",
     everyone(admin=422, scoped_admin=403, secretary=403, counter=403, voter=403,
              evaluee=403)),
    ("GET", "/evaluations/regulations/{unit}/edit",
     "/evaluations/regulations/<int:unit_id>/edit",
     everyone(admin=302, scoped_admin=302, secretary=403, counter=403, voter=403,
              evaluee=403)),
    ("POST", "/evaluations/regulations/{unit}/edit",
     "/evaluations/regulations/<int:unit_id>/edit",
     everyone(admin=302, scoped_admin=302, secretary=403, counter=403, voter=403,
              evaluee=403)),
    ("GET", "/evaluations/regulations/{unit}/versions/1",
     "/evaluations/regulations/<int:unit_id>/versions/<int:version>",
     everyone(admin=404, scoped_admin=404, secretary=403, counter=403, voter=403,
              evaluee=403)),
]
