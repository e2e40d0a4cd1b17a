"""The demo organisation loaded by `flask seed-demo` and by the first README command.

A provincial Party committee and a People's Committee with their boards and departments, about
sixty people with real-looking names and posts, and one account per role.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import func, select

from evalapp.auth.models import Role, User
from evalapp.auth.permissions import SYSTEM
from evalapp.auth.services import GrantSpec, create_user
from evalapp.ballots import builder, paper, services
from evalapp.ballots.documents import DocumentKind, issue_document
from evalapp.ballots.models import RoundStatus
from evalapp.ballots.schemas import BallotKinds, Handed, RoundDetails
from evalapp.documents.signing import create_demo_pki, sign_document
from evalapp.extensions import db
from evalapp.org.models import Gender, Person, StaffKind, Unit, UnitKind
from evalapp.org.services import PersonData, create_person, create_unit, save_duty_group, save_post

DEMO_PASSWORD = "demo-evalapp"  # nosec B105 - the demo's published password, demo data only

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi",
          "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trương"]
MIDDLE_MALE = ["Văn", "Hữu", "Đức", "Minh", "Quang", "Xuân", "Thanh", "Công", "Đình", "Quốc"]
MIDDLE_FEMALE = ["Thị", "Ngọc", "Thu", "Thanh", "Minh", "Thị Thu", "Thị Ngọc", "Bích", "Kim"]
GIVEN_MALE = ["An", "Anh", "Bình", "Cường", "Dũng", "Đức", "Giang", "Hải", "Hiếu", "Hòa", "Hùng",
              "Khoa", "Khánh", "Long", "Minh", "Nam", "Phong", "Phúc", "Quân", "Sơn", "Tâm",
              "Thắng", "Tuấn", "Việt", "Vinh", "Ân", "Ẩn"]
GIVEN_FEMALE = ["Ánh", "Chi", "Dung", "Hà", "Hạnh", "Hằng", "Hương", "Lan", "Linh", "Mai",
                "Nga", "Ngân", "Oanh", "Phương", "Thảo", "Trang", "Uyên", "Yến", "Ái", "Ngọc"]

POSTS = [  # name, rank, leadership
    ("Bí thư Tỉnh ủy", 1, True), ("Phó Bí thư Tỉnh ủy", 2, True),
    ("Chủ tịch UBND tỉnh", 3, True), ("Phó Chủ tịch UBND tỉnh", 4, True),
    ("Ủy viên Ban Thường vụ Tỉnh ủy", 5, True), ("Trưởng ban", 10, True),
    ("Phó Trưởng ban", 11, True), ("Chủ nhiệm Ủy ban Kiểm tra", 10, True),
    ("Chánh Văn phòng", 12, True), ("Phó Chánh Văn phòng", 13, True),
    ("Giám đốc Sở", 14, True), ("Phó Giám đốc Sở", 15, True),
    ("Trưởng phòng", 20, True), ("Phó Trưởng phòng", 21, True),
    ("Chuyên viên chính", 40, False), ("Chuyên viên", 41, False), ("Cán sự", 50, False),
]

DUTY_GROUPS = [
    ("Lãnh đạo cấp tỉnh", "Ủy viên Ban Thường vụ, lãnh đạo UBND tỉnh"),
    ("Lãnh đạo cấp sở, ban", "Người đứng đầu và cấp phó các sở, ban, ngành"),
    ("Lãnh đạo cấp phòng", "Trưởng, phó phòng và tương đương"),
    ("Chuyên viên", "Công chức chuyên môn, nghiệp vụ"),
]

# code, name, kind, parent code, [(post, duty group, count)]
UNITS = [
    ("TU", "Tỉnh ủy Hòa Bình Xanh", UnitKind.PARTY_COMMITTEE, None,
     [("Bí thư Tỉnh ủy", 0, 1), ("Phó Bí thư Tỉnh ủy", 0, 2),
      ("Ủy viên Ban Thường vụ Tỉnh ủy", 0, 3)]),
    ("BTC", "Ban Tổ chức Tỉnh ủy", UnitKind.PARTY_COMMITTEE, "TU",
     [("Trưởng ban", 1, 1), ("Phó Trưởng ban", 1, 2), ("Chuyên viên", 3, 4)]),
    ("BTG", "Ban Tuyên giáo và Dân vận Tỉnh ủy", UnitKind.PARTY_COMMITTEE, "TU",
     [("Trưởng ban", 1, 1), ("Phó Trưởng ban", 1, 2), ("Chuyên viên", 3, 3)]),
    ("UBKT", "Ủy ban Kiểm tra Tỉnh ủy", UnitKind.PARTY_COMMITTEE, "TU",
     [("Chủ nhiệm Ủy ban Kiểm tra", 1, 1), ("Chuyên viên chính", 3, 3)]),
    ("VPTU", "Văn phòng Tỉnh ủy", UnitKind.PARTY_COMMITTEE, "TU",
     [("Chánh Văn phòng", 1, 1), ("Phó Chánh Văn phòng", 1, 1), ("Cán sự", 3, 2)]),
    ("UBND", "Ủy ban nhân dân tỉnh Hòa Bình Xanh", UnitKind.PEOPLES_COMMITTEE, None,
     [("Chủ tịch UBND tỉnh", 0, 1), ("Phó Chủ tịch UBND tỉnh", 0, 3)]),
    ("VPUB", "Văn phòng UBND tỉnh", UnitKind.DEPARTMENT, "UBND",
     [("Chánh Văn phòng", 1, 1), ("Phó Chánh Văn phòng", 1, 2), ("Chuyên viên", 3, 2)]),
    ("SNV", "Sở Nội vụ", UnitKind.DEPARTMENT, "UBND",
     [("Giám đốc Sở", 1, 1), ("Phó Giám đốc Sở", 1, 2)]),
    ("SNV-TCBM", "Phòng Tổ chức, biên chế", UnitKind.DEPARTMENT, "SNV",
     [("Trưởng phòng", 2, 1), ("Phó Trưởng phòng", 2, 1), ("Chuyên viên", 3, 3)]),
    ("STC", "Sở Tài chính", UnitKind.DEPARTMENT, "UBND",
     [("Giám đốc Sở", 1, 1), ("Phó Giám đốc Sở", 1, 2), ("Trưởng phòng", 2, 2),
      ("Chuyên viên chính", 3, 2)]),
    ("SGD", "Sở Giáo dục và Đào tạo", UnitKind.DEPARTMENT, "UBND",
     [("Giám đốc Sở", 1, 1), ("Phó Giám đốc Sở", 1, 2), ("Trưởng phòng", 2, 1)]),
    ("SYT", "Sở Y tế", UnitKind.DEPARTMENT, "UBND",
     [("Giám đốc Sở", 1, 1), ("Phó Giám đốc Sở", 1, 1), ("Trưởng phòng", 2, 1)]),
]


@dataclass
class DemoAccount:
    username: str
    role: Role
    full_name: str


DEMO_ACCOUNTS = [
    DemoAccount("admin", Role.ADMIN, "Quản trị hệ thống"),
    DemoAccount("thuky", Role.SECRETARY, ""),
    DemoAccount("kiemphieu", Role.COUNTER, ""),
    DemoAccount("uyvien", Role.VOTER, ""),
    DemoAccount("canbo", Role.EVALUEE, ""),
]


def database_is_empty() -> bool:
    return not db_count(Unit) and not db_count(User)


def db_count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def seed_demo(seed: int = 2026) -> list[tuple[str, str, str]]:
    """Load the demo organisation; returns (username, password, role label) of demo accounts."""
    rng = random.Random(seed)  # nosec B311 - reproducible demo data, not a secret
    posts = {name: save_post(SYSTEM, None, name=name, rank=rank, is_leadership=lead)
             for name, rank, lead in POSTS}
    groups = [save_duty_group(SYSTEM, None, name=name, description=description)
              for name, description in DUTY_GROUPS]
    units = {}
    people: list[Person] = []
    used_names: set[str] = set()
    serial = 0
    for position, (code, name, kind, parent_code, staffing) in enumerate(UNITS):
        unit = create_unit(SYSTEM, name=name, kind=kind, parent=units.get(parent_code), code=code,
                           position=position)
        units[code] = unit
        for post_name, group_index, count in staffing:
            for _ in range(count):
                female = rng.random() < 0.45
                while True:
                    full_name = " ".join([
                        rng.choice(FAMILY),
                        rng.choice(MIDDLE_FEMALE if female else MIDDLE_MALE),
                        rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)])
                    if full_name not in used_names:
                        used_names.add(full_name)
                        break
                serial += 1
                people.append(create_person(SYSTEM, PersonData(
                    full_name=full_name, unit=unit, staff_code=f"CB{serial:04d}",
                    gender=Gender.FEMALE if female else Gender.MALE,
                    birth_year=rng.randint(1966, 1995), post=posts[post_name],
                    duty_group=groups[group_index])))

    accounts = []
    users = {}
    # The secretary and the counting-team member are staff of the committee's office and of its
    # organisation board: officers of the demo rounds, so never among the people voted on.
    def staff_of(code: str) -> list[Person]:
        return [p for p in people if p.unit_id == units[code].id]

    persons = {Role.SECRETARY: staff_of("VPTU")[-1], Role.COUNTER: staff_of("BTC")[-1],
               Role.VOTER: people[3], Role.EVALUEE: people[4]}
    for account in DEMO_ACCOUNTS:
        person = persons.get(account.role)
        users[account.role] = create_user(
            SYSTEM, username=account.username, full_name=account.full_name or person.full_name,
            password=DEMO_PASSWORD, grants=[GrantSpec(account.role, None)], person=person)
        accounts.append((account.username, DEMO_PASSWORD, account.role.label))
    seed_demo_rounds(rng, units, people, users)
    seed_demo_evaluation(units, people)
    seed_demo_ledger(people[4])
    return accounts


def sign_demo_minutes(round_) -> None:
    """The finished round's minutes, signed by each of its signers with demo certificates."""
    minutes = issue_document(SYSTEM, round_, DocumentKind.MINUTES)
    create_demo_pki(SYSTEM)
    for slot in list(minutes.slots):
        sign_document(slot.signer, minutes, slot.id)


