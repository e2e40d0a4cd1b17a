"""The round's lifecycle as a table: every step × every state × every role, allowed or refused
with the right status and message, asked of the lifecycle (what templates ask) and of the
service that takes the step (what the pages and the API call)."""

from __future__ import annotations

import pytest

from evalapp.auth.models import Role
from evalapp.auth.permissions import SYSTEM
from evalapp.ballots import builder, services
from evalapp.ballots.lifecycle import ROUND_STEPS
from evalapp.ballots.models import RoundStatus
from evalapp.ballots.schemas import BallotKinds
from evalapp.core.errors import InvalidState, NotAllowed
from evalapp.extensions import db
from tests.ballots.conftest import ORDER, advance
from tests.paper.conftest import set_paper

D, A, V, C, N, F = ORDER
PUBLISHED = "published"  # counted, and the results published to the voters
STATES = [D, A, V, C, N, F, PUBLISHED]

ROLES = ("admin", "other_admin", "chair", "secretary", "counter", "voter", "evaluee",
         "stranger")

# Who may take each step, and in which states: the specification, written here on its own.
WHO = {
    "edit": {"admin"},
    "set-officers": {"admin"},
    "start-attendance": {"admin"},
    "take-attendance": {"admin", "chair", "secretary"},
    "open": {"admin", "chair", "secretary"},
    "admit-latecomer": {"admin", "chair", "secretary"},
    "generate-codes": {"admin", "chair", "secretary"},
    "vote": {"voter"},
    "watch-turnout": {"admin", "chair", "secretary", "counter"},
    "close": {"admin", "chair", "secretary"},
    "count": {"admin", "chair", "secretary", "counter"},
    "protect-share": {"admin", "chair", "secretary", "counter"},
    "unlock-share": {"admin", "chair", "secretary", "counter"},
    "finalise": {"admin", "chair"},
    "publish": {"admin", "chair"},
    # Paper ballots (the rounds here take browser and paper ballots, keyed ballot by ballot).
    "hand-out": {"admin", "chair", "secretary"},
    "enter-paper": {"admin", "chair", "secretary", "counter"},
    "reconcile": set(),  # the head of the counting team only, and these rounds have none
    "enter-totals": {"admin", "chair", "secretary", "counter"},
    "recheck-paper": {"admin", "chair", "secretary", "counter"},
}
WHEN = {
    "edit": {D},
    "set-officers": {D, A},
    "start-attendance": {D},
    "take-attendance": {A},
    "open": {A},
    "admit-latecomer": {V},
    "generate-codes": {V},
    "vote": {V},
    "watch-turnout": {V},
    "close": {V},
    "count": {C},
    "protect-share": {D, A},
    "unlock-share": {C},
    "finalise": {N},
    "publish": {N, F},
    "hand-out": {V},
    "enter-paper": {C},
    "reconcile": {C},
    "enter-totals": set(),  # these rounds key paper ballot by ballot
    "recheck-paper": {N, F},
}
TARGET = {"start-attendance": A, "open": V, "close": C, "count": N, "finalise": F}
LABELS = {D: "Dự thảo", A: "Đang điểm danh", V: "Đang bỏ phiếu", C: "Đã khóa hòm phiếu",
          N: "Đã kiểm phiếu", F: "Đã hoàn tất, khóa kết quả", PUBLISHED: "Đã kiểm phiếu"}


def refusal(step: str, state) -> str:
    """The message a refused state gets (in Vietnamese, the app's language)."""
    if step == "publish":
        return ("Kết quả đã được công bố." if state == PUBLISHED else
                "Chỉ công bố kết quả được sau khi kiểm phiếu.")
    if step == "vote":
        return "Đợt này chưa mở bỏ phiếu hoặc đã khóa hòm phiếu."
    if step == "protect-share":
        return "Khóa được đặt trước khi mở bỏ phiếu."
    if step == "unlock-share":
        return "Phần khóa được mở sau khi khóa hòm phiếu, trước khi kiểm phiếu."
    if step == "hand-out":
        return "Phiếu giấy và phiếu mã được phát trong thời gian bỏ phiếu."
    if step == "enter-paper":
        return "Phiếu giấy được nhập sau khi khóa hòm phiếu, trước khi kiểm phiếu."
    if step == "recheck-paper":
        return "Phiếu giấy chỉ được phúc tra sau khi kiểm phiếu."
    if step == "enter-totals":
        return ("Phiếu giấy của đợt này được nhập từng phiếu." if state == C else
                "Số liệu tổng hợp phiếu giấy được nhập sau khi khóa hòm phiếu, trước khi "
                "kiểm phiếu.")
    return f"Không thể thực hiện khi đợt đang ở trạng thái “{LABELS[state]}”."


def test_the_table_here_is_the_lifecycle_declared():
    """Every step is in the specification above and nothing else is: a new step needs its
    row here."""
    assert set(WHO) == {step.name for step in ROUND_STEPS.steps}
    assert ROUND_STEPS.transition_names == (
        "start-attendance", "open", "close", "count", "finalise", "publish")


