"""Signing issued documents (pyHanko PAdES) and verifying any PDF brought back to us.

Keys: a signer's private key exists only inside a PKCS#12 blob encrypted with the app's signing
key (Fernet, from EVALAPP_SIGNING_KEY; in development and tests a key file in the instance
folder). Neither keys nor passwords reach a log line, an error message or the audit trail.

Signatures: every signature field exists in the document's first revision (rendering creates
them); each signer fills their own field in an incremental revision, as an approval signature
(never a certification, whose DocMDP lock a later signature could break). A visible stamp shows
the signer's name, role and the time, in Noto Serif: fonts with 2048 units per em come out with
huge letter spacing in pyHanko's stamps.

Services take the acting user and the objects, flush, write one audit entry and never commit.
"""

from __future__ import annotations

import asyncio
import binascii
import enum
import hashlib
import io
import logging
import os
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select, update

from evalapp.audit.services import record
from evalapp.auth.models import User
from evalapp.auth.permissions import can_manage_accounts
from evalapp.core.errors import (
    AlreadyExists,
    InvalidState,
    NotAllowed,
    NotFound,
    ValidationFailed,
)
from evalapp.core.text import nfc, person_sort_key
from evalapp.core.time import as_utc, utcnow
from evalapp.documents import registry
from evalapp.documents.models import IssuedDocument, SignatureSlot, SigningCertificate
from evalapp.extensions import db

log = logging.getLogger(__name__)

KEY_FILE = "signing.key"
PKI_DIR = "pki"
DEMO_ROOT_CERT = "demo-root.pem"
DEMO_ROOT_KEY = "demo-root.key.enc"
DEMO_ACCOUNTS = ("admin", "thuky", "kiemphieu")
STAMP_FONT = "NotoSerif-Regular.ttf"
SYSTEM_STAMP_FONT = "/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf"


class SigningNotConfigured(InvalidState):
    default_message = _l("Digital signing is not configured on this server: the administrator "
                         "must set EVALAPP_SIGNING_KEY.")


# ---------------------------------------------------------------- the signing key


