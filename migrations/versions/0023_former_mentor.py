"""former mentor: a review outlives its mentor's account

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 12:37:06

mentorship_interactions.mentor_id becomes nullable and its foreign key to users ON DELETE SET NULL (it was
NOT NULL with ON DELETE CASCADE): when a mentor deletes their account, the reviews they submitted stay with the
learners' work and are shown as by a "former mentor". Existing rows all have a mentor and are unchanged.
Downgrading deletes the reviews whose mentor is gone (the old column cannot hold them).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mentorship_interactions', schema=None) as batch_op:
        batch_op.alter_column('mentor_id', existing_type=sa.INTEGER(), nullable=True)
        batch_op.drop_constraint(batch_op.f('fk_mentorship_interactions_mentor_id_users'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_mentorship_interactions_mentor_id_users'), 'users',
                                    ['mentor_id'], ['id'], ondelete='SET NULL')


def downgrade():
    op.execute("DELETE FROM mentorship_interactions WHERE mentor_id IS NULL")
    with op.batch_alter_table('mentorship_interactions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_mentorship_interactions_mentor_id_users'), type_='foreignkey')
        batch_op.create_foreign_key(batch_op.f('fk_mentorship_interactions_mentor_id_users'), 'users',
                                    ['mentor_id'], ['id'], ondelete='CASCADE')
        batch_op.alter_column('mentor_id', existing_type=sa.INTEGER(), nullable=False)
