"""Evidence files of the product ledger's work items (issue 13: "evidence (a file or a link)"):
ledger_item_file, one file per work item (its name, the type its first bytes show, its size,
its bytes), deleted with its item. One new table; nothing existing changes. Downgrade drops it.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('ledger_item_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('size BETWEEN 1 AND 5242880', name=op.f('ck_ledger_item_file_size_range')),
    sa.ForeignKeyConstraint(['item_id'], ['ledger_item.id'], name=op.f('fk_ledger_item_file_item_id_ledger_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_ledger_item_file_uploaded_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_item_file')),
    sa.UniqueConstraint('item_id', name=op.f('uq_ledger_item_file_item_id'))
    )


def downgrade():
    op.drop_table('ledger_item_file')
