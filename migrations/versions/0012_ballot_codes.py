"""Anonymous ballot codes: `box_code` (box, hash; spent), a secret table of the box.

Read by hand: like the other secret tables, WITHOUT ROWID on SQLite and PARTITION BY LIST
(box_id) on PostgreSQL, where every existing box gets its partition here (new boxes get theirs
when they open). It holds only a keyed hash of each code (evalapp/box/codes.py) and whether it
was spent: no person, no time, no code in clear. The index on the hash serves the look-up of a
code typed by a voter, who brings nothing else. Downgrade drops the table (the codes of an open
box then stop working).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "box_code",
        sa.Column("box_id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("spent", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["box_id"], ["box.id"], name=op.f("fk_box_code_box_id_box"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("box_id", "hash", name=op.f("pk_box_code")),
        sqlite_with_rowid=False,
        postgresql_partition_by="LIST (box_id)",
    )
    op.create_index(op.f("ix_box_code_hash"), "box_code", ["hash"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        for (box_id,) in op.get_bind().execute(sa.text("SELECT id FROM box ORDER BY id")):
            name = f"box_code_p{int(box_id)}"
            op.execute(f"CREATE TABLE {name} (LIKE box_code INCLUDING DEFAULTS "
                       "INCLUDING CONSTRAINTS)")
            op.execute(f"ALTER TABLE box_code ATTACH PARTITION {name} "
                       f"FOR VALUES IN ({int(box_id)})")


def downgrade():
    op.drop_index(op.f("ix_box_code_hash"), table_name="box_code")
    op.drop_table("box_code")