def seed_demo_rounds(rng: random.Random, units: dict, people: list[Person], users: dict) -> None:
    """A finished round with results, and an open one the demo voter can vote in."""
    province = units["TU"]
    committee = units["UBND"]

    voter_person = users[Role.VOTER].person_id

    def plan(title, body, governing, unit, candidates):
        # The heading prints the governing body over the body ("TỈNH ỦY HÒA BÌNH XANH" over
        # "BAN TỔ CHỨC"), and the date line "Hòa Bình Xanh, ngày … tháng … năm …".
        return builder.RoundPlan(
            unit=unit, candidates=candidates, voters=people, title=title, body_name=body,
            place="Hội trường Tỉnh ủy", meeting_date=date.today(), governing_body_name=governing,
            locality="Hòa Bình Xanh", chair=users[Role.ADMIN], secretary=users[Role.SECRETARY],
            counter_head=users[Role.COUNTER])

    def present(share):
        """Who comes: the demo voter always, the others with probability `share`."""
        return [p for p in people if p.id == voter_person or rng.random() < share]

    def ballots(voters, candidates):
        return [(voter, rng.choices(["high", "confidence", "low"], weights=[6, 3, 1],
                                    k=len(candidates))) for voter in voters]

    leaders = [p for p in people if p.unit_id == province.id]
    came = present(0.95)
    finished = builder.build(
        plan("Lấy phiếu tín nhiệm đối với người giữ chức vụ do Ban Chấp hành bầu, năm 2025",
             "Ban Tổ chức", province.name, province, leaders), RoundStatus.FINALISED,
        present={p.id for p in came},
        # two members present did not hand in a ballot
        ballots=ballots(sorted(came, key=lambda p: p.id)[:-2], leaders)).round
    sign_demo_minutes(finished)

    officials = [p for p in people if p.unit_id == committee.id]
    came = present(0.85)
    others = [p for p in sorted(came, key=lambda p: p.id) if p.id != voter_person]
    builder.build(plan("Lấy phiếu tín nhiệm lãnh đạo UBND tỉnh, năm 2026", "Sở Nội vụ",
                       "UBND tỉnh Hòa Bình Xanh", committee, officials), RoundStatus.VOTING,
                  present={p.id for p in came}, ballots=ballots(others[:12], officials))

    seed_demo_paper_round(rng, units, people, users, plan)


