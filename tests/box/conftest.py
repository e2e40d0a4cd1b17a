"""Boxes built through evalapp.box alone, owned by a test owner: no ballot round involved."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest

from evalapp.auth.permissions import SYSTEM
from evalapp.box import services as box
from evalapp.box.models import Box
from evalapp.extensions import db as _db
from evalapp.org.models import Person, UnitKind
from evalapp.org.services import create_unit
from evalapp.tally.scales import Scale
from tests.ballots.conftest import make_people

OWNER = "test_owner"  # any kind of owner: the box knows nothing of ballot rounds
_owner_ids = itertools.count(1)


def open_test_box(scale: Scale, lines: int, *, bad_line_voids_ballot: bool = True) -> Box:
    """An open box of `lines` lines (subjects 101, 102, …), committed."""
    opened = box.open_box(OWNER, next(_owner_ids), scale, [100 + n for n in range(1, lines + 1)],
                          bad_line_voids_ballot=bad_line_voids_ballot)
    _db.session.commit()
    return opened


def cast_all(opened: Box, voters: Sequence[Person],
             ballots: Sequence[box.WrittenBallot]) -> list[str]:
    """voters[i] casts ballots[i], one transaction each; the trackers."""
    trackers = []
    for voter, ballot in zip(voters, ballots, strict=True):
        trackers.append(box.cast(opened, box.KnownVoter(voter.id), ballot))
        _db.session.commit()
    return trackers


@pytest.fixture
def people(db):
    """make(n) -> n people of a new unit (the voters of a test box)."""
    serial = itertools.count(1)

    def make(count: int) -> list[Person]:
        unit = create_unit(SYSTEM, name=f"Hội đồng {next(serial)}", kind=UnitKind.DEPARTMENT,
                           parent=None, code=None)
        _db.session.commit()
        return make_people(unit, count, prefix=f"Thành viên{next(serial)}")

    return make
