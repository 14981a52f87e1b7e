"""first revisions of the people, reviews and everything cache areas

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 12:30:00

Data only (webapp/cache.py): every cached page depends on "everything", so its row is there from the start, as
are the rows of the other shared areas. A learner's area gets its row on its first change or first read.
"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

AREAS = ("everything", "people", "reviews")
revisions = sa.table("cache_revisions", sa.column("name", sa.String), sa.column("revision", sa.String))


def upgrade():
    existing = set(op.get_bind().execute(sa.select(revisions.c.name)).scalars())
    rows = [{"name": n, "revision": secrets.token_hex(16)} for n in AREAS if n not in existing]
    if rows:
        op.bulk_insert(revisions, rows)


def downgrade():
    op.execute(revisions.delete().where(revisions.c.name.in_(AREAS)))
