"""Evaluation rounds: Quy chế versions, rounds, the units and people rated (snapshots), the
forms of each step, forcing events, collective meetings and their comments, decisions (never
edited: a new one supersedes), petitions; and three columns of person.

Read by hand:
- person gets staff_kind (công chức / viên chức / cán bộ / other, CHECK), manager_id (a person,
  SET NULL when that person is deleted) and started_on (months worked in the year). All NULL for
  existing people: the round then treats them as eligible with no manager but the unit's head.
- evaluation_person and evaluation_unit are UNIQUE per (round, person) and (round, unit), so that
  taking the same people twice adds nothing; their level columns accept the four evaluation
  levels only (CHECK), scores are integer hundredths between 0 and 10000.
- evaluation_form: one per (rated person, step) and (rated unit, step), about exactly one of them
  (CHECK), "sent" has its time (CHECK).
- evaluation_decision: about exactly one subject; UNIQUE(supersedes_id): a decision is
  superseded at most once; RESTRICT on supersedes_id keeps the chain.
- Cascades: everything of a round goes with it (a round is deleted only as a draft).
- Downgrade drops the tables and the three columns.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evaluation_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('preset', sa.String(length=40), nullable=False),
    sa.Column('settings_json', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'open', 'finalised', name='evaluation_round_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('body_name', sa.String(length=255), nullable=True),
    sa.Column('authority_name', sa.String(length=255), nullable=True),
    sa.Column('outstanding', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finalised_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_number', sa.String(length=80), nullable=True),
    sa.Column('decision_date', sa.Date(), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_evaluation_round_year_range')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_evaluation_round_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_round'))
    )
    with op.batch_alter_table('evaluation_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_round_unit_id'), ['unit_id'], unique=False)

    op.create_table('evaluation_meeting',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=True),
    sa.Column('place', sa.String(length=255), nullable=True),
    sa.Column('chair_name', sa.String(length=255), nullable=True),
    sa.Column('secretary_name', sa.String(length=255), nullable=True),
    sa.Column('members_total', sa.Integer(), nullable=True),
    sa.Column('members_present', sa.Integer(), nullable=True),
    sa.Column('opinion_ballot', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'voting', 'closed', 'recorded', name='evaluation_meeting_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('content_json', sa.Text(), nullable=False),
    sa.CheckConstraint('members_present IS NULL OR members_total IS NULL OR members_present <= members_total', name=op.f('ck_evaluation_meeting_present_within_members')),
    sa.ForeignKeyConstraint(['round_id'], ['evaluation_round.id'], name=op.f('fk_evaluation_meeting_round_id_evaluation_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_evaluation_meeting_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_meeting')),
    sa.UniqueConstraint('round_id', 'unit_id', name=op.f('uq_evaluation_meeting_round_id_unit_id'))
    )
    with op.batch_alter_table('evaluation_meeting', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_meeting_round_id'), ['round_id'], unique=False)

    op.create_table('evaluation_regulation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('preset', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('content_json', sa.Text(), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('version >= 1', name=op.f('ck_evaluation_regulation_version_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_evaluation_regulation_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_evaluation_regulation_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_regulation')),
    sa.UniqueConstraint('unit_id', 'version', name=op.f('uq_evaluation_regulation_unit_id_version'))
    )
    with op.batch_alter_table('evaluation_regulation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_regulation_unit_id'), ['unit_id'], unique=False)

    op.create_table('evaluation_person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('full_name', sa.String(length=255), nullable=False),
    sa.Column('sort_key', sa.LargeBinary(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_name', sa.String(length=255), nullable=False),
    sa.Column('post_name', sa.String(length=255), nullable=True),
    sa.Column('is_leader', sa.Boolean(), nullable=False),
    sa.Column('is_head', sa.Boolean(), nullable=False),
    sa.Column('duty_group_id', sa.Integer(), nullable=True),
    sa.Column('duty_group_name', sa.String(length=255), nullable=True),
    sa.Column('staff_kind', sa.Enum('civil_servant', 'public_employee', 'official', 'other', name='staff_kind', native_enum=False, create_constraint=True, length=40), nullable=True),
    sa.Column('manager_person_id', sa.Integer(), nullable=True),
    sa.Column('regulation_id', sa.Integer(), nullable=True),
    sa.Column('months_worked', sa.String(length=12), nullable=True),
    sa.Column('leave', sa.String(length=12), nullable=False),
    sa.Column('eligible', sa.Boolean(), nullable=False),
    sa.Column('eligibility_note', sa.String(length=255), nullable=True),
    sa.Column('included', sa.Boolean(), nullable=False),
    sa.Column('excluded_reason', sa.String(length=255), nullable=True),
    sa.Column('included_reason', sa.String(length=1000), nullable=True),
    sa.Column('period_scores_json', sa.Text(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('proposed_level', sa.String(length=40), nullable=True),
    sa.Column('level', sa.String(length=40), nullable=True),
    sa.CheckConstraint("level IS NULL OR level IN ('htxs', 'htt', 'htnv', 'kht')", name=op.f('ck_evaluation_person_person_level')),
    sa.CheckConstraint("proposed_level IS NULL OR proposed_level IN ('htxs', 'htt', 'htnv', 'kht')", name=op.f('ck_evaluation_person_person_proposed_level')),
    sa.CheckConstraint('included OR NOT eligible OR excluded_reason IS NULL', name=op.f('ck_evaluation_person_exclusion_has_no_reason_when_eligible')),
    sa.CheckConstraint('score IS NULL OR (score BETWEEN 0 AND 10000)', name=op.f('ck_evaluation_person_score_range')),
    sa.ForeignKeyConstraint(['manager_person_id'], ['person.id'], name=op.f('fk_evaluation_person_manager_person_id_person'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_evaluation_person_person_id_person'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['regulation_id'], ['evaluation_regulation.id'], name=op.f('fk_evaluation_person_regulation_id_evaluation_regulation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['round_id'], ['evaluation_round.id'], name=op.f('fk_evaluation_person_round_id_evaluation_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_evaluation_person_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_person')),
    sa.UniqueConstraint('round_id', 'person_id', name=op.f('uq_evaluation_person_round_id_person_id'))
    )
    with op.batch_alter_table('evaluation_person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_person_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_person_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_person_unit_id'), ['unit_id'], unique=False)

    op.create_table('evaluation_unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('path', sa.String(length=1000), nullable=False),
    sa.Column('parent_unit_id', sa.Integer(), nullable=True),
    sa.Column('regulation_id', sa.Integer(), nullable=True),
    sa.Column('facts_json', sa.Text(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('proposed_level', sa.String(length=40), nullable=True),
    sa.Column('level', sa.String(length=40), nullable=True),
    sa.CheckConstraint("level IS NULL OR level IN ('htxs', 'htt', 'htnv', 'kht')", name=op.f('ck_evaluation_unit_unit_level')),
    sa.CheckConstraint("proposed_level IS NULL OR proposed_level IN ('htxs', 'htt', 'htnv', 'kht')", name=op.f('ck_evaluation_unit_unit_proposed_level')),
    sa.CheckConstraint('score IS NULL OR (score BETWEEN 0 AND 10000)', name=op.f('ck_evaluation_unit_score_range')),
    sa.ForeignKeyConstraint(['regulation_id'], ['evaluation_regulation.id'], name=op.f('fk_evaluation_unit_regulation_id_evaluation_regulation'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['round_id'], ['evaluation_round.id'], name=op.f('fk_evaluation_unit_round_id_evaluation_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_evaluation_unit_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_unit')),
    sa.UniqueConstraint('round_id', 'unit_id', name=op.f('uq_evaluation_unit_round_id_unit_id'))
    )
    with op.batch_alter_table('evaluation_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_unit_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_unit_unit_id'), ['unit_id'], unique=False)

    op.create_table('evaluation_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('rated_person_id', sa.Integer(), nullable=True),
    sa.Column('rated_unit_id', sa.Integer(), nullable=True),
    sa.Column('level', sa.String(length=40), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('number', sa.String(length=80), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("level IN ('htxs', 'htt', 'htnv', 'kht')", name=op.f('ck_evaluation_decision_decision_level')),
    sa.CheckConstraint('(rated_person_id IS NULL) <> (rated_unit_id IS NULL)', name=op.f('ck_evaluation_decision_decides_one_subject')),
    sa.CheckConstraint('score IS NULL OR (score BETWEEN 0 AND 10000)', name=op.f('ck_evaluation_decision_score_range')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_evaluation_decision_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rated_person_id'], ['evaluation_person.id'], name=op.f('fk_evaluation_decision_rated_person_id_evaluation_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rated_unit_id'], ['evaluation_unit.id'], name=op.f('fk_evaluation_decision_rated_unit_id_evaluation_unit'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['evaluation_round.id'], name=op.f('fk_evaluation_decision_round_id_evaluation_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supersedes_id'], ['evaluation_decision.id'], name=op.f('fk_evaluation_decision_supersedes_id_evaluation_decision'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_decision')),
    sa.UniqueConstraint('supersedes_id', name=op.f('uq_evaluation_decision_supersedes_id'))
    )
    with op.batch_alter_table('evaluation_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_decision_rated_person_id'), ['rated_person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_decision_rated_unit_id'), ['rated_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evaluation_decision_round_id'), ['round_id'], unique=False)

    op.create_table('evaluation_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rated_person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('act', sa.String(length=255), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('mitigated', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['rated_person_id'], ['evaluation_person.id'], name=op.f('fk_evaluation_event_rated_person_id_evaluation_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_evaluation_event_unit_id_unit'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_event'))
    )
    with op.batch_alter_table('evaluation_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_event_rated_person_id'), ['rated_person_id'], unique=False)

    op.create_table('evaluation_form',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.Enum('self', 'manager', 'party', 'office', name='evaluation_form_step', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('rated_person_id', sa.Integer(), nullable=True),
    sa.Column('rated_unit_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('content_json', sa.Text(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=True),
    sa.Column('proposed_level', sa.String(length=40), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'sent', name='evaluation_form_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.CheckConstraint("proposed_level IS NULL OR proposed_level IN ('htxs', 'htt', 'htnv', 'kht')", name=op.f('ck_evaluation_form_form_proposed_level')),
    sa.CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name=op.f('ck_evaluation_form_sent_has_time')),
    sa.CheckConstraint('(rated_person_id IS NULL) <> (rated_unit_id IS NULL)', name=op.f('ck_evaluation_form_about_one_subject')),
    sa.CheckConstraint('total IS NULL OR (total BETWEEN 0 AND 10000)', name=op.f('ck_evaluation_form_total_range')),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_evaluation_form_author_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rated_person_id'], ['evaluation_person.id'], name=op.f('fk_evaluation_form_rated_person_id_evaluation_person'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rated_unit_id'], ['evaluation_unit.id'], name=op.f('fk_evaluation_form_rated_unit_id_evaluation_unit'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['evaluation_round.id'], name=op.f('fk_evaluation_form_round_id_evaluation_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_form')),
    sa.UniqueConstraint('rated_person_id', 'step', name=op.f('uq_evaluation_form_rated_person_id_step')),
    sa.UniqueConstraint('rated_unit_id', 'step', name=op.f('uq_evaluation_form_rated_unit_id_step'))
    )
    with op.batch_alter_table('evaluation_form', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_form_round_id'), ['round_id'], unique=False)

    op.create_table('evaluation_meeting_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('rated_person_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['evaluation_meeting.id'], name=op.f('fk_evaluation_meeting_comment_meeting_id_evaluation_meeting'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rated_person_id'], ['evaluation_person.id'], name=op.f('fk_evaluation_meeting_comment_rated_person_id_evaluation_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_meeting_comment')),
    sa.UniqueConstraint('meeting_id', 'rated_person_id', name=op.f('uq_evaluation_meeting_comment_meeting_id_rated_person_id'))
    )
    with op.batch_alter_table('evaluation_meeting_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_meeting_comment_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('evaluation_petition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rated_person_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('pending', 'rejected', 'accepted', name='evaluation_petition_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'], name=op.f('fk_evaluation_petition_answered_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decision_id'], ['evaluation_decision.id'], name=op.f('fk_evaluation_petition_decision_id_evaluation_decision'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rated_person_id'], ['evaluation_person.id'], name=op.f('fk_evaluation_petition_rated_person_id_evaluation_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_petition'))
    )
    with op.batch_alter_table('evaluation_petition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_petition_rated_person_id'), ['rated_person_id'], unique=False)

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_kind', sa.Enum('civil_servant', 'public_employee', 'official', 'other', name='staff_kind', native_enum=False, create_constraint=True, length=40), nullable=True))
        batch_op.add_column(sa.Column('manager_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('started_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_person_manager_id'), ['manager_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_person_manager_id_person'), 'person', ['manager_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_person_manager_id_person'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_person_manager_id'))
        batch_op.drop_constraint(batch_op.f('ck_person_staff_kind'), type_='check')
        batch_op.drop_column('started_on')
        batch_op.drop_column('manager_id')
        batch_op.drop_column('staff_kind')

    with op.batch_alter_table('evaluation_petition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_petition_rated_person_id'))

    op.drop_table('evaluation_petition')
    with op.batch_alter_table('evaluation_meeting_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_meeting_comment_meeting_id'))

    op.drop_table('evaluation_meeting_comment')
    with op.batch_alter_table('evaluation_form', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_form_round_id'))

    op.drop_table('evaluation_form')
    with op.batch_alter_table('evaluation_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_event_rated_person_id'))

    op.drop_table('evaluation_event')
    with op.batch_alter_table('evaluation_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_decision_round_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_decision_rated_unit_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_decision_rated_person_id'))

    op.drop_table('evaluation_decision')
    with op.batch_alter_table('evaluation_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_unit_unit_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_unit_round_id'))

    op.drop_table('evaluation_unit')
    with op.batch_alter_table('evaluation_person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_person_unit_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_person_round_id'))
        batch_op.drop_index(batch_op.f('ix_evaluation_person_person_id'))

    op.drop_table('evaluation_person')
    with op.batch_alter_table('evaluation_regulation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_regulation_unit_id'))

    op.drop_table('evaluation_regulation')
    with op.batch_alter_table('evaluation_meeting', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_meeting_round_id'))

    op.drop_table('evaluation_meeting')
    with op.batch_alter_table('evaluation_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_round_unit_id'))

    op.drop_table('evaluation_round')
