"""Documents: signers' certificates (PKCS#12, encrypted with the app's signing key), issued
documents (PDF bytes, first and current SHA-256, the tally and roll fingerprints they print)
and their signature slots.

Read by hand: a slot is signed exactly when it names the certificate used (CHECK); documents
keep their round and signers (RESTRICT) because a signed record is never deleted.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('signing_certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=255), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('serial_hex', sa.String(length=80), nullable=False),
    sa.Column('not_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sha256_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('encrypted_pkcs12', sa.LargeBinary(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_signing_certificate_user_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signing_certificate')),
    sa.UniqueConstraint('sha256_fingerprint', name=op.f('uq_signing_certificate_sha256_fingerprint'))
    )
    op.create_index(op.f('ix_signing_certificate_user_id'), 'signing_certificate', ['user_id'])

    op.create_table('issued_document',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.Enum('minutes', 'ballots', 'notice', name='document_kind', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('tally_fingerprint', sa.String(length=64), nullable=True),
    sa.Column('roll_fingerprint', sa.String(length=64), nullable=True),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('original_sha256', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['ballot_candidate.id'], name=op.f('fk_issued_document_candidate_id_ballot_candidate'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_issued_document_created_by_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['round_id'], ['ballot_round.id'], name=op.f('fk_issued_document_round_id_ballot_round'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_document'))
    )
    op.create_index(op.f('ix_issued_document_original_sha256'), 'issued_document', ['original_sha256'])
    op.create_index(op.f('ix_issued_document_round_id'), 'issued_document', ['round_id'])
    op.create_index(op.f('ix_issued_document_sha256'), 'issued_document', ['sha256'])

    op.create_table('signature_slot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('field_name', sa.String(length=64), nullable=False),
    sa.Column('signer_id', sa.Integer(), nullable=False),
    sa.Column('role_label', sa.String(length=120), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('certificate_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(signed_at IS NULL) = (certificate_id IS NULL)', name=op.f('ck_signature_slot_signed_with_certificate')),
    sa.ForeignKeyConstraint(['certificate_id'], ['signing_certificate.id'], name=op.f('fk_signature_slot_certificate_id_signing_certificate'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['document_id'], ['issued_document.id'], name=op.f('fk_signature_slot_document_id_issued_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['signer_id'], ['user_account.id'], name=op.f('fk_signature_slot_signer_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signature_slot')),
    sa.UniqueConstraint('document_id', 'field_name', name=op.f('uq_signature_slot_document_id_field_name'))
    )
    op.create_index(op.f('ix_signature_slot_document_id'), 'signature_slot', ['document_id'])



def downgrade():
    for table in ("signature_slot", "issued_document", "signing_certificate"):
        op.drop_table(table)