def seed_demo_paper_round(rng: random.Random, units: dict, people: list[Person], users: dict,
                          plan) -> None:
    """A round held on paper in a department's hall: every member present was handed a paper
    ballot, voting is closed and the counting team has keyed the first ballots; the demo's
    counting-team member keys the rest (/ballots/<id>/paper/enter), then the team unlocks and
    counts."""
    department = units["SNV"]
    leaders = [p for p in people if p.unit_id == department.id]
    hall = [p for p in people if p.unit_id in (department.id, units["SNV-TCBM"].id)]
    round_ = builder.create(replace(
        plan("Lấy phiếu tín nhiệm lãnh đạo Sở Nội vụ, năm 2026 (phiếu giấy)", "Sở Nội vụ",
             "UBND tỉnh Hòa Bình Xanh", department, leaders), voters=hall))
    services.update_round(
        SYSTEM, round_, RoundDetails(title=round_.title, body_name=round_.body_name,
                                     unit=round_.unit, place=round_.place,
                                     meeting_date=round_.meeting_date,
                                     governing_body_name=round_.governing_body_name,
                                     locality=round_.locality),
        base=round_.base, bad_line_voids_ballot=round_.bad_line_voids_ballot,
        results_to_candidates=round_.results_to_candidates,
        publish_to_voters=round_.publish_to_voters,
        secrecy_threshold=round_.secrecy_threshold, ballot_kinds=BallotKinds.PAPER)
    db.session.commit()
    builder.advance(round_, RoundStatus.VOTING, present={p.id for p in hall})
    for voter in round_.voters:
        services.hand_out(SYSTEM, round_, voter.id, Handed.PAPER)
    services.close_voting(SYSTEM, round_)
    db.session.commit()
    counter = users[Role.COUNTER]
    for number in range(1, 4):  # three ballots keyed; the others wait on the table
        paper.enter_ballot(counter, round_, number,
                           rng.choices(["high", "confidence", "low"], weights=[6, 3, 1],
                                       k=len(round_.active_candidates)))
    db.session.commit()


