"""Access rows for the documents of an evaluation round (the documents part).

eval_open is open (not finalised, not released): its admins (admin, scoped_admin) issue and
print its documents; the secretary (organisation-wide), the VOTER (a manager rated in it) and
the EVALUEE (rated in it) see the round but may not (403); the counter does not see it (404).
An empty POST from an admin asks for the summary table, which needs its signer: the head of
the round's unit has no account in the access world, so it is refused (409) and nothing is
issued. A person's
own notice: the EVALUEE and the VOTER are rated there, but nothing is released yet (403); the
others are not rated in it (404). eval_draft: no bulk forms from a draft (409); from
eval_open an admin's print is asked for and its page shown (302).
"""

from tests.access_rounds import ROLES

R = "/evaluations/<int:round_id>"
SEES_OPEN = {"admin", "scoped_admin", "secretary", "voter", "evaluee"}
SEES_DRAFT = {"admin", "scoped_admin", "secretary"}


def table(sees, **allowed) -> dict:
    result = {"anonymous": 302}
    for role in ROLES[1:]:
        result[role] = allowed.get(role, 403 if role in sees else 404)
    return result


ROWS = [
    ("POST", "/evaluations/{eval_open}/documents/summary",
     R + "/documents/<any(form,minutes,summary,decision,notice):kind>",
     table(SEES_OPEN, admin=409, scoped_admin=409)),
    ("POST", "/evaluations/{eval_open}/documents/forms", R + "/documents/forms",
     table(SEES_OPEN, admin=302, scoped_admin=302)),
    ("POST", "/evaluations/{eval_draft}/documents/forms", R + "/documents/forms",
     table(SEES_DRAFT, admin=409, scoped_admin=409)),
    ("GET", "/evaluations/{eval_open}/my-notice.pdf", R + "/my-notice.pdf",
     table(SEES_OPEN, voter=403, evaluee=403, admin=404, scoped_admin=404, secretary=404)),
]
