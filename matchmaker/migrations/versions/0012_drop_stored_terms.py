"""BM25's term counts are no longer stored with each profile's vectors: they are counted from the
text when the evaluation asks for them

Revision ID: 0012
Revises: 0011

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | Sequence[str] | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('profile_vectors', schema=None) as batch_op:
        batch_op.drop_column('terms')


def downgrade() -> None:
    # Left empty: nothing reads the counts, and they are counted again from the text when needed.
    with op.batch_alter_table('profile_vectors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('terms', sa.JSON(), nullable=False, server_default='{}'))
