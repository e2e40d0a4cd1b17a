"""API tokens expire: api_token.expires_at.

Read by hand:
- expires_at is added, NOT NULL: a token without an end is what issue 10 (fault 8) forbids.
- Tokens that exist already get created_at + 90 days (the default lifetime of a new token),
  written by the UPDATE below before the column becomes NOT NULL; one already older than that
  has expired when this runs, and its owner makes a new one.
- SQLite adds the column and rebuilds the table for NOT NULL (batch mode); PostgreSQL alters it
  in place. Nothing else of the table changes.
- Downgrade drops the column (tokens then never expire again, as before).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10
"""
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

EXISTING_TOKEN_DAYS = 90


def upgrade():
    with op.batch_alter_table("api_token") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    tokens = sa.table("api_token", sa.column("id", sa.Integer),
                      sa.column("created_at", sa.DateTime(timezone=True)),
                      sa.column("expires_at", sa.DateTime(timezone=True)))
    connection = op.get_bind()
    for token_id, created_at in connection.execute(sa.select(tokens.c.id, tokens.c.created_at)):
        connection.execute(tokens.update().where(tokens.c.id == token_id).values(
            expires_at=created_at + timedelta(days=EXISTING_TOKEN_DAYS)))
    with op.batch_alter_table("api_token") as batch:
        batch.alter_column("expires_at", existing_type=sa.DateTime(timezone=True),
                           nullable=False)


def downgrade():
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("expires_at")
