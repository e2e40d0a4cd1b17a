"""Paper ballots (issue 12): the round's paper settings, the roll's hand-out, the entries of
paper ballots, the team head's resolutions and the totals counted by hand.

Read by hand:
- ballot_round gets ballot_kinds (browser / paper / both, CHECK), paper_entries (1..3, CHECK),
  paper_mode (ballots / totals, CHECK), percent_places (1 or 2, CHECK), all NOT NULL with the
  server defaults of today's behaviour for existing rounds (browser, 1, ballots, 2), and
  paper_collected_count (NULL until counted).
- ballot_voter gets handed (NULL, paper or code, CHECK): NULL for every existing roll entry.
- box gets rights_without_ballot (NOT NULL, 0 for existing boxes): rights spent by handing out
  a paper ballot or a code slip, which the box's "one ballot per right spent" check leaves out.
- paper_entry: UNIQUE (round, ballot number, entry number) and (round, ballot number,
  operator): each entry of a ballot by a different operator. No column names a voter.
- paper_resolution: one per (round, ballot number). paper_totals: one per round.
  paper_line_total: one per (round, person voted on, level or "invalid").
- Cascades: everything of a round goes with it; operators are RESTRICT (accounts are kept).
- Downgrade drops the tables and the columns.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('paper_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('ballot_number', sa.Integer(), nullable=False),
    sa.Column('entry_number', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('valid', sa.Boolean(), nullable=False),
    sa.Column('invalid_reason', sa.String(length=20), nullable=True),
    sa.Column('marks', sa.Text(), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ballot_number >= 1', name=op.f('ck_paper_entry_ballot_number_positive')),
    sa.CheckConstraint('entry_number BETWEEN 1 AND 3', name=op.f('ck_paper_entry_entry_number_range')),
    sa.CheckConstraint('valid OR invalid_reason IS NOT NULL', name=op.f('ck_paper_entry_invalid_has_reason')),
    sa.ForeignKeyConstraint(['operator_id'], ['user_account.id'], name=op.f('fk_paper_entry_operator_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['round_id'], ['ballot_round.id'], name=op.f('fk_paper_entry_round_id_ballot_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_entry')),
    sa.UniqueConstraint('round_id', 'ballot_number', 'entry_number', name=op.f('uq_paper_entry_round_id_ballot_number_entry_number')),
    sa.UniqueConstraint('round_id', 'ballot_number', 'operator_id', name=op.f('uq_paper_entry_round_id_ballot_number_operator_id'))
    )
    with op.batch_alter_table('paper_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_entry_round_id'), ['round_id'], unique=False)

    op.create_table('paper_resolution',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('ballot_number', sa.Integer(), nullable=False),
    sa.Column('valid', sa.Boolean(), nullable=False),
    sa.Column('invalid_reason', sa.String(length=20), nullable=True),
    sa.Column('marks', sa.Text(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('valid OR invalid_reason IS NOT NULL', name=op.f('ck_paper_resolution_invalid_has_reason')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['user_account.id'], name=op.f('fk_paper_resolution_confirmed_by_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['round_id'], ['ballot_round.id'], name=op.f('fk_paper_resolution_round_id_ballot_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'ballot_number', name=op.f('pk_paper_resolution'))
    )
    op.create_table('paper_totals',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('issued', sa.Integer(), nullable=False),
    sa.Column('collected', sa.Integer(), nullable=False),
    sa.Column('valid', sa.Integer(), nullable=False),
    sa.Column('invalid', sa.Integer(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('issued >= 0 AND collected >= 0 AND valid >= 0 AND invalid >= 0', name=op.f('ck_paper_totals_totals_not_negative')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user_account.id'], name=op.f('fk_paper_totals_entered_by_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['round_id'], ['ballot_round.id'], name=op.f('fk_paper_totals_round_id_ballot_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', name=op.f('pk_paper_totals'))
    )
    op.create_table('paper_line_total',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=40), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.CheckConstraint('count >= 0', name=op.f('ck_paper_line_total_count_not_negative')),
    sa.ForeignKeyConstraint(['candidate_id'], ['ballot_candidate.id'], name=op.f('fk_paper_line_total_candidate_id_ballot_candidate'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['ballot_round.id'], name=op.f('fk_paper_line_total_round_id_ballot_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'candidate_id', 'level', name=op.f('pk_paper_line_total'))
    )
    with op.batch_alter_table('ballot_round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ballot_kinds', sa.Enum('browser', 'paper', 'both', name='ballot_kinds', native_enum=False, create_constraint=True, length=40), nullable=False, server_default='browser'))
        batch_op.add_column(sa.Column('paper_entries', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('paper_mode', sa.Enum('ballots', 'totals', name='paper_mode', native_enum=False, create_constraint=True, length=40), nullable=False, server_default='ballots'))
        batch_op.add_column(sa.Column('percent_places', sa.Integer(), nullable=False, server_default='2'))
        batch_op.add_column(sa.Column('paper_collected_count', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_ballot_round_paper_entries_range'), 'paper_entries BETWEEN 1 AND 3')
        batch_op.create_check_constraint(op.f('ck_ballot_round_percent_places_range'), 'percent_places IN (1, 2)')

    with op.batch_alter_table('box', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rights_without_ballot', sa.Integer(), nullable=False,
                                      server_default='0'))

    with op.batch_alter_table('ballot_voter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handed', sa.Enum('paper', 'code', name='ballot_handed', native_enum=False, create_constraint=True, length=40), nullable=True))



def downgrade():
    with op.batch_alter_table('box', schema=None) as batch_op:
        batch_op.drop_column('rights_without_ballot')

    with op.batch_alter_table('ballot_voter', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_ballot_voter_ballot_handed'), type_='check')
        batch_op.drop_column('handed')

    with op.batch_alter_table('ballot_round', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_ballot_round_percent_places_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_ballot_round_paper_entries_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_ballot_round_paper_mode'), type_='check')
        batch_op.drop_constraint(op.f('ck_ballot_round_ballot_kinds'), type_='check')
        batch_op.drop_column('paper_collected_count')
        batch_op.drop_column('percent_places')
        batch_op.drop_column('paper_mode')
        batch_op.drop_column('paper_entries')
        batch_op.drop_column('ballot_kinds')

    op.drop_table('paper_line_total')
    op.drop_table('paper_totals')
    op.drop_table('paper_resolution')
    with op.batch_alter_table('paper_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_entry_round_id'))

    op.drop_table('paper_entry')
