"""notification e-mails and inbox notices

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import navio.kernel.db

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = navio.kernel.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notification_email",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=False),
        sa.Column("claimed_until", UTC, nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("sent_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_email")),
    )
    op.create_index(
        "ix_notification_email_due", "notification_email", ["status", "next_attempt_at"]
    )
    op.create_index("ix_notification_email_created", "notification_email", ["created_at", "id"])
    op.create_table(
        "notification_notice",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=1000), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("read_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_notice")),
    )
    op.create_index(
        "ix_notification_notice_user_created",
        "notification_notice",
        ["user_id", "created_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_notification_notice_user_created", table_name="notification_notice")
    op.drop_table("notification_notice")
    op.drop_index("ix_notification_email_created", table_name="notification_email")
    op.drop_index("ix_notification_email_due", table_name="notification_email")
    op.drop_table("notification_email")
