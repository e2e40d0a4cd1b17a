"""Evaluation rounds published to the unit: evaluation_round.published_at (NULL: not published;
existing rounds stay unpublished).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("evaluation_round") as batch:
        batch.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("evaluation_round") as batch:
        batch.drop_column("published_at")
