"""The key of an encrypted box, held by the counting team (design §3, docs/crypto.md).

Before the box opens, each counting-team member registers a lock (register_lock): a passphrase
of theirs, stretched by Argon2id into an X25519 key pair of which only the public half and the
salt are stored. When the box opens (deal), the server draws the box's private key, splits it
into Shamir shares (any k of the n members can count), seals each share to its member's lock,
publishes the verification keys and lets the key go: from then on the private key exists only
as sealed shares. After the box closes, a member unlocks their share with their passphrase
(unlock): the share opens in memory just long enough to compute the partial decryption of the
box's sums, with its proof; only that partial decryption is stored. k of them make the count
(storage.ElGamalScheme.count); fewer decrypt nothing.

What this trusts, said in docs/crypto.md: the server at the moment it deals (it erases the whole
key at once) and at the moment a member unlocks (it uses the share, then drops it). A copy of the
database, its logs or its backups holds sealed shares only.
"""

from __future__ import annotations

import json
import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from evalapp.box import crypto
from evalapp.box.models import Box, BoxDecryption, BoxLock, BoxShare, BoxStatus
from evalapp.core.errors import InvalidState, ValidationFailed
from evalapp.core.text import clean_text, nfc
from evalapp.extensions import db

PASSPHRASE_MIN = 10
PASSPHRASE_MAX = 200


def _limits() -> tuple[int, int]:
    config = current_app.config
    return (int(config["BOX_LOCK_OPSLIMIT"]),
            int(config["BOX_LOCK_MEMLIMIT"]))


def check_passphrase(passphrase: str, confirmation: str | None = None) -> str:
    if not isinstance(passphrase, str) or not passphrase.strip():
        raise ValidationFailed(_l("Enter a passphrase."), field="passphrase")
    if len(passphrase) < PASSPHRASE_MIN:
        raise ValidationFailed(_l("The passphrase needs at least %(n)s characters.",
                                  n=PASSPHRASE_MIN), field="passphrase")
    if len(passphrase) > PASSPHRASE_MAX:
        raise ValidationFailed(_l("The passphrase may have at most %(n)s characters.",
                                  n=PASSPHRASE_MAX), field="passphrase")
    if confirmation is not None and confirmation != passphrase:
        raise ValidationFailed(_l("The two passphrases differ. Type the same one twice."),
                               field="confirmation")
    return passphrase


def locks_of(owner_kind: str, owner_id: int) -> list[BoxLock]:
    return list(db.session.execute(select(BoxLock).where(
        BoxLock.owner_kind == owner_kind, BoxLock.owner_id == owner_id)
        .order_by(BoxLock.number)).scalars())


def register_lock(owner_kind: str, owner_id: int, holder: str, passphrase: str,
                  confirmation: str | None = None) -> BoxLock:
    """A counting-team member's lock, numbered after the others. Flushes."""
    _holder(holder)
    # As typed, in NFC and without bidirectional controls, at locking as at unlocking.
    passphrase = clean_text(passphrase) if isinstance(passphrase, str) else passphrase
    if isinstance(confirmation, str):
        confirmation = clean_text(confirmation)
    check_passphrase(passphrase, confirmation)
    return _register(owner_kind, owner_id, holder, passphrase)


def _holder(holder: str) -> str:
    holder = nfc(holder or "")
    if not holder:
        raise ValidationFailed(_l("Enter the name of the counting-team member."), field="holder")
    if len(holder) > 255:
        raise ValidationFailed(_l("The name may have at most %(n)s characters.", n=255),
                               field="holder")
    return holder


def _register(owner_kind: str, owner_id: int, holder: str, secret: str | bytes) -> BoxLock:
    holder = _holder(holder)
    opslimit, memlimit = _limits()
    lock = crypto.make_lock(secret, opslimit, memlimit)
    number = (db.session.execute(select(func.max(BoxLock.number)).where(
        BoxLock.owner_kind == owner_kind, BoxLock.owner_id == owner_id)).scalar() or 0) + 1
    row = BoxLock(owner_kind=owner_kind, owner_id=owner_id, number=number, holder=holder,
                  salt=lock.salt.hex(), opslimit=lock.opslimit, memlimit=lock.memlimit,
                  public_key=lock.public_key.hex())
    db.session.add(row)
    db.session.flush()
    return row


