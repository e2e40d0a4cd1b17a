"""Access rows for the page a quarterly review adds (its axes), see access_world.py:
eval_quarterly is a draft quarterly review in `sub` (seen by the admins and the organisation's
secretary, like eval_draft); eval_draft is a year's round, which has no axes (404 for all).
POST rows send an empty form: the admins get 422 (no axis given, nothing changes)."""

from tests.evaluations.access_rows_setup import ADMINS, on

R = "/evaluations/<int:round_id>/axes"

ROWS = [
    ("GET", "/evaluations/{eval_quarterly}/axes", R, on("eval_draft", **ADMINS)),
    ("POST", "/evaluations/{eval_quarterly}/axes", R,
     on("eval_draft", admin=422, scoped_admin=422)),
    ("GET", "/evaluations/{eval_draft}/axes", R, on("eval_draft", admin=404, scoped_admin=404)),
    ("POST", "/evaluations/{eval_draft}/axes", R, on("eval_draft", admin=404, scoped_admin=404)),
    ("GET", "/evaluations/{eval_other}/axes", R, on("eval_other", admin=404)),
]
