"""Card short links: a random slug per card for /s/<slug>

Revision ID: 0010
Revises: 0009
"""
import secrets
import string

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# A copy, not an import: a migration must keep doing what it did when the model moves on.
_ALPHABET = string.ascii_letters + string.digits


def _slug():
    return "".join(secrets.choice(_ALPHABET) for _ in range(12))


def upgrade():
    # Nullable first: cards issued before this revision get their slugs, then it is required.
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_slug', sa.String(length=16), nullable=True))
    conn = op.get_bind()
    cards = sa.table('cards', sa.column('id'), sa.column('link_slug'))
    ids = conn.execute(sa.select(cards.c.id).where(cards.c.link_slug.is_(None))).scalars().all()
    for card_id in ids:
        conn.execute(cards.update().where(cards.c.id == card_id).values(link_slug=_slug()))
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.alter_column('link_slug', existing_type=sa.String(length=16), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_cards_link_slug'), ['link_slug'])


def downgrade():
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_cards_link_slug'), type_='unique')
        batch_op.drop_column('link_slug')
