"""A small open round for the forms tests: a department with one office (its head and two
specialists), accounts for the people and for an admin and a secretary of the department."""

from __future__ import annotations

from dataclasses import dataclass

from evalapp.auth.models import Role, User
from evalapp.evaluations import builder, services
from evalapp.evaluations.models import EvaluationRound, RatedPerson, RatedUnit
from evalapp.tally import evaluation as rules


@dataclass
class FormsWorld:
    round: EvaluationRound
    staff: RatedPerson        # a specialist, managed by the office's head
    colleague: RatedPerson    # another specialist of the same office
    head: RatedPerson         # the office's head (a leader), managed by the director
    office: RatedUnit
    users: dict[str, User]    # staff, colleague, head, director, admin, secretary, outsider


def forms_world(factory, db, *, preset: str = "decree-335-2025") -> FormsWorld:
    dept = builder.department(subunits=1, staff_per_unit=2)
    round_ = builder.round_for(dept, preset=preset)
    db.session.commit()
    sub = dept.subunits[0]
    rows = {r.person_id: r for r in services.rated_people(round_)}
    head_person, staff_person, colleague_person = dept.people[sub.id][:3]
    director = dept.heads[dept.unit.id]
    other = builder.department("Sở Y tế", subunits=0, surname="Phạm")
    db.session.commit()
    users = {
        "staff": factory.user("staff", roles=(Role.EVALUEE,), person=staff_person),
        "colleague": factory.user("colleague", roles=(Role.EVALUEE,), person=colleague_person),
        "head": factory.user("head", roles=(Role.EVALUEE,), person=head_person),
        "director": factory.user("director", roles=(Role.EVALUEE,), person=director),
        "admin": factory.user("deptadmin", roles=(Role.ADMIN,), unit=dept.unit),
        "secretary": factory.user("deptsec", roles=(Role.SECRETARY,), unit=dept.unit),
        "outsider": factory.user("outsider", roles=(Role.EVALUEE,),
                                 person=other.heads[other.unit.id]),
    }
    office = next(u for u in services.rated_units(round_) if u.unit_id == sub.id)
    return FormsWorld(round_, rows[staff_person.id], rows[colleague_person.id],
                      rows[head_person.id], office, users)


def full_points(rated, value_of=lambda item: item.max) -> dict[str, str]:
    from evalapp.evaluations.assessments import items_for

    return {item.key: format(value_of(item), "f") for item in items_for(rated)}


def unit_facts(**changes) -> dict:
    facts = {"tasks": "10", "on_time": "10", "exceeded": "4", "done": "10",
             "plan_share_done": "0.95"}
    facts.update(changes)
    return facts


LEVELS = [level.value for level in rules.LEVELS]
