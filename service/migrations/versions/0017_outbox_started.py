"""Outbox rows remember when a provider call started, so a crash resends only those

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('started_at', sa.DateTime(), nullable=True))
    # Rows a worker may have tried before this column existed count as started: looked up
    # (where the provider allows) before they go again.
    rows = sa.table('outbox_messages', sa.column('state'), sa.column('attempts'),
                    sa.column('started_at'), sa.column('updated_at'))
    op.execute(rows.update().where(rows.c.state.in_(('sending', 'pending', 'dead')),
                                   rows.c.attempts > 0)
               .values(started_at=rows.c.updated_at))


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('started_at')
