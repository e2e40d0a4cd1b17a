"""Evidence around the product ledger (issue 13): ledger_imported_score (scores from other
sources — a competency exam, a KPI system, a training record — per person, year, period or
whole year, and source) and ledger_year_general (the general criteria's points given once a
year when the Quy chế scores them per year). Two new tables; nothing existing changes.
Downgrade drops them.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ledger_imported_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=80), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('imported_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score BETWEEN 0 AND 100000', name=op.f('ck_ledger_imported_score_score_range')),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_ledger_imported_score_year_range')),
    sa.ForeignKeyConstraint(['imported_by_id'], ['user_account.id'], name=op.f('fk_ledger_imported_score_imported_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_ledger_imported_score_person_id_person'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_ledger_imported_score_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_imported_score')),
    sa.UniqueConstraint('person_id', 'year', 'period', 'source', name=op.f('uq_ledger_imported_score_person_id_year_period_source'))
    )
    with op.batch_alter_table('ledger_imported_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_imported_score_person_id'), ['person_id'], unique=False)

    op.create_table('ledger_year_general',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('general', sa.Integer(), nullable=False),
    sa.Column('scored_by_id', sa.Integer(), nullable=True),
    sa.Column('scored_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('general BETWEEN 0 AND 3000', name=op.f('ck_ledger_year_general_general_range')),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_ledger_year_general_year_range')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_ledger_year_general_person_id_person'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['scored_by_id'], ['user_account.id'], name=op.f('fk_ledger_year_general_scored_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_ledger_year_general_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_year_general')),
    sa.UniqueConstraint('person_id', 'year', name=op.f('uq_ledger_year_general_person_id_year'))
    )
    with op.batch_alter_table('ledger_year_general', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_year_general_person_id'), ['person_id'], unique=False)


def downgrade():
    with op.batch_alter_table('ledger_year_general', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_year_general_person_id'))

    op.drop_table('ledger_year_general')
    with op.batch_alter_table('ledger_imported_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_imported_score_person_id'))

    op.drop_table('ledger_imported_score')
