"""comment snippets: the mentors' comment bank (reusable feedback snippets, global or for one track)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 12:23:09

Adds the table `comment_snippets` only; no existing row changes. A snippet belongs to one user (deleted with
them); `track` NULL means it is offered in reviews of every track.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'comment_snippets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('track', sa.String(length=20), nullable=True),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("track IS NULL OR track IN ('defender', 'offensive', 'grc', 'innovation', 'leadership')",
                           name=op.f('ck_comment_snippets_track')),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_comment_snippets_owner_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_snippets')),
    )
    with op.batch_alter_table('comment_snippets', schema=None) as batch_op:
        batch_op.create_index('ix_comment_snippets_owner', ['owner_id', 'track', 'title'], unique=False)


def downgrade():
    with op.batch_alter_table('comment_snippets', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_snippets_owner')
    op.drop_table('comment_snippets')
