import pytest
from sqlalchemy import select, text, update

from evalapp.audit.models import AuditEntry, AuditHead
from evalapp.audit.services import record, verify_chain


def _trail(db, n=5):
    for i in range(n):
        record(None, "test.action", None, number=i, name="Nguyễn Văn A")
    db.session.commit()


def test_an_untouched_trail_verifies(db):
    _trail(db)
    assert verify_chain() is None
    entries = db.session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars().all()
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[1].prev_hash == entries[0].entry_hash
    assert db.session.get(AuditHead, 1).entry_hash == entries[-1].entry_hash


@pytest.mark.parametrize("field, value", [
    ("actor_label", "someone-else"),
    ("action", "person.deleted"),
    ("target_type", "person"),
    ("target_id", "999"),
    ("details", '{"number":99}'),
])
def test_changing_any_field_of_any_entry_is_reported(db, field, value):
    _trail(db)
    db.session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values({field: value}))
    db.session.commit()
    problem = verify_chain()
    assert problem is not None and problem.seq == 3


def test_changing_the_time_is_reported(db):
    _trail(db)
    db.session.execute(
        text("UPDATE audit_entry SET at = :at WHERE seq = 2"), {"at": "2001-01-01 00:00:00"})
    db.session.commit()
    assert verify_chain().seq == 2


def test_recomputing_one_hash_still_breaks_the_next_link(db):
    from evalapp.audit.services import compute_hash

    _trail(db)
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.seq == 2)).scalar_one()
    entry.details = '{"forged":true}'
    entry.entry_hash = compute_hash(entry)
    db.session.commit()
    assert verify_chain().seq == 3


def test_deleting_an_entry_in_the_middle_is_reported(db):
    _trail(db)
    db.session.execute(text("DELETE FROM audit_entry WHERE seq = 3"))
    db.session.commit()
    assert verify_chain().seq == 3


def test_deleting_the_last_entry_is_reported(db):
    _trail(db)
    db.session.execute(text("DELETE FROM audit_entry WHERE seq = 5"))
    db.session.commit()
    assert verify_chain() is not None


def test_an_entry_inserted_out_of_chain_is_reported(db):
    _trail(db, 3)
    first = db.session.execute(select(AuditEntry).where(AuditEntry.seq == 1)).scalar_one()
    db.session.execute(text("UPDATE audit_entry SET seq = seq + 10"))
    db.session.execute(text(
        "INSERT INTO audit_entry (seq, at, actor_label, action, details, prev_hash, entry_hash)"
        " VALUES (1, :at, 'intruder', 'x', '{}', :prev, :hash)"),
        {"at": first.at, "prev": "0" * 64, "hash": "f" * 64})
    db.session.execute(text("UPDATE audit_entry SET seq = seq - 9 WHERE seq > 10"))
    db.session.commit()
    assert verify_chain().seq in (1, 2)


def test_cli_verify_exits_non_zero_on_tampering(app, db):
    _trail(db)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "5" in result.output
    db.session.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(action="forged"))
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0
    assert "4" in result.output
