"""capstone attempt and changes requested: a capstone records the attempt it builds on, and a request for changes
is stored on the capstone

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 09:15:53

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text  # noqa: F401 (autogenerate writes JSONB(astext_type=Text()))


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


# Capstones started before they recorded their attempt: the learner's latest completed attempt at the mission (the
# rule of services.capstones.basis_attempt); a capstone with none keeps no attempt.
BACKFILL_ATTEMPT = """
    UPDATE capstone_projects SET attempt_id = (
        SELECT a.id FROM mission_attempts a
        WHERE a.learner_id = capstone_projects.learner_id AND a.mission_id = capstone_projects.mission_id
          AND a.status = 'completed'
        ORDER BY a.completed_at DESC, a.id DESC LIMIT 1)
    WHERE attempt_id IS NULL
"""
# A capstone whose changes were requested and that was not submitted again: the request is now stored.
BACKFILL_CHANGES_REQUESTED = """
    UPDATE capstone_projects SET changes_requested_at = (
        SELECT MAX(r.submitted_at) FROM mentorship_interactions r
        WHERE r.capstone_id = capstone_projects.id AND r.status = 'submitted' AND r.decision = 'request_changes')
    WHERE submitted_at IS NULL AND mentor_approved = false
"""


def upgrade():
    with op.batch_alter_table('capstone_projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changes_requested_at', sa.DateTime(timezone=True), nullable=True))

    op.execute(BACKFILL_ATTEMPT)
    op.execute(BACKFILL_CHANGES_REQUESTED)


def downgrade():
    with op.batch_alter_table('capstone_projects', schema=None) as batch_op:
        batch_op.drop_column('changes_requested_at')
