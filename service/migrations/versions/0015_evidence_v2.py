"""Evidence seals: an HMAC under the chain key beside each entry hash and on the head row

Existing entries and the head are sealed here with the app's key (FLASK_DATA_KEY), as far
as they still chain: a ledger already broken stays unsealed from the break on, so evidence
verify keeps naming it. From now on every entry and the head must carry a valid seal.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_GENESIS = "0" * 64


def upgrade():
    with op.batch_alter_table('evidence_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seal', sa.String(length=64), nullable=True))
    with op.batch_alter_table('evidence_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seal', sa.String(length=64), nullable=True))
    _seal_existing()


def _seal_existing():
    from service.evidence.seal import entry_seal, head_seal  # needs the app's key

    bind = op.get_bind()
    entries = sa.table('evidence_entries', sa.column('id'), sa.column('seq'),
                       sa.column('prev_hash'), sa.column('entry_hash'), sa.column('seal'))
    head = sa.table('evidence_head', sa.column('id'), sa.column('seq'),
                    sa.column('entry_hash'), sa.column('seal'))
    prev, count, seals = _GENESIS, 0, []
    rows = bind.execute(sa.select(entries.c.id, entries.c.seq, entries.c.prev_hash,
                                  entries.c.entry_hash).order_by(entries.c.seq)).all()
    for row in rows:
        if row.seq != count + 1 or row.prev_hash != prev:
            break  # sealing past a break would make the tampering look proven
        seals.append({"_id": row.id, "_seal": entry_seal(row.entry_hash)})
        prev, count = row.entry_hash, count + 1
    if seals:
        bind.execute(entries.update().where(entries.c.id == sa.bindparam("_id"))
                     .values(seal=sa.bindparam("_seal")), seals)
    if count == len(rows):
        bind.execute(head.update().where(head.c.seq == count, head.c.entry_hash == prev)
                     .values(seal=head_seal(count, prev)))


def downgrade():
    with op.batch_alter_table('evidence_head', schema=None) as batch_op:
        batch_op.drop_column('seal')
    with op.batch_alter_table('evidence_entries', schema=None) as batch_op:
        batch_op.drop_column('seal')
