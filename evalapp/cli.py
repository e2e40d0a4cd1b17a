"""flask commands: create-admin, seed-demo, import-people, audit verify, ballots verify,
box verify, backup, restore."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask_babel import gettext as _

from evalapp.core.errors import DomainError, ValidationFailed
from evalapp.extensions import db


def register_commands(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--username", prompt=True)
    @click.option("--full-name", prompt=True)
    @click.password_option()
    def create_admin(username: str, full_name: str, password: str) -> None:
        """Create an organisation-wide administrator account."""
        from evalapp.auth.models import Role
        from evalapp.auth.permissions import SYSTEM
        from evalapp.auth.services import GrantSpec, create_user

        try:
            create_user(SYSTEM, username=username, full_name=full_name, password=password,
                        grants=[GrantSpec(Role.ADMIN, None)])
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.text()) from error
        db.session.commit()
        click.echo(_("Administrator %(name)s created.", name=username))

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True,
                  help="Do nothing (and succeed) when the database already has data.")
    def seed_demo_command(if_empty: bool) -> None:
        """Load the demo organisation and one account per role."""
        from evalapp.demo import database_is_empty, seed_demo

        if not database_is_empty():
            if if_empty:
                click.echo(_("The database already has data; the demo was not loaded."))
                return
            raise click.ClickException(_("The database already has data; the demo is loaded "
                                         "only into an empty database."))
        accounts = seed_demo()
        db.session.commit()
        click.echo(_("Demo organisation loaded. Demo accounts:"))
        for username, password, role in accounts:
            click.echo(f"  {username:<10} / {password}   ({role})")
        from evalapp.ballots.builder import KEY_HOLDERS

        click.echo(_("Passphrases of the counting team's key shares in the demo rounds:"))
        for number, (holder, passphrase) in enumerate(KEY_HOLDERS, start=1):
            click.echo(f"  {number}. {holder}: {passphrase}")

    @app.cli.command("import-people")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--as", "username", default="admin", show_default=True,
                  help="The administrator account the import is recorded under.")
    def import_people(file: Path, username: str) -> None:
        """Import or update people from an .xlsx or .csv file."""
        from evalapp.auth.services import find_user
        from evalapp.core.transactions import reading_first
        from evalapp.org.services import apply_people_import, stage_people_import

        db.session.remove()  # the file is read before the write lock is taken, as on the page
        try:
            with reading_first():
                actor = find_user(username)
                if actor is None:
                    raise click.ClickException(_("There is no account %(name)s.",
                                                 name=username))
                staged, plan = stage_people_import(actor, file.name, file.read_bytes())
            if not plan.ok:
                for error in plan.errors:
                    click.echo(_("Row %(row)s, %(column)s: %(message)s", row=error.row,
                                 column=error.column, message=error.message), err=True)
                raise click.ClickException(_("Nothing was imported: %(n)s errors.",
                                             n=len(plan.errors)))
            apply_people_import(actor, staged)
        except ValidationFailed as error:
            db.session.rollback()
            raise click.ClickException(error.text()) from error
        db.session.commit()
        click.echo(_("Import done: %(created)s added, %(updated)s updated, %(unchanged)s "
                     "unchanged.", created=len(plan.creates), updated=len(plan.updates),
                     unchanged=plan.unchanged))

    @app.cli.group("audit")
    def audit_group() -> None:
        """The audit trail."""

    @audit_group.command("verify")
    def audit_verify() -> None:
        """Check the hash chain; report the first entry that was altered, removed or inserted."""
        from evalapp.audit.models import AuditEntry
        from evalapp.audit.services import verify_chain
        from evalapp.demo import db_count

        problem = verify_chain()
        if problem is not None:
            click.echo(_("Audit trail broken at %(problem)s", problem=problem), err=True)
            sys.exit(1)
        click.echo(_("Audit trail intact: %(n)s entries.", n=db_count(AuditEntry)))

    @app.cli.group("ballots")
    def ballots_group() -> None:
        """Confidence rounds."""

    @ballots_group.command("verify")
    def ballots_verify() -> None:
        """Count every counted round's box again and compare it with the stored digest and
        counts; exit 1 on any difference."""
        from sqlalchemy import select

        from evalapp.ballots import services as ballots
        from evalapp.ballots.models import BallotRound

        failed = checked = 0
        for round_ in db.session.execute(select(BallotRound).order_by(BallotRound.id)).scalars():
            problems = ballots.check_count(round_)
            if round_.counted_at is not None:
                checked += 1
            for problem in problems:
                click.echo(_("Round %(id)s “%(title)s”: %(problem)s", id=round_.id,
                             title=round_.title, problem=problem), err=True)
            failed += bool(problems)
        if failed:
            sys.exit(1)
        click.echo(_("Every counted round agrees with its ballot box: %(n)s rounds.",
                     n=checked))

    @app.cli.group("box")
    def box_group() -> None:
        """Encrypted ballot boxes."""

    @box_group.command("verify")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def box_verify(file: Path) -> None:
        """Re-check a published box (the bundle downloaded from a counted round): every
        ballot's proofs and tracker, the sums, the counting team's decryptions and the counts.
        Exit 1 on any problem. The same check as `python evalapp/box/crypto.py FILE`, which
        needs nothing of evalapp."""
        import json

        from evalapp.box import crypto

        try:
            published = json.loads(file.read_text(encoding="utf-8"))
        except ValueError:
            click.echo(_("The file is not a published box (JSON)."), err=True)
            sys.exit(1)
        problems = crypto.verify_bundle(published) if isinstance(published, dict) else [
            "format"]
        for problem in problems:
            click.echo(problem, err=True)
        if problems:
            click.echo(_("The box does NOT verify: %(n)s problems.", n=len(problems)), err=True)
            sys.exit(1)
        click.echo(_("The box verifies: %(n)s ballots, digest %(digest)s (as printed in the "
                     "minutes).", n=len(published["ballots"]), digest=crypto.box_digest(
                         published["fingerprint"], [b["tracker"] for b in published["ballots"]])))

    @app.cli.command("backup")
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(file: Path) -> None:
        """Back up the whole database to FILE while the app runs (SQLite: online backup;
        PostgreSQL: pg_dump). Keep the file as secret as the database."""
        from evalapp.backup import BackupError, backup

        try:
            result = backup(app.config["SQLALCHEMY_DATABASE_URI"], file)
        except BackupError as error:
            click.echo(str(error), err=True)
            sys.exit(1)
        click.echo(_("Backup written: %(path)s (%(size)s bytes).", path=result.path,
                     size=result.size))

    @app.cli.command("restore")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    def restore_command(file: Path, yes: bool) -> None:
        """Replace the whole database with the backup FILE, then verify the audit trail. Stop
        the app first."""
        from evalapp.audit.services import verify_chain
        from evalapp.backup import BackupError, head_revision, restore

        if not yes:
            click.confirm(_("Every table of the database will be replaced by the backup. "
                            "Continue?"), abort=True)
        db.session.remove()
        db.engine.dispose()  # no pooled connection holds the old database open
        try:
            restore(app.config["SQLALCHEMY_DATABASE_URI"], file, head=head_revision(app))
        except BackupError as error:
            click.echo(str(error), err=True)
            sys.exit(1)
        db.engine.dispose()
        problem = verify_chain()
        if problem is not None:
            click.echo(_("Restored, but the audit trail is broken at %(problem)s",
                         problem=problem), err=True)
            sys.exit(1)
        click.echo(_("Restored from %(path)s; the audit trail is intact.", path=file))

    from evalapp.documents.signing_commands import register_signing_commands

    register_signing_commands(app)
