"""flask commands for certificates and verification: pki demo, pki generate-key, pki import,
documents verify. Registered from evalapp/cli.py through register_signing_commands(app)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from cryptography.fernet import Fernet
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from evalapp.core.errors import DomainError
from evalapp.extensions import db


def _group(app: Flask, name: str, help_text: str) -> click.Group:
    """The app's command group `name`, created if no other area made it yet (the documents
    area's rendering commands may share the `documents` group)."""
    existing = app.cli.commands.get(name)
    if isinstance(existing, click.Group):
        return existing
    group = AppGroup(name, help=help_text)
    app.cli.add_command(group)
    return group


def _fail(error: DomainError):
    db.session.rollback()
    raise click.ClickException(error.text()) from error


def print_report(report) -> None:
    """A verification report in plain text (what `documents verify` prints)."""
    from evalapp.documents.signing import local_time_text

    yes, no = _("yes"), _("no")
    click.echo(_("File SHA-256: %(sha)s", sha=report.sha256))
    if not report.readable:
        click.echo(report.problem)
    if report.byte_identical:
        click.echo(_("Issued by this system: %(how)s (document %(id)s)", how=report.match_label,
                     id=report.document_id))
        click.echo(_("Round: %(id)s %(title)s", id=report.round_id, title=report.round_title or ""))
        if report.tally_fingerprint:
            click.echo(_("Tally fingerprint: %(fp)s", fp=report.tally_fingerprint))
    else:
        click.echo(_("Issued by this system: no, no issued document has exactly these bytes."))
        if report.derived_from_document_id:
            click.echo(_("It starts as document %(id)s but carries changes the system did not "
                         "make.", id=report.derived_from_document_id))
    if report.readable:
        click.echo(_("Signatures: %(n)s", n=len(report.signatures)))
    for s in report.signatures:
        when = local_time_text(s.signing_time) if s.signing_time else "?"
        click.echo(f"  {s.field_name}: {s.signer_name or '?'} · {when}")
        click.echo("    " + _("intact: %(intact)s, valid: %(valid)s, trusted: %(trusted)s, "
                              "whole file: %(whole)s, later changes: %(changes)s",
                              intact=yes if s.intact else no, valid=yes if s.valid else no,
                              trusted=yes if s.trusted else no,
                              whole=yes if s.covers_whole_file else no,
                              changes=s.modification_label))
        if s.problem:
            click.echo("    " + s.problem)
    if report.unsigned_fields:
        click.echo(_("Signature fields not signed yet: %(fields)s",
                     fields=", ".join(report.unsigned_fields)))


def register_signing_commands(app: Flask) -> None:
    pki = _group(app, "pki", "Signing certificates and trust roots.")
    documents = _group(app, "documents", "Issued documents.")

    @pki.command("demo")
    def pki_demo() -> None:
        """Create a demo root CA (trusted by this instance) and demo certificates for every
        officer of a round and the demo accounts; running it again changes nothing."""
        from evalapp.auth.permissions import SYSTEM
        from evalapp.documents.signing import create_demo_pki

        if current_app.config.get("ENV_NAME") == "production":
            raise click.ClickException(_("Demo certificates are for development and "
                                         "demonstrations; they are not created in production."))
        try:
            result = create_demo_pki(SYSTEM)
        except DomainError as error:
            _fail(error)
        db.session.commit()
        if result.root_created:
            click.echo(_("Demo root certificate created: %(path)s", path=result.root_path))
        else:
            click.echo(_("Demo root certificate kept: %(path)s", path=result.root_path))
        for user in result.issued:
            click.echo(_("  certificate issued to %(name)s (%(username)s)",
                         name=user.full_name, username=user.username))
        click.echo(_("%(issued)s certificates issued, %(kept)s signers already had one.",
                     issued=len(result.issued), kept=len(result.kept)))

    @pki.command("generate-key")
    def pki_generate_key() -> None:
        """Print a new random signing key, for EVALAPP_SIGNING_KEY."""
        click.echo(Fernet.generate_key().decode())

    @pki.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--user", "username", help="The signer's account; omit for the body's "
                                              "certificate.")
    @click.option("--label", required=True, help="A name for the certificate.")
    @click.option("--password", prompt=True, hide_input=True, default="",
                  help="The PKCS#12 file's password (asked for when not given).")
    def pki_import(file: Path, username: str | None, label: str, password: str) -> None:
        """Store a signer's PKCS#12 (.p12/.pfx) file, encrypted with the signing key."""
        from evalapp.auth.permissions import SYSTEM
        from evalapp.auth.services import find_user
        from evalapp.documents.signing import import_pkcs12

        owner = None
        if username:
            owner = find_user(username)
            if owner is None:
                raise click.ClickException(_("There is no account %(name)s.", name=username))
        try:
            stored = import_pkcs12(SYSTEM, owner, file.read_bytes(), password, label)
        except DomainError as error:
            _fail(error)
        db.session.commit()
        click.echo(_("Certificate stored: %(subject)s", subject=stored.subject))

    @documents.command("verify")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def documents_verify(file: Path) -> None:
        """Check a PDF's signatures and whether it is identical to an issued document; exits
        with 1 when a signature fails or the file is not one the system issued."""
        from evalapp.documents.signing import verify_pdf

        report = verify_pdf(file.read_bytes())
        print_report(report)
        if not report.ok:
            click.echo(_("Verification failed."), err=True)
            sys.exit(1)
        click.echo(_("Verification passed."))
