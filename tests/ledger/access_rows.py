"""Access rows for the product ledger's pages (tests/test_access.py's world): the VOTER's
person manages the EVALUEE's person (evaluations' access world sets it); the admins manage
them too; the EVALUEE sees their own ledger but manages nothing of it; SECRETARY and COUNTER
have no person and see nothing (404). POST rows send an empty form, in this order: assigning
without a product is refused (422), saving the general criteria empty succeeds (302, the
period now exists), confirming it without an item is refused (422), reopening an open period
is a conflict (409)."""

from tests.evaluations.access_rows_api import expect

P = "/ledger/people/<int:person_id>/<int:year>/<period>"
URL = "/ledger/people/{evaluee_person}/2026/m01"


def managers(status, own=403):
    return dict(expect(anonymous=302, admin=status, scoped_admin=status, voter=status,
                       evaluee=own), secretary=404, counter=404)


ROWS = [
    ("GET", URL, P, managers(200, own=200)),
    ("POST", URL + "/items", P + "/items", managers(422)),
    ("POST", URL + "/score", P + "/score", managers(302)),
    ("POST", URL + "/confirm", P + "/confirm", managers(422)),
    ("POST", URL + "/reopen", P + "/reopen", managers(409)),
    ("POST", "/ledger/items/999/judge", "/ledger/items/<int:item_id>/judge",
     dict(expect(anonymous=302, admin=404, scoped_admin=404, voter=404, evaluee=404),
          secretary=404, counter=404)),
    ("POST", "/ledger/items/999/complete", "/ledger/items/<int:item_id>/complete",
     dict(expect(anonymous=302, admin=404, scoped_admin=404, voter=404, evaluee=404),
          secretary=404, counter=404)),
    ("GET", "/ledger/items/999/file", "/ledger/items/<int:item_id>/file",
     dict(expect(anonymous=302, admin=404, scoped_admin=404, voter=404, evaluee=404),
          secretary=404, counter=404)),
    ("GET", "/ledger/mine", "/ledger/mine",
     dict(expect(anonymous=302, admin=200, scoped_admin=200, voter=200, evaluee=200),
          secretary=200, counter=200)),
]

# History pages (tests/ledger/test_history*.py): a person's history is `ledger.see` (the
# EVALUEE's own, the VOTER's as their manager, the admins'); someone else's is 404. A unit's
# distribution: its admins (global, scoped over it); nobody else sees a released round there.
ROWS += [
    ("GET", "/ledger/people/{evaluee_person}/history", "/ledger/people/<int:person_id>/history",
     managers(200, own=200)),
    ("GET", "/ledger/people/{other_person}/history", "/ledger/people/<int:person_id>/history",
     dict(expect(anonymous=302, admin=200, scoped_admin=404, voter=404, evaluee=404),
          secretary=404, counter=404)),
    ("GET", "/ledger/units/{unit}/history", "/ledger/units/<int:unit_id>/history",
     dict(expect(anonymous=302, admin=200, scoped_admin=200, voter=404, evaluee=404),
          secretary=404, counter=404)),
    ("GET", "/ledger/units/{other_unit}/history", "/ledger/units/<int:unit_id>/history",
     dict(expect(anonymous=302, admin=200, scoped_admin=404, voter=404, evaluee=404),
          secretary=404, counter=404)),
]
from tests.ledger.access_rows_ratings import ROWS as RATING_ROWS  # noqa: E402

ROWS += RATING_ROWS

# The catalogue and the import pages of a unit (ledger.catalogue: an admin of the unit).
U = "/ledger/units/<int:unit_id>"
UNIT = "/ledger/units/{unit}"


def keepers(status):
    return expect(anonymous=302, admin=status, scoped_admin=status, secretary=403, counter=403,
                  voter=403, evaluee=403)


ROWS += [
    ("GET", UNIT + "/products", U + "/products", keepers(200)),
    ("POST", UNIT + "/products", U + "/products", keepers(422)),       # no name
    ("POST", UNIT + "/products/carry", U + "/products/carry", keepers(422)),  # no Quy chế
    ("POST", "/ledger/products/999/retire", "/ledger/products/<int:product_id>/retire",
     expect(anonymous=302, admin=404, scoped_admin=404, secretary=404, counter=404,
            voter=404, evaluee=404)),
    ("GET", UNIT + "/import", U + "/import", keepers(200)),
    ("POST", UNIT + "/import", U + "/import", keepers(422)),           # no file
    ("GET", UNIT + "/import/template.xlsx", U + "/import/template.xlsx", keepers(200)),
]

# Proposals: the person's own page (404 for an account without a person), and removing one.
ROWS += [
    ("GET", "/ledger/mine/propose", "/ledger/mine/propose",
     expect(anonymous=302, admin=404, scoped_admin=404, secretary=404, counter=404, voter=200,
            evaluee=200)),
    ("POST", "/ledger/mine/propose", "/ledger/mine/propose",       # no period chosen
     expect(anonymous=302, admin=404, scoped_admin=404, secretary=404, counter=404, voter=422,
            evaluee=422)),
    ("POST", "/ledger/items/999/remove", "/ledger/items/<int:item_id>/remove",
     expect(anonymous=302, admin=404, scoped_admin=404, secretary=404, counter=404, voter=404,
            evaluee=404)),
]

# Scores imported from other sources (ledger.catalogue).
ROWS += [
    ("GET", UNIT + "/scores", U + "/scores", keepers(200)),
    ("POST", UNIT + "/scores", U + "/scores", keepers(422)),           # no file
    ("GET", UNIT + "/scores/template.xlsx", U + "/scores/template.xlsx", keepers(200)),
]

# The person's year and the general criteria given once a year.
Y = "/ledger/people/<int:person_id>/years/<int:year>/general"
YEAR_URL = "/ledger/people/{evaluee_person}/years/2026/general"
ROWS += [
    ("GET", YEAR_URL, Y, managers(200, own=200)),
    ("POST", YEAR_URL, Y, managers(422)),      # the Quy chế scores them per period
]
