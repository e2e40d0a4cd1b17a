"""Access rows for the forms pages (see access_world.py: in eval_open VOTER's person manages
EVALUEE's, both are rated; nobody heads the unit; nobody rated is a leader; COUNTER cannot see
the round, so gets 404). POST rows send an empty form: those who may fill get 422."""

R = "/evaluations/<int:round_id>"
SEE = ("admin", "scoped_admin", "secretary", "voter", "evaluee")


def expect(**allowed) -> dict:
    """302 for anonymous visitors, 404 for COUNTER (does not see the round), 403 for the others
    who see it, unless given."""
    table = {"anonymous": 302, "counter": 404}
    table.update({role: 403 for role in SEE})
    table.update(allowed)
    return table


ROWS = [
    ("GET", "/evaluations/{eval_open}/forms/self", R + "/forms/self",
     expect(voter=200, evaluee=200)),
    ("POST", "/evaluations/{eval_open}/forms/self", R + "/forms/self",
     expect(voter=422, evaluee=422)),
    ("GET", "/evaluations/{eval_draft}/forms/self", R + "/forms/self",
     expect(voter=404, evaluee=404)),
    ("GET", "/evaluations/{eval_open}/people/{eval_rated}/manager",
     R + "/people/<int:rated_id>/manager", expect(voter=200)),
    ("POST", "/evaluations/{eval_open}/people/{eval_rated}/manager",
     R + "/people/<int:rated_id>/manager", expect(voter=422)),
    ("GET", "/evaluations/{eval_open}/people/{eval_rated_voter}/manager",
     R + "/people/<int:rated_id>/manager", expect()),
    # Nobody rated in the world is a leader: no Party committee form.
    ("GET", "/evaluations/{eval_open}/people/{eval_rated}/party",
     R + "/people/<int:rated_id>/party", expect(**{r: 404 for r in SEE})),
    ("POST", "/evaluations/{eval_open}/people/{eval_rated}/party",
     R + "/people/<int:rated_id>/party", expect(**{r: 404 for r in SEE})),
    ("GET", "/evaluations/{eval_open}/units/{eval_rated_unit}/self",
     R + "/units/<int:rated_unit_id>/self", expect(admin=200, scoped_admin=200)),
    ("POST", "/evaluations/{eval_open}/units/{eval_rated_unit}/self",
     R + "/units/<int:rated_unit_id>/self", expect(admin=422, scoped_admin=422)),
    ("GET", "/evaluations/{eval_other}/units/{eval_rated_unit}/self",
     R + "/units/<int:rated_unit_id>/self",
     expect(admin=404, scoped_admin=404, secretary=404, voter=404, evaluee=404)),
    ("GET", "/evaluations/{eval_open}/forms/999999", R + "/forms/<int:form_id>",
     expect(**{r: 404 for r in SEE})),
    ("POST", "/evaluations/{eval_open}/forms/999999/reopen", R + "/forms/<int:form_id>/reopen",
     expect(**{r: 404 for r in SEE})),
    ("GET", "/evaluations/{eval_open}/people/{eval_rated}/events",
     R + "/people/<int:rated_id>/events", expect(admin=200, scoped_admin=200)),
    ("POST", "/evaluations/{eval_open}/people/{eval_rated}/events",
     R + "/people/<int:rated_id>/events", expect(admin=422, scoped_admin=422)),
    ("POST", "/evaluations/{eval_open}/people/{eval_rated}/events/999999/remove",
     R + "/people/<int:rated_id>/events/<int:event_id>/remove",
     expect(admin=404, scoped_admin=404)),
]
