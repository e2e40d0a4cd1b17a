"""The product ledger (evalapp.ledger, issue 13): ledger_period (a person's month or quarter,
open or confirmed, its kept scores), ledger_product (a unit's catalogue per Quy chế version) and
ledger_item (the work items of a period). Three new tables; nothing existing changes. Downgrade
drops them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ledger_period',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('regulation_id', sa.Integer(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('is_leader', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('open', 'confirmed', name='ledger_period_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('general', sa.Integer(), nullable=True),
    sa.Column('leader_json', sa.Text(), nullable=False),
    sa.Column('task_score', sa.Integer(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status <> 'confirmed' OR (confirmed_at IS NOT NULL AND task_score IS NOT NULL AND score IS NOT NULL)", name=op.f('ck_ledger_period_confirmed_has_scores')),
    sa.CheckConstraint('general IS NULL OR (general BETWEEN 0 AND 3000)', name=op.f('ck_ledger_period_general_range')),
    sa.CheckConstraint('score IS NULL OR (score BETWEEN 0 AND 10000)', name=op.f('ck_ledger_period_score_range')),
    sa.CheckConstraint('task_score IS NULL OR (task_score BETWEEN 0 AND 7000)', name=op.f('ck_ledger_period_task_score_range')),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_ledger_period_year_range')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['user_account.id'], name=op.f('fk_ledger_period_confirmed_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_ledger_period_person_id_person'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['regulation_id'], ['evaluation_regulation.id'], name=op.f('fk_ledger_period_regulation_id_evaluation_regulation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_ledger_period_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_period')),
    sa.UniqueConstraint('person_id', 'year', 'period', name=op.f('uq_ledger_period_person_id_year_period'))
    )
    with op.batch_alter_table('ledger_period', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_period_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_period_unit_id'), ['unit_id'], unique=False)

    op.create_table('ledger_product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('regulation_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('group', sa.String(length=40), nullable=False),
    sa.Column('measure', sa.String(length=40), nullable=False),
    sa.Column('factor', sa.Integer(), nullable=False),
    sa.Column('levels_json', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('factor > 0', name=op.f('ck_ledger_product_factor_positive')),
    sa.ForeignKeyConstraint(['regulation_id'], ['evaluation_regulation.id'], name=op.f('fk_ledger_product_regulation_id_evaluation_regulation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_ledger_product_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_product'))
    )
    with op.batch_alter_table('ledger_product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_product_regulation_id'), ['regulation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_product_unit_id'), ['unit_id'], unique=False)

    op.create_table('ledger_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('measure', sa.String(length=40), nullable=False),
    sa.Column('level', sa.String(length=80), nullable=True),
    sa.Column('factor', sa.Integer(), nullable=False),
    sa.Column('assigned', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('origin', sa.String(length=10), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('delivered', sa.Integer(), nullable=True),
    sa.Column('delivered_on', sa.Date(), nullable=True),
    sa.Column('evidence', sa.String(length=1000), nullable=True),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.Column('errors_accepted', sa.Integer(), nullable=False),
    sa.Column('delays', sa.Integer(), nullable=False),
    sa.Column('delays_accepted', sa.Integer(), nullable=False),
    sa.Column('cause', sa.String(length=1000), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("origin IN ('assigned', 'proposed')", name=op.f('ck_ledger_item_origin_known')),
    sa.CheckConstraint('assigned >= 0', name=op.f('ck_ledger_item_assigned_not_negative')),
    sa.CheckConstraint('delays_accepted BETWEEN 0 AND delays', name=op.f('ck_ledger_item_delays_accepted_range')),
    sa.CheckConstraint('delivered IS NULL OR delivered >= 0', name=op.f('ck_ledger_item_delivered_not_negative')),
    sa.CheckConstraint('errors_accepted BETWEEN 0 AND errors', name=op.f('ck_ledger_item_errors_accepted_range')),
    sa.CheckConstraint('factor > 0', name=op.f('ck_ledger_item_factor_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_ledger_item_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['period_id'], ['ledger_period.id'], name=op.f('fk_ledger_item_period_id_ledger_period'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['ledger_product.id'], name=op.f('fk_ledger_item_product_id_ledger_product'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_item'))
    )
    with op.batch_alter_table('ledger_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_item_period_id'), ['period_id'], unique=False)



def downgrade():
    with op.batch_alter_table('ledger_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_item_period_id'))

    op.drop_table('ledger_item')
    with op.batch_alter_table('ledger_product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_product_unit_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_product_regulation_id'))

    op.drop_table('ledger_product')
    with op.batch_alter_table('ledger_period', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_period_unit_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_period_person_id'))

    op.drop_table('ledger_period')
