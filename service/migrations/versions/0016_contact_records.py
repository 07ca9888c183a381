"""Contact records: the structured record a proxy confirmation rests on

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('contact_records',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('entry_id', _ID, nullable=False),
    sa.Column('member_id', _ID, nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('contact_used', sa.String(length=160), nullable=False),
    sa.Column('contacted_at', sa.DateTime(), nullable=False),
    sa.Column('member_said', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['evidence_entries.id'], name=op.f('fk_contact_records_entry_id_evidence_entries')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_contact_records_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_records')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_contact_records_entry_id'))
    )
    with op.batch_alter_table('contact_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_records_member_id'), ['member_id'], unique=False)


def downgrade():
    with op.batch_alter_table('contact_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_records_member_id'))
    op.drop_table('contact_records')
