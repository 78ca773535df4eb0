"""check-in lists count their changes, so live counts arriving out of order can be told apart

Revision ID: 0009
Revises: 0008

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('checkin_list', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('counts_version', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('checkin_list', schema=None) as batch_op:
        batch_op.drop_column('counts_version')
