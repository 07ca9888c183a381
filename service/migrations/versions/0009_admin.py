"""Admin web: web import jobs with progress, and acceptance-sampling runs with checklists

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_jobs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('uploaded_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('scope_org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('skip_invalid', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('error_rows', sa.Integer(), nullable=False),
    sa.Column('warnings', sa.Integer(), nullable=False),
    sa.Column('has_report', sa.Boolean(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['scope_org_id'], ['orgs.id'], name=op.f('fk_import_jobs_scope_org_id_orgs')),
    sa.ForeignKeyConstraint(['uploaded_by'], ['admin_users.id'], name=op.f('fk_import_jobs_uploaded_by_admin_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_jobs'))
    )
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_jobs_scope_org_id'), ['scope_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_jobs_uploaded_by'), ['uploaded_by'], unique=False)

    op.create_table('sampling_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('scope_org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('drawn_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('drawn_at', sa.DateTime(), nullable=False),
    sa.Column('branch_total', sa.Integer(), nullable=False),
    sa.Column('member_total', sa.Integer(), nullable=False),
    sa.Column('branch_size', sa.Integer(), nullable=False),
    sa.Column('member_size', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['drawn_by'], ['admin_users.id'], name=op.f('fk_sampling_runs_drawn_by_admin_users')),
    sa.ForeignKeyConstraint(['scope_org_id'], ['orgs.id'], name=op.f('fk_sampling_runs_scope_org_id_orgs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sampling_runs'))
    )
    with op.batch_alter_table('sampling_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sampling_runs_scope_org_id'), ['scope_org_id'], unique=False)

    op.create_table('sampling_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_sampling_items_member_id_members')),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_sampling_items_org_id_orgs')),
    sa.ForeignKeyConstraint(['run_id'], ['sampling_runs.id'], name=op.f('fk_sampling_items_run_id_sampling_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sampling_items')),
    sa.UniqueConstraint('run_id', 'kind', 'seq', name=op.f('uq_sampling_items_run_id'))
    )
    with op.batch_alter_table('sampling_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sampling_items_run_id'), ['run_id'], unique=False)

    op.create_table('sampling_checks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('item_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_no', sa.Integer(), nullable=False),
    sa.Column('result', sa.String(length=8), nullable=False),
    sa.Column('problems', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('checked_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('checked_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['checked_by'], ['admin_users.id'], name=op.f('fk_sampling_checks_checked_by_admin_users')),
    sa.ForeignKeyConstraint(['item_id'], ['sampling_items.id'], name=op.f('fk_sampling_checks_item_id_sampling_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sampling_checks')),
    sa.UniqueConstraint('item_id', 'item_no', name=op.f('uq_sampling_checks_item_id'))
    )
    with op.batch_alter_table('sampling_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sampling_checks_item_id'), ['item_id'], unique=False)

    # ### end Alembic commands ###


def downgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('sampling_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sampling_checks_item_id'))

    op.drop_table('sampling_checks')
    with op.batch_alter_table('sampling_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sampling_items_run_id'))

    op.drop_table('sampling_items')
    with op.batch_alter_table('sampling_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sampling_runs_scope_org_id'))

    op.drop_table('sampling_runs')
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_jobs_uploaded_by'))
        batch_op.drop_index(batch_op.f('ix_import_jobs_scope_org_id'))

    op.drop_table('import_jobs')
    # ### end Alembic commands ###
