"""web push subscriptions and deliveries

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-08 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import navio.kernel.db

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_push_subscription",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("endpoint", sa.String(length=2000), nullable=False),
        sa.Column("p256dh", sa.String(length=100), nullable=False),
        sa.Column("auth", sa.String(length=40), nullable=False),
        sa.Column("created_at", navio.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_sent_at", navio.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_push_subscription")),
        sa.UniqueConstraint("endpoint", name="uq_notification_push_subscription_endpoint"),
    )
    with op.batch_alter_table("notification_push_subscription", schema=None) as batch_op:
        batch_op.create_index("ix_notification_push_subscription_user", ["user_id"], unique=False)
    op.create_table(
        "notification_push_delivery",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", navio.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", navio.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", navio.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", navio.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["notification_push_subscription.id"],
            name="fk_notification_push_delivery_subscription",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_push_delivery")),
    )
    with op.batch_alter_table("notification_push_delivery", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notification_push_delivery_due", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            "ix_notification_push_delivery_subscription", ["subscription_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notification_push_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_push_delivery_subscription")
        batch_op.drop_index("ix_notification_push_delivery_due")
    op.drop_table("notification_push_delivery")
    with op.batch_alter_table("notification_push_subscription", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_push_subscription_user")
    op.drop_table("notification_push_subscription")