def _instance_key() -> bytes:
    """The development key, created on first use, readable by the owner only."""
    path = Path(current_app.instance_path) / KEY_FILE
    if not path.exists():
        # Written whole under a temporary name, then linked into place: a process starting at
        # the same moment reads either no file or the complete key, and one key wins.
        temporary = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key() + b"\n")
        try:
            os.link(temporary, path)
            log.info("Created the development signing key file %s", path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    if path.stat().st_mode & 0o077:
        log.warning("%s is readable by other users; restrict it to its owner (chmod 600)", path)
    return path.read_bytes().strip()


def _fernet() -> MultiFernet:
    configured = current_app.config.get("SIGNING_KEY")
    if configured:
        keys = [k.strip().encode() for k in str(configured).split(",") if k.strip()]
    elif current_app.config.get("ENV_NAME") == "production":
        raise SigningNotConfigured()
    else:
        keys = [_instance_key()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, binascii.Error):
        # Never echo the value: it is a secret, even when malformed.
        raise SigningNotConfigured(_l("The signing key configured on this server is not a "
                                      "valid key (EVALAPP_SIGNING_KEY).")) from None


def _encrypt(blob: bytes) -> bytes:
    return _fernet().encrypt(blob)


def _decrypt(token: bytes) -> bytes:
    try:
        return _fernet().decrypt(token)
    except InvalidToken:
        raise InvalidState(_l("This certificate cannot be opened with the server's signing "
                              "key (the key was changed). Upload the certificate again.")) \
            from None


# ---------------------------------------------------------------- certificates


@dataclass(frozen=True)
class _KeyMaterial:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    chain: list[x509.Certificate]


def _public_der(key) -> bytes:
    return key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def _read_pkcs12(data: bytes, password: str) -> _KeyMaterial:
    loaded = None
    attempts = [password.encode("utf-8")] if password else [None, b""]
    for attempt in attempts:
        try:
            loaded = pkcs12.load_key_and_certificates(data, attempt)
            break
        except (ValueError, TypeError):
            continue
    if loaded is None:
        raise ValidationFailed(_l("The file could not be opened: it is not a PKCS#12 file "
                                  "(.p12, .pfx), or the password is wrong."), field="file")
    key, certificate, chain = loaded
    if key is None or certificate is None:
        raise ValidationFailed(_l("The file must hold both the certificate and its private "
                                  "key."), field="file")
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValidationFailed(_l("Only RSA and ECDSA keys are supported."), field="file")
    if _public_der(key.public_key()) != _public_der(certificate.public_key()):
        raise ValidationFailed(_l("The private key in the file does not belong to its "
                                  "certificate."), field="file")
    if certificate.not_valid_after_utc <= utcnow():
        raise ValidationFailed(_l("This certificate expired on %(date)s."), field="file",
                               date=certificate.not_valid_after_utc.strftime("%d/%m/%Y"))
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not (usage.digital_signature or usage.content_commitment):
        raise ValidationFailed(_l("This certificate may not be used to sign documents (its key "
                                  "usage allows neither digital signature nor "
                                  "non-repudiation)."), field="file")
    return _KeyMaterial(key, certificate, list(chain))


def _store_certificate(actor, owner: User | None, label: str, material: _KeyMaterial,
                       action: str) -> SigningCertificate:
    certificate = material.certificate
    fingerprint = certificate.fingerprint(hashes.SHA256()).hex()
    if db.session.execute(select(SigningCertificate.id).where(
            SigningCertificate.sha256_fingerprint == fingerprint)).first():
        raise AlreadyExists(_l("This certificate has already been uploaded."), field="file")
    # Re-packed without a password: the Fernet layer is the protection, and the uploader's
    # password is never stored.
    blob = pkcs12.serialize_key_and_certificates(
        name=None, key=material.key, cert=certificate, cas=material.chain or None,
        encryption_algorithm=serialization.NoEncryption())
    stored = SigningCertificate(
        user_id=owner.id if owner is not None else None,
        label=label,
        subject=certificate.subject.rfc4514_string()[:500],
        issuer=certificate.issuer.rfc4514_string()[:500],
        serial_hex=format(certificate.serial_number, "x")[:80],
        not_after=certificate.not_valid_after_utc,
        sha256_fingerprint=fingerprint,
        encrypted_pkcs12=_encrypt(blob),
        active=True,
    )
    db.session.add(stored)
    db.session.flush()
    record(actor, action, stored, owner_id=stored.user_id, subject=stored.subject,
           fingerprint=fingerprint, not_after=stored.not_after.isoformat())
    return stored


def import_pkcs12(actor, owner: User | None, data: bytes, password: str,
                  label: str) -> SigningCertificate:
    """Store a signer's certificate and key from a PKCS#12 file; `owner` None: the body's."""
    if not can_manage_accounts(actor):
        raise NotAllowed()
    label = nfc(label)
    if not label:
        raise ValidationFailed(_l("This field is required."), field="label")
    if len(label) > 255:
        raise ValidationFailed(_l("At most %(max)d characters.", max=255), field="label")
    return _store_certificate(actor, owner, label, _read_pkcs12(data, password or ""),
                              "certificate.imported")


def list_certificates() -> list[tuple[SigningCertificate, User | None]]:
    """Every certificate with its owner (None: the body's), those in use first."""
    return [tuple(row) for row in db.session.execute(
        select(SigningCertificate, User).outerjoin(User, User.id == SigningCertificate.user_id)
        .order_by(SigningCertificate.active.desc(), SigningCertificate.created_at.desc(),
                  SigningCertificate.id.desc()))]


def certificate_owner_choices() -> list[User]:
    users = db.session.execute(select(User).where(User.active.is_(True))).scalars()
    return sorted(users, key=lambda u: person_sort_key(u.full_name))


def get_owner(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = db.session.get(User, user_id)
    if user is None:
        raise ValidationFailed(_l("This account does not exist."), field="owner")
    return user


def deactivate_certificate(actor, certificate_id: int) -> SigningCertificate:
    if not can_manage_accounts(actor):
        raise NotAllowed()
    certificate = db.session.get(SigningCertificate, certificate_id)
    if certificate is None:
        raise NotFound(_l("This certificate does not exist."))
    if not certificate.active:
        raise InvalidState(_l("This certificate is already out of use."))
    certificate.active = False
    db.session.flush()
    record(actor, "certificate.deactivated", certificate,
           fingerprint=certificate.sha256_fingerprint)
    return certificate


def _usable(certificate: SigningCertificate) -> bool:
    return certificate.active and as_utc(certificate.not_after) > utcnow()


def certificate_for(user) -> SigningCertificate | None:
    """The certificate `user` signs with: their own, else the body's, else None."""
    for owner_clause in (SigningCertificate.user_id == user.id,
                         SigningCertificate.user_id.is_(None)):
        candidates = db.session.execute(
            select(SigningCertificate).where(owner_clause, SigningCertificate.active.is_(True))
            .order_by(SigningCertificate.created_at.desc(), SigningCertificate.id.desc())
        ).scalars()
        usable = next((c for c in candidates if _usable(c)), None)
        if usable is not None:
            return usable
    return None


# ---------------------------------------------------------------- trust


def demo_root_path() -> Path:
    return Path(current_app.instance_path) / PKI_DIR / DEMO_ROOT_CERT


def trust_root_paths() -> list[Path]:
    """TRUST_ROOTS from the configuration, then the demo root when `pki demo` made one."""
    paths = [Path(p) for p in current_app.config.get("TRUST_ROOTS") or []]
    if demo_root_path().exists():
        paths.append(demo_root_path())
    return paths


def trust_roots() -> list:
    """The trust anchors as asn1crypto certificates (what pyhanko-certvalidator takes)."""
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509

    roots = []
    for path in trust_root_paths():
        try:
            data = path.read_bytes()
        except OSError:
            log.warning("Trust root file %s cannot be read", path)
            continue
        blocks = ([der for _t, _h, der in pem.unarmor(data, multiple=True)]
                  if pem.detect(data) else [data])
        for der in blocks:
            try:
                roots.append(asn1_x509.Certificate.load(der))
            except ValueError:
                log.warning("Trust root file %s holds something that is not a certificate",
                            path)
    return roots


# ---------------------------------------------------------------- the demo PKI


@dataclass
class DemoPki:
    root_created: bool
    root_path: Path
    issued: list[User] = field(default_factory=list)
    kept: list[User] = field(default_factory=list)


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])


