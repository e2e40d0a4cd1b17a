from sqlalchemy import func, select

from evalapp.auth.models import Role, User
from evalapp.auth.services import find_user
from evalapp.core.text import person_sort_key
from evalapp.org.models import Person, Unit


def test_seed_demo_builds_a_realistic_organisation(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    for username in ["admin", "thuky", "kiemphieu", "uyvien", "canbo"]:
        assert username in result.output
    people = db.session.execute(select(Person)).scalars().all()
    assert 50 <= len(people) <= 80
    assert len({p.full_name for p in people}) == len(people)
    kinds = {u.kind.value for u in db.session.execute(select(Unit)).scalars()}
    assert {"party_committee", "peoples_committee", "department"} <= kinds
    roles = {g.role for u in db.session.execute(select(User)).scalars() for g in u.grants}
    assert roles == set(Role)
    assert find_user("uyvien").person is not None
    # An evaluation round is open in which the demo's "canbo" is rated.
    from evalapp.evaluations.models import EvaluationRound, RatedPerson, RoundStatus
    evaluation = db.session.scalars(select(EvaluationRound)).one()
    assert evaluation.status == RoundStatus.OPEN
    rated = {r.person_id for r in db.session.scalars(select(RatedPerson))}
    assert find_user("canbo").person_id in rated and len(rated) >= 20
    # Their product ledger: two periods confirmed, fed to the round; the next one open; their
    # front desk rated by the public.
    from evalapp.evaluations import period_sources
    from evalapp.ledger.models import Period, PeriodStatus, Rating
    canbo = find_user("canbo").person_id
    periods = db.session.scalars(select(Period).where(Period.person_id == canbo)
                                 .order_by(Period.period)).all()
    assert [p.status for p in periods] == [PeriodStatus.CONFIRMED] * 2 + [PeriodStatus.OPEN]
    row = db.session.scalars(select(RatedPerson).where(RatedPerson.person_id == canbo)).one()
    assert len(row.periods) == 2 and all(p["score"] for p in row.periods)
    assert db.session.scalar(select(func.count(Rating.id))) == 5
    [*_, year] = period_sources.collect_evidence([canbo], 2026)[canbo]
    assert (year.period, year.count, str(year.value)) == ("year", 5, "4.40")

    # A second run refuses; with --if-empty it quietly does nothing.
    assert runner.invoke(args=["seed-demo"]).exit_code != 0
    assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0
    assert db.session.execute(select(func.count(Person.id))).scalar_one() == len(people)


def test_demo_accounts_can_log_in(app, db, client):
    from evalapp.demo import DEMO_PASSWORD

    app.test_cli_runner().invoke(args=["seed-demo"])
    response = client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    html = client.get("/org/people").get_data(as_text=True)
    names = [cell.split(">", 1)[1].split("<")[0]
             for cell in html.split('<td class="person-name">')[1:]]
    assert names == sorted(names, key=person_sort_key) and len(names) == 50
    # The demo's rated official's ledger and history, as the admin sees them.
    canbo = find_user("canbo").person
    assert client.get(f"/ledger/people/{canbo.id}/history").status_code == 200
    assert "Báo cáo chuyên đề" in client.get(
        f"/ledger/units/{canbo.unit_id}/products").get_data(as_text=True)
    client.post("/logout")
    client.post("/login", data={"username": "canbo", "password": DEMO_PASSWORD})
    mine = client.get("/ledger/mine")
    assert mine.status_code == 200 and "Văn bản hành chính" in mine.get_data(as_text=True)


def test_create_admin(app, db):
    result = app.test_cli_runner().invoke(args=[
        "create-admin", "--username", "ToChuc", "--full-name", "Phòng Tổ chức",
        "--password", "mat-khau-dai-1"])
    assert result.exit_code == 0, result.output
    user = find_user("tochuc")
    assert [(g.role, g.unit_id) for g in user.grants] == [(Role.ADMIN, None)]
    result = app.test_cli_runner().invoke(args=[
        "create-admin", "--username", "tochuc", "--full-name", "X", "--password", "abcdefgh1"])
    assert result.exit_code != 0


def test_demo_has_a_finished_round_and_one_open_for_the_demo_voter(app, db, client):
    from evalapp.ballots.models import BallotRound, RoundStatus
    from evalapp.demo import DEMO_PASSWORD

    app.test_cli_runner().invoke(args=["seed-demo"])
    rounds = {r.status: r for r in db.session.execute(select(BallotRound)).scalars()}
    assert set(rounds) == {RoundStatus.FINALISED, RoundStatus.VOTING, RoundStatus.CLOSED}
    finished = rounds[RoundStatus.FINALISED]
    assert finished.collected_count == finished.present_count - 2 > 30
    assert finished.box_digest and len(finished.active_candidates) == 6

    # Its minutes carry a valid signature from every signer, by the demo certificates.
    from evalapp.ballots.documents import DocumentKind
    from evalapp.documents.models import IssuedDocument
    from evalapp.documents.signing import verify_pdf

    minutes = db.session.execute(select(IssuedDocument).where(
        IssuedDocument.owner_id == finished.id,
        IssuedDocument.kind == DocumentKind.MINUTES)).scalar_one()
    assert minutes.slots and all(slot.signed_at for slot in minutes.slots)
    report = verify_pdf(minutes.pdf)
    assert len(report.signatures) == len(minutes.slots) >= 3
    assert all(s.intact and s.valid and s.trusted for s in report.signatures)

    client.post("/login", data={"username": "uyvien", "password": DEMO_PASSWORD})
    waiting = client.get("/vote/").get_data(as_text=True)
    assert rounds[RoundStatus.VOTING].title in waiting
    assert client.get(f"/vote/{rounds[RoundStatus.VOTING].id}").status_code == 200
    client.post("/logout")
    client.post("/login", data={"username": "thuky", "password": DEMO_PASSWORD})
    results = client.get(f"/ballots/{finished.id}/results")
    assert results.status_code == 200
    assert results.get_data(as_text=True).count('class="candidate-name"') == 6


def test_demo_has_a_paper_round_for_the_counting_team_to_key(app, db, client):
    from evalapp.ballots.models import BallotRound, PaperEntry, RoundStatus
    from evalapp.ballots.schemas import BallotKinds, Handed
    from evalapp.demo import DEMO_PASSWORD

    app.test_cli_runner().invoke(args=["seed-demo"])
    paper_round = db.session.execute(select(BallotRound).where(
        BallotRound.status == RoundStatus.CLOSED)).scalar_one()
    assert paper_round.ballot_kinds is BallotKinds.PAPER
    present = [v for v in paper_round.voters if v.present]
    assert len(present) >= 5 and all(v.handed is Handed.PAPER for v in present)
    keyed = db.session.execute(select(PaperEntry.ballot_number).where(
        PaperEntry.round_id == paper_round.id)).scalars().all()
    assert sorted(keyed) == [1, 2, 3]

    # The demo's counting-team member keys the next ballot from the entry screen.
    client.post("/login", data={"username": "kiemphieu", "password": DEMO_PASSWORD})
    page = client.get(f"/ballots/{paper_round.id}/paper/enter")
    assert page.status_code == 200
    assert 'id="ballot_number" name="ballot_number" value="4"' in page.get_data(as_text=True)
