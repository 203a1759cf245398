"""add reply notices

Revision ID: efc77b3278df
Revises: 47290ebf8f94
Create Date: 2026-11-27 03:55:04.321574

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'efc77b3278df'
down_revision = '47290ebf8f94'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('comment_notified_address',
    sa.Column('email', sa.String(length=100), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('confirmation_sent_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('email', name=op.f('pk_comment_notified_address'))
    )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wants_reply_notice', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_column('wants_reply_notice')

    op.drop_table('comment_notified_address')
