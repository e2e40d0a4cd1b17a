"""Rounds that take paper ballots, built through the real services (evalapp.ballots.builder),
with their settings changed while a draft, as an admin does on the settings page."""

from __future__ import annotations

import pytest

from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.ballots import builder, services
from evalapp.ballots.models import BallotOfficer, OfficerRole, RoundStatus
from evalapp.ballots.schemas import BallotKinds, PaperMode, RoundDetails
from tests.ballots import conftest as ballots_conftest
from tests.ballots.conftest import Meeting, advance

meeting = ballots_conftest.meeting  # the ballot tests' fixture, here too


def set_paper(round_, *, kinds=BallotKinds.PAPER, entries=1, mode=PaperMode.BALLOTS,
              places=2, voids=None) -> None:
    """Change a draft's paper settings through update_round, keeping the rest."""
    services.update_round(
        SYSTEM, round_, RoundDetails(title=round_.title, body_name=round_.body_name,
                                     unit=round_.unit, place=round_.place,
                                     meeting_date=round_.meeting_date),
        base=round_.base,
        bad_line_voids_ballot=round_.bad_line_voids_ballot if voids is None else voids,
        results_to_candidates=round_.results_to_candidates,
        publish_to_voters=round_.publish_to_voters,
        secrecy_threshold=round_.secrecy_threshold, ballot_kinds=kinds, paper_entries=entries,
        paper_mode=mode, percent_places=places)


@pytest.fixture
def paper_meeting(meeting, db):
    """paper_meeting(voters=…, candidates=…, kinds=…, entries=…, mode=…, voids=…,
    state=…, present=…, ballots=…) -> Meeting: a round with those paper settings, driven to
    `state` (browser `ballots` cast once voting opens)."""

    def build(*, kinds=BallotKinds.PAPER, entries=1, mode=PaperMode.BALLOTS, places=2,
              voids=None, state=RoundStatus.CLOSED, present=None, ballots=(),
              preset="party-2023", **sizes) -> Meeting:
        m = meeting(state=RoundStatus.DRAFT, preset=preset, **sizes)
        set_paper(m.round, kinds=kinds, entries=entries, mode=mode, places=places,
                  voids=voids)
        db.session.commit()
        advance(m, state, present=present, ballots=ballots)
        return m

    return build


@pytest.fixture
def team(factory, db):
    """team(meeting) -> (head, [operators…]): the counting team's head and three members,
    officers of the round."""
    serial = iter(range(1, 10**6))

    def make(m: Meeting):
        n = next(serial)
        head = factory.user(f"totruong{n}", roles=(Role.COUNTER,))
        members = [factory.user(f"kiemphieu{n}_{i}", roles=(Role.COUNTER,)) for i in (1, 2, 3)]
        db.session.add(BallotOfficer(round_id=m.round_id, user_id=head.id,
                                     role=OfficerRole.COUNTER_HEAD))
        for user in members:
            db.session.add(BallotOfficer(round_id=m.round_id, user_id=user.id,
                                         role=OfficerRole.COUNTER))
        db.session.commit()
        return head, members

    return make


__all__ = ["builder", "set_paper"]
