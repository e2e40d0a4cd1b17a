"""Documents owned through a link: an issued document and a register number name their owner
by type and id (and the subject inside it: the person a notice is addressed to), not by foreign
keys to the ballot tables; the register of numbers belongs to an issuing body named the same
way (today always a unit); kinds of document are values the owning areas register.

Read by hand:
- issued_document: round_id / candidate_id become owner ('ballot_round', round_id) and subject
  ('ballot_candidate', candidate_id) — every existing row is a round's; a subject is given whole
  or not at all (CHECK); one index on (owner_type, owner_id) replaces the one on round_id.
- document_number: unit_id becomes the register ('unit', unit_id); round_id / candidate_id the
  owner and subject, as above; UNIQUE (register_type, register_id, year, number) replaces
  UNIQUE (unit_id, year, number), so numbers stay unique per body and year.
- kind: the CHECK listing the three ballot kinds goes (another area's kinds are valid too); the
  column stays VARCHAR(40).
- The foreign keys to ballot_round, ballot_candidate and unit go: the documents area must not
  know other areas' tables. What they guarded (a signed record never loses its round) holds
  because no round is ever deleted and a person voted on is removed only from a draft round,
  which has no document yet.
- SQLite rebuilds both tables (batch mode, with foreign keys unenforced by env.py so that
  no signature slot is cascaded away); the data is carried over by the UPDATEs below, and
  PRAGMA foreign_key_check must find nothing dangling before the migration commits.
- Downgrade restores the foreign keys and the CHECK; it refuses to run while a document or a
  number belongs to anything other than a round and a unit.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

BALLOT_KINDS = "kind IN ('minutes', 'ballots', 'notice')"
SUBJECT_LINK = "(subject_type IS NULL) = (subject_id IS NULL)"


def _add_links(batch, *, register: bool = False):
    if register:
        batch.add_column(sa.Column('register_type', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('register_id', sa.Integer(), nullable=True))
    batch.add_column(sa.Column('owner_type', sa.String(length=40), nullable=True))
    batch.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
    batch.add_column(sa.Column('subject_type', sa.String(length=40), nullable=True))
    batch.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))


def _links_from_round(table: str):
    op.execute(f"UPDATE {table} SET owner_type = 'ballot_round', owner_id = round_id, "
               "subject_type = CASE WHEN candidate_id IS NULL THEN NULL "
               "ELSE 'ballot_candidate' END, subject_id = candidate_id")


def upgrade():
    # ---------------------------------------------------------------- issued_document
    with op.batch_alter_table('issued_document') as batch:
        _add_links(batch)
    _links_from_round('issued_document')
    with op.batch_alter_table('issued_document') as batch:
        batch.alter_column('owner_type', existing_type=sa.String(length=40), nullable=False)
        batch.alter_column('owner_id', existing_type=sa.Integer(), nullable=False)
        batch.drop_index(op.f('ix_issued_document_round_id'))
        batch.drop_constraint(op.f('fk_issued_document_round_id_ballot_round'),
                              type_='foreignkey')
        batch.drop_constraint(op.f('fk_issued_document_candidate_id_ballot_candidate'),
                              type_='foreignkey')
        batch.drop_constraint(op.f('ck_issued_document_document_kind'), type_='check')
        batch.drop_column('round_id')
        batch.drop_column('candidate_id')
        batch.create_check_constraint(op.f('ck_issued_document_subject_link'), SUBJECT_LINK)
        batch.create_index(op.f('ix_issued_document_owner_type'), ['owner_type', 'owner_id'])

    # ---------------------------------------------------------------- document_number
    with op.batch_alter_table('document_number') as batch:
        _add_links(batch, register=True)
    _links_from_round('document_number')
    op.execute("UPDATE document_number SET register_type = 'unit', register_id = unit_id")
    with op.batch_alter_table('document_number') as batch:
        for column in ('register_type', 'owner_type'):
            batch.alter_column(column, existing_type=sa.String(length=40), nullable=False)
        for column in ('register_id', 'owner_id'):
            batch.alter_column(column, existing_type=sa.Integer(), nullable=False)
        batch.drop_index(op.f('ix_document_number_round_id'))
        batch.drop_constraint(op.f('uq_document_number_unit_id_year_number'), type_='unique')
        batch.drop_constraint(op.f('fk_document_number_unit_id_unit'), type_='foreignkey')
        batch.drop_constraint(op.f('fk_document_number_round_id_ballot_round'),
                              type_='foreignkey')
        batch.drop_constraint(op.f('fk_document_number_candidate_id_ballot_candidate'),
                              type_='foreignkey')
        batch.drop_constraint(op.f('ck_document_number_document_kind'), type_='check')
        batch.drop_column('unit_id')
        batch.drop_column('round_id')
        batch.drop_column('candidate_id')
        batch.create_unique_constraint(
            op.f('uq_document_number_register_type_register_id_year_number'),
            ['register_type', 'register_id', 'year', 'number'])
        batch.create_check_constraint(op.f('ck_document_number_subject_link'), SUBJECT_LINK)
        batch.create_index(op.f('ix_document_number_owner_type'), ['owner_type', 'owner_id'])
    _no_dangling_reference()


def _no_dangling_reference():
    """SQLite rebuilt the tables with foreign keys unenforced (migrations/env.py): before this
    migration's transaction commits, every reference to them must still resolve."""
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        dangling = bind.exec_driver_sql('PRAGMA foreign_key_check').fetchall()
        if dangling:
            raise RuntimeError(f'foreign keys left dangling: {dangling[:5]}')


