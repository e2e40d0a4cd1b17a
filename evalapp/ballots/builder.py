"""One way to build a confidence round and drive it to any state: for the tests, the benchmarks
and the demo.

Everything goes through the real services (SYSTEM acts unless told otherwise) and commits after
each step, as each request of the people in the hall does: a built round is one the app could
have made, and a close scrubs the storage after its commit exactly as it does for users.

    round_ = builder.create(RoundPlan(unit=unit, candidates=people, voters=members))
    trackers = builder.advance(round_, RoundStatus.COUNTED, present=5,
                               ballots=[(members[0], ["high", "low"]), ...])

or both at once with builder.build(plan, state, ...). The people, units and accounts are the
caller's (each test suite makes them its own way); this module only builds and drives rounds.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from evalapp.auth.permissions import SYSTEM
from evalapp.ballots import services
from evalapp.ballots.models import BallotRound, RoundStatus
from evalapp.ballots.schemas import RoundDetails
from evalapp.extensions import db
from evalapp.org.models import Person, Unit
from evalapp.tally.rules import Scale

# The states in the order a round goes through them.
ORDER = (RoundStatus.DRAFT, RoundStatus.ATTENDANCE, RoundStatus.VOTING, RoundStatus.CLOSED,
         RoundStatus.COUNTED, RoundStatus.FINALISED)

# The counting team's keys of a built round unless the plan says otherwise: (holder, passphrase).
# Any two of the three count (a majority). Public on purpose: tests and the demo unlock with them.
KEY_HOLDERS = (("Trần Thị Kiểm", "khóa tổ kiểm phiếu 1"),
               ("Lê Văn Phiếu", "khóa tổ kiểm phiếu 2"),
               ("Phạm Thu Hòm", "khóa tổ kiểm phiếu 3"))

# A ballot's content: levels in ballot order, or levels by the id of the line's candidate entry.
Levels = Sequence[str] | Mapping[int, str]


@dataclass
class RoundPlan:
    """What a round is made of before its meeting: the details, the people voted on, the roll
    and the officers."""

    unit: Unit
    candidates: Sequence[Person | int] = ()  # people, or their ids
    voters: Sequence[Person | int] = ()
    title: str = "Lấy phiếu tín nhiệm"
    body_name: str = "Ban Thường vụ Tỉnh ủy"
    place: str | None = None
    meeting_date: date | None = None
    governing_body_name: str | None = None
    locality: str | None = None
    scale: Scale = Scale.THREE_LEVEL
    preset: str = "party-2023"
    chair: object | None = None
    secretary: object | None = None
    counter_head: object | None = None
    counters: Sequence = field(default_factory=tuple)
    # The counting team's keys, set in the draft: (holder, passphrase) each; how many must
    # unlock to count (None: a majority).
    key_holders: Sequence[tuple[str, str]] = KEY_HOLDERS
    key_threshold: int | None = None

    @property
    def has_officers(self) -> bool:
        return any((self.chair, self.secretary, self.counter_head, self.counters))


@dataclass
class Built:
    round: BallotRound
    trackers: dict[int, str]  # by the voter's person id, for the ballots cast while building


def create(plan: RoundPlan, *, actor=SYSTEM) -> BallotRound:
    """A draft round made from `plan`, committed."""
    round_ = services.create_round(actor, RoundDetails(
        title=plan.title, body_name=plan.body_name, unit=plan.unit, place=plan.place,
        meeting_date=plan.meeting_date, governing_body_name=plan.governing_body_name,
        locality=plan.locality), plan.scale, plan.preset)
    if plan.candidates:
        services.add_candidates(actor, round_, [_id(p) for p in plan.candidates])
    if plan.voters:
        services.add_voters(actor, round_, [_id(p) for p in plan.voters])
    if plan.has_officers:
        services.set_officers(actor, round_, chair=plan.chair, secretary=plan.secretary,
                              counter_head=plan.counter_head, counters=list(plan.counters))
    for holder, passphrase in plan.key_holders:
        services.protect_share(actor, round_, holder, passphrase)
    if plan.key_threshold is not None:
        services.set_key_threshold(actor, round_, plan.key_threshold)
    db.session.commit()
    _passphrases[round_.id] = {n: p for n, (_h, p) in enumerate(plan.key_holders, start=1)}
    return round_


# The passphrases of the rounds this process built, by round id, then key number: what
# advance() unlocks the box with before counting (KEY_HOLDERS for a round built elsewhere).
_passphrases: dict[int, dict[int, str]] = {}


def unlock(round_: BallotRound, numbers: Iterable[int] | None = None, *, actor=SYSTEM) -> None:
    """The counting team unlocks its shares (the first k members, or `numbers`), committing
    after each, as each member does from their own device."""
    key = services.round_key(round_)
    passphrases = _passphrases.get(round_.id) or {
        n: p for n, (_h, p) in enumerate(KEY_HOLDERS, start=1)}
    wanted = list(numbers) if numbers is not None else [
        h.number for h in key.holders if not h.unlocked][:max(key.threshold - key.unlocked, 0)]
    for number in wanted:
        services.unlock_share(actor, round_, number, passphrases[number])
        db.session.commit()


def _id(person: Person | int) -> int:
    return person if isinstance(person, int) else person.id


def marks(round_: BallotRound, levels: Levels) -> dict[int, str]:
    """The ballot `levels` describes, as cast_ballot takes it."""
    if isinstance(levels, Mapping):
        return {int(line): str(level) for line, level in levels.items()}
    return {c.id: str(level) for c, level in zip(round_.active_candidates, levels, strict=True)}


def present_entries(round_: BallotRound, present: int | Collection[int] | None) -> list[int]:
    """The roll entries to mark present: every voter (None), the first `present` in order of
    person id (a number), or the voters with these person ids."""
    roll = sorted(round_.voters, key=lambda entry: entry.person_id)
    if present is None:
        return [entry.id for entry in roll]
    if isinstance(present, int):
        if present > len(roll):
            raise ValueError(f"only {len(roll)} voters on the roll, {present} asked present")
        return [entry.id for entry in roll[:present]]
    wanted = set(present)
    entries = [entry.id for entry in roll if entry.person_id in wanted]
    if len(entries) != len(wanted):
        raise ValueError("some of the people asked present are not on the roll")
    return entries


def advance(round_: BallotRound, to: RoundStatus, *,
            present: int | Collection[int] | None = None,
            ballots: Iterable[tuple[Person, Levels]] = (), actor=SYSTEM) -> dict[int, str]:
    """Drive `round_` from its state to `to`, committing after each step and each ballot.

    When attendance is taken: `present` says who is present (see present_entries). As soon as
    voting opens: `ballots`, (voter, levels) pairs, are cast in this order. Returns the
    trackers of the ballots cast, by the voter's person id."""
    trackers: dict[int, str] = {}
    while ORDER.index(round_.status) < ORDER.index(to):
        status = round_.status
        if status is RoundStatus.DRAFT:
            services.start_attendance(actor, round_)
        elif status is RoundStatus.ATTENDANCE:
            services.set_attendance(actor, round_, present_entries(round_, present))
            services.open_voting(actor, round_)
            db.session.commit()
            for voter, levels in ballots:
                trackers[voter.id] = services.cast_ballot(voter, round_, marks(round_, levels))
                db.session.commit()
            continue
        elif status is RoundStatus.VOTING:
            services.close_voting(actor, round_)  # the storage is scrubbed after the commit
        elif status is RoundStatus.CLOSED:
            unlock(round_, actor=actor)
            services.count_round(actor, round_)
        elif status is RoundStatus.COUNTED:
            services.finalise_round(actor, round_)
        db.session.commit()
    return trackers


def build(plan: RoundPlan, to: RoundStatus = RoundStatus.DRAFT, *,
          present: int | Collection[int] | None = None,
          ballots: Iterable[tuple[Person, Levels]] = (), actor=SYSTEM) -> Built:
    """create(plan), then advance() it to `to`."""
    round_ = create(plan, actor=actor)
    return Built(round=round_, trackers=advance(round_, to, present=present, ballots=ballots,
                                                actor=actor))
