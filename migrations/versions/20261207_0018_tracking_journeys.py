"""tracking journeys and positions

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 10:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import navio.kernel.db

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "tracking_journey",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("trip_id", sa.Uuid(), nullable=False),
        sa.Column("traveler_id", sa.Uuid(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("destination", JSON, nullable=False),
        sa.Column("geofences", JSON, nullable=False),
        sa.Column("progress", JSON, nullable=False),
        sa.Column("positions", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("started_at", navio.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("arrived_at", navio.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", navio.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", navio.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_journey")),
    )
    op.create_index(
        "ix_tracking_journey_trip_started",
        "tracking_journey",
        ["trip_id", "started_at"],
        unique=False,
    )
    op.create_index(
        "uq_tracking_journey_active",
        "tracking_journey",
        ["trip_id", "traveler_id"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
        sqlite_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "tracking_position",
        sa.Column("journey_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", navio.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("journey_id", "recorded_at", name=op.f("pk_tracking_position")),
    )


def downgrade() -> None:
    op.drop_table("tracking_position")
    op.drop_index(
        "uq_tracking_journey_active",
        table_name="tracking_journey",
        postgresql_where=sa.text("status = 'active'"),
        sqlite_where=sa.text("status = 'active'"),
    )
    op.drop_index("ix_tracking_journey_trip_started", table_name="tracking_journey")
    op.drop_table("tracking_journey")