KEY_FILE_HEADER = "evalapp: khóa của tổ kiểm phiếu"  # the first line of a key file


def register_key_file(owner_kind: str, owner_id: int, holder: str) -> tuple[BoxLock, str]:
    """A counting-team member's lock held as a file instead of a passphrase: 32 random bytes,
    returned once as the file's text (never stored); only the lock is kept. Flushes."""
    key = secrets.token_bytes(32)
    lock = _register(owner_kind, owner_id, holder, key)
    text = (f"{KEY_FILE_HEADER}\n{owner_kind} {owner_id}\n{lock.number}. {lock.holder}\n"
            f"{key.hex()}\n")
    return lock, text


def key_from_file(content: bytes) -> bytes:
    """The 32 bytes of a key file (the last line of hex), or ValidationFailed."""
    try:
        lines = content.decode("utf-8").strip().splitlines()
        key = bytes.fromhex(lines[-1].strip())
    except (UnicodeDecodeError, ValueError, IndexError):
        key = b""
    if len(key) != 32 or not lines or lines[0].strip() != KEY_FILE_HEADER:
        raise ValidationFailed(_l("This is not a key file of the counting team."),
                               field="key_file")
    return key


def forget_lock(owner_kind: str, owner_id: int, number: int) -> BoxLock:
    lock = db.session.execute(select(BoxLock).where(
        BoxLock.owner_kind == owner_kind, BoxLock.owner_id == owner_id,
        BoxLock.number == number)).scalar_one_or_none()
    if lock is None:
        raise ValidationFailed(_l("This counting-team member has no key in this round."))
    db.session.delete(lock)
    db.session.flush()
    return lock


def majority(n: int) -> int:
    return n // 2 + 1


def deal(box: Box, threshold: int | None) -> None:
    """Draw the box's key, seal a share to each registered lock, keep the parameters and the
    verification keys on the box, and let the key go. Called by open_box. Flushes."""
    locks = locks_of(box.owner_kind, box.owner_id)
    n = len(locks)
    if n == 0:
        raise InvalidState(_l("No member of the counting team holds a key yet: at least one "
                              "must set a passphrase before voting opens."))
    k = majority(n) if threshold is None else threshold
    if not 1 <= k <= n:
        raise InvalidState(_l("The number of counting-team members needed to count (%(k)s) must "
                              "be between 1 and the number who hold a key (%(n)s).", k=k, n=n))
    # Guardian numbers are the locks' (1..n unless a lock was forgotten): x_i = f(number).
    dealt = _deal_at([lock.number for lock in locks], k)
    params = crypto.parameters(
        box=box.id, owner=f"{box.owner_kind}/{box.owner_id}",
        levels=[level.value for level in box.scale.levels], lines=len(box.lines),
        public_key=dealt.public_key, threshold=k, verification_keys=dealt.verification_keys)
    for lock in locks:
        db.session.add(BoxShare(
            box_id=box.id, number=lock.number, holder=lock.holder,
            verification_key=dealt.verification_keys[lock.number].hex(),
            sealed=crypto.seal_share(dealt.shares[lock.number],
                                     bytes.fromhex(lock.public_key)).hex(),
            salt=lock.salt, opslimit=lock.opslimit, memlimit=lock.memlimit,
            lock_public_key=lock.public_key))
    dealt.shares.clear()
    box.parameters = crypto.canonical(params)
    box.fingerprint = crypto.fingerprint(params)
    db.session.flush()


def _deal_at(numbers: list[int], k: int) -> crypto.Dealt:
    """crypto.deal with shares at the given guardian numbers (x_i = f(i))."""
    highest = max(numbers)
    full = crypto.deal(highest, k)
    return crypto.Dealt(full.public_key, {i: full.shares[i] for i in numbers},
                        {i: full.verification_keys[i] for i in numbers})


def parameters(box: Box) -> dict:
    """The box's public parameters with their fingerprint: what the voter's device encrypts
    under."""
    params = json.loads(box.parameters)
    return {**params, "fingerprint": box.fingerprint}


