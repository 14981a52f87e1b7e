"""public case study: the approving mentor's public note on portfolio items; the learner's public links, contact
e-mail and whether capstone scores show on their public page

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 10:08:45

Every new column is optional or has a server default, so existing rows need no backfill:
- portfolio_items.public_note '' : items approved before this migration show no mentor's verdict publicly (the
  private review note and the capstone review's feedback were never meant for visitors).
- users.show_scores false: scores are opt-in, so existing public pages stop showing them until the learner
  chooses to (README, Portfolio).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('portfolio_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_note', sa.Text(), server_default='', nullable=False))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('website_url', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('github_url', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('linkedin_url', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), nullable=True))
        # sa.false() renders as 0 on SQLite and false on PostgreSQL (a literal 0 is refused for a boolean there).
        batch_op.add_column(sa.Column('show_scores', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('show_scores')
        batch_op.drop_column('contact_email')
        batch_op.drop_column('linkedin_url')
        batch_op.drop_column('github_url')
        batch_op.drop_column('website_url')

    with op.batch_alter_table('portfolio_items', schema=None) as batch_op:
        batch_op.drop_column('public_note')
