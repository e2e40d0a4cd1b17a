"""Re-checks (phúc tra) of paper ballots (issue 12): paper_recheck, one per sealed batch a
counted round's counting team keys again (its ballot numbers as text, who opened it, when it
was finished), and paper_recheck_entry, each ballot of the batch as keyed again (once per
ballot and re-check). Two new tables; nothing existing changes. Everything of a round goes with
it; operators are RESTRICT (accounts are kept). Downgrade drops the two tables.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "paper_recheck",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("ballots", sa.Text(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["opened_by_id"], ["user_account.id"],
                                name=op.f("fk_paper_recheck_opened_by_id_user_account"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["round_id"], ["ballot_round.id"],
                                name=op.f("fk_paper_recheck_round_id_ballot_round"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_recheck")),
    )
    with op.batch_alter_table("paper_recheck", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paper_recheck_round_id"), ["round_id"],
                              unique=False)
    op.create_table(
        "paper_recheck_entry",
        sa.Column("recheck_id", sa.Integer(), nullable=False),
        sa.Column("ballot_number", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("invalid_reason", sa.String(length=20), nullable=True),
        sa.Column("marks", sa.Text(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("valid OR invalid_reason IS NOT NULL",
                           name=op.f("ck_paper_recheck_entry_invalid_has_reason")),
        sa.ForeignKeyConstraint(["operator_id"], ["user_account.id"],
                                name=op.f("fk_paper_recheck_entry_operator_id_user_account"),
                                ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["recheck_id"], ["paper_recheck.id"],
                                name=op.f("fk_paper_recheck_entry_recheck_id_paper_recheck"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("recheck_id", "ballot_number",
                                name=op.f("pk_paper_recheck_entry")),
    )


def downgrade():
    op.drop_table("paper_recheck_entry")
    with op.batch_alter_table("paper_recheck", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_recheck_round_id"))
    op.drop_table("paper_recheck")
