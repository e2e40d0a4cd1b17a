"""Shared helpers for the ballot tests: rounds built and driven through the real services.

Everything goes through evalapp.ballots.services with SYSTEM as the actor (as the CLI would),
and the tests commit, since services never do.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select

from evalapp.audit.models import AuditEntry
from evalapp.auth.permissions import SYSTEM
from evalapp.ballots import builder, services
from evalapp.ballots.models import BallotRound, RoundStatus
from evalapp.box.models import (
    Box,
    BoxBallot,
    BoxMark,
    BoxParticipation,
    BoxReceipt,
    BoxSealedBallot,
)
from evalapp.extensions import db as _db
from evalapp.org.models import Gender, Person, Unit, UnitKind
from evalapp.org.services import PersonData, create_person, create_unit
from evalapp.tally.rules import Scale

ORDER = list(builder.ORDER)


_staff_codes = itertools.count(1)


def make_people(unit: Unit, count: int, prefix: str = "Người") -> list[Person]:
    """`count` people in `unit`, written in one transaction (factory.person commits each)."""
    people = [create_person(SYSTEM, PersonData(
        full_name=f"Nguyễn Văn {prefix} {i:03d}", unit=unit,
        staff_code=f"B{next(_staff_codes):07d}", gender=Gender.MALE, birth_year=1980))
        for i in range(count)]
    _db.session.commit()
    return people


def marks(round_: BallotRound, levels: Sequence[str]) -> dict[int, str]:
    """A ballot: the i-th level for the i-th person on the ballot."""
    candidates = round_.active_candidates
    assert len(levels) == len(candidates)
    return {c.id: str(level) for c, level in zip(candidates, levels, strict=True)}


TRACKER_ON_PAGE = re.compile(r'id="tracker"[^>]*>(.*?)</p>', re.S)


def tracker_on(html: str) -> str:
    """The tracker shown on a receipt page (in groups of four: 6c1d-5af3-…), as stored."""
    shown = re.sub(r"<[^>]+>", "", TRACKER_ON_PAGE.search(html).group(1)).strip()
    assert re.fullmatch(r"([0-9a-f]{4}-){15}[0-9a-f]{4}", shown), shown
    return shown.replace("-", "")


def last_seq() -> int:
    return _db.session.execute(select(func.coalesce(func.max(AuditEntry.seq), 0))).scalar_one()


def entries_after(seq: int) -> list[AuditEntry]:
    return list(_db.session.execute(
        select(AuditEntry).where(AuditEntry.seq > seq).order_by(AuditEntry.seq)).scalars())


def box_id_of(round_id: int) -> int | None:
    """The id of the round's ballot box (None before voting opens)."""
    return _db.session.execute(select(Box.id).where(
        Box.owner_kind == "ballot_round", Box.owner_id == round_id)).scalar_one_or_none()


def secret_counts(round_id: int | None = None) -> dict[str, int]:
    """Rows in the box's secret tables (of one round's box, or of every box)."""
    box_id = box_id_of(round_id) if round_id is not None else None

    def count(model):
        query = select(func.count()).select_from(model)
        if round_id is not None:
            query = query.where(model.box_id == box_id)
        return _db.session.execute(query).scalar_one()

    # Confidence rounds store encrypted ballots only: the plain scheme's rows ("readable")
    # must stay empty.
    return {"participation": count(BoxParticipation), "ballot": count(BoxSealedBallot),
            "readable": count(BoxBallot) + count(BoxMark) + count(BoxReceipt)}


def secret_ballots(round_id: int) -> list[str]:
    """The tracker of every (encrypted) ballot in the round's box, sorted."""
    return list(_db.session.execute(
        select(BoxSealedBallot.tracker).where(BoxSealedBallot.box_id == box_id_of(round_id))
        .order_by(BoxSealedBallot.tracker)).scalars())


@dataclass
class Meeting:
    """A round and the people around it. `voters` in roll order, `trackers[i]` is the tracker
    voters[i] received (None if they have not voted)."""

    round: BallotRound
    unit: Unit
    voters: list[Person]
    candidate_people: list[Person]
    trackers: list[str | None]

    @property
    def round_id(self) -> int:
        return self.round.id

    def reload(self) -> BallotRound:
        _db.session.expire_all()
        self.round = services.get_round(self.round_id)
        return self.round


def advance(meeting: Meeting, to: RoundStatus, *, present: int | None = None,
            ballots: Sequence[Sequence[str]] = ()) -> None:
    """Drive the round from its state to `to` (evalapp.ballots.builder), committing after each
    step. `present`: how many voters (the first ones on the roll) are marked present;
    `ballots[i]` is the ballot of voters[i] (levels in ballot order), cast once voting opens.
    """
    trackers = builder.advance(meeting.round, to, present=present,
                               ballots=zip(meeting.voters, ballots, strict=False))
    for i, voter in enumerate(meeting.voters):
        if voter.id in trackers:
            meeting.trackers[i] = trackers[voter.id]


@pytest.fixture
def meeting(db):
    """build(voters=4, candidates=2, ...) -> Meeting: a round in `state` built through the
    services, its voters and the people voted on in one unit."""
    serial = iter(range(1, 10**6))

    def build(*, voters: int = 4, candidates: int = 2, scale: Scale = Scale.THREE_LEVEL,
              preset: str = "party-2023", state: RoundStatus = RoundStatus.VOTING,
              present: int | None = None, ballots: Sequence[Sequence[str]] = (),
              unit: Unit | None = None) -> Meeting:
        n = next(serial)
        if unit is None:
            unit = create_unit(SYSTEM, name=f"Sở Thử nghiệm {n}", kind=UnitKind.DEPARTMENT,
                               parent=None, code=None)
            db.session.commit()
        voter_people = make_people(unit, voters, prefix=f"Cử tri{n}")
        candidate_people = make_people(unit, candidates, prefix=f"Ứng viên{n}")
        round_ = builder.create(builder.RoundPlan(
            unit=unit, candidates=candidate_people, voters=voter_people,
            title=f"Lấy phiếu tín nhiệm {n}", body_name="Ban Thường vụ Tỉnh ủy",
            place="Hội trường A", meeting_date=date(2026, 12, 1), scale=scale, preset=preset))
        # Candidates are ordered by post rank then name; keep our list in ballot order.
        by_id = {p.id: p for p in candidate_people}
        candidate_people = [by_id[c.person_id] for c in round_.candidates]
        result = Meeting(round=round_, unit=unit, voters=voter_people,
                         candidate_people=candidate_people, trackers=[None] * voters)
        advance(result, state, present=present, ballots=ballots)
        return result

    return build
