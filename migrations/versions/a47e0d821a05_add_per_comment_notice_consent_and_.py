"""add per-comment notice consent and admin session generations

Revision ID: a47e0d821a05
Revises: efc77b3278df
Create Date: 2026-12-03 09:36:30.098152

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a47e0d821a05'
down_revision = 'efc77b3278df'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('admin', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))

    # Subscriptions made before consent was per comment start unconfirmed: an address confirmed
    # once may have been reused by someone else since, so none of them is taken as consent.
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_confirmed_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_column('notice_confirmed_at')

    with op.batch_alter_table('admin', schema=None) as batch_op:
        batch_op.drop_column('session_generation')
