"""price watches

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-08 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import navio.kernel.db

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pricing_watch",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("item", sa.String(length=32), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("radius_km", sa.Float(), nullable=True),
        sa.Column("place_id", sa.Uuid(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("alerted_ratio", sa.Float(), nullable=True),
        sa.Column("alerted_at", navio.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_on", sa.Date(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", navio.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", navio.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_watch")),
    )
    with op.batch_alter_table("pricing_watch", schema=None) as batch_op:
        batch_op.create_index("ix_pricing_watch_item_geo", ["item", "lat", "lon"], unique=False)
        batch_op.create_index("ix_pricing_watch_user", ["user_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pricing_watch", schema=None) as batch_op:
        batch_op.drop_index("ix_pricing_watch_user")
        batch_op.drop_index("ix_pricing_watch_item_geo")
    op.drop_table("pricing_watch")
