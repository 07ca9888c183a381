"""Reminders: the steps taken per card, and APScheduler's job table (its persistent job store)

Revision ID: 0008
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('apscheduler_jobs',
    sa.Column('id', sa.Unicode(length=191), nullable=False),
    sa.Column('next_run_time', sa.Float(precision=25).with_variant(mysql.DOUBLE(), 'mysql'), nullable=True),
    sa.Column('job_state', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_apscheduler_jobs'))
    )
    with op.batch_alter_table('apscheduler_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_apscheduler_jobs_next_run_time'), ['next_run_time'], unique=False)

    op.create_table('reminder_steps',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('idempotency_key', sa.String(length=191), nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('campaign_member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('card_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('rung', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=True),
    sa.Column('taken_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_reminder_steps_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['campaign_member_id'], ['campaign_members.id'], name=op.f('fk_reminder_steps_campaign_member_id_campaign_members')),
    sa.ForeignKeyConstraint(['card_id'], ['cards.id'], name=op.f('fk_reminder_steps_card_id_cards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_steps')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_reminder_steps_idempotency_key'))
    )
    with op.batch_alter_table('reminder_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_steps_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_steps_campaign_member_id'), ['campaign_member_id'], unique=False)


def downgrade():
    with op.batch_alter_table('reminder_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_steps_campaign_member_id'))
        batch_op.drop_index(batch_op.f('ix_reminder_steps_campaign_id'))

    op.drop_table('reminder_steps')
    with op.batch_alter_table('apscheduler_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_apscheduler_jobs_next_run_time'))

    op.drop_table('apscheduler_jobs')
