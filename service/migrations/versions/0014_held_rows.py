"""Rows held for correction (待修正): members.held and its problems; imports that hold rows;
the 组织部门's draw of 基层党委 (sampling_runs.committee_*, a longer sampling_items.kind)

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("held_problems", sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f("ix_members_held"), ["held"], unique=False)
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hold_invalid", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table("sampling_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("committee_total", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("committee_size", sa.Integer(), nullable=False,
                                      server_default="0"))
    with op.batch_alter_table("sampling_items", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=8),
                              type_=sa.String(length=16), existing_nullable=False)


def downgrade():
    with op.batch_alter_table("sampling_items", schema=None) as batch_op:
        batch_op.alter_column("kind", existing_type=sa.String(length=16),
                              type_=sa.String(length=8), existing_nullable=False)
    with op.batch_alter_table("sampling_runs", schema=None) as batch_op:
        batch_op.drop_column("committee_size")
        batch_op.drop_column("committee_total")
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.drop_column("hold_invalid")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_members_held"))
        batch_op.drop_column("held_problems")
        batch_op.drop_column("held")
