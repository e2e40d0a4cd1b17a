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
    """A verification report in plain text (what `documents verify` prints): the verdict
    first, then who signed, what is missing, and the checks one by one."""
    from evalapp.documents.signing import local_time_text

    yes, no = _("yes"), _("no")
    click.echo(report.headline)
    if report.detail:
        click.echo(report.detail)
    click.echo(_("File SHA-256: %(sha)s", sha=report.sha256))
    if report.readable:
        click.echo(_("Signature blocks signed: %(signed)s of %(expected)s",
                     signed=report.signed_count, expected=report.expected_count))
        for block in report.signed_blocks:
            click.echo("  " + _("signed: %(block)s (certificate: %(name)s)", block=block.label,
                                name=block.signature.signer_name or "?"))
        for block in report.missing_blocks:
            click.echo("  " + _("missing: %(block)s", block=block.label))
        if report.signatures:
            click.echo(_("Intact and valid: %(answer)s",
                         answer=yes if report.signatures_ok else no))
            click.echo(_("Trusted: %(answer)s", answer=yes if report.all_trusted else no))
    if report.byte_identical:
        click.echo(_("Identical to the issued file: yes, %(how)s (document %(id)s)",
                     how=report.match_label, id=report.document_id))
        if report.document_number:
            click.echo(_("Number: %(number)s", number=report.document_number))
        if report.owner_label:  # as the owner's area describes it ("Round: 12 <title>")
            click.echo(_("%(owner)s: %(id)s %(title)s", owner=report.owner_label,
                         id=report.owner_id, title=report.owner_title or ""))
        if report.tally_fingerprint:
            click.echo(_("Tally fingerprint: %(fp)s", fp=report.tally_fingerprint))
        if report.later_version_held:
            click.echo(_("The system holds a later version of this document, with %(signed)s "
                         "of %(expected)s signatures.", signed=report.held_signed,
                         expected=report.held_expected))
    else:
        click.echo(_("Identical to the issued file: no, no issued document has exactly these "
                     "bytes."))
        if report.derived_from_document_id:
            click.echo(_("It starts as document %(id)s but carries changes the system did not "
                         "make.", id=report.derived_from_document_id))
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


def register_signing_commands(app: Flask) -> None:
    pki = _group(app, "pki", "Signing certificates and trust roots.")
    documents = _group(app, "documents", "Issued documents.")

    @pki.command("demo")
    def pki_demo() -> None:
        """Create a demo root CA (trusted by this instance) and demo certificates for every
        signer an area names (the officers of every round) and the demo accounts; running it
        again changes nothing."""
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
        """Check a PDF's signatures, which signature blocks are signed, and whether it is
        identical to an issued document. Exit status 0: fully signed, intact, trusted and
        identical; 1: a signature fails, the file was changed or is not one the system issued,
        or it is no PDF; 2: not signed, signed in part, or a certificate is not trusted."""
        from evalapp.documents.signing import verify_pdf

        report = verify_pdf(file.read_bytes())
        print_report(report)
        status = report.verdict.exit_status
        if status == 0:
            click.echo(_("Verification passed."))
            return
        click.echo(_("Verification failed.") if status == 1 else
                   _("Not fully signed and verified."), err=True)
        sys.exit(status)
