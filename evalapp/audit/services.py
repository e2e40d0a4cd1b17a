"""Writing and checking the audit trail.

Every service that changes state calls record() exactly once, inside the same transaction, so
the entry exists if and only if the change does. Details must never carry ballot content.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from evalapp.audit.models import AuditEntry, AuditHead
from evalapp.core.time import as_utc, utcnow
from evalapp.extensions import db

GENESIS_HASH = "0" * 64


def _canonical(details: dict[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)


def compute_hash(entry: AuditEntry) -> str:
    payload = json.dumps(
        [
            entry.seq,
            as_utc(entry.at).strftime("%Y-%m-%dT%H:%M:%SZ"),
            entry.actor_id,
            entry.actor_label,
            entry.action,
            entry.target_type,
            entry.target_id,
            entry.details,
            entry.prev_hash,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(actor, action: str, target=None, **details: Any) -> AuditEntry:
    """Append one entry. `actor` is a User or None (the system, a CLI command)."""
    head = db.session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, entry_hash=GENESIS_HASH)
        db.session.add(head)

    target_type = target_id = None
    if target is not None:
        target_type = getattr(target, "audit_type", type(target).__name__)
        db.session.flush()
        target_id = str(target.id)

    entry = AuditEntry(
        seq=head.seq + 1,
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "username", None) or "system",
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=_canonical(details),
        prev_hash=head.entry_hash,
    )
    entry.entry_hash = compute_hash(entry)
    db.session.add(entry)
    head.seq = entry.seq
    head.entry_hash = entry.entry_hash
    db.session.flush()
    return entry


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    reason: Any

    def __str__(self) -> str:
        return str(_l("entry %(seq)s: %(reason)s", seq=self.seq, reason=self.reason))


def verify_chain() -> ChainProblem | None:
    """The first place where the stored trail differs from an untouched chain, or None."""
    previous_hash = GENESIS_HASH
    expected_seq = 1
    entries = db.session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars()
    for entry in entries:
        if entry.seq != expected_seq:
            return ChainProblem(expected_seq, _l("missing (deleted, or the sequence was altered)"))
        if entry.prev_hash != previous_hash:
            return ChainProblem(entry.seq, _l("does not follow the previous entry "
                                              "(inserted out of chain, or one before it was "
                                              "deleted)"))
        if compute_hash(entry) != entry.entry_hash:
            return ChainProblem(entry.seq, _l("content was changed after it was written"))
        previous_hash = entry.entry_hash
        expected_seq += 1

    head = db.session.get(AuditHead, 1)
    last_seq = expected_seq - 1
    if head is None:
        if last_seq:
            return ChainProblem(last_seq, _l("the chain head record is missing"))
        return None
    if head.seq != last_seq or head.entry_hash != previous_hash:
        return ChainProblem(last_seq + 1 if head.seq > last_seq else head.seq,
                            _l("entries after this point were deleted or the head was altered"))
    return None


@dataclass(frozen=True)
class EntryFilter:
    action: str | None = None
    actor: str | None = None        # part of the username
    since: datetime | None = None   # inclusive, aware
    until: datetime | None = None   # exclusive, aware


def list_entries(*, page: int, size: int,
                 where: EntryFilter = EntryFilter()) -> tuple[int, list[AuditEntry]]:
    """The entries matching `where`, newest first, one page of them, and how many match."""
    query = select(AuditEntry)
    if where.action:
        query = query.where(AuditEntry.action == where.action)
    if where.actor:
        query = query.where(func.lower(AuditEntry.actor_label).contains(
            where.actor.lower(), autoescape=True))
    if where.since is not None:
        query = query.where(AuditEntry.at >= where.since)
    if where.until is not None:
        query = query.where(AuditEntry.at < where.until)
    total = db.session.execute(
        select(func.count()).select_from(query.subquery())).scalar_one()
    rows = db.session.execute(
        query.order_by(AuditEntry.seq.desc()).limit(size).offset(max(0, page - 1) * size)
    ).scalars().all()
    return total, list(rows)
