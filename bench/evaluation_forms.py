"""Benchmark: a round's forms rendered in bulk (one WeasyPrint layout, one PDF and one PDF per
person from it) against one rendering per person, measured in the same run.

    .venv/bin/python bench/evaluation_forms.py [--quick] [--people N]

Builds a department of N viên chức through the real builder (evaluations.builder) on a temporary
SQLite database, opens a round under NĐ 233, and times:
- the first print, one PDF: `evaluations.documents.render_forms(per_person=False)`, layouts of
  up to `CHUNK` forms laid out by a pool of worker processes, each person's pages written as
  their own PDF (kept), merged (pypdf);
- the first print (nothing kept), one PDF per person (the zip);
- singles: the same N forms rendered one by one through the engine (`DocumentPlan.render`, one
  WeasyPrint layout each, as issuing every form would).
Then the same print again (every form kept: nothing laid out) and after one person's form
changed (one form laid out).
Prints the times, `ratio bulk-pdf/singles` (the one PDF) and `ratio bulk-zip/singles` (each
person's PDF); below 1: that share of the singles' time; `ratio reprint/first` and
`ratio one-change/first`. WeasyPrint's cost is per page, so one
layout alone saves little; the pool divides the time by the cores. The pages ask for the same
work in the background (evalapp.documents.prepared), so no request waits for it.
Run with PYTHONPATH=. from a worktree whose venv is another checkout's.
A run fails (exit 1) when the bulk's per-person PDFs are not one per person, or when a print
lays out a form that was kept.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from _harness import Database, header, make_app, ratio, say, timed, workdir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="20 people")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    people = 20 if args.quick else args.people
    header("evaluation_forms", people=people)
    directory = workdir(args.keep)
    with Database("sqlite", directory) as database:
        app = make_app(database.url, directory)
        with app.app_context():
            from evalapp.auth.models import Role
            from evalapp.auth.permissions import SYSTEM
            from evalapp.auth.services import GrantSpec, create_user
            from evalapp.documents import services as engine
            from evalapp.documents.rendering import Stamp
            from evalapp.evaluations import builder, services
            from evalapp.evaluations import documents as docs
            from evalapp.extensions import db
            from evalapp.org.models import StaffKind

            subunits = max(1, people // 20)
            dept = builder.department("Sở Y tế", subunits=subunits,
                                      staff_per_unit=max(1, people // subunits - 1),
                                      kind=StaffKind.PUBLIC_EMPLOYEE)
            round_ = builder.round_for(dept, preset="decree-233-2026")
            admin = create_user(SYSTEM, username="bench-admin", full_name="Bench Admin",
                                password="bench-password-0123", grants=[GrantSpec(Role.ADMIN,
                                                                                  dept.unit)])
            db.session.commit()
            rated = services.rated_people(round_, included=True)
            say(f"forms: {len(rated)}")
            from evalapp.documents import prepared
            from evalapp.evaluations.models import EvaluationForm, FormStatus, FormStep

            prepared.forget_parts(0)
            pdf_time, one = timed(lambda: docs.render_forms(admin, round_, per_person=False))
            if one.laid_out != len(rated):
                say("WRONG: the first print did not lay out every form")
                return 1
            again_time, again = timed(lambda: docs.render_forms(admin, round_))
            if len(again.people) != len(rated) or again.laid_out != 0:
                say("WRONG: the reprint was not one PDF per person from the kept forms")
                return 1
            # One person's self-assessment sent: only their form is laid out again.
            db.session.add(EvaluationForm(round_id=round_.id, step=FormStep.SELF,
                                          rated_person_id=rated[0].id, total=8000,
                                          status=FormStatus.SENT, comment="Đã gửi.",
                                          sent_at=datetime.now(UTC)))
            db.session.commit()
            one_change_time, changed = timed(lambda: docs.render_forms(admin, round_))
            if changed.laid_out != 1:
                say("WRONG: one change laid out more than one form")
                return 1
            prepared.forget_parts(0)
            zip_time, bulk = timed(lambda: docs.render_forms(admin, round_))
            stamp = Stamp("0" * 32, datetime(2026, 12, 1, tzinfo=UTC))

            def singles():
                for person in rated:
                    engine.plan_document(round_, docs.EvaluationDocumentKind.FORM,
                                         person).render(stamp)

            singles_time, _ = timed(singles)
            say(f"first print, one PDF: {pdf_time:.2f} s ({one.pages} pages, "
                f"{one.layouts} layouts of up to {docs.CHUNK} forms on "
                f"{docs._workers(one.layouts)} processes)")
            say(f"first print, one PDF per person: {zip_time:.2f} s "
                f"({sum(len(pdf) for _p, pdf in bulk.people):,} bytes)")
            say(f"reprint, one PDF per person (every form kept): {again_time:.2f} s")
            say(f"print after one form changed: {one_change_time:.2f} s")
            say(f"singles: {singles_time:.2f} s ({len(rated)} layouts)")
            say(f"ratio bulk-zip/singles = {ratio(zip_time, singles_time):.3f}")
            say(f"ratio bulk-pdf/singles = {ratio(pdf_time, singles_time):.3f}")
            say(f"ratio reprint/first = {ratio(again_time, zip_time):.3f}")
            say(f"ratio one-change/first = {ratio(one_change_time, zip_time):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
