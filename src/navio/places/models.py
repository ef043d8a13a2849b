from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from navio.kernel.db import Base
from navio.kernel.ids import new_id

# SQLite: INTEGER PRIMARY KEY is the rowid that FTS5 and the R*Tree index key on.
RowId = BigInteger().with_variant(Integer(), "sqlite")


class Country(Base):
    __tablename__ = "place_country"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    iso3: Mapped[str] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(String(200))
    continent: Mapped[str] = mapped_column(String(2))
    capital: Mapped[str | None] = mapped_column(String(200), default=None)
    population: Mapped[int | None] = mapped_column(BigInteger, default=None)
    currency_code: Mapped[str | None] = mapped_column(String(3), default=None)
    languages: Mapped[str | None] = mapped_column(String(200), default=None)
    geonameid: Mapped[int | None] = mapped_column(BigInteger, default=None)


class Place(Base):
    """Cities, airports and points of interest in one catalogue (one search index)."""

    __tablename__ = "place_place"

    id: Mapped[int] = mapped_column(RowId, primary_key=True, autoincrement=True)
    public_id: Mapped[uuid.UUID] = mapped_column(default=new_id, unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # city | airport | poi
    category: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(300))
    alt_names: Mapped[str] = mapped_column(Text, default="")
    # Folded name: the index's heavily weighted first field.
    name_folded: Mapped[str] = mapped_column(String(300), default="")
    # Lower-cased, accent-free text the lexical index is built from.
    search_text: Mapped[str] = mapped_column(Text, default="")
    country_code: Mapped[str | None] = mapped_column(String(2), default=None)
    admin1: Mapped[str | None] = mapped_column(String(20), default=None)
    locality: Mapped[str | None] = mapped_column(String(200), default=None)
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    population: Mapped[int | None] = mapped_column(BigInteger, default=None)
    rating: Mapped[float | None] = mapped_column(Float, default=None)
    price_level: Mapped[int | None] = mapped_column(Integer, default=None)
    popularity: Mapped[float] = mapped_column(Float, default=0.0)
    address: Mapped[str | None] = mapped_column(String(500), default=None)
    website: Mapped[str | None] = mapped_column(String(500), default=None)
    phone: Mapped[str | None] = mapped_column(String(100), default=None)
    wikidata: Mapped[str | None] = mapped_column(String(32), default=None)
    wikipedia: Mapped[str | None] = mapped_column(String(300), default=None)
    opening_hours_raw: Mapped[str | None] = mapped_column(Text, default=None)
    opening_hours_valid: Mapped[bool | None] = mapped_column(Boolean, default=None)
    opening_hours: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    source: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_place_place_source"),
        Index("ix_place_place_lat_lon", "lat", "lon"),
        Index("ix_place_place_category", "category"),
        Index("ix_place_place_kind_popularity", "kind", "popularity"),
        # cities by name and by region (the assistant's gazetteer, a state's largest cities)
        Index("ix_place_place_kind_name", "kind", "name_folded"),
        Index("ix_place_place_kind_region", "kind", "country_code", "admin1", "population"),
    )


class Term(Base):
    """Vocabulary of the lexical index: document frequency per token, for BM25 and typos."""

    __tablename__ = "place_term"

    term: Mapped[str] = mapped_column(String(100), primary_key=True)
    doc_count: Mapped[int] = mapped_column(Integer, default=0)


class IndexStat(Base):
    __tablename__ = "place_index_stat"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
