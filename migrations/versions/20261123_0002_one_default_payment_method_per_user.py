"""one default payment method per user

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 00:01:05.589989
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "uq_profile_payment_method_default",
        "profile_payment_method",
        ["user_id"],
        unique=True,
        postgresql_where=sa.text("is_default"),
        sqlite_where=sa.text("is_default"),
    )


def downgrade() -> None:
    op.drop_index("uq_profile_payment_method_default", table_name="profile_payment_method")
