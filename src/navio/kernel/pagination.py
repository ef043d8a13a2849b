"""Opaque keyset cursors over (created_at, id)."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar, TypeVarTuple

from pydantic import BaseModel
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from navio.kernel.errors import InvalidInput

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"
    title = "Invalid cursor"


@dataclass(frozen=True)
class Cursor:
    created_at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        raw = json.dumps([self.created_at.isoformat(), str(self.id)]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> Cursor:
        try:
            padded = value + "=" * (-len(value) % 4)
            created, ident = json.loads(base64.urlsafe_b64decode(padded.encode()))
            at = datetime.fromisoformat(created)
            if at.tzinfo is None:
                raise ValueError("naive")
            return cls(at, uuid.UUID(ident))
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            raise InvalidCursor("cursor is not one this API issued", field="cursor") from exc


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


R = TypeVar("R")
Row = TypeVarTuple("Row")


def newest_first(
    statement: Select[*Row],
    created: InstrumentedAttribute[datetime],
    ident: InstrumentedAttribute[uuid.UUID],
    limit: int,
    before: Cursor | None,
) -> Select[*Row]:
    """One page newest first by (created, id), after the cursor's row, with one row more than
    `limit` so that `page_of` can tell whether another page follows."""
    if before is not None:
        statement = statement.where(
            or_(created < before.created_at, and_(created == before.created_at, ident < before.id))
        )
    return statement.order_by(created.desc(), ident.desc()).limit(limit + 1)


def page_of(
    rows: Sequence[R], limit: int, cursor_of: Callable[[R], Cursor]
) -> tuple[Sequence[R], str | None]:
    """Rows fetched with `limit + 1`: the page's rows and the cursor after its last one."""
    if len(rows) > limit:
        return rows[:limit], cursor_of(rows[limit - 1]).encode()
    return rows, None
