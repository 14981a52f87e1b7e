"""notifications: the in-app notifications table and each user's e-mail choices per kind of notification

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 12:23:58

Two new tables; no existing row changes:
- notifications: one row per event told to one user, written in the transaction of the change that causes it.
  Existing work has none (nothing is back-filled: past events were never notified).
- notification_preferences: a row only where a user chose something else than the default e-mail choice of a
  kind (domain/notifications.DEFAULT_EMAIL), so every existing user starts with the defaults.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=16), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("email IN ('off', 'immediately', 'daily')", name=op.f('ck_notification_preferences_email')),
    sa.CheckConstraint("kind IN ('capstone_submitted', 'attempt_submitted', 'review_shared', 'changes_requested', 'capstone_approved', 'portfolio_approved', 'portfolio_sent_back', 'step_due', 'step_overdue', 'claim_lapsing', 'review_reply')", name=op.f('ck_notification_preferences_kind')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_notification_preferences'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('subject_type', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('capstone_submitted', 'attempt_submitted', 'review_shared', 'changes_requested', 'capstone_approved', 'portfolio_approved', 'portfolio_sent_back', 'step_due', 'step_overdue', 'claim_lapsing', 'review_reply')", name=op.f('ck_notifications_kind')),
    sa.CheckConstraint("subject_type IN ('capstone', 'attempt', 'review', 'portfolio_item')", name=op.f('ck_notifications_subject_type')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_notifications_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('user_id', 'dedupe_key', name='uq_notifications_user_dedupe_key')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_read_created', ['user_id', 'read_at', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_read_created')

    op.drop_table('notifications')
    op.drop_table('notification_preferences')