# Elected posts are held by cán bộ; everyone else in the demo is a công chức.
ELECTED = {"Bí thư Tỉnh ủy", "Phó Bí thư Tỉnh ủy", "Chủ tịch UBND tỉnh", "Phó Chủ tịch UBND tỉnh",
           "Ủy viên Ban Thường vụ Tỉnh ủy"}


def seed_demo_evaluation(units: dict, people: list[Person]) -> None:
    """The 2026 rating of the provincial Party committee's agencies, open for self-assessment:
    a Quy chế seeded from Nghị định 335/2025 and a round over the committee and its boards."""
    from evalapp.evaluations import services as evaluations

    for person in people:
        elected = person.post is not None and person.post.name in ELECTED
        person.staff_kind = StaffKind.OFFICIAL if elected else StaffKind.CIVIL_SERVANT
    province = units["TU"]
    evaluations.seed_regulation(SYSTEM, province, "decree-335-2025")
    round_ = evaluations.create_round(
        SYSTEM, province, title="Đánh giá, xếp loại chất lượng năm 2026 – cơ quan Tỉnh ủy",
        year=2026, preset_key="decree-335-2025", body_name="Ban Tổ chức Tỉnh ủy",
        authority_name="Ban Thường vụ Tỉnh ủy")
    evaluations.take_units(SYSTEM, round_, province)
    evaluations.take_people(SYSTEM, round_, evaluations.Selection(province))
    evaluations.open_round(SYSTEM, round_)


def seed_demo_ledger(person: Person) -> None:
    """The product ledger of the demo's rated official ("canbo"): their unit's catalogue, two
    periods of 2026 done and confirmed, the next one open with its items, and their front desk
    rated by the public (issue 13: the year's round reads the confirmed periods)."""
    from datetime import date

    from evalapp.ledger import ratings
    from evalapp.ledger import services as ledger
    from evalapp.tally import ledger as ledger_rules

    unit = person.unit
    report = ledger.add_product(SYSTEM, unit, name="Báo cáo chuyên đề", group="N1",
                                measure="báo cáo", factor="1")
    letter = ledger.add_product(SYSTEM, unit, name="Văn bản hành chính", group="N2",
                                measure="văn bản", factor="0.5")
    scheme = ledger.add_product(SYSTEM, unit, name="Đề án, kế hoạch", group="N1",
                                measure="đề án", factor="3",
                                levels=[{"name": "Phức tạp", "factor": "1.5"}])
    rules = ledger.rules_for_unit(unit)
    keys = ledger_rules.period_keys(rules.period)[:3]
    for n, key in enumerate(keys):
        month = int(key[1:]) if key.startswith("m") else 3 * int(key[1:])
        period = ledger.period_of(SYSTEM, person, 2026, key)
        plan = [(report, "2", "2", 18), (letter, "10", "9" if n == 1 else "10", 22),
                (scheme, "1", "1", 28 if n == 0 else 24)]
        for product, quantity, delivered, day in plan:
            item = ledger.assign_item(SYSTEM, period, product_id=product.id, quantity=quantity,
                                      due_on=date(2026, month, 25))
            if n == len(keys) - 1 and product is scheme:
                continue  # the open period: not delivered yet
            ledger.complete_item(
                SYSTEM, item, delivered=delivered, delivered_on=date(2026, month, day),
                evidence=f"https://vanban.example.gov.vn/{key}/{product.id}",
                cause="Chờ số liệu của Sở Tài chính" if day > 25 else None)
            if day > 25:
                ledger.judge_item(SYSTEM, item, delays=1, delays_accepted=1)
        if n < len(keys) - 1:
            ledger.score_period(
                SYSTEM, period, general=("27.5" if n == 0 else "26")
                if rules.general_per == "period" else None,
                leader=dict(zip(ledger.LEADER_PARTS, ("90", "85", "88"), strict=True)))
            ledger.confirm(SYSTEM, period)
    desk = ratings.set_desk(SYSTEM, person, True)
    for n, (face, comment) in enumerate([(5, "Hướng dẫn tận tình, nhanh chóng."), (4, None),
                                         (5, None), (3, "Phải chờ hơi lâu."), (5, None)]):
        ratings.rate(desk, device_id=f"demo-device-{n}", choice=face, comment=comment,
                     day=date(2026, 2, 2 + n))
