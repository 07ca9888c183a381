"""One throttle for every limit: member_throttles becomes throttles, admin locks move into it

Revision ID: 0013
Revises: 0011
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_COLUMNS = ('id', 'key', 'failures', 'first_failure_at', 'locked_until', 'updated_at')


def _throttle_table(name):
    return sa.table(name, *(sa.column(c) for c in _COLUMNS))


def _now():
    return datetime.now(UTC).replace(tzinfo=None)


def upgrade():
    op.create_table('throttles',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=191), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_failure_at', sa.DateTime(), nullable=True),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_throttles')),
    sa.UniqueConstraint('key', name=op.f('uq_throttles_key'))
    )
    old, new = _throttle_table('member_throttles'), _throttle_table('throttles')
    conn = op.get_bind()
    conn.execute(new.insert().from_select(
        list(_COLUMNS), sa.select(*(old.c[c] for c in _COLUMNS))))
    # Locks and failure counts in force on admin accounts carry over (keys: admin-login:u<id>).
    users = sa.table('admin_users', sa.column('id'), sa.column('failed_logins'),
                     sa.column('locked_until'))
    rows = conn.execute(sa.select(users.c.id, users.c.failed_logins, users.c.locked_until)
                        .where(sa.or_(users.c.failed_logins > 0,
                                      users.c.locked_until.is_not(None)))).all()
    if rows:
        now = _now()
        conn.execute(new.insert(), [
            {"key": f"admin-login:u{uid}", "failures": failures or 0,
             "first_failure_at": now if failures else None, "locked_until": until,
             "updated_at": now}
            for uid, failures, until in rows])
    op.drop_table('member_throttles')
    with op.batch_alter_table('admin_users', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade():
    with op.batch_alter_table('admin_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
    op.create_table('member_throttles',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=191), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('first_failure_at', sa.DateTime(), nullable=True),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_throttles')),
    sa.UniqueConstraint('key', name=op.f('uq_member_throttles_key'))
    )
    old, new = _throttle_table('member_throttles'), _throttle_table('throttles')
    conn = op.get_bind()
    # Admin accounts' locks go back to their columns; the rest back to the member table.
    users = sa.table('admin_users', sa.column('id'), sa.column('failed_logins'),
                     sa.column('locked_until'))
    for key, failures, until in conn.execute(
            sa.select(new.c.key, new.c.failures, new.c.locked_until)
            .where(new.c.key.like('admin-login:u%'))).all():
        uid = key.removeprefix('admin-login:u')
        if uid.isdigit():
            conn.execute(users.update().where(users.c.id == int(uid))
                         .values(failed_logins=failures, locked_until=until))
    conn.execute(old.insert().from_select(
        list(_COLUMNS), sa.select(*(new.c[c] for c in _COLUMNS))
        .where(new.c.key.not_like('admin-login%'), new.c.key.not_like('slug-miss:%'))))
    op.drop_table('throttles')
