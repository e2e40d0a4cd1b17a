"""Access rows for the periods' scores of a rated person (see access_world.py): the VOTER is the
EVALUEE's manager in eval_open; admins of the round; others who see the round get 403."""

from tests.evaluations.access_rows_api import expect

P = "/evaluations/<int:round_id>/people/<int:rated_id>/periods"

ROWS = [
    ("GET", "/evaluations/{eval_open}/people/{eval_rated}/periods", P,
     dict(expect(anonymous=302, admin=200, scoped_admin=200, voter=200), secretary=403,
          counter=404)),
    ("POST", "/evaluations/{eval_open}/people/{eval_rated}/periods", P,
     dict(expect(anonymous=302, admin=302, scoped_admin=302, voter=302), secretary=403,
          counter=404)),
]
