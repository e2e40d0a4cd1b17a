"""Helpers of the entry log and re-check tests: a counted paper round keyed twice with one
disagreement reconciled, signing every block with demo certificates, and pdfsig's verdicts."""

from __future__ import annotations

import shutil
import subprocess

from evalapp.auth.permissions import SYSTEM
from evalapp.ballots import builder, paper
from evalapp.ballots.models import RoundStatus
from evalapp.documents import signing
from evalapp.extensions import db
from tests.documents.signing_fixtures import pdfsig

H, C, L = "high", "confidence", "low"
# Ballot 1 two marks; 2 a blank line; 3 several marks; 4 invalid (a name added).
BALLOTS = [([H, L], None), ([C, "blank"], None), (["several", H], None), ([], "name_added")]


def counted_paper_round(paper_meeting, team, *, voters=5):
    """Four paper ballots keyed by two operators; on ballot 1 the second typed C for the first
    line, and the head confirmed H. Counted."""
    m = paper_meeting(entries=2, voters=voters, candidates=2, voids=False)
    m.round.locality = "Hòa Bình"
    head, members = team(m)
    one, two = members[:2]
    for number, (lines, reason) in enumerate(BALLOTS, start=1):
        paper.enter_ballot(one, m.round, number, lines, reason)
        typed = [C, L] if number == 1 else lines
        paper.enter_ballot(two, m.round, number, typed, reason)
    paper.resolve(head, m.round, 1, [H, L], None, "Đối chiếu lại tờ phiếu số 1")
    db.session.commit()
    builder.unlock(m.round)
    builder.advance(m.reload(), RoundStatus.COUNTED)
    return m, head, members


def sign_everything(document, users) -> None:
    signing.create_demo_pki(SYSTEM)
    db.session.commit()
    for user in users:
        for slot in [s for s in document.slots if s.signer_id == user.id]:
            signing.sign_document(user, document, slot.id)
            db.session.commit()


def verdicts(pdf, tmp_path):
    """pdfsig's verdicts, trusting the demo root when certutil is there."""
    nss = None
    if shutil.which("certutil"):
        nss = tmp_path / "nss"
        nss.mkdir(exist_ok=True)
        subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"],
                       check=True, capture_output=True)
        subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "demo-root", "-t",
                        "CT,C,C", "-i", str(signing.demo_root_path())],
                       check=True, capture_output=True)
    return pdfsig(pdf, tmp_path, nss), nss
