"""notification e-mail state: where each notification stands with e-mail (sent on its own, waiting for the
daily digest, in a digest, or not e-mailed), for the worker's e-mail jobs

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 13:24:32

Existing notifications get NULL ("not yet looked at"); the worker e-mails only notifications at most a day old
when it first sees them (domain.notifications.EMAIL_FRESH_FOR), so older ones are never mailed.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_state', sa.String(length=12), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_notifications_email_state'),
            "email_state IS NULL OR email_state IN ('queued', 'digest', 'digested', 'none')")
        batch_op.create_index('ix_notifications_email_state', ['email_state', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_email_state')
        batch_op.drop_constraint(op.f('ck_notifications_email_state'), type_='check')
        batch_op.drop_column('email_state')
