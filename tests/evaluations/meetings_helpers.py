"""Helpers for the meeting tests: a department round and its meeting driven through the real
services (SYSTEM as the actor, as the CLI would); the tests commit."""

from __future__ import annotations

from dataclasses import dataclass

from evalapp.auth.permissions import SYSTEM
from evalapp.evaluations import builder, meetings
from evalapp.evaluations.models import EvaluationRound, Meeting, RatedPerson
from evalapp.extensions import db

PASSPHRASES = ("mật khẩu tổ kiểm phiếu một", "mật khẩu tổ kiểm phiếu hai",
               "mật khẩu tổ kiểm phiếu ba")


@dataclass
class MeetingWorld:
    round: EvaluationRound
    meeting: Meeting
    people: list[RatedPerson]  # the unit's rated people, in ballot order
    unit_id: int


def meeting_world(*, staff: int = 4, surname: str = "Nguyễn") -> MeetingWorld:
    dept = builder.department(f"Sở {surname}", subunits=1, staff_per_unit=staff,
                              surname=surname)
    round_ = builder.round_for(dept)
    unit_id = dept.subunits[0].id
    meeting = meetings.start_meeting(SYSTEM, round_, unit_id)
    db.session.flush()
    return MeetingWorld(round_, meeting, meetings.unit_people(round_, unit_id), unit_id)


def to_voting(world: MeetingWorld, *, present: list[RatedPerson] | None = None,
              team: int = 2) -> None:
    present = world.people if present is None else present
    meetings.set_attendance(SYSTEM, world.round, world.meeting, [p.person_id for p in present])
    for i in range(team):
        meetings.register_lock(SYSTEM, world.round, world.meeting, f"Tổ viên {i + 1}",
                               PASSPHRASES[i], PASSPHRASES[i])
    meetings.open_ballot(SYSTEM, world.round, world.meeting)


def unlock_and_count(world: MeetingWorld, team: int = 2):
    for i in range(team):
        meetings.unlock_share(SYSTEM, world.round, world.meeting, i + 1, PASSPHRASES[i])
    return meetings.count_ballot(SYSTEM, world.round, world.meeting)
