"""swap plans and credits

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-08 01:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import navio.kernel.db

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "station_plan",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("swaps", sa.Integer(), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", navio.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", navio.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_plan")),
    )
    with op.batch_alter_table("station_plan", schema=None) as batch_op:
        batch_op.create_index("ix_station_plan_owner", ["owner_id", "created_at"], unique=False)
    op.create_table(
        "station_credit",
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("swaps_bought", sa.Integer(), nullable=False),
        sa.Column("swaps_left", sa.Integer(), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("transfer_id", sa.Uuid(), nullable=False),
        sa.Column("bought_at", navio.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", navio.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "swaps_left >= 0", name=op.f("ck_station_credit_swaps_left_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_credit")),
    )
    with op.batch_alter_table("station_credit", schema=None) as batch_op:
        batch_op.create_index(
            "ix_station_credit_user", ["user_id", "owner_id", "expires_at"], unique=False
        )
    with op.batch_alter_table("station_swap", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credit_id", sa.Uuid(), nullable=True))
        batch_op.alter_column("transfer_id", existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("station_swap", schema=None) as batch_op:
        batch_op.alter_column("transfer_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.drop_column("credit_id")
    with op.batch_alter_table("station_credit", schema=None) as batch_op:
        batch_op.drop_index("ix_station_credit_user")
    op.drop_table("station_credit")
    with op.batch_alter_table("station_plan", schema=None) as batch_op:
        batch_op.drop_index("ix_station_plan_owner")
    op.drop_table("station_plan")