@pytest.fixture
def rounds(meeting, factory):
    """One round in each state, with the same people in the same roles."""
    built, users = {}, {}
    first = None
    for state in STATES:
        m = meeting(voters=3, candidates=2, state=D, unit=first.unit if first else None)
        set_paper(m.round, kinds=BallotKinds.BOTH)
        first = first or m
        if not users:
            users = {
                "admin": factory.user("admin_u", roles=(Role.ADMIN,), unit=m.unit),
                "other_admin": factory.user("other_u", roles=(Role.ADMIN,),
                                            unit=factory.unit("Sở Khác")),
                # Officers hold a role over the unit (officer_in_scope); as officers, their
                # role in the round is what counts.
                "chair": factory.user("chair_u", roles=(Role.SECRETARY,)),
                "secretary": factory.user("sec_u", roles=(Role.SECRETARY,)),
                "counter": factory.user("cnt_u", roles=(Role.COUNTER,)),
                "voter": factory.user("vot_u", roles=(Role.VOTER,), person=m.voters[0]),
                "evaluee": factory.user("eva_u", roles=(Role.EVALUEE,),
                                        person=m.candidate_people[0]),
                "stranger": factory.user("str_u", roles=(Role.VOTER,)),
            }
        round_ = m.round
        # The same people everywhere: the voter and the person voted on of the first round.
        if m is not first:
            services.add_voters(SYSTEM, round_, [first.voters[0].id])
            services.add_candidates(SYSTEM, round_, [first.candidate_people[0].id])
            m.voters.append(first.voters[0])
        services.set_officers(SYSTEM, round_, chair=users["chair"],
                              secretary=users["secretary"], counter_head=None,
                              counters=[users["counter"]])
        db.session.commit()
        if state == A:
            advance(m, A)
            services.set_attendance(SYSTEM, round_, [v.id for v in round_.voters])
        else:
            advance(m, N if state == PUBLISHED else state)
        if state == C:  # the counting team has unlocked enough shares: counting can happen
            builder.unlock(round_)
        if state == PUBLISHED:
            services.publish_results(SYSTEM, round_)
        db.session.commit()
        built[state] = round_
    return built, users


def test_every_step_in_every_state_for_every_role(rounds):
    built, users = rounds
    failures = []
    for step in ROUND_STEPS.steps:
        for state, round_ in built.items():
            status = RoundStatus.COUNTED if state == PUBLISHED else state
            in_state = status in WHEN[step.name] and not (
                step.name == "publish" and state == PUBLISHED)
            for role in ROLES:
                user = users[role]
                who = role in WHO[step.name]
                where = f"{step.name} / {state} / {role}"
                if ROUND_STEPS.can(user, round_, step.name) != (who and in_state):
                    failures.append(f"{where}: can() says {not (who and in_state)}")
                try:
                    ROUND_STEPS.check(user, round_, step.name)
                    outcome = "allowed"
                except NotAllowed as error:
                    outcome = ("403", error.status)
                except InvalidState as error:
                    outcome = ("409", error.text())
                expected = ("allowed" if who and in_state else ("403", 403) if not who
                            else ("409", refusal(step.name, state)))
                if outcome != expected:
                    failures.append(f"{where}: {outcome} != {expected}")
    assert not failures, "\n".join(failures)


def test_each_transition_is_taken_by_its_service_exactly_when_the_table_allows(rounds):
    """The pages and the API take a transition by its name through the service registered for
    it; the service itself refuses what the lifecycle refuses, and moves the round to the
    declared state."""
    built, users = rounds
    failures = []
    for step in ROUND_STEPS.transitions:
        for state, round_ in built.items():
            status = RoundStatus.COUNTED if state == PUBLISHED else state
            in_state = status in WHEN[step.name] and not (
                step.name == "publish" and state == PUBLISHED)
            for role in ROLES:
                where = f"{step.name} / {state} / {role}"
                savepoint = db.session.begin_nested()
                try:
                    ROUND_STEPS.take(users[role], round_, step.name)
                    outcome = ("moved", round_.status, round_.published_at is not None)
                except (NotAllowed, InvalidState) as error:
                    outcome = ("refused", error.status)
                finally:
                    savepoint.rollback()
                    db.session.expire_all()
                who = role in WHO[step.name]
                if who and in_state:
                    expected = ("moved", TARGET.get(step.name, status),
                                step.name == "publish" or state == PUBLISHED)
                else:
                    expected = ("refused", 403 if not who else 409)
                if outcome != expected:
                    failures.append(f"{where}: {outcome} != {expected}")
    assert not failures, "\n".join(failures)


def test_an_unknown_step_is_not_found_and_names_the_steps():
    from evalapp.core.errors import NotFound

    with pytest.raises(NotFound) as refused:
        ROUND_STEPS.transition("edit")  # a step, but not one the pages and the API take
    assert "start-attendance, open, close, count, finalise, publish" in refused.value.text()
