"""Access rows for the personnel office's score sheet of a person (only the round's admins
fill it; see access_rows_forms.py for the conventions: an empty POST is 422 for those who may)."""

from tests.evaluations.access_rows_forms import SEE, expect

R = "/evaluations/<int:round_id>"

ROWS = [
    ("GET", "/evaluations/{eval_open}/people/{eval_rated}/office",
     R + "/people/<int:rated_id>/office", expect(admin=200, scoped_admin=200)),
    ("POST", "/evaluations/{eval_open}/people/{eval_rated}/office",
     R + "/people/<int:rated_id>/office", expect(admin=422, scoped_admin=422)),
    ("GET", "/evaluations/{eval_open}/people/999999/office",
     R + "/people/<int:rated_id>/office", expect(**{r: 404 for r in SEE})),
    ("GET", "/evaluations/{eval_other}/people/{eval_rated}/office",
     R + "/people/<int:rated_id>/office",
     expect(admin=404, scoped_admin=404, secretary=404, voter=404, evaluee=404)),
]
