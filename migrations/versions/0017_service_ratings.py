"""Public service-quality ratings (evalapp.ledger, issue 13): ledger_desk (a front-desk official
marked as serving the public, with the random token of their rating address), ledger_rating (one
rating: official, unit, day, value 1–5, optional comment and its moderation state; nothing of the
rater) and ledger_rating_mark (the keyed hash of device, official and day that refuses a second
rating the same day). Three new tables; nothing existing changes. Downgrade drops them.

Revision ID: 0017
Revises: 0015
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ledger_desk',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_ledger_desk_person_id_person'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_desk')),
    sa.UniqueConstraint('person_id', name=op.f('uq_ledger_desk_person_id')),
    sa.UniqueConstraint('token', name=op.f('uq_ledger_desk_token'))
    )
    op.create_table('ledger_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('rated_on', sa.Date(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('faces', sa.Integer(), nullable=False),
    sa.Column('comment', sa.String(length=500), nullable=True),
    sa.Column('comment_state', sa.String(length=10), nullable=False),
    sa.Column('moderated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(comment IS NULL) = (comment_state = 'none')", name=op.f('ck_ledger_rating_comment_has_state')),
    sa.CheckConstraint("comment_state IN ('none', 'pending', 'approved', 'hidden')", name=op.f('ck_ledger_rating_comment_state_known')),
    sa.CheckConstraint('faces IN (3, 5)', name=op.f('ck_ledger_rating_faces_known')),
    sa.CheckConstraint('value BETWEEN 1 AND 5', name=op.f('ck_ledger_rating_value_range')),
    sa.ForeignKeyConstraint(['moderated_by_id'], ['user_account.id'], name=op.f('fk_ledger_rating_moderated_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_ledger_rating_person_id_person'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_ledger_rating_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_rating'))
    )
    with op.batch_alter_table('ledger_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_rating_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_rating_rated_on'), ['rated_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_rating_unit_id'), ['unit_id'], unique=False)

    op.create_table('ledger_rating_mark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_rating_mark')),
    sa.UniqueConstraint('digest', name=op.f('uq_ledger_rating_mark_digest'))
    )
    with op.batch_alter_table('ledger_rating_mark', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_rating_mark_day'), ['day'], unique=False)


def downgrade():
    with op.batch_alter_table('ledger_rating_mark', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_rating_mark_day'))

    op.drop_table('ledger_rating_mark')
    with op.batch_alter_table('ledger_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_rating_unit_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_rating_rated_on'))
        batch_op.drop_index(batch_op.f('ix_ledger_rating_person_id'))

    op.drop_table('ledger_rating')
    op.drop_table('ledger_desk')
