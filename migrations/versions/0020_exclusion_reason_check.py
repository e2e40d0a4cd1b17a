"""An eligible person excluded from an evaluation round by hand keeps the admin's reason.

0009 checked `included OR NOT eligible OR excluded_reason IS NULL`, which refused exactly the
row `services.exclude` writes for an eligible person (not included, with a reason): a 500. The
rule meant is that a person rated has no reason for being left out: `NOT included OR
excluded_reason IS NULL`. Downgrade puts the old check back.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-27
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

OLD = "ck_evaluation_person_exclusion_has_no_reason_when_eligible"
NEW = "ck_evaluation_person_included_has_no_exclusion_reason"


def upgrade():
    with op.batch_alter_table("evaluation_person") as batch:
        batch.drop_constraint(op.f(OLD), type_="check")
        batch.create_check_constraint(op.f(NEW), "NOT included OR excluded_reason IS NULL")


def downgrade():
    with op.batch_alter_table("evaluation_person") as batch:
        batch.drop_constraint(op.f(NEW), type_="check")
        batch.create_check_constraint(op.f(OLD),
                                      "included OR NOT eligible OR excluded_reason IS NULL")
