"""Engine, sessions, base model and naming convention for SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator, Uuid
from sqlalchemy.util.concurrency import await_

from navio.kernel.ids import new_id

WRITE_OPTION = "navio_write"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every dialect."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC datetimes")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        uuid.UUID: Uuid(),
        dict[str, Any]: JSONType,
        list[dict[str, Any]]: JSONType,
        list[str]: JSONType,
    }


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=_utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=_utcnow, onupdate=_utcnow)


SessionSource = AsyncSession | Callable[[], AsyncSession]


def resolve_session(source: SessionSource) -> AsyncSession:
    return source if isinstance(source, AsyncSession) else source()


class Repository:
    """Base of every context's repository. Takes a session, or a function returning the unit of
    work's session, so a request that never queries never opens one."""

    def __init__(self, session: SessionSource) -> None:
        self._source = session

    @property
    def session(self) -> AsyncSession:
        return resolve_session(self._source)

    def insert(self, entity: Any) -> Any:
        """`INSERT` in the session's dialect, for `ON CONFLICT` (SQLite and PostgreSQL spell
        `on_conflict_do_nothing` / `_do_update` alike)."""
        dialect = self.session.get_bind().dialect.name
        return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(entity)


def _sqlite_path(url: str) -> Path | None:
    prefix = "sqlite+aiosqlite:///"
    if not url.startswith(prefix):
        return None
    path = url[len(prefix) :].split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path)


_HOLDS_WRITE_LOCK = "navio_holds_write_lock"


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url,
            echo=echo,
            poolclass=NullPool if path is None else None,
            connect_args={"timeout": 30},
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
            # We emit BEGIN ourselves (below), so the driver must not.
            dbapi_conn.isolation_level = None

        # SQLite has one writer at a time. Writers of this process queue on an asyncio lock,
        # first come first served, before taking SQLite's lock: on SQLite's busy handler
        # they would poll with sleeps of up to 100 ms, and a busy stream of requests could
        # starve the outbox relay for seconds. Other processes still queue on busy_timeout.
        write_lock = asyncio.Lock()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Writers take the write lock at BEGIN so concurrent writers queue instead of
            # failing with "database is locked" when a read transaction upgrades.
            if conn.get_execution_options().get(WRITE_OPTION):
                if not conn.info.get(_HOLDS_WRITE_LOCK):
                    await_(write_lock.acquire())
                    conn.info[_HOLDS_WRITE_LOCK] = True
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

        @event.listens_for(engine.sync_engine.pool, "checkin")
        def _sqlite_release(_dbapi_conn: Any, record: Any) -> None:
            # a connection goes back to the pool after its COMMIT or ROLLBACK
            if record.info.pop(_HOLDS_WRITE_LOCK, False):
                write_lock.release()

        return engine
    return create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        # No pre-ping: asyncpg's costs BEGIN, a query and ROLLBACK on every checkout (three
        # round trips; ~15 % of a ledger transfer). A connection that died (server restart)
        # is detected on use and invalidated: that request answers 503 `database_reconnect`
        # (retry), and connections are also recycled every 10 minutes.
        pool_pre_ping=False,
        pool_recycle=600,
    )


class Database:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessionmaker = async_sessionmaker(engine, expire_on_commit=False, autoflush=True)
        self.write_sessionmaker = async_sessionmaker(
            engine.execution_options(**{WRITE_OPTION: True}),
            expire_on_commit=False,
            autoflush=True,
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self, *, write: bool = True) -> AsyncSession:
        return (self.write_sessionmaker if write else self.sessionmaker)()

    @asynccontextmanager
    async def transaction(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit on success, roll back on error."""
        async with self.session(write=write) as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
