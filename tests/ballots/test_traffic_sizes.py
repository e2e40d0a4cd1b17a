"""The voting flow without JavaScript (the server's review page, the server encrypts on arrival)
says nothing about the marks by its sizes: for every combination of marks on a 3-level,
2-person ballot, the ballot page, the review POST's body and its answer, the "change my
choices" answer, the cast POST and its redirect and the receipt are the same number of bytes.
(The path with JavaScript is measured in Chromium: tests/browser/test_device_ballot.py.)"""

from __future__ import annotations

import itertools
import re
from urllib.parse import urlencode

from evalapp.auth.models import Role
from evalapp.ballots.models import RoundStatus
from tests.conftest import PASSWORD

TRACKER = re.compile(r'id="tracker"[^>]*>(.*?)</p>', re.S)
RADIO = re.compile(r'name="mark-(\d+)"[^>]*value="(\d+)" data-level="([a-z_]+)"')


def _form(html: str) -> dict[int, dict[str, str]]:
    """candidate id -> {level key: the value the ballot form sends for it}."""
    form: dict[int, dict[str, str]] = {}
    for cid, value, level in RADIO.findall(html):
        form.setdefault(int(cid), {})[level] = value
    return form


def _post(client, url: str, fields: dict[str, str]):
    body = urlencode(fields)
    return body, client.post(url, data=body, content_type="application/x-www-form-urlencoded")


def test_the_no_script_path_has_the_same_sizes_for_every_combination(app, meeting, factory):
    levels = ["high", "confidence", "low"]
    combinations = list(itertools.product(levels, repeat=2))
    m = meeting(voters=len(combinations), candidates=2, state=RoundStatus.VOTING)
    round_id = m.round_id
    sizes: dict[str, set[int]] = {}
    labels_seen = set()
    for i, (person, marks) in enumerate(zip(m.voters, combinations, strict=True), start=1):
        # Names of one length: the page shows who is signed in, which is not a secret.
        user = factory.user(f"cutri{i}", roles=(Role.VOTER,), person=person,
                            full_name=f"Cử tri số {i}")
        client = app.test_client()
        assert client.post("/login", data={"username": user.username,
                                           "password": PASSWORD}).status_code == 302
        page = client.get(f"/vote/{round_id}")
        form = _form(page.get_data(as_text=True))
        cids = [c.id for c in m.reload().active_candidates]
        assert sorted(form) == sorted(cids) and all(len(v) == 3 for v in form.values())
        fields = {f"mark-{cid}": form[cid][level] for cid, level in zip(cids, marks, strict=True)}

        body, review = _post(client, f"/vote/{round_id}/review", fields)
        assert review.status_code == 200
        html = review.get_data(as_text=True)
        assert "cast-button" in html
        # This path trusts the server when the ballot arrives, and the page says so.
        assert 'id="server-encrypts"' in html and "tin tưởng máy chủ" in html
        # The padding is a comment: the voter still reads their choice, nothing else.
        shown = re.findall(r'<span class="fw-semibold">([^<]*)<!--\.*-->', html)
        assert len(shown) == 2
        labels_seen.update(shown)
        _change_body, change = _post(client, f"/vote/{round_id}/change", fields)
        cast_body, cast = _post(client, f"/vote/{round_id}/cast", fields)
        assert cast.status_code == 303
        receipt = client.get(cast.headers["Location"])
        shown_tracker = re.sub(r"<[^>]+>|-", "", TRACKER.search(receipt.get_data(as_text=True))[1])
        assert re.fullmatch(r"[0-9a-f]{64}", shown_tracker.strip())
        for name, size in (("ballot page", len(page.data)), ("review body", len(body)),
                           ("review page", len(review.data)), ("change page", len(change.data)),
                           ("cast body", len(cast_body)), ("redirect", len(cast.data)),
                           ("receipt", len(receipt.data))):
            sizes.setdefault(name, set()).add(size)
    # Three different labels were shown (of different lengths), and no size moved.
    assert len(labels_seen) == 3
    assert len({len(label.encode()) for label in labels_seen}) > 1
    assert {name: len(values) for name, values in sizes.items()} == dict.fromkeys(sizes, 1)