def _default_body_name() -> str:
    """The body demo certificates name when nothing more specific is known: the first one an
    owner of documents offers (DocumentOwner.default_body_name), else "evalapp"."""
    for owner_type in registry.owner_types():
        name = owner_type.default_body_name()
        if name:
            return name
    return "evalapp"


def _demo_root(body_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate, bool]:
    cert_path = demo_root_path()
    key_path = cert_path.with_name(DEMO_ROOT_KEY)
    if cert_path.exists() and key_path.exists():
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(_decrypt(key_path.read_bytes()), None)
        return key, certificate, False

    now = utcnow()
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("evalapp – CA thử nghiệm (demo)", body_name)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256()))
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(_encrypt(key_pem))
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key, certificate, True


def _demo_signer(root_key, root: x509.Certificate, full_name: str, body_name: str,
                 key=None) -> _KeyMaterial:
    now = utcnow()
    key = key or ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder().subject_name(_name(full_name, body_name))
        .issuer_name(root.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=730))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(root_key, hashes.SHA256()))
    return _KeyMaterial(key, certificate, [root])


def demo_signers() -> list[tuple[User, str | None]]:
    """Everyone an owner of documents names as a signer (DocumentOwner.potential_signers) and
    the demo accounts: (user, the body their certificate names)."""
    bodies: dict[int, str | None] = {}
    for owner_type in registry.owner_types():
        for user_id, body in owner_type.potential_signers().items():
            if body or user_id not in bodies:
                bodies[user_id] = body
    users = db.session.execute(
        select(User).where(User.active.is_(True),
                           or_(User.id.in_(bodies), User.username.in_(DEMO_ACCOUNTS)))
        .order_by(User.id)).scalars()
    return [(user, bodies.get(user.id)) for user in users]


def create_demo_pki(actor) -> DemoPki:
    """A demo root CA in the instance folder (trusted from then on) and a demo certificate for
    every signer who has no usable one. Running it again changes nothing."""
    if not can_manage_accounts(actor):
        raise NotAllowed()
    default_body = _default_body_name()
    root_key, root, created = _demo_root(default_body)
    if created:
        record(actor, "certificate.demo_root_created",
               fingerprint=root.fingerprint(hashes.SHA256()).hex())
    result = DemoPki(root_created=created, root_path=demo_root_path())
    for user, body in demo_signers():
        own = db.session.execute(select(SigningCertificate).where(
            SigningCertificate.user_id == user.id)).scalars()
        if any(_usable(c) for c in own):
            result.kept.append(user)
            continue
        material = _demo_signer(root_key, root, nfc(user.full_name), body or default_body)
        _store_certificate(actor, user, f"Demo – {nfc(user.full_name)}"[:255], material,
                           "certificate.demo_issued")
        result.issued.append(user)
    return result


# ---------------------------------------------------------------- who can sign, and why not


class SignerState(enum.StrEnum):
    OWN = "own"                  # signs with their own certificate
    BODY = "body"                # has none (usable) of their own: signs with the body's
    EXPIRED = "expired"          # their certificate expired, and the body has none
    NO_CERTIFICATE = "none"      # no certificate of their own, and the body has none


@dataclass(frozen=True)
class Readiness:
    """Whether `user` can sign now, with which certificate, and if not, why."""

    state: SignerState
    certificate: SigningCertificate | None = None
    own_expired_on: datetime | None = None   # their own certificate ran out on this day
    demo_available: bool = False             # development: a demo certificate is one click away

    @property
    def ready(self) -> bool:
        return self.state in (SignerState.OWN, SignerState.BODY)


def demo_certificates_possible() -> bool:
    """Outside production, once `flask pki demo` (or seed-demo) made the demo root CA in the
    instance folder, a signer without a certificate may take a demo one with one click."""
    path = demo_root_path()
    return (current_app.config.get("ENV_NAME") != "production" and path.exists()
            and path.with_name(DEMO_ROOT_KEY).exists())


def readiness(user) -> Readiness:
    certificate = certificate_for(user)
    own = db.session.execute(
        select(SigningCertificate).where(SigningCertificate.user_id == user.id,
                                         SigningCertificate.active.is_(True))
        .order_by(SigningCertificate.not_after.desc())).scalars().first()
    expired_on = None
    if own is not None and not _usable(own):
        expired_on = as_utc(own.not_after)
    if certificate is not None:
        state = SignerState.OWN if certificate.user_id == user.id else SignerState.BODY
        return Readiness(state, certificate, own_expired_on=expired_on)
    state = SignerState.EXPIRED if expired_on is not None else SignerState.NO_CERTIFICATE
    return Readiness(state, None, own_expired_on=expired_on,
                     demo_available=demo_certificates_possible())


def is_signer(user) -> bool:
    """Someone an owner of documents names as a signer, or named in some signature block."""
    user_id = getattr(user, "id", None)
    if user_id is None:
        return False
    if any(user_id in owner_type.potential_signers(user_id)
           for owner_type in registry.owner_types()):
        return True
    named = select(exists().where(SignatureSlot.signer_id == user_id))
    return bool(db.session.execute(named).scalar())


