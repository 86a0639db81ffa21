"""the arena's day: arrivals checked in by the organiser, and each side's rating of a meeting

Revision ID: 0011
Revises: 0010

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | Sequence[str] | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('arena_arrivals',
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checked_in_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['checked_in_by_id'], ['users.id'],
                            name=op.f('fk_arena_arrivals_checked_in_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['participant_id'], ['arena_participants.id'],
                            name=op.f('fk_arena_arrivals_participant_id_arena_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('participant_id', name=op.f('pk_arena_arrivals'))
    )
    op.create_table('meeting_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('follow_up', sa.Boolean(), nullable=False),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score BETWEEN 1 AND 5', name=op.f('ck_meeting_ratings_score_range')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'],
                            name=op.f('fk_meeting_ratings_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['arena_participants.id'],
                            name=op.f('fk_meeting_ratings_participant_id_arena_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_ratings')),
    sa.UniqueConstraint('meeting_id', 'participant_id', name='uq_meeting_ratings_one_per_person')
    )
    with op.batch_alter_table('meeting_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_ratings_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_ratings_participant_id'), ['participant_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('meeting_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_ratings_participant_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_ratings_meeting_id'))
    op.drop_table('meeting_ratings')
    op.drop_table('arena_arrivals')
