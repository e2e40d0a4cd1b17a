"""Confidence rounds: the round with its settings (copied from a rule-set preset), the people
voted on (snapshots of name, post and unit), the summoned list with attendance, the officers,
and the secret part: participation, ballots, marks and trackers.

Read by hand: ballot_participation, ballot, ballot_mark and ballot_receipt are WITHOUT ROWID on
SQLite (rows kept in the order of their random keys, never in the order of casting) and carry no
timestamp or sequence; ballot_count stores the raw counts written by counting.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ballot_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('body_name', sa.String(length=300), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('place', sa.String(length=300), nullable=True),
    sa.Column('meeting_date', sa.Date(), nullable=True),
    sa.Column('scale', sa.Enum('three_level', 'two_level', name='ballot_scale', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('preset', sa.String(length=40), nullable=False),
    sa.Column('base', sa.Enum('collected', 'issued', 'summoned', 'valid', name='ballot_base', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('bad_line_voids_ballot', sa.Boolean(), nullable=False),
    sa.Column('results_to_candidates', sa.Boolean(), nullable=False),
    sa.Column('publish_to_voters', sa.Boolean(), nullable=False),
    sa.Column('secrecy_threshold', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'attendance', 'voting', 'closed', 'counted', 'finalised', name='ballot_round_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('summoned_count', sa.Integer(), nullable=True),
    sa.Column('present_count', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('counted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finalised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issued_count', sa.Integer(), nullable=True),
    sa.Column('collected_count', sa.Integer(), nullable=True),
    sa.Column('valid_count', sa.Integer(), nullable=True),
    sa.Column('invalid_count', sa.Integer(), nullable=True),
    sa.Column('box_digest', sa.String(length=64), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('secrecy_threshold >= 0', name=op.f('ck_ballot_round_secrecy_threshold_not_negative')),
    sa.CheckConstraint('summoned_count IS NULL OR present_count <= summoned_count', name=op.f('ck_ballot_round_present_within_summoned')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_ballot_round_created_by_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_ballot_round_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_round'))
    )
    op.create_index(op.f('ix_ballot_round_status'), 'ballot_round', ['status'])
    op.create_index(op.f('ix_ballot_round_unit_id'), 'ballot_round', ['unit_id'])

    op.create_table('ballot',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('valid', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['ballot_round.id'], name=op.f('fk_ballot_round_id_ballot_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot')),
    sqlite_with_rowid=False
    )
    op.create_index(op.f('ix_ballot_round_id'), 'ballot', ['round_id'])

    op.create_table('ballot_candidate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=255), nullable=False),
    sa.Column('post_name', sa.String(length=255), nullable=True),
    sa.Column('unit_name', sa.String(length=255), nullable=False),
    sa.Column('excluded', sa.Boolean(), nullable=False),
    sa.Column('exclusion_reason', sa.String(length=500), nullable=True),
    sa.CheckConstraint('NOT excluded OR exclusion_reason IS NOT NULL', name=op.f('ck_ballot_candidate_exclusion_has_reason')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_ballot_candidate_person_id_person'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['round_id'], ['ballot_round.id'], name=op.f('fk_ballot_candidate_round_id_ballot_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_candidate')),
    sa.UniqueConstraint('round_id', 'person_id', name=op.f('uq_ballot_candidate_round_id_person_id'))
    )
    op.create_index(op.f('ix_ballot_candidate_round_id'), 'ballot_candidate', ['round_id'])

    op.create_table('ballot_officer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('chair', 'secretary', 'counter_head', 'counter', name='ballot_officer_role', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['ballot_round.id'], name=op.f('fk_ballot_officer_round_id_ballot_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_ballot_officer_user_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_officer')),
    sa.UniqueConstraint('round_id', 'user_id', 'role', name=op.f('uq_ballot_officer_round_id_user_id_role'))
    )
    op.create_index(op.f('ix_ballot_officer_round_id'), 'ballot_officer', ['round_id'])
    op.create_index(op.f('ix_ballot_officer_user_id'), 'ballot_officer', ['user_id'])

    op.create_table('ballot_participation',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_ballot_participation_person_id_person'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['round_id'], ['ballot_round.id'], name=op.f('fk_ballot_participation_round_id_ballot_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'person_id', name=op.f('pk_ballot_participation')),
    sqlite_with_rowid=False
    )
    op.create_table('ballot_receipt',
    sa.Column('tracker', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['ballot_round.id'], name=op.f('fk_ballot_receipt_round_id_ballot_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tracker', name=op.f('pk_ballot_receipt')),
    sqlite_with_rowid=False
    )
    op.create_index(op.f('ix_ballot_receipt_round_id'), 'ballot_receipt', ['round_id'])

    op.create_table('ballot_voter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=255), nullable=False),
    sa.Column('unit_name', sa.String(length=255), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_ballot_voter_person_id_person'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['round_id'], ['ballot_round.id'], name=op.f('fk_ballot_voter_round_id_ballot_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_voter')),
    sa.UniqueConstraint('round_id', 'person_id', name=op.f('uq_ballot_voter_round_id_person_id'))
    )
    op.create_index(op.f('ix_ballot_voter_person_id'), 'ballot_voter', ['person_id'])
    op.create_index(op.f('ix_ballot_voter_round_id'), 'ballot_voter', ['round_id'])

    op.create_table('ballot_count',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Enum('high', 'confidence', 'low', 'no_confidence', name='ballot_level', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.CheckConstraint('count >= 0', name=op.f('ck_ballot_count_count_not_negative')),
    sa.ForeignKeyConstraint(['candidate_id'], ['ballot_candidate.id'], name=op.f('fk_ballot_count_candidate_id_ballot_candidate'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['ballot_round.id'], name=op.f('fk_ballot_count_round_id_ballot_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'candidate_id', 'level', name=op.f('pk_ballot_count'))
    )
    op.create_table('ballot_mark',
    sa.Column('ballot_id', sa.String(length=32), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Enum('high', 'confidence', 'low', 'no_confidence', name='ballot_level', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_ballot_mark_ballot_id_ballot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['candidate_id'], ['ballot_candidate.id'], name=op.f('fk_ballot_mark_candidate_id_ballot_candidate'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ballot_id', 'candidate_id', name=op.f('pk_ballot_mark')),
    sqlite_with_rowid=False
    )


def downgrade():
    for table in ("ballot_mark", "ballot_count", "ballot_voter", "ballot_receipt",
                  "ballot_participation", "ballot_officer", "ballot_candidate", "ballot",
                  "ballot_round"):
        op.drop_table(table)
