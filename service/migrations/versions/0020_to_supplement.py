"""待补充: lost and suspended members collected with what is known (members.to_supplement and
the items still missing)

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("to_supplement", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("missing_items", sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f("ix_members_to_supplement"), ["to_supplement"],
                              unique=False)


def downgrade():
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_members_to_supplement"))
        batch_op.drop_column("missing_items")
        batch_op.drop_column("to_supplement")
