"""phase history and the rubric a review keeps: capstone_phase_versions holds each capstone phase as a mentor
reviewed it (kept when a review requests changes and reopens it); mentorship_interactions.rubric holds the mission's
rubric as it was when a review phase was submitted

Existing rows: no earlier version of any phase was kept, so capstone_phase_versions starts empty (a phase reopened
before this revision has no history). Submitted review phases get their mission's current rubric, the best
knowledge there is of what they were scored against; drafts keep NULL (they read the mission's rubric until
submitted).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 12:24:18

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text  # noqa: F401 (autogenerate writes JSONB(astext_type=Text()))
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


# Review phases submitted before rubrics were kept: the mission's rubric as it is now.
BACKFILL_RUBRIC = """
    UPDATE mentorship_interactions SET rubric = (
        SELECT m.rubric FROM missions m WHERE m.id = mentorship_interactions.mission_id)
    WHERE status = 'submitted' AND rubric IS NULL
"""


def upgrade():
    op.create_table('capstone_phase_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('capstone_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.String(length=32), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=True),
    sa.Column('fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('files', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("phase IN ('investigation', 'decision_making', 'design_remediation', 'reporting', 'presentation')", name=op.f('ck_capstone_phase_versions_phase')),
    sa.ForeignKeyConstraint(['capstone_id'], ['capstone_projects.id'], name=op.f('fk_capstone_phase_versions_capstone_id_capstone_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['review_id'], ['mentorship_interactions.id'], name=op.f('fk_capstone_phase_versions_review_id_mentorship_interactions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_capstone_phase_versions'))
    )
    with op.batch_alter_table('capstone_phase_versions', schema=None) as batch_op:
        batch_op.create_index('ix_capstone_phase_versions_capstone', ['capstone_id', 'phase', 'created_at'], unique=False)

    with op.batch_alter_table('mentorship_interactions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rubric', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True))

    op.execute(BACKFILL_RUBRIC)


def downgrade():
    with op.batch_alter_table('mentorship_interactions', schema=None) as batch_op:
        batch_op.drop_column('rubric')

    with op.batch_alter_table('capstone_phase_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_capstone_phase_versions_capstone')

    op.drop_table('capstone_phase_versions')
