"""Alembic environment: async engines for SQLite and PostgreSQL from the same models."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from navio.kernel.db import Base, create_engine
from navio.models import import_all_models

import_all_models()
config = context.config
target_metadata = Base.metadata


# Search structures that live outside the models (created by migrations, per dialect):
# FTS5 and R*Tree virtual tables with their shadow tables on SQLite; a generated tsvector
# column and trigram indexes on PostgreSQL.
UNMODELLED = ("place_fts", "place_rtree", "place_term_trgm", "place_rank")
UNMODELLED_COLUMNS = {"search_tsv"}
UNMODELLED_INDEXES = {"ix_place_place_search_tsv", "ix_place_term_trgm"}


def include_name(name: str | None, type_: str, _parent: object) -> bool:
    if type_ == "table" and name and name.startswith(UNMODELLED):
        return False
    if type_ == "column" and name in UNMODELLED_COLUMNS:
        return False
    return not (type_ == "index" and name in UNMODELLED_INDEXES)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_online())
