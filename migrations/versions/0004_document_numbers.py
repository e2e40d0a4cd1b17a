"""Documents as an office files them: the register of document numbers (numbers run 1, 2, 3 …
per issuing body and year), the number an issued document carries, and the round's governing
body line and place name printed in the documents' heading and date line.

Read by hand: a number is unique within its body's register for the year (UNIQUE), is positive
(CHECK), and is kept (RESTRICT) as long as a document printed with it exists; documents that
replace an unsigned one of the same round, kind and person point to the same number. An issued
document also records the SHA-256 of what it was rendered from, so that asking for it again
needs no new layout to tell whether anything changed (documents issued before have none and are
compared by rendering, as before).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('ballot_round', sa.Column('governing_body_name', sa.String(length=300), nullable=True))
    op.add_column('ballot_round', sa.Column('locality', sa.String(length=120), nullable=True))

    op.create_table('document_number',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('minutes', 'ballots', 'notice', name='document_kind', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('number > 0', name=op.f('ck_document_number_number_positive')),
    sa.ForeignKeyConstraint(['candidate_id'], ['ballot_candidate.id'], name=op.f('fk_document_number_candidate_id_ballot_candidate'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['round_id'], ['ballot_round.id'], name=op.f('fk_document_number_round_id_ballot_round'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_document_number_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_number')),
    sa.UniqueConstraint('unit_id', 'year', 'number', name=op.f('uq_document_number_unit_id_year_number'))
    )
    op.create_index(op.f('ix_document_number_round_id'), 'document_number', ['round_id'])

    # SQLite cannot add a foreign key to an existing table: batch mode rebuilds it there.
    with op.batch_alter_table('issued_document') as batch:
        batch.add_column(sa.Column('number_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('source_sha256', sa.String(length=64), nullable=True))
        batch.create_foreign_key(op.f('fk_issued_document_number_id_document_number'),
                                 'document_number', ['number_id'], ['id'], ondelete='RESTRICT')
        batch.create_index(op.f('ix_issued_document_number_id'), ['number_id'])


def downgrade():
    with op.batch_alter_table('issued_document') as batch:
        batch.drop_index(op.f('ix_issued_document_number_id'))
        batch.drop_constraint(op.f('fk_issued_document_number_id_document_number'),
                              type_='foreignkey')
        batch.drop_column('number_id')
        batch.drop_column('source_sha256')
    op.drop_table('document_number')
    op.drop_column('ballot_round', 'locality')
    op.drop_column('ballot_round', 'governing_body_name')
