"""cohorts

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 12:23:00.713438

Adds `cohorts` (a named group of learners with their mentors: a unique name, an optional track, a description)
and `cohort_members` (one row per user in a cohort, unique per pair; deleting a cohort or a user deletes its
member rows, never the users). Both tables start empty: existing users are in no cohort, and no mentor
assignment changes (a cohort grants no access).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cohorts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('track', sa.String(length=20), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("track IN ('defender', 'offensive', 'grc', 'innovation', 'leadership') OR track IS NULL", name=op.f('ck_cohorts_track')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohorts')),
    sa.UniqueConstraint('name', name='uq_cohorts_name')
    )
    op.create_table('cohort_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cohort_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cohort_id'], ['cohorts.id'], name=op.f('fk_cohort_members_cohort_id_cohorts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_cohort_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cohort_members')),
    sa.UniqueConstraint('cohort_id', 'user_id', name='uq_cohort_members_pair')
    )
    with op.batch_alter_table('cohort_members', schema=None) as batch_op:
        batch_op.create_index('ix_cohort_members_user', ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('cohort_members', schema=None) as batch_op:
        batch_op.drop_index('ix_cohort_members_user')

    op.drop_table('cohort_members')
    op.drop_table('cohorts')
