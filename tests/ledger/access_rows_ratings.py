"""Access rows for the public service ratings (tests/test_access.py's world). The public pages
need no login: every role, anonymous included, gets the same answer (an unknown rating address
is 404; the thank-you page 200). The unit's desks and moderation pages: its admins and whoever
manages someone in it (the VOTER manages the EVALUEE); others 403. One person's desk: their
managers (an empty form turns off a desk that was never on: 409; no card without a desk: 404),
the person themself 403, those who cannot see the person 404."""

from tests.evaluations.access_rows_api import expect

DESKS = dict(expect(anonymous=302, admin=200, scoped_admin=200, voter=200, evaluee=403),
             secretary=403, counter=403)
EVERYONE = dict.fromkeys(("anonymous", "admin", "scoped_admin", "secretary", "counter", "voter",
                          "evaluee"))


def managers(status, own=403):
    return dict(expect(anonymous=302, admin=status, scoped_admin=status, voter=status,
                       evaluee=own), secretary=404, counter=404)


def everyone(status):
    return dict.fromkeys(EVERYONE, status)


ROWS = [
    ("GET", "/danh-gia/khong-co-ma-nay", "/danh-gia/<token>", everyone(404)),
    ("POST", "/danh-gia/khong-co-ma-nay", "/danh-gia/<token>", everyone(404)),
    ("GET", "/danh-gia/khong-co-ma-nay/cam-on", "/danh-gia/<token>/cam-on", everyone(200)),
    ("GET", "/ledger/desks/{unit}", "/ledger/desks/<int:unit_id>", DESKS),
    ("GET", "/ledger/desks/{other_unit}", "/ledger/desks/<int:unit_id>",
     dict(DESKS, scoped_admin=403, voter=403)),
    ("POST", "/ledger/desks/people/{evaluee_person}", "/ledger/desks/people/<int:person_id>",
     managers(409)),
    ("GET", "/ledger/desks/people/{evaluee_person}/card.pdf",
     "/ledger/desks/people/<int:person_id>/card.pdf", managers(404)),
    ("GET", "/ledger/ratings/{unit}/moderation", "/ledger/ratings/<int:unit_id>/moderation",
     DESKS),
    ("POST", "/ledger/ratings/999/moderate", "/ledger/ratings/<int:rating_id>/moderate",
     managers(404, own=404)),
]
