"""add comment body markup

Revision ID: 66f87f1cd908
Revises: 66815929f67f
Create Date: 2026-12-04 01:36:16.313032

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '66f87f1cd908'
down_revision = '66815929f67f'
branch_labels = None
depends_on = None


def upgrade():
    # Every comment stored so far was written in HTML, the only markup there was.
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_markup', sa.String(length=20), server_default='html', nullable=False))


def downgrade():
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_column('body_markup')