def issue_demo_certificate(actor) -> SigningCertificate:
    """A demo certificate for the actor, from the demo root CA of this instance: development
    only, for an officer or signer who has no usable certificate of their own."""
    if current_app.config.get("ENV_NAME") == "production":
        raise NotAllowed(_l("Demo certificates are for development and demonstrations; they "
                            "are not created in production."))
    if not is_signer(actor):
        raise NotAllowed(_l("Only the officers of a round sign documents."))
    if not demo_certificates_possible():
        raise InvalidState(_l("There is no demo certification authority on this server: run "
                              "“flask --app evalapp pki demo” on the server first."))
    own = db.session.execute(select(SigningCertificate).where(
        SigningCertificate.user_id == actor.id)).scalars()
    if any(_usable(c) for c in own):
        raise InvalidState(_l("You already have a certificate for signing."))
    root_key, root, _created = _demo_root(_default_body_name())
    body = dict((user.id, body) for user, body in demo_signers()).get(actor.id)
    material = _demo_signer(root_key, root, nfc(actor.full_name), body or _default_body_name())
    return _store_certificate(actor, actor, f"Demo – {nfc(actor.full_name)}"[:255], material,
                              "certificate.demo_issued")


# ---------------------------------------------------------------- signing


def _slot_to_sign(actor, document: IssuedDocument, slot_id: int | None) -> SignatureSlot:
    actor_id = getattr(actor, "id", None)
    if slot_id is not None:
        slot = next((s for s in document.slots if s.id == slot_id), None)
        if slot is None:
            raise NotFound(_l("This signature block does not exist."))
        if actor_id is None or slot.signer_id != actor_id:
            raise NotAllowed(_l("Only the person named in this signature block may sign it."))
        if slot.signed_at is not None:
            raise InvalidState(_l("You have already signed this document."))
        return slot
    own = [s for s in document.slots if actor_id is not None and s.signer_id == actor_id]
    if not own:
        raise NotAllowed(_l("You are not among the signers of this document."))
    unsigned = [s for s in own if s.signed_at is None]
    if not unsigned:
        raise InvalidState(_l("You have already signed this document."))
    return unsigned[0]


def stamp_font_path(text: str = "") -> str:
    """The font of the visible stamp: a cut of Noto Serif to the letters of Vietnamese and
    Latin text (made once per process; embedding the whole font took seconds per signature),
    or the whole font when `text` needs a letter the cut lacks."""
    shipped = Path(current_app.static_folder or "") / "fonts" / STAMP_FONT
    full = str(shipped if shipped.exists() else SYSTEM_STAMP_FONT)
    cut = _stamp_font_cut(full)
    if cut is not None and all(ord(ch) in cut[1] for ch in nfc(text) if not ch.isspace()):
        return cut[0]
    return full


# Basic Latin, Latin-1, Latin Extended-A and B, combining marks, Latin Extended Additional (the
# precomposed Vietnamese letters), general punctuation.
STAMP_REPERTOIRE = [(0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x1E00, 0x1EFF),
                    (0x2000, 0x206F)]
_STAMP_CUTS: dict[str, tuple[str, frozenset[int]] | None] = {}


def _stamp_font_cut(full: str) -> tuple[str, frozenset[int]] | None:
    """(path of the cut font, the code points it covers), or None when it cannot be made."""
    if full in _STAMP_CUTS:
        return _STAMP_CUTS[full]
    import atexit
    import tempfile

    from fontTools import subset
    from fontTools.ttLib import TTFont

    try:
        options = subset.Options()
        options.layout_features = []
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "DSIG"]
        options.name_IDs, options.name_languages = ["*"], ["*"]  # the licence notice stays
        options.notdef_outline = True
        font = TTFont(full)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[c for low, high in STAMP_REPERTOIRE
                                     for c in range(low, high + 1)])
        subsetter.subset(font)
        covered = frozenset(font.getBestCmap())
        with tempfile.NamedTemporaryFile(prefix="evalapp-stamp-", suffix=".ttf",
                                         delete=False) as handle:
            font.save(handle)
        atexit.register(Path(handle.name).unlink, missing_ok=True)
        _STAMP_CUTS[full] = (handle.name, covered)
    except Exception:  # the whole font still works, only slower
        log.exception("The stamp font could not be cut; signing embeds the whole font")
        _STAMP_CUTS[full] = None
    return _STAMP_CUTS[full]