def shares_of(box: Box) -> list[BoxShare]:
    return list(db.session.execute(select(BoxShare).where(BoxShare.box_id == box.id)
                                   .order_by(BoxShare.number)).scalars())


def unlocked(box: Box) -> list[int]:
    """The numbers of the members who have unlocked their share (their partial decryption is
    stored)."""
    return list(db.session.execute(select(BoxDecryption.number).where(
        BoxDecryption.box_id == box.id).order_by(BoxDecryption.number)).scalars())


def unlock(box: Box, number: int, passphrase: str | bytes) -> BoxShare:
    """Open member `number`'s share with their passphrase and store their partial decryption
    of the closed box's sums (with its proof). The share is used in memory and dropped."""
    if box.status != BoxStatus.CLOSED or box.sums is None:
        raise InvalidState(_l("A share is unlocked once voting is closed."))
    share_row = db.session.get(BoxShare, (box.id, number))
    if share_row is None:
        raise ValidationFailed(_l("This counting-team member holds no share of this box."),
                               field="number")
    if db.session.get(BoxDecryption, (box.id, number)) is not None:
        raise InvalidState(_l("%(holder)s has already unlocked their share.",
                              holder=share_row.holder))
    if isinstance(passphrase, bytes):  # a key file's 32 bytes
        if len(passphrase) != 32:
            raise ValidationFailed(_l("This is not a key file of the counting team."),
                                   field="key_file")
    elif not isinstance(passphrase, str) or not passphrase or len(passphrase) > PASSPHRASE_MAX:
        raise ValidationFailed(_l("Enter a passphrase."), field="passphrase")
    else:
        passphrase = clean_text(passphrase)
    lock = crypto.Lock(bytes.fromhex(share_row.salt), share_row.opslimit, share_row.memlimit,
                       bytes.fromhex(share_row.lock_public_key))
    share = crypto.open_share(bytes.fromhex(share_row.sealed), lock, passphrase)
    if share is None:
        if isinstance(passphrase, bytes):
            raise ValidationFailed(_l("This key file does not open the share of %(holder)s.",
                                      holder=share_row.holder), field="key_file")
        raise ValidationFailed(_l("This passphrase does not open the share of %(holder)s.",
                                  holder=share_row.holder), field="passphrase")
    params = json.loads(box.parameters)
    if crypto.base_mul(share).hex() != share_row.verification_key:
        raise InvalidState(_l("The share does not match its published key."))
    sums = _sums_as_closed(box)
    partial = crypto.partial_decryption(params, number, share, sums)
    del share
    db.session.add(BoxDecryption(box_id=box.id, number=number,
                                 content=crypto.canonical(partial)))
    db.session.flush()
    return share_row


def _sums_as_closed(box: Box) -> list:
    """The sums a share may decrypt: recomputed from the box's ballots, which must be the box
    as it was closed (the same sums) and hold one ballot per right spent with a ballot (not
    those the owner spent handing out a paper ballot or a code slip). Otherwise someone
    changed the stored box — say, removed every ballot but one to have the team decrypt it —
    and nothing is unlocked."""
    from evalapp.box.models import BoxCode, BoxParticipation
    from evalapp.box.storage import SCHEMES

    scheme = SCHEMES[box.storage]
    ballots = scheme.ballots(box)
    sums = scheme.sums(box, ballots)
    # Rights spent: voters known to the server, and anonymous ballot codes used.
    spent = db.session.execute(select(func.count()).select_from(BoxParticipation).where(
        BoxParticipation.box_id == box.id)).scalar_one() + db.session.execute(
        select(func.count()).select_from(BoxCode).where(
            BoxCode.box_id == box.id, BoxCode.spent.is_(True))).scalar_one()
    spent -= box.rights_without_ballot or 0  # handed a paper ballot or a code slip instead
    if sums != json.loads(box.sums) or len(ballots) != spent or any(
            crypto.tracker(ballot) != tracker for tracker, ballot in ballots):
        raise InvalidState(_l("The ballot box has changed since voting was closed: nothing was "
                              "unlocked. Tell the chair; the box must be checked (flask ballots "
                              "verify) before anyone unlocks a share."))
    return sums


def forget_decryptions(box: Box) -> None:
    db.session.execute(delete(BoxDecryption).where(BoxDecryption.box_id == box.id))
