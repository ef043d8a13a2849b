"""typo candidates from an in-memory trigram vocabulary: drop SQLite's FTS5 trigram table

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 02:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROP = [
    "DROP TRIGGER IF EXISTS place_term_trgm_ad",
    "DROP TRIGGER IF EXISTS place_term_trgm_ai",
    "DROP TABLE IF EXISTS place_term_trgm",
]
CREATE = [
    "CREATE VIRTUAL TABLE place_term_trgm USING fts5(term, content='place_term', "
    "content_rowid='rowid', tokenize='trigram')",
    "INSERT INTO place_term_trgm(place_term_trgm) VALUES ('rebuild')",
    "CREATE TRIGGER place_term_trgm_ai AFTER INSERT ON place_term BEGIN "
    "INSERT INTO place_term_trgm(rowid, term) VALUES (new.rowid, new.term); END",
    "CREATE TRIGGER place_term_trgm_ad AFTER DELETE ON place_term BEGIN "
    "INSERT INTO place_term_trgm(place_term_trgm, rowid, term) "
    "VALUES ('delete', old.rowid, old.term); END",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in DROP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in CREATE:
            op.execute(statement)