def local_time_text(moment: datetime) -> str:
    """dd/mm/yyyy hh:mm:ss in the body's time zone, with its offset: 22/11/2026 14:05:09 (GMT+7)."""
    local = as_utc(moment).astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))
    minutes = int((local.utcoffset() or timedelta(0)).total_seconds() // 60)
    offset = f"{minutes // 60:+d}" + (f":{minutes % 60:02d}" if minutes % 60 else "")
    return f"{local:%d/%m/%Y %H:%M:%S} (GMT{offset})"


def outside_event_loop(function, *args, **kwargs):
    """Call one of pyHanko's synchronous functions, which run their own event loop
    (asyncio.run): in a worker thread when this thread already runs a loop (an async server,
    or the browser-driving test process), directly otherwise."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(function, *args, **kwargs).result()


def _signed_pdf(pdf: bytes, slot: SignatureSlot, signer_name: str,
                certificate: SigningCertificate, moment: datetime) -> bytes:
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import TextStampStyle

    signer = signers.SimpleSigner.load_pkcs12_data(_decrypt(certificate.encrypted_pkcs12),
                                                   other_certs=[])
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    names = {name for name, _value, _ref in fields.enumerate_sig_fields(writer.prev)}
    if slot.field_name not in names:
        raise InvalidState(_l("The document has no signature field %(field)s."),
                           field=slot.field_name)
    # The stamp is part of a Vietnamese document whatever language the signer's pages use.
    lines = ["Ký bởi: %(signer)s", "%(role)s", "Thời gian ký: %(time)s"]
    params = {"signer": signer_name, "role": nfc(slot.role_label),
              "time": local_time_text(moment)}
    if certificate.user_id is None:
        lines.append("Chứng thư số của cơ quan: %(certificate)s")
        params["certificate"] = (signer.signing_cert.subject.native.get("common_name")
                                 or certificate.label)
    shown = "\n".join(lines) % params
    style = TextStampStyle(
        stamp_text="\n".join(lines), border_width=1,
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(stamp_font_path(shown)),
                                    font_size=9, leading=12))
    meta = signers.PdfSignatureMetadata(
        field_name=slot.field_name, md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES, name=signer_name,
        reason=nfc(slot.role_label))
    pdf_signer = signers.PdfSigner(meta, signer=signer, stamp_style=style)
    output = outside_event_loop(pdf_signer.sign_pdf, writer, existing_fields_only=True,
                                appearance_text_params=params)
    return output.getvalue()


NO_CERTIFICATE = _l("You cannot sign yet: you have no digital certificate of your own and the "
                    "body has none for its officers. Ask an administrator to upload one (a "
                    "PKCS#12 file) on the certificates page.")


def sign_document(actor, document: IssuedDocument, slot_id: int | None = None) -> SignatureSlot:
    """The actor signs their signature block of `document` (the first unsigned one when
    `slot_id` is None) with their own certificate, else the body's."""
    slot = _slot_to_sign(actor, document, slot_id)
    certificate = certificate_for(actor)
    if certificate is None:
        raise InvalidState(NO_CERTIFICATE)
    # Lock the row and read its latest revision: two signers of one document must not both
    # append to the same revision (the later write would drop the earlier signature).
    db.session.execute(select(IssuedDocument).where(IssuedDocument.id == document.id)
                       .with_for_update().execution_options(populate_existing=True)).scalar_one()
    previous_pdf, previous_sha = document.pdf, document.sha256
    moment = utcnow()
    try:
        signed = _signed_pdf(previous_pdf, slot, nfc(actor.full_name), certificate, moment)
    except InvalidState:
        raise
    except Exception:
        log.exception("Signing document %s, field %s failed", document.id, slot.field_name)
        raise InvalidState(_l("The signature could not be applied to this document.")) \
            from None
    if not signed.startswith(previous_pdf):  # an incremental revision keeps every earlier byte
        raise InvalidState(_l("The signature could not be applied to this document."))
    new_sha = hashlib.sha256(signed).hexdigest()
    # Compare-and-set on the revision read above: on SQLite, where FOR UPDATE is a no-op, a
    # concurrent signature makes this update match nothing instead of overwriting it.
    changed = db.session.execute(
        update(IssuedDocument)
        .where(IssuedDocument.id == document.id, IssuedDocument.sha256 == previous_sha)
        .values(pdf=signed, sha256=new_sha)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise InvalidState(_l("Someone else signed this document at the same moment. Reload "
                              "the page and sign again."))
    db.session.execute(select(IssuedDocument).where(IssuedDocument.id == document.id)
                       .execution_options(populate_existing=True)).scalar_one()
    slot.signed_at = moment
    slot.certificate_id = certificate.id
    db.session.flush()
    record(actor, "document.signed", document, field=slot.field_name, slot=slot.id,
           role=slot.role_label, sha256=new_sha, previous_sha256=previous_sha,
           certificate=certificate.sha256_fingerprint)
    return slot


def sign_all(actor, owner) -> list[SignatureSlot]:
    """The actor signs every block of theirs in the owner's current documents: one revision
    and one audit entry per signature, all in one transaction (none if one fails)."""
    from evalapp.documents.services import awaiting_signature, own_unsigned_slots

    waiting = awaiting_signature(actor, owner)
    if not waiting:
        raise InvalidState(registry.owner_type_of(owner).nothing_to_sign)
    if certificate_for(actor) is None:
        raise InvalidState(NO_CERTIFICATE)
    return [sign_document(actor, document, slot.id) for document in waiting
            for slot in own_unsigned_slots(actor, document)]


# ---------------------------------------------------------------- verification

MODIFICATION_LABELS = {
    "NONE": _l("none"),
    "LTA_UPDATES": _l("validation data only"),
    "FORM_FILLING": _l("later signatures and form filling only"),
    "ANNOTATIONS": _l("annotations"),
    "OTHER": _l("other changes, not allowed after signing"),
}

MATCH_LABELS = {
    "current": _l("identical to the document as the system holds it now"),
    "original": _l("identical to the document as issued, before any signature"),
    "earlier": _l("identical to an earlier signed revision of the document"),
}


@dataclass(frozen=True)
class SignatureReport:
    field_name: str
    signer_name: str | None
    signer_subject: str | None
    issuer: str | None
    signing_time: datetime | None  # the signer's claim: no timestamp authority is used
    intact: bool           # the signed bytes hash to the digest in the signature
    valid: bool            # the signature over that digest checks with the certificate's key
    trusted: bool          # the certificate chains to one of our trust roots
    covers_whole_file: bool
    modification_level: str | None  # changes appended after this signature (see labels)
    changes_allowed: bool
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.changes_allowed

    @property
    def modification_label(self) -> str:
        return str(MODIFICATION_LABELS.get(self.modification_level or "", _l("unknown")))


@dataclass(frozen=True)
class BlockReport:
    """One signature block the file is expected to carry: a slot of the issued document, or,
    for a file the system did not issue, one of the file's own signature fields."""

    field_name: str
    role: str | None
    signer: str | None             # the person the block names
    signature: SignatureReport | None

    @property
    def signed(self) -> bool:
        return self.signature is not None

    @property
    def label(self) -> str:
        """"Chủ trì hội nghị: Bùi Quang Chủ" (or whichever part is known)."""
        if self.role and self.signer:
            return f"{self.role}: {self.signer}"
        return self.role or self.signer or self.field_name


class Verdict(enum.StrEnum):
    """What the verification says first, from the gravest finding to full success."""

    UNREADABLE = "unreadable"        # not a PDF we can read
    BROKEN = "broken"                # a signature does not check, or the file changed after it
    UNSIGNED = "unsigned"            # no digital signature at all
    NOT_ISSUED = "not_issued"        # signed, but not the bytes of a document we issued
    PARTLY_SIGNED = "partly_signed"  # some signature blocks are still empty
    UNTRUSTED = "untrusted"          # complete and intact, a certificate is not trusted here
    NO_BLOCKS = "no_blocks"          # ours, and a kind that is never signed (blank ballots)
    OK = "ok"                        # every block signed, intact, trusted; the issued file

    @property
    def level(self) -> str:
        """The Bootstrap colour of the verdict: only a full success is green."""
        if self is Verdict.OK:
            return "success"
        if self in (Verdict.UNREADABLE, Verdict.BROKEN, Verdict.NOT_ISSUED):
            return "danger"
        return "info" if self is Verdict.NO_BLOCKS else "warning"

    @property
    def exit_status(self) -> int:
        """`flask documents verify`: 0 fully signed and valid, 1 failed, 2 not (yet) proven."""
        if self is Verdict.OK:
            return 0
        return 1 if self.level == "danger" else 2


@dataclass(frozen=True)
class VerificationReport:
    sha256: str
    size: int
    readable: bool
    problem: str | None = None
    signatures: list[SignatureReport] = field(default_factory=list)
    unsigned_fields: list[str] = field(default_factory=list)
    blocks: list[BlockReport] = field(default_factory=list)
    match: str | None = None            # current / original / earlier, None: not issued by us
    document_id: str | None = None
    document_title: str | None = None
    document_number: str | None = None
    # The document's owner, as its area describes it ("Đợt lấy phiếu": the round's title).
    owner_type: str | None = None
    owner_id: int | None = None
    owner_label: str | None = None
    owner_title: str | None = None
    tally_fingerprint: str | None = None
    roll_fingerprint: str | None = None
    derived_from_document_id: str | None = None  # ours, with revisions we did not make
    # When the file is an earlier version of an issued document: how far the version the
    # system holds now is signed.
    held_signed: int | None = None
    held_expected: int | None = None

    @property
    def byte_identical(self) -> bool:
        return self.match is not None

    @property
    def signatures_ok(self) -> bool:
        return self.readable and all(s.ok for s in self.signatures)

    @property
    def all_trusted(self) -> bool:
        return all(s.trusted for s in self.signatures)

    @property
    def signed_count(self) -> int:
        return sum(1 for block in self.blocks if block.signed)

    @property
    def expected_count(self) -> int:
        return len(self.blocks)

    @property
    def missing_blocks(self) -> list[BlockReport]:
        return [block for block in self.blocks if not block.signed]

    @property
    def signed_blocks(self) -> list[BlockReport]:
        return [block for block in self.blocks if block.signed]

    @property
    def untrusted_blocks(self) -> list[BlockReport]:
        return [b for b in self.blocks if b.signature is not None and not b.signature.trusted]

    @property
    def later_version_held(self) -> bool:
        return (self.held_signed is not None and self.match in ("original", "earlier")
                and self.held_signed > self.signed_count)

    @property
    def verdict(self) -> Verdict:
        if not self.readable:
            return Verdict.UNREADABLE
        if not self.signatures_ok:
            return Verdict.BROKEN
        if not self.signatures:
            if self.byte_identical and not self.blocks:
                return Verdict.NO_BLOCKS
            return Verdict.UNSIGNED
        if not self.byte_identical:
            return Verdict.NOT_ISSUED
        if self.missing_blocks:
            return Verdict.PARTLY_SIGNED
        if not self.all_trusted:
            return Verdict.UNTRUSTED
        return Verdict.OK

    @property
    def ok(self) -> bool:
        """Every signature block signed, every signature intact, valid and trusted, and the
        file is, byte for byte, a document the system issued."""
        return self.verdict is Verdict.OK

    @property
    def headline(self) -> str:
        """The verdict in one sentence, as the page and the command print it first."""
        verdict = self.verdict
        if verdict is Verdict.UNREADABLE:
            return self.problem or str(_l("The file cannot be read as a PDF."))
        return str(VERDICT_HEADLINES[verdict]) % {
            "signed": self.signed_count, "expected": self.expected_count,
            "names": "; ".join(b.label for b in self.untrusted_blocks)}

    @property
    def detail(self) -> str | None:
        """What is missing, when something is."""
        if self.verdict in (Verdict.UNREADABLE, Verdict.BROKEN) or not self.missing_blocks:
            return None
        return str(_l("Signed: %(signed)s of %(expected)s signature blocks. Missing: "
                      "%(missing)s.")) % {
            "signed": self.signed_count, "expected": self.expected_count,
            "missing": "; ".join(b.label for b in self.missing_blocks)}

    @property
    def match_label(self) -> str | None:
        return str(MATCH_LABELS[self.match]) if self.match else None


VERDICT_HEADLINES = {
    Verdict.BROKEN: _l("At least one signature is broken or the file was changed after "
                       "signing."),
    Verdict.UNSIGNED: _l("This document has not been signed digitally."),
    Verdict.NOT_ISSUED: _l("The signatures check, but this file is not identical to any "
                           "document issued by this system."),
    Verdict.PARTLY_SIGNED: _l("Signed in part only: %(signed)s of %(expected)s signature "
                              "blocks are signed."),
    Verdict.UNTRUSTED: _l("Every signature block is signed and every signature is intact, but "
                          "this server does not trust the certificate of: %(names)s."),
    Verdict.NO_BLOCKS: _l("The file is identical to a document issued by this system. It has "
                          "no signature blocks and carries no digital signature."),
    Verdict.OK: _l("Fully signed and valid: %(signed)s of %(expected)s signature blocks are "
                   "signed, every signature is intact and trusted, and the file is identical "
                   "to the document issued by this system."),
}


_EOF = re.compile(rb"%%EOF(\r\n|\r|\n)?")
# How many revisions of an uploaded file are considered. An issued document has one revision
# and one more per signature (a handful); a file with more end-of-file markers is refused
# before anything else is done with it, so the work of a verification is bounded whatever an
# anonymous visitor uploads (the upload limit bounds the bytes, this the revisions).
MAX_REVISIONS = 64
# At most this many signatures are validated (each one hashes up to the whole file).
MAX_SIGNATURES = 32


# A PDF ends with the line "startxref", the offset of its last cross-reference section and the
# line "%%EOF", within its last 1024 bytes (what readers accept; a few lines may follow). pyHanko
# looks for them by reading the file backwards a line at a time, a byte at a time: about a
# second per megabyte of a long last line. A file whose last 1024 bytes do not hold those three
# lines is refused before pyHanko sees it; when they do, every line pyHanko reads back to them
# starts inside those 1024 bytes.
_NEWLINE = rb"(?:\r\n|\r|\n)"
_TAIL = re.compile(rb"[\r\n]startxref[ \t]*" + _NEWLINE + rb"[ \t]*[0-9]{1,20}[ \t]*" + _NEWLINE
                   + rb"%%EOF")
TAIL_BYTES = 1024


def _has_pdf_tail(data: bytes) -> bool:
    return _TAIL.search(data, max(0, len(data) - TAIL_BYTES)) is not None


class TooManyRevisions(ValueError):
    """The file ends more revisions than MAX_REVISIONS."""


def _revision_ends(data: bytes) -> list[int]:
    """Where each revision of `data` ends (after a %%EOF marker, with or without its line
    end), in order, ending with the end of the file. Stops at the first marker past
    MAX_REVISIONS: a regular expression scan, never the whole file's markers."""
    ends: list[int] = []
    for count, match in enumerate(_EOF.finditer(data), start=1):
        if count > MAX_REVISIONS:
            raise TooManyRevisions()
        ends += [match.start() + 5, match.end()]
    ends.append(len(data))
    return sorted(set(ends))


def _revision_hashes(data: bytes) -> dict[str, int]:
    """SHA-256 of every prefix of `data` that ends a revision (after a %%EOF marker), in one
    pass: the hash runs over the file once and is copied at each revision end, so the cost is
    linear in the file's size (re-hashing each prefix was quadratic)."""
    digest = hashlib.sha256()
    hashes: dict[str, int] = {}
    start = 0
    with memoryview(data) as view:
        for end in _revision_ends(data):
            digest.update(view[start:end])
            start = end
            hashes[digest.copy().hexdigest()] = end
    return hashes


def _find_issued(data: bytes, sha256: str) -> tuple[str | None, IssuedDocument | None,
                                                     IssuedDocument | None]:
    """(match kind, the document it is identical to, a document it was derived from).

    At most 2 × MAX_REVISIONS + 1 hashes are looked up (TooManyRevisions otherwise)."""
    prefixes = list(_revision_hashes(data))
    candidates = db.session.execute(select(IssuedDocument).where(or_(
        IssuedDocument.sha256.in_(prefixes), IssuedDocument.original_sha256.in_(prefixes)))
    ).scalars().all()
    for document in candidates:
        if document.sha256 == sha256:
            return "current", document, None
        if document.original_sha256 == sha256:
            return "original", document, None
    for document in candidates:
        try:
            earlier = _revision_hashes(document.pdf)
        except TooManyRevisions:  # not one of ours as issued; cannot be an earlier revision
            continue
        if sha256 in earlier:
            return "earlier", document, None
    return None, None, candidates[0] if candidates else None


def _signature_report(embedded, roots) -> SignatureReport:
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    name = embedded.field_name
    try:
        status = outside_event_loop(
            validate_pdf_signature, embedded,
            ValidationContext(trust_roots=list(roots), allow_fetching=False))
    except Exception as error:  # a malformed signature is a failed one, not a server error
        log.info("Signature %s could not be validated: %s", name, type(error).__name__)
        return SignatureReport(
            field_name=name, signer_name=None, signer_subject=None, issuer=None,
            signing_time=None, intact=False, valid=False, trusted=False,
            covers_whole_file=False, modification_level=None, changes_allowed=False,
            problem=str(_l("The signature is damaged and could not be checked.")))
    certificate = status.signing_cert
    subject = certificate.subject.native if certificate is not None else {}

    def readable(name) -> str:  # "Name, Organisation": what a reader recognises
        parts = name.native
        return ", ".join(str(parts[key]) for key in ("common_name", "organization_name")
                         if parts.get(key)) or name.human_friendly
    level = status.modification_level.name if status.modification_level is not None else None
    return SignatureReport(
        field_name=name,
        signer_name=subject.get("common_name"),
        signer_subject=readable(certificate.subject) if certificate is not None else None,
        issuer=readable(certificate.issuer) if certificate is not None else None,
        signing_time=status.signer_reported_dt,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        covers_whole_file=status.coverage is not None and status.coverage.name == "ENTIRE_FILE",
        modification_level=level,
        changes_allowed=bool(status.docmdp_ok),
    )


def _field_blocks(reader) -> list[tuple[str, str | None, str | None]]:
    """(field name, role, signer) of every signature field in a file we did not issue; the
    role and the signer come from the field's tooltip ("Role: Name") when it has one."""
    from pyhanko.sign import fields

    blocks = []
    for name, _value, reference in fields.enumerate_sig_fields(reader):
        tooltip = None
        try:
            tooltip = reference.get_object().get("/TU")
        except Exception:  # a field without a readable dictionary: the name is enough
            tooltip = None
        role, signer = None, None
        if tooltip:
            role, _sep, signer = str(tooltip).partition(": ")
            signer = signer or None
        blocks.append((name, nfc(role) or None, nfc(signer) or None))
    return blocks


def verify_pdf(data: bytes) -> VerificationReport:
    """Check every signature in `data` against our trust roots, which signature blocks are
    signed and which are missing, and whether the file is, byte for byte, a document (or a
    revision of a document) the system issued."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields

    sha256 = hashlib.sha256(data).hexdigest()
    try:
        match, document, derived = _find_issued(data, sha256)
    except TooManyRevisions:
        return VerificationReport(sha256=sha256, size=len(data), readable=False, problem=str(_l(
            "The file cannot be verified: it has more than %(n)s revisions, far more than any "
            "signed document has.", n=MAX_REVISIONS)))
    found = {}
    known = document or derived
    if document is not None:
        from evalapp.documents.services import document_owner_view

        owner = document_owner_view(document)
        found = dict(document_id=document.id, document_title=document.title,
                     document_number=document.number.label if document.number else None,
                     owner_type=document.owner_type, owner_id=document.owner_id,
                     owner_label=owner.label if owner is not None else None,
                     owner_title=owner.title if owner is not None else None,
                     tally_fingerprint=document.tally_fingerprint,
                     roll_fingerprint=document.roll_fingerprint,
                     held_signed=sum(1 for s in document.slots if s.signed_at is not None),
                     held_expected=len(document.slots))
    common = dict(sha256=sha256, size=len(data), match=match,
                  derived_from_document_id=derived.id if derived is not None else None, **found)
    if not _has_pdf_tail(data):
        return VerificationReport(readable=False, problem=str(_l(
            "The file cannot be read as a PDF: it does not end as a PDF file ends (it is "
            "damaged, cut short, has something added after its end, or is not a PDF).")),
            **common)
    try:
        reader = PdfFileReader(io.BytesIO(data))
        embedded = list(reader.embedded_signatures)
        if len(embedded) > MAX_SIGNATURES:
            return VerificationReport(readable=False, problem=str(_l(
                "The file cannot be verified: it has more than %(n)s signatures.",
                n=MAX_SIGNATURES)), **common)
        unsigned = [name for name, _v, _r in fields.enumerate_sig_fields(reader,
                                                                         filled_status=False)]
        file_blocks = [] if known is not None else _field_blocks(reader)
    except Exception as error:
        log.info("An uploaded file could not be read as a PDF: %s", type(error).__name__)
        return VerificationReport(readable=False, problem=str(_l(
            "The file cannot be read as a PDF: it is damaged, altered or not a PDF.")), **common)
    roots = trust_roots()
    signatures = [_signature_report(e, roots) for e in embedded]
    by_field = {s.field_name: s for s in signatures}
    if known is not None:
        expected = [(slot.field_name, slot.role_label, slot.signer.full_name)
                    for slot in known.slots]
    else:
        expected = file_blocks
    blocks = [BlockReport(name, role, signer, by_field.get(name))
              for name, role, signer in expected]
    listed = {block.field_name for block in blocks}
    blocks += [BlockReport(s.field_name, None, s.signer_name, s) for s in signatures
               if s.field_name not in listed]  # signed in a field the document did not have
    return VerificationReport(readable=True, signatures=signatures, unsigned_fields=unsigned,
                              blocks=blocks, **common)
