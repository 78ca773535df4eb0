"""attendee handles store their keyed hash, so matching follow lists is one indexed join

Revision ID: 0008
Revises: 0007

"""
import hashlib
import hmac

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attendee_handle', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_hash', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_attendee_handle_key_hash', ['event_id', 'key_hash'], unique=False)

    # Existing handles: HMAC-SHA256 of "platform:handle" under their event's secret, exactly as
    # conference.people.service.handle_hash computes it (a migration keeps its own copy).
    conn = op.get_bind()
    rows = conn.execute(sa.text(
        "SELECT h.id, h.platform, h.handle, e.secret FROM attendee_handle h "
        "JOIN event e ON e.id = h.event_id"
    )).all()
    updates = [
        {
            "id": handle_id,
            "key_hash": hmac.new(
                secret.encode(), f"{platform}:{handle}".encode(), hashlib.sha256
            ).hexdigest(),
        }
        for handle_id, platform, handle, secret in rows
    ]
    if updates:
        conn.execute(
            sa.text("UPDATE attendee_handle SET key_hash = :key_hash WHERE id = :id"), updates
        )


def downgrade():
    with op.batch_alter_table('attendee_handle', schema=None) as batch_op:
        batch_op.drop_index('ix_attendee_handle_key_hash')
        batch_op.drop_column('key_hash')
