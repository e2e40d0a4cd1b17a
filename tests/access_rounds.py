"""Who sees which round of the access world (tests/test_access.py::ballot_rounds_for_access),
and the one rule for "not yours": a round someone may not see is 404 on every page and API
route of it, exactly as a round that does not exist; a round they see but may not act on is
403 (or the page's own answer).

draft_round and other_round only admins (other_round: not the scoped admin); open_round also
its secretary, counter and the voter; counted_round also the evaluee, who is voted on in it.
"""

ROLES = ("anonymous", "admin", "scoped_admin", "secretary", "counter", "voter", "evaluee")

SEES = {
    "draft_round": {"admin", "scoped_admin"},
    "open_round": {"admin", "scoped_admin", "secretary", "counter", "voter"},
    "counted_round": {"admin", "scoped_admin", "secretary", "counter", "voter", "evaluee"},
    "other_round": {"admin"},
}


def on_round(round_name: str, *, anonymous: int, refused: int = 403, **allowed: int) -> dict:
    """Expected status per role on a route of `round_name`: `allowed` for the roles named, 404
    for those who may not see the round, `refused` for the others who see it."""
    unknown = set(allowed) - set(ROLES)
    assert not unknown, unknown
    table = {"anonymous": anonymous}
    for role in ROLES[1:]:
        if role in allowed:
            table[role] = allowed[role]
        else:
            table[role] = refused if role in SEES[round_name] else 404
    return table
