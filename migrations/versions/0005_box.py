"""The ballot box as its own area: the secret tables of confidence rounds move into boxes that
any kind of round can own, and the existing ballots move with them.

Read by hand:
- `box` (owner kind + id, UNIQUE: one box per round; the scale's key; the storage scheme
  "plain"; the round's bad-line rule; open/closed; the digest once counted) and `box_line` (the
  lines in ballot order: number 1, 2, … and the person voted on, a ballot_candidate id).
- The four secret tables keep what ballot_participation, ballot, ballot_mark and ballot_receipt
  held, keyed by the box first (box_id, then a random id or the person): `box_participation`
  (box, person), `box_ballot` (box, random id, valid), `box_mark` (box, ballot, line number,
  level key: the line replaces the candidate id, the level is a key of the box's scale, checked
  by the box rather than by a CHECK listing levels, so that a new scale needs no migration),
  `box_receipt` (box, random tracker). No time, no sequence, no key between them.
  SQLite: WITHOUT ROWID, as before. PostgreSQL: PARTITION BY LIST (box_id), and each box gets its
  own partition of each table when it opens (here: one per existing box), so that closing a box
  truncates and refills only its own rows.
- Data: every round past attendance gets a box (voting → open; closed, counted, finalised →
  closed), its lines are its people voted on who are not excluded, in ballot order (position,
  then id), and its participations, ballots, marks and trackers are copied over. The numbers
  are compared before the old tables are dropped: the migration stops if any row would be lost.
  A box counted before this migration keeps the digest that was published (computed then over
  the candidates' positions rather than the line numbers).
- The old tables are dropped. SQLite zeroes their pages (secure_delete); its write-ahead log is
  emptied at the next checkpoint (the next close of a box, or SQLite's own).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

SECRET = ('box_participation', 'box_ballot', 'box_mark', 'box_receipt')
OWNED = "b.owner_kind = 'ballot_round' AND b.owner_id"


def _postgresql() -> bool:
    return op.get_bind().dialect.name == 'postgresql'


def _secret():
    """WITHOUT ROWID on SQLite; one partition per box on PostgreSQL."""
    return {'sqlite_with_rowid': False, 'postgresql_partition_by': 'LIST (box_id)'}


def _count(sql: str) -> int:
    return op.get_bind().execute(sa.text(sql)).scalar_one()


def _create_partitions(box_id: int) -> None:
    """As evalapp.box.services._create_partitions: created apart, then attached."""
    for parent in SECRET:
        name = f'{parent}_p{int(box_id)}'
        op.execute(f'CREATE TABLE {name} (LIKE {parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)')
        op.execute(f'ALTER TABLE {parent} ATTACH PARTITION {name} FOR VALUES IN ({int(box_id)})')


def upgrade():
    op.create_table('box',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_kind', sa.String(length=40), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('scale', sa.String(length=40), nullable=False),
    sa.Column('storage', sa.String(length=20), nullable=False),
    sa.Column('bad_line_voids_ballot', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=True),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_box_box_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_box')),
    sa.UniqueConstraint('owner_kind', 'owner_id', name=op.f('uq_box_owner_kind_owner_id'))
    )
    op.create_table('box_line',
    sa.Column('box_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('number >= 1', name=op.f('ck_box_line_number_from_one')),
    sa.ForeignKeyConstraint(['box_id'], ['box.id'], name=op.f('fk_box_line_box_id_box'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('box_id', 'number', name=op.f('pk_box_line')),
    sa.UniqueConstraint('box_id', 'subject_id', name=op.f('uq_box_line_box_id_subject_id'))
    )
    op.create_table('box_participation',
    sa.Column('box_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['box_id'], ['box.id'], name=op.f('fk_box_participation_box_id_box'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_box_participation_person_id_person'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('box_id', 'person_id', name=op.f('pk_box_participation')),
    **_secret()
    )
    op.create_table('box_ballot',
    sa.Column('box_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('valid', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['box_id'], ['box.id'], name=op.f('fk_box_ballot_box_id_box'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('box_id', 'id', name=op.f('pk_box_ballot')),
    **_secret()
    )
    op.create_table('box_mark',
    sa.Column('box_id', sa.Integer(), nullable=False),
    sa.Column('ballot_id', sa.String(length=32), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['box_id', 'line'], ['box_line.box_id', 'box_line.number'], name=op.f('fk_box_mark_box_id_box_line'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('box_id', 'ballot_id', 'line', name=op.f('pk_box_mark')),
    **_secret()
    )
    op.create_table('box_receipt',
    sa.Column('box_id', sa.Integer(), nullable=False),
    sa.Column('tracker', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['box_id'], ['box.id'], name=op.f('fk_box_receipt_box_id_box'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('box_id', 'tracker', name=op.f('pk_box_receipt')),
    **_secret()
    )

    # ---- the existing rounds' boxes
    op.execute(
        "INSERT INTO box (owner_kind, owner_id, scale, storage, bad_line_voids_ballot, status, "
        "digest) SELECT 'ballot_round', id, scale, 'plain', bad_line_voids_ballot, "
        "CASE WHEN status = 'voting' THEN 'open' ELSE 'closed' END, box_digest "
        "FROM ballot_round WHERE status IN ('voting', 'closed', 'counted', 'finalised') "
        "ORDER BY id")
    op.execute(
        "INSERT INTO box_line (box_id, number, subject_id) "
        "SELECT b.id, (SELECT count(*) FROM ballot_candidate o WHERE o.round_id = c.round_id "
        "AND NOT o.excluded AND (o.position < c.position OR (o.position = c.position "
        f"AND o.id <= c.id))), c.id FROM ballot_candidate c JOIN box b ON {OWNED} = c.round_id "
        "WHERE NOT c.excluded")
    if _postgresql():
        for (box_id,) in op.get_bind().execute(sa.text('SELECT id FROM box ORDER BY id')):
            _create_partitions(box_id)
    op.execute(
        "INSERT INTO box_participation (box_id, person_id) SELECT b.id, p.person_id "
        f"FROM ballot_participation p JOIN box b ON {OWNED} = p.round_id")
    op.execute(
        "INSERT INTO box_ballot (box_id, id, valid) SELECT b.id, x.id, x.valid "
        f"FROM ballot x JOIN box b ON {OWNED} = x.round_id")
    op.execute(
        "INSERT INTO box_mark (box_id, ballot_id, line, level) "
        "SELECT b.id, m.ballot_id, l.number, m.level FROM ballot_mark m "
        f"JOIN ballot x ON x.id = m.ballot_id JOIN box b ON {OWNED} = x.round_id "
        "JOIN box_line l ON l.box_id = b.id AND l.subject_id = m.candidate_id")
    op.execute(
        "INSERT INTO box_receipt (box_id, tracker) SELECT b.id, r.tracker "
        f"FROM ballot_receipt r JOIN box b ON {OWNED} = r.round_id")
    for old, new in (('ballot_participation', 'box_participation'), ('ballot', 'box_ballot'),
                     ('ballot_mark', 'box_mark'), ('ballot_receipt', 'box_receipt')):
        before, after = _count(f'SELECT count(*) FROM {old}'), _count(f'SELECT count(*) FROM {new}')
        if before != after:
            raise RuntimeError(f'{old}: {before} rows, but {after} reached {new}; nothing was '
                               'dropped. A round holds ballots it should not have; look at it '
                               'before migrating.')

    with op.batch_alter_table('ballot_receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_receipt_round_id'))
    op.drop_table('ballot_receipt')
    op.drop_table('ballot_mark')
    op.drop_table('ballot_participation')
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_round_id'))
    op.drop_table('ballot')


def downgrade():
    """The confidence rounds' ballots go back to the old tables (boxes of other owners have none
    to go to)."""
    op.create_table('ballot',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('valid', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['ballot_round.id'], name=op.f('fk_ballot_round_id_ballot_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot')),
    sqlite_with_rowid=False
    )
    op.create_index(op.f('ix_ballot_round_id'), 'ballot', ['round_id'])
    op.create_table('ballot_participation',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_ballot_participation_person_id_person'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['round_id'], ['ballot_round.id'], name=op.f('fk_ballot_participation_round_id_ballot_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'person_id', name=op.f('pk_ballot_participation')),
    sqlite_with_rowid=False
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
    op.create_table('ballot_receipt',
    sa.Column('tracker', sa.String(length=32), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['ballot_round.id'], name=op.f('fk_ballot_receipt_round_id_ballot_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tracker', name=op.f('pk_ballot_receipt')),
    sqlite_with_rowid=False
    )
    op.create_index(op.f('ix_ballot_receipt_round_id'), 'ballot_receipt', ['round_id'])

    round_of = "JOIN box b ON b.id = {}.box_id AND b.owner_kind = 'ballot_round'"
    op.execute("INSERT INTO ballot_participation (round_id, person_id) SELECT b.owner_id, "
               f"p.person_id FROM box_participation p {round_of.format('p')}")
    op.execute("INSERT INTO ballot (id, round_id, valid) SELECT x.id, b.owner_id, x.valid "
               f"FROM box_ballot x {round_of.format('x')}")
    op.execute("INSERT INTO ballot_mark (ballot_id, candidate_id, level) SELECT m.ballot_id, "
               f"l.subject_id, m.level FROM box_mark m {round_of.format('m')} "
               "JOIN box_line l ON l.box_id = m.box_id AND l.number = m.line")
    op.execute("INSERT INTO ballot_receipt (tracker, round_id) SELECT r.tracker, b.owner_id "
               f"FROM box_receipt r {round_of.format('r')}")

    for table in ('box_receipt', 'box_mark', 'box_ballot', 'box_participation', 'box_line',
                  'box'):
        op.drop_table(table)
