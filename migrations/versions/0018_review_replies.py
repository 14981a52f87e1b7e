"""review replies: the conversation under a submitted review phase (the learner asks, the mentor answers)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 12:24:55

Adds one table, review_replies; no existing row changes and none needs a backfill (every review starts with an
empty conversation).
- review_id CASCADE: a deleted review phase (or learner) takes its conversation along.
- author_id SET NULL: a deleted account's replies stay in the thread, shown as "former user".
- body is bounded (10,000 characters) in the database as well as in domain.reviews.check_reply.
- ix_review_replies_review (review_id, created_at): a thread is read oldest first, and counted per phase.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('review_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('length(body) <= 10000', name=op.f('ck_review_replies_body_length')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_review_replies_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['review_id'], ['mentorship_interactions.id'], name=op.f('fk_review_replies_review_id_mentorship_interactions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_replies'))
    )
    with op.batch_alter_table('review_replies', schema=None) as batch_op:
        batch_op.create_index('ix_review_replies_review', ['review_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('review_replies', schema=None) as batch_op:
        batch_op.drop_index('ix_review_replies_review')

    op.drop_table('review_replies')
