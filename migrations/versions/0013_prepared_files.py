"""Files prepared in the background (evalapp.documents.prepared): prepared_file, one row per
file asked for, the file itself on disk in the instance folder. A new table; nothing existing
changes. Downgrade drops it (the files on disk are then orphans the next start ignores).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "prepared_file",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("owner_type", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("parameters_json", sa.Text(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')",
                           name=op.f("ck_prepared_file_prepared_status")),
        sa.CheckConstraint("done >= 0 AND total >= 0 AND done <= total",
                           name=op.f("ck_prepared_file_progress")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["user_account.id"],
                                name=op.f("fk_prepared_file_requested_by_id_user_account"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prepared_file")),
    )
    op.create_index(op.f("ix_prepared_file_owner_type"), "prepared_file",
                    ["owner_type", "owner_id"], unique=False)
    op.create_index(op.f("ix_prepared_file_requested_by_id"), "prepared_file",
                    ["requested_by_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_prepared_file_requested_by_id"), table_name="prepared_file")
    op.drop_index(op.f("ix_prepared_file_owner_type"), table_name="prepared_file")
    op.drop_table("prepared_file")