def downgrade():
    connection = op.get_bind()
    foreign = connection.execute(sa.text(
        "SELECT (SELECT COUNT(*) FROM issued_document WHERE owner_type <> 'ballot_round') + "
        "(SELECT COUNT(*) FROM document_number WHERE owner_type <> 'ballot_round' "
        "OR register_type <> 'unit')")).scalar()
    if foreign:
        raise RuntimeError(f"{foreign} documents or numbers belong to something other than a "
                           "round and a unit: revision 0005 cannot hold them")

    with op.batch_alter_table('document_number') as batch:
        batch.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('round_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('candidate_id', sa.Integer(), nullable=True))
    op.execute("UPDATE document_number SET unit_id = register_id, round_id = owner_id, "
               "candidate_id = subject_id")
    with op.batch_alter_table('document_number') as batch:
        batch.drop_index(op.f('ix_document_number_owner_type'))
        batch.drop_constraint(op.f('ck_document_number_subject_link'), type_='check')
        batch.drop_constraint(op.f('uq_document_number_register_type_register_id_year_number'),
                              type_='unique')
        for column in ('register_type', 'register_id', 'owner_type', 'owner_id',
                       'subject_type', 'subject_id'):
            batch.drop_column(column)
        batch.alter_column('unit_id', existing_type=sa.Integer(), nullable=False)
        batch.alter_column('round_id', existing_type=sa.Integer(), nullable=False)
        batch.create_check_constraint(op.f('ck_document_number_document_kind'), BALLOT_KINDS)
        batch.create_foreign_key(op.f('fk_document_number_candidate_id_ballot_candidate'),
                                 'ballot_candidate', ['candidate_id'], ['id'],
                                 ondelete='RESTRICT')
        batch.create_foreign_key(op.f('fk_document_number_round_id_ballot_round'),
                                 'ballot_round', ['round_id'], ['id'], ondelete='RESTRICT')
        batch.create_foreign_key(op.f('fk_document_number_unit_id_unit'), 'unit', ['unit_id'],
                                 ['id'], ondelete='RESTRICT')
        batch.create_unique_constraint(op.f('uq_document_number_unit_id_year_number'),
                                       ['unit_id', 'year', 'number'])
        batch.create_index(op.f('ix_document_number_round_id'), ['round_id'])

    with op.batch_alter_table('issued_document') as batch:
        batch.add_column(sa.Column('round_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('candidate_id', sa.Integer(), nullable=True))
    op.execute("UPDATE issued_document SET round_id = owner_id, candidate_id = subject_id")
    with op.batch_alter_table('issued_document') as batch:
        batch.drop_index(op.f('ix_issued_document_owner_type'))
        batch.drop_constraint(op.f('ck_issued_document_subject_link'), type_='check')
        for column in ('owner_type', 'owner_id', 'subject_type', 'subject_id'):
            batch.drop_column(column)
        batch.alter_column('round_id', existing_type=sa.Integer(), nullable=False)
        batch.create_check_constraint(op.f('ck_issued_document_document_kind'), BALLOT_KINDS)
        batch.create_foreign_key(op.f('fk_issued_document_round_id_ballot_round'),
                                 'ballot_round', ['round_id'], ['id'], ondelete='RESTRICT')
        batch.create_foreign_key(op.f('fk_issued_document_candidate_id_ballot_candidate'),
                                 'ballot_candidate', ['candidate_id'], ['id'],
                                 ondelete='RESTRICT')
        batch.create_index(op.f('ix_issued_document_round_id'), ['round_id'])
    _no_dangling_reference()
