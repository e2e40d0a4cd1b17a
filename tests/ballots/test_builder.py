"""The round builder (evalapp.ballots.builder): one factory for the tests, the benchmarks and the
demo, which drives a round through the real services to any state."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evalapp.ballots import builder, services
from evalapp.ballots.models import RoundStatus
from evalapp.org.models import UnitKind
from evalapp.tally.rules import Level
from tests.ballots.conftest import make_people, secret_counts

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("state", builder.ORDER)
def test_a_round_is_built_to_any_state(db, factory, state):
    unit = factory.unit("Ban Tổ chức", kind=UnitKind.PARTY_COMMITTEE)
    voters = make_people(unit, 4, prefix="Cử tri")
    candidates = make_people(unit, 2, prefix="Ứng viên")
    built = builder.build(builder.RoundPlan(unit=unit, candidates=candidates, voters=voters),
                          state, present=3,
                          ballots=[(voters[0], ["high", "low"]), (voters[1], ["low", "low"])])
    round_ = services.get_round(built.round.id)
    assert round_.status is state
    assert len(round_.candidates) == 2 and len(round_.voters) == 4
    voted = builder.ORDER.index(state) >= builder.ORDER.index(RoundStatus.VOTING)
    assert set(built.trackers) == ({voters[0].id, voters[1].id} if voted else set())
    if voted:
        assert round_.present_count == 3
        assert services.turnout(round_).voted == 2
        assert secret_counts(round_.id)["ballot"] == 2
    if state in (RoundStatus.COUNTED, RoundStatus.FINALISED):
        tally = services.tally_of(round_)
        low = [line.counts[Level.LOW] for line in tally.candidates]
        assert sorted(low) == [1, 2]


def test_present_by_person_and_refusals(db, factory):
    unit = factory.unit("Chi bộ")
    voters = make_people(unit, 3)
    round_ = builder.create(builder.RoundPlan(unit=unit, candidates=voters[:1], voters=voters))
    builder.advance(round_, RoundStatus.ATTENDANCE)
    with pytest.raises(ValueError):
        builder.present_entries(round_, 4)
    with pytest.raises(ValueError):
        builder.present_entries(round_, {10**6})
    builder.advance(round_, RoundStatus.VOTING, present={voters[0].id, voters[2].id})
    assert {v.person_id for v in round_.voters if v.present} == {voters[0].id, voters[2].id}


def test_no_other_copy_drives_a_round_through_its_meeting():
    """Tests, benchmarks and the demo build rounds with the builder: only it (and the tests of
    the steps themselves) call the step that opens voting."""
    allowed = {"evalapp/ballots/services.py", "evalapp/ballots/builder.py",
               "tests/ballots/test_lifecycle.py"}
    callers = set()
    for folder in ("evalapp", "tests", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            if re.search(r"\bopen_voting\(", path.read_text(encoding="utf-8")):
                callers.add(path.relative_to(ROOT).as_posix())
    callers.discard("tests/ballots/test_builder.py")
    assert callers <= allowed, sorted(callers - allowed)
