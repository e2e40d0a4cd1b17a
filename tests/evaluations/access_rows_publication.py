"""Access rows for the publication of results to the unit (see access_world.py: eval_open is
open, not finalised, so its list does not exist yet for anyone)."""

from tests.evaluations.access_rows_api import expect

R = "/evaluations/<int:round_id>"

ROWS = [
    ("GET", "/evaluations/{eval_open}/results", R + "/results",
     expect(anonymous=302, admin=404, scoped_admin=404, secretary=404, voter=404, evaluee=404)),
    ("POST", "/evaluations/{eval_open}/decision/publish", R + "/decision/publish",
     expect(anonymous=302, admin=409, scoped_admin=409)),
]
