"""Benchmark: importing a people spreadsheet, against a bare read and a raw bulk insert.

    .venv/bin/python bench/import_people.py [--quick] [--rows N]

Generates an .xlsx of N people in memory (the headings an organisation's HR export has:
Mã cán bộ, Họ và tên, Giới tính, Năm sinh, Chức vụ, Đơn vị, Nhóm nhiệm vụ) and, in this
process on a temporary SQLite database, times the import as the pages run it:
org.services.plan_people_import (the preview), stage_people_import + commit (the upload) and
apply_people_import + commit (the confirmation; it checks the file again). The ceiling, in the
same run: reading the same workbook with bare openpyxl (read-only, values only) plus one raw
executemany INSERT of the same rows into a scratch table through the sqlite3 module.

Prints the times and `ratio import/ceiling = …` (upload + confirmation against read + insert;
how many times slower). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import io
import sqlite3
import statistics
import sys

from _harness import Database, header, make_app, say, timed, workdir
from openpyxl import Workbook, load_workbook

HEADINGS = ["Mã cán bộ", "Họ và tên", "Giới tính", "Năm sinh", "Chức vụ", "Đơn vị",
            "Nhóm nhiệm vụ"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng"]
MIDDLE = ["Văn", "Thị", "Đức", "Ngọc", "Minh", "Thanh", "Hữu", "Quang"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Linh",
         "Mai", "Nam", "Phương", "Quân", "Sơn", "Thảo", "Trung", "Tuấn", "Yến"]
POSTS = ["Chuyên viên", "Trưởng phòng", "Phó Trưởng phòng", "Chuyên viên chính", "Văn thư"]
GROUPS = ["Lãnh đạo", "Chuyên môn", "Hành chính"]
UNITS = ["SNV", "Sở Tài chính", "STP"]  # by code or by name, as HR files mix both


def people_rows(count: int) -> list[tuple]:
    return [(f"NV{i:06d}",
             f"{FAMILY[i % 10]} {MIDDLE[i // 10 % 8]} {GIVEN[i // 80 % 20]} {i}",
             "Nam" if i % 2 else "Nữ", 1960 + i % 40, POSTS[i % 5], UNITS[i % 3],
             GROUPS[i % 3]) for i in range(count)]


def workbook_bytes(rows: list[tuple]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Danh sách cán bộ")
    sheet.append(HEADINGS)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def bare_read(content: bytes) -> list[tuple]:
    """The ceiling's read: openpyxl alone, read-only, values only, no checks."""
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()
    return rows[1:]


def raw_insert(path: str, rows: list[tuple]) -> None:
    """The ceiling's write: one executemany into a scratch table of the same database file,
    with the app's journal settings (WAL, synchronous=NORMAL), and a commit."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("DROP TABLE IF EXISTS bench_scratch_people")
        connection.execute("CREATE TABLE bench_scratch_people (id INTEGER PRIMARY KEY, "
                           "staff_code TEXT UNIQUE, full_name TEXT, gender TEXT, "
                           "birth_year INTEGER, post TEXT, unit TEXT, duty_group TEXT)")
        connection.commit()
        connection.executemany("INSERT INTO bench_scratch_people (staff_code, full_name, "
                               "gender, birth_year, post, unit, duty_group) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        connection.commit()
        connection.execute("DROP TABLE bench_scratch_people")
        connection.commit()
    finally:
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run (2000 rows)")
    parser.add_argument("--rows", type=int, help="people in the file (default 10000)")
    parser.add_argument("--repeat", type=int,
                        help="timings of the plan and of the ceiling (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    count = args.rows or (2000 if args.quick else 10_000)
    repeat = args.repeat or 3
    directory = workdir(args.keep)
    header("import_people", database="sqlite", rows=count,
           dir=directory if args.keep else "(temporary)")

    from sqlalchemy import func, select

    from evalapp.auth.models import Role
    from evalapp.auth.permissions import SYSTEM
    from evalapp.auth.services import GrantSpec, create_user
    from evalapp.extensions import db
    from evalapp.org import services as org
    from evalapp.org.models import Person, UnitKind

    rows = people_rows(count)
    seconds, content = timed(lambda: workbook_bytes(rows))
    say(f"setup: {count}-row workbook generated in memory, {len(content) / 1e6:.2f} MB "
        f"({seconds:.1f} s)")

    with Database("sqlite", directory) as database:
        app = make_app(database.url, directory)
        with app.app_context():
            top = org.create_unit(SYSTEM, name="UBND tỉnh", kind=UnitKind.PEOPLES_COMMITTEE,
                                  parent=None, code="UBND")
            org.create_unit(SYSTEM, name="Sở Nội vụ", kind=UnitKind.DEPARTMENT, parent=top,
                            code="SNV")
            org.create_unit(SYSTEM, name="Sở Tài chính", kind=UnitKind.DEPARTMENT, parent=top)
            org.create_unit(SYSTEM, name="Sở Tư pháp", kind=UnitKind.DEPARTMENT, parent=top,
                            code="STP")
            admin = create_user(SYSTEM, username="bench-admin", full_name="Quản Trị",
                                password="bench-password-1", grants=[GrantSpec(Role.ADMIN, None)])
            db.session.commit()

            plan_times = []
            for _ in range(repeat):  # writes nothing; the first also warms the caches up
                seconds, plan = timed(lambda: org.plan_people_import(admin, "ds.xlsx",
                                                                     content))
                plan_times.append(seconds)
                db.session.rollback()
                if plan.errors or len(plan.creates) != count:
                    say(f"FAILED: the plan has {len(plan.errors)} errors, first "
                        f"{plan.errors[:3]}, and {len(plan.creates)} people to add")
                    return 1
            plan_seconds = statistics.median(plan_times)

            def stage():
                staged, _plan = org.stage_people_import(admin, "ds.xlsx", content)
                db.session.commit()
                return staged

            def apply():
                result = org.apply_people_import(admin, staged)
                db.session.commit()
                return result

            stage_seconds, staged = timed(stage)
            apply_seconds, applied = timed(apply)
            people = db.session.execute(select(func.count(Person.id))).scalar_one()
            db.session.remove()
            db.engine.dispose()

        path = database.url.removeprefix("sqlite:///")
        read_times, insert_times = [], []
        for _ in range(repeat):
            seconds, read = timed(lambda: bare_read(content))
            read_times.append(seconds)
            seconds, _ = timed(lambda rows=read: raw_insert(path, rows))
            insert_times.append(seconds)

    if people != count or len(applied.creates) != count or len(read) != count:
        say(f"FAILED: {people} people in the directory after importing {count} rows")
        return 1
    read_s, insert_s = statistics.median(read_times), statistics.median(insert_times)
    ceiling = read_s + insert_s
    imported = stage_seconds + apply_seconds
    say(f"plan_people_import (reads and checks the file): median {plan_seconds:.2f} s of "
        f"{repeat}")
    say(f"stage_people_import + commit (upload):                  {stage_seconds:.2f} s")
    say(f"apply_people_import + commit (confirmation):            {apply_seconds:.2f} s")
    say(f"bare openpyxl read: median {read_s:.2f} s of {repeat}; raw executemany INSERT + "
        f"commit: median {1000 * insert_s:.0f} ms of {repeat}")
    say(f"people in the directory: {people}")
    say(f"ratio plan/read = {plan_seconds / read_s:.2f}")
    say(f"ratio import/ceiling = {imported / ceiling:.2f} "
        f"(upload + confirmation {imported:.2f} s vs read + insert {ceiling:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
