"""portfolio case study snapshot

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 00:40:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    # Items approved before this revision have no snapshot: they show no case study until approved again.
    with op.batch_alter_table('portfolio_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_study', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()),
                                                                           'postgresql'), nullable=True))


def downgrade():
    with op.batch_alter_table('portfolio_items', schema=None) as batch_op:
        batch_op.drop_column('case_study')
