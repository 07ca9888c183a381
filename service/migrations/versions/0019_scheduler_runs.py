"""The scheduler remembers a job run under way, so a run cut by a crash is made again

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scheduler_runs',
    sa.Column('job_id', sa.Unicode(length=191), nullable=False),
    sa.Column('running_since', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_scheduler_runs'))
    )


def downgrade():
    op.drop_table('scheduler_runs')
