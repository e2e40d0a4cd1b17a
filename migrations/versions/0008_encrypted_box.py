"""The encrypted ballot box: the counting team's locks and shares, partial decryptions, sealed
ballots, and the number of counting-team members a round needs to count.

Read by hand:
- `box` gets `parameters` (the public key, threshold, guardians' verification keys, levels and
  lines as canonical JSON), its `fingerprint` (SHA-256 of it) and `sums` (the homomorphic sums,
  written at closing). All NULL for the existing ("plain") boxes, which stay as they are.
- `box_lock` (owner kind + id, number: UNIQUE; the holder's name; the Argon2id salt and limits;
  the X25519 public key): registered before a box opens. No passphrase, no private key.
- `box_share` (box, number): the share sealed to the lock, its verification key, a copy of the
  lock's salt, limits and public key. `box_decryption` (box, number): a partial decryption with
  its proofs (JSON). Both cascade with their box.
- `box_sealed_ballot` (box, tracker; content): an encrypted ballot. A secret table like the four
  others: WITHOUT ROWID on SQLite, PARTITION BY LIST (box_id) on PostgreSQL, where every
  existing box gets its partition here (new boxes get theirs when they open).
- `ballot_round.key_threshold`: NULL means a majority of the members holding a key.
- Downgrade drops all of it (encrypted boxes then lose their ballots: say so before running it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-16
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    with op.batch_alter_table("box") as batch:
        batch.add_column(sa.Column("parameters", sa.Text(), nullable=True))
        batch.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("sums", sa.Text(), nullable=True))
    with op.batch_alter_table("ballot_round") as batch:
        batch.add_column(sa.Column("key_threshold", sa.Integer(), nullable=True))
        batch.create_check_constraint(op.f("ck_ballot_round_key_threshold_positive"),
                                      "key_threshold IS NULL OR key_threshold >= 1")
    op.create_table(
        "box_lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_kind", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("opslimit", sa.Integer(), nullable=False),
        sa.Column("memlimit", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.CheckConstraint("number >= 1", name=op.f("ck_box_lock_number_from_one")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_box_lock")),
        sa.UniqueConstraint("owner_kind", "owner_id", "number",
                            name=op.f("uq_box_lock_owner_kind_owner_id_number")),
    )
    with op.batch_alter_table("box_lock") as batch:
        batch.create_index(batch.f("ix_box_lock_owner_id"), ["owner_id"], unique=False)
    op.create_table(
        "box_share",
        sa.Column("box_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("verification_key", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.String(length=200), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("opslimit", sa.Integer(), nullable=False),
        sa.Column("memlimit", sa.Integer(), nullable=False),
        sa.Column("lock_public_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["box_id"], ["box.id"], name=op.f("fk_box_share_box_id_box"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("box_id", "number", name=op.f("pk_box_share")),
    )
    op.create_table(
        "box_decryption",
        sa.Column("box_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["box_id"], ["box.id"],
                                name=op.f("fk_box_decryption_box_id_box"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("box_id", "number", name=op.f("pk_box_decryption")),
    )
    op.create_table(
        "box_sealed_ballot",
        sa.Column("box_id", sa.Integer(), nullable=False),
        sa.Column("tracker", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["box_id"], ["box.id"],
                                name=op.f("fk_box_sealed_ballot_box_id_box"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("box_id", "tracker", name=op.f("pk_box_sealed_ballot")),
        sqlite_with_rowid=False,
        postgresql_partition_by="LIST (box_id)",
    )
    if _postgresql():
        for (box_id,) in op.get_bind().execute(sa.text("SELECT id FROM box ORDER BY id")):
            name = f"box_sealed_ballot_p{int(box_id)}"
            op.execute(f"CREATE TABLE {name} (LIKE box_sealed_ballot INCLUDING DEFAULTS "
                       "INCLUDING CONSTRAINTS)")
            op.execute(f"ALTER TABLE box_sealed_ballot ATTACH PARTITION {name} "
                       f"FOR VALUES IN ({int(box_id)})")


def downgrade():
    op.drop_table("box_sealed_ballot")
    op.drop_table("box_decryption")
    op.drop_table("box_share")
    with op.batch_alter_table("box_lock") as batch:
        batch.drop_index(batch.f("ix_box_lock_owner_id"))
    op.drop_table("box_lock")
    with op.batch_alter_table("ballot_round") as batch:
        batch.drop_constraint(op.f("ck_ballot_round_key_threshold_positive"), type_="check")
        batch.drop_column("key_threshold")
    with op.batch_alter_table("box") as batch:
        batch.drop_column("sums")
        batch.drop_column("fingerprint")
        batch.drop_column("parameters")
