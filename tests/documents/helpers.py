"""Rounds for the document tests, built through the real services with SYSTEM as the actor.

Plain functions (no pytest), so that a fresh process can build the very same round for the
golden-file test (tests/documents/test_rendering.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.auth.services import GrantSpec, create_user
from evalapp.ballots import builder
from evalapp.ballots.models import BallotRound, RoundStatus
from evalapp.documents.services import Stamp
from evalapp.extensions import db
from evalapp.org.models import Gender, UnitKind
from evalapp.org.services import PersonData, create_person, create_unit, save_post
from evalapp.tally.rules import Scale

PASSWORD = "correct-horse-9"
FIXED_CLOCK = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 16:00 in Hà Nội
GOLDEN_STAMP = Stamp(document_id="0123456789abcdef0123456789abcdef",
                     created=FIXED_CLOCK, base_url="https://evalapp.example.vn/",
                     number="07-BB/TU")

CANDIDATES = [("Nguyễn Thị Hường", "Bí thư", Gender.FEMALE),
              ("Trần Quốc Vượng", "Phó Bí thư", Gender.MALE),
              ("Lê Ngọc Ẩn", "Ủy viên Ban Thường vụ", Gender.MALE)]
OFFICERS = {"head": "Hoàng Minh Tuấn", "counter": "Vũ Thị Ngọc Ánh",
            "secretary": "Đỗ Văn Thư", "chair": "Bùi Quang Chủ"}

_serial = itertools.count(1)


@dataclass
class Built:
    round: BallotRound
    users: dict = field(default_factory=dict)


def user(username: str, full_name: str, roles=(Role.SECRETARY,)):
    return create_user(SYSTEM, username=username, full_name=full_name, password=PASSWORD,
                       grants=[GrantSpec(role, None) for role in roles])


def build_round(*, kind: UnitKind = UnitKind.PARTY_COMMITTEE, scale: Scale = Scale.THREE_LEVEL,
                summoned: int = 6, present: int | None = None,
                ballots_cast: Sequence[Sequence[str]] = (),
                candidates: Sequence[tuple[str, str | None, Gender]] = CANDIDATES,
                officers: bool = True, state: RoundStatus = RoundStatus.COUNTED,
                title: str = "Lấy phiếu tín nhiệm đối với người giữ chức vụ do Ban Chấp hành "
                             "bầu, năm 2026",
                body_name: str = "Tỉnh ủy Hòa Bình", place: str | None = "Hội trường tầng 3",
                pinned: bool = True, serial: int | None = None,
                meeting_date: date | None = date(2026, 12, 1),
                governing_body_name: str | None = None, locality: str | None = None,
                unit=None, unit_code: str | None = None) -> Built:
    """A round in `state`. `ballots_cast[i]` is the ballot of the i-th present voter (levels in
    ballot order); everyone present votes `high` on every line unless told otherwise.

    `pinned`: the times of the meeting and the box digest (which covers the random ballot ids
    and trackers) are set to fixed values, so that two builds print the same document.
    `serial` numbers the unit, posts and accounts (unique names); the next free one by default.
    `unit`: an existing unit to hold the round (several rounds of one body), else a new one."""
    n = next(_serial) if serial is None else serial
    if unit is None:
        unit = create_unit(SYSTEM, name=f"{body_name} {n}", kind=kind, parent=None,
                           code=unit_code)
    people = []
    for rank, (name, post_name, gender) in enumerate(candidates, start=1):
        post = save_post(SYSTEM, None, name=f"{post_name} {n}", rank=rank,
                         is_leadership=True) if post_name else None
        people.append(create_person(SYSTEM, PersonData(
            full_name=name, unit=unit, staff_code=f"D{n:03d}{rank:03d}", gender=gender,
            birth_year=1970, post=post)))
    voters = [create_person(SYSTEM, PersonData(
        full_name=f"Đào Văn Phiếu {i:03d}", unit=unit, staff_code=f"V{n:03d}{i:04d}",
        gender=Gender.MALE, birth_year=1980)) for i in range(summoned)]
    users = {role: user(f"{role}{n}", name) for role, name in OFFICERS.items()} \
        if officers else {}
    plan = builder.RoundPlan(
        unit=unit, candidates=people, voters=voters, title=title, body_name=body_name,
        place=place, meeting_date=meeting_date, governing_body_name=governing_body_name,
        locality=locality, scale=scale, chair=users.get("chair"),
        secretary=users.get("secretary"), counter_head=users.get("head"),
        counters=[users["counter"]] if officers else [])
    present = summoned if present is None else present
    # The i-th present voter (in order of creation) casts ballots_cast[i], else the top level
    # on every line.
    top = [scale.levels[0].value] * len(people)
    cast = [(voter, ballots_cast[i] if i < len(ballots_cast) else top)
            for i, voter in enumerate(voters[:present])]
    voted = builder.ORDER.index(state) > builder.ORDER.index(RoundStatus.VOTING)
    round_ = builder.build(plan, state, present=present, ballots=cast if voted else ()).round
    built = Built(round=round_, users=users)
    if pinned and state in (RoundStatus.COUNTED, RoundStatus.FINALISED):
        round_.box_digest = "b0" * 32
        round_.opened_at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
        round_.closed_at = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)   # 10:30 in Hà Nội
        round_.counted_at = datetime(2026, 12, 1, 4, 5, tzinfo=UTC)   # 11:05
        db.session.commit()
    return built


def ballots_for_53_19() -> list[list[str]]:
    """47 ballots: the first person gets 25 low (53,19 %), the second 32 low (68,09 %), the
    third 47 high (100,00 %)."""
    result = []
    for i in range(47):
        first = "low" if i < 25 else ("confidence" if i < 40 else "high")
        second = "low" if i < 32 else "confidence"
        result.append([first, second, "high"])
    return result
