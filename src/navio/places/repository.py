"""Every places query. Dialect-specific search sits behind `SearchIndex` (SQLite FTS5 + R*Tree,
PostgreSQL tsvector + pg_trgm); both answer the same questions. Never commits."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from sqlalchemy import Table, and_, bindparam, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from navio.kernel.db import Repository, SessionSource, resolve_session
from navio.kernel.geo import in_box
from navio.places.models import Country, IndexStat, Place, Term
from navio.places.opening_hours import windows_from_json
from navio.places.reference import country_names, us_state_names
from navio.places.vocabulary import TrigramVocabulary, edits1

PLACE_TABLE = cast(Table, Place.__table__)
STATS_TTL_SECONDS = 30.0
_DF_CACHE_SIZE = 200_000
_DF_CACHE: dict[str, dict[str, tuple[float, int]]] = {}
_DOC_STATS_CACHE: dict[str, tuple[float, tuple[int, float]]] = {}
_VOCABULARIES: dict[str, tuple[float | None, TrigramVocabulary]] = {}
_VOCABULARY_CHECKED: dict[str, float] = {}
VOCABULARY_EPOCH = "vocabulary_epoch"
COMMON_TERM_PLACES = 2


async def _vocabulary(session: AsyncSession) -> TrigramVocabulary:
    """This process's copy of the vocabulary's common words (in two or more places: 16% of the
    benchmark catalogue's 774k terms, most others being alternate names in one place), brought
    up to date by reading the terms added since (rowids only grow: term rows are never
    deleted). A catalogue emptied and refilled gets a new epoch, and the copy is rebuilt."""
    key = str(session.get_bind().engine.url)
    cached = _VOCABULARIES.get(key)
    if cached is not None and _VOCABULARY_CHECKED.get(key, 0.0) > time.monotonic():
        return cached[1]  # checked moments ago (writes in this process clear the mark)
    epoch = await session.scalar(select(IndexStat.value).where(IndexStat.name == VOCABULARY_EPOCH))
    if cached is None or cached[0] != epoch:
        cached = (epoch, TrigramVocabulary())
        _VOCABULARIES[key] = cached
    vocabulary = cached[1]
    top = int(await session.scalar(text("SELECT coalesce(max(rowid), 0) FROM place_term")) or 0)
    if top > vocabulary.last_key:
        rows = await session.execute(
            text(
                "SELECT rowid, term FROM place_term WHERE rowid > :last AND rowid <= :top "
                "AND doc_count >= :common ORDER BY rowid"
            ),
            {"last": vocabulary.last_key, "top": top, "common": COMMON_TERM_PLACES},
        )
        vocabulary.extend(((int(k), str(t)) for k, t in rows.all()), read_up_to=top)
    _VOCABULARY_CHECKED[key] = time.monotonic() + STATS_TTL_SECONDS
    return vocabulary


async def warm_caches(session: AsyncSession) -> None:
    """Load what the first query would otherwise wait for (the typo vocabulary: about a second
    for a world catalogue)."""
    if session.get_bind().dialect.name == "sqlite":
        await _vocabulary(session)
    # the names of the US states and the countries (a gazetteer's regions): read once
    await asyncio.to_thread(lambda: (us_state_names(), country_names()))


# one JSON parameter, not hundreds of placeholders rendered for every query
_KNOWN_TERMS = text(
    "SELECT term FROM place_term WHERE term IN (SELECT value FROM json_each(:terms)) "
    "AND doc_count > 0"
)


@dataclass(frozen=True, slots=True)
class PlaceSummary:
    """What ranking and result lists need of a place: no vectors, no raw attributes."""

    id: int
    public_id: uuid.UUID
    kind: str
    category: str
    name: str
    name_folded: str
    search_text: str
    country_code: str | None
    locality: str | None
    lat: float | None
    lon: float | None
    rating: float | None
    price_level: int | None
    popularity: float
    opening_hours_raw: str | None
    timezone: str | None
    has_embedding: bool


_SUMMARY_SELECT = (
    "SELECT id, public_id, kind, category, name, name_folded, search_text, country_code, "
    "locality, lat, lon, rating, price_level, popularity, opening_hours_raw, timezone, "
    "embedding IS NOT NULL FROM place_place"
)
_SUMMARY_SQL = text(_SUMMARY_SELECT + " WHERE id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)


def _summary(row: Any) -> PlaceSummary:
    values = list(row)
    public_id = values[1]
    values[1] = public_id if isinstance(public_id, uuid.UUID) else uuid.UUID(public_id)
    values[-1] = bool(values[-1])
    return PlaceSummary(*values)


@dataclass(frozen=True, slots=True)
class PlaceCard:
    """What other contexts may know of a place: enough to show and locate it."""

    id: uuid.UUID
    name: str
    kind: str
    country_code: str | None
    lat: float | None
    lon: float | None
    timezone: str | None
    category: str = ""
    locality: str | None = None
    rating: float | None = None
    popularity: float = 0.0
    price: PlacePrice | None = None


@dataclass(frozen=True, slots=True)
class PlacePrice:
    """A price the catalogue's source gives for a place: per meal and person (restaurants) or
    per night (lodging)."""

    amount: float
    currency: str
    unit: str  # "meal" | "night"
    dataset: str | None


def place_price(attributes: dict[str, Any] | None) -> PlacePrice | None:
    if not attributes:
        return None
    currency = attributes.get("currency")
    for key, unit in (("average_cost", "meal"), ("price_per_night", "night")):
        value = attributes.get(key)
        if isinstance(value, int | float) and value > 0 and isinstance(currency, str):
            return PlacePrice(float(value), currency, unit, attributes.get("dataset"))
    return None


LODGING_CATEGORIES = ("hotel", "guest_house", "hostel", "motel", "camp_site", "apartment")
MEAL_CATEGORIES = ("restaurant", "cafe", "fast_food")


async def price_samples(
    source: SessionSource,
    *,
    unit: str,
    locality: str | None,
    country_code: str | None,
    near: tuple[float, float] | None,
    radius_km: float = 15.0,
    limit: int = 5000,
) -> list[tuple[uuid.UUID, PlacePrice]]:
    """Prices of places in a town (by locality name) or around a point: what a meal or a
    night costs there according to the catalogue's sources."""
    categories = LODGING_CATEGORIES if unit == "night" else MEAL_CATEGORIES
    where = [Place.category.in_(categories)]
    around = []
    if locality:
        clause = func.lower(Place.locality) == locality.strip().lower()
        if country_code:
            clause = and_(clause, Place.country_code == country_code)
        around.append(clause)
    if near is not None:
        around.append(in_box(Place.lat, Place.lon, near[0], near[1], radius_km * 1000))
    if not around:
        return []
    rows = await resolve_session(source).execute(
        select(Place.public_id, Place.attributes).where(*where, or_(*around)).limit(limit)
    )
    found = []
    for public_id, attributes in rows:
        price = place_price(attributes)
        if price is not None and price.unit == unit:
            found.append((public_id, price))
    return found


@dataclass(frozen=True, slots=True)
class VisitCandidate:
    """A point of interest the planner may visit: where, what, how good, when open."""

    id: uuid.UUID
    name: str
    category: str
    lat: float
    lon: float
    rating: float | None
    popularity: float
    # weekly windows: (seconds from Monday 00:00 to opening, seconds open); None: unknown
    hours: tuple[tuple[int, int], ...] | None
    always_open: bool
    diets: tuple[str, ...]
    cuisines: tuple[str, ...]
    price: PlacePrice | None


# what other contexts read of a point of interest
_POI_COLUMNS = (
    Place.public_id,
    Place.name,
    Place.category,
    Place.lat,
    Place.lon,
    Place.rating,
    Place.popularity,
    Place.attributes,
)


async def visit_candidates(
    source: SessionSource, lat: float, lon: float, radius_m: float, limit: int
) -> list[VisitCandidate]:
    """Points of interest within `radius_m` of a point, the most popular first."""
    session = resolve_session(source)
    rows = await session.execute(
        select(*_POI_COLUMNS, Place.opening_hours)
        .where(
            Place.kind == "poi",
            in_box(Place.lat, Place.lon, lat, lon, radius_m),
        )
        .order_by(Place.popularity.desc(), Place.id)
        .limit(limit)
    )
    out = []
    for r in rows:
        if r.lat is None or r.lon is None:
            continue
        hours = r.opening_hours or None
        windows = (
            tuple(
                (w.start_second, int(w.duration.total_seconds()))
                for w in windows_from_json(hours.get("windows", []))
            )
            if hours
            else None
        )
        attributes = r.attributes or {}
        out.append(
            VisitCandidate(
                id=r.public_id,
                name=r.name,
                category=r.category,
                lat=r.lat,
                lon=r.lon,
                rating=r.rating,
                popularity=r.popularity or 0.0,
                hours=windows,
                always_open=bool(hours and hours.get("always_open")),
                diets=tuple(attributes.get("diets", [])),
                cuisines=tuple(attributes.get("cuisines", [])),
                price=place_price(attributes),
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class CityCard:
    """A city of the catalogue as a journey needs it: where it is and which region it is in."""

    id: uuid.UUID
    name: str
    country_code: str | None
    admin1: str | None
    lat: float
    lon: float
    population: int
    timezone: str | None


_CITY_COLUMNS = (
    Place.public_id,
    Place.name,
    Place.country_code,
    Place.admin1,
    Place.lat,
    Place.lon,
    Place.population,
    Place.timezone,
)


async def cities_named(source: SessionSource, folded: Iterable[str]) -> list[CityCard]:
    """Cities whose folded name (`domain.fold`: case and accents aside) is one of `folded`,
    most populous first."""
    folded = sorted(set(folded))
    if not folded:
        return []
    rows = await resolve_session(source).execute(
        select(*_CITY_COLUMNS)
        .where(Place.kind == "city", Place.name_folded.in_(folded))
        .order_by(Place.population.desc().nulls_last(), Place.id)
    )
    return [card for r in rows if (card := _city_card(r)) is not None]


async def cities_in_region(
    source: SessionSource, country_code: str, admin1: str | None, limit: int
) -> list[CityCard]:
    """The most populous cities of a country, or of one of its first-level regions."""
    query = select(*_CITY_COLUMNS).where(Place.kind == "city", Place.country_code == country_code)
    if admin1 is not None:
        query = query.where(Place.admin1 == admin1)
    rows = await resolve_session(source).execute(
        query.order_by(Place.population.desc().nulls_last(), Place.id).limit(limit)
    )
    return [card for r in rows if (card := _city_card(r)) is not None]


def _city_card(r: Any) -> CityCard | None:
    if r.lat is None or r.lon is None:
        return None
    return CityCard(
        id=r.public_id,
        name=r.name,
        country_code=r.country_code,
        admin1=r.admin1,
        lat=r.lat,
        lon=r.lon,
        population=r.population or 0,
        timezone=r.timezone,
    )


@dataclass(frozen=True, slots=True)
class Offer:
    """A point of interest a journey may use: a restaurant or a lodging with the price its
    source gives, or a sight."""

    id: uuid.UUID
    name: str
    category: str
    lat: float | None
    lon: float | None
    rating: float | None
    popularity: float
    attributes: dict[str, Any]


async def city_offers(
    source: SessionSource,
    *,
    locality: str,
    lat: float,
    lon: float,
    radius_m: float,
    limit: int,
) -> list[Offer]:
    """Points of interest of a town: those whose locality is its name (sources without
    coordinates) or that lie within `radius_m` of its centre; the most popular first."""
    rows = await resolve_session(source).execute(
        select(*_POI_COLUMNS)
        .where(
            Place.kind == "poi",
            or_(
                func.lower(Place.locality) == locality.strip().lower(),
                in_box(Place.lat, Place.lon, lat, lon, radius_m),
            ),
        )
        .order_by(Place.popularity.desc(), Place.id)
        .limit(limit)
    )
    return [
        Offer(
            id=r.public_id,
            name=r.name,
            category=r.category,
            lat=r.lat,
            lon=r.lon,
            rating=r.rating,
            popularity=r.popularity or 0.0,
            attributes=dict(r.attributes or {}),
        )
        for r in rows
    ]


async def place_cards(
    source: SessionSource, public_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, PlaceCard]:
    wanted = list(set(public_ids))
    return await PlacesRepository(source).cards(wanted) if wanted else {}


@dataclass(frozen=True)
class Filters:
    categories: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    bbox: tuple[float, float, float, float] | None = None  # min_lat, min_lon, max_lat, max_lon
    min_rating: float | None = None
    price_levels: tuple[int, ...] = ()


class SearchIndex(Protocol):
    async def match_ids(
        self,
        session: AsyncSession,
        groups: Sequence[Sequence[str]],
        prefix_last: bool,
        filters: Filters,
        limit: int,
        *,
        names_only: bool = False,
    ) -> list[int]:
        """Ids of places whose text (or only name, with names_only) has, for every group, one
        of its terms (the last group may match as a prefix); most popular first, then by id.

        The order is deliberately engine-independent: both implementations return the same
        candidates, and relevance is computed once, in Python, the same way for both."""
        ...

    def id_query(
        self,
        groups: Sequence[Sequence[str]],
        prefix_last: bool,
        filters: Filters,
        limit: int,
        *,
        names_only: bool = False,
    ) -> tuple[str, dict[str, Any]] | None:
        """The SELECT of the ids match_ids would return, when it is a single statement (the
        repository then fetches their summaries in the same round trip); None otherwise."""
        ...

    async def geo_ids(self, session: AsyncSession, filters: Filters, limit: int) -> list[int]:
        """Ids inside filters.bbox (required), most popular first."""
        ...

    async def similar_terms(self, session: AsyncSession, token: str, limit: int) -> list[str]:
        """Vocabulary terms sharing trigrams with `token` (typo candidates)."""
        ...

    async def common_term_with_prefix(self, session: AsyncSession, prefix: str) -> bool:
        """True when a common word is known, from memory, to start with `prefix`; False means
        "not known here" (the caller asks the term table)."""
        ...


def _filter_sql(filters: Filters, params: dict[str, Any], alias: str = "p") -> str:
    clauses: list[str] = []
    if filters.categories:
        names = []
        for i, category in enumerate(filters.categories):
            params[f"cat{i}"] = category
            names.append(f":cat{i}")
        clauses.append(f"{alias}.category IN ({', '.join(names)})")
    if filters.kinds:
        names = []
        for i, kind in enumerate(filters.kinds):
            params[f"kind{i}"] = kind
            names.append(f":kind{i}")
        clauses.append(f"{alias}.kind IN ({', '.join(names)})")
    if filters.min_rating is not None:
        params["min_rating"] = filters.min_rating
        clauses.append(f"{alias}.rating >= :min_rating")
    if filters.price_levels:
        names = []
        for i, level in enumerate(filters.price_levels):
            params[f"price{i}"] = level
            names.append(f":price{i}")
        clauses.append(f"{alias}.price_level IN ({', '.join(names)})")
    return "".join(f" AND {c}" for c in clauses)


# Engine-independent candidate order: both engines return the same ids.
POPULAR_FIRST = " ORDER BY p.popularity DESC, p.id LIMIT :limit"


def _bbox_params(bbox: tuple[float, float, float, float]) -> dict[str, float]:
    return dict(zip(("min_lat", "min_lon", "max_lat", "max_lon"), bbox, strict=True))


_INSIDE = (
    "{0}min_lat >= :min_lat AND {0}max_lat <= :max_lat "
    "AND {0}min_lon >= :min_lon AND {0}max_lon <= :max_lon"
)
# Up to this many places in an area, matching their words in Python may beat the text index:
# on the 284k-place benchmark catalogue a place costs ~3-4 µs read and matched here, a row of a
# word's doclist ~0.35 µs in FTS5 ("airport", in 28k places, ~10 ms), so Python wins when the
# area holds fewer places than a tenth of the rows the words' lists hold.
SMALL_AREA_PLACES = 2_000
PYTHON_MATCH_COST = 10
# A prefix this short expands to too many words to price; it counts as very common.
MIN_PRICED_PREFIX = 3


def _text_matches(groups: Sequence[Sequence[str]], words: Sequence[str], prefix_last: bool) -> bool:
    """In Python, what the text indexes answer: every group has a term among the words; the
    first term of the last group may match as a word's prefix."""
    present = set(words)
    for i, group in enumerate(groups):
        if any(t in present for t in group):
            continue
        if prefix_last and i == len(groups) - 1 and group:
            first = group[0]
            if any(w.startswith(first) for w in present):
                continue
        return False
    return True


def _fts5_quote(term: str) -> str:
    # Tokens are already folded to [a-z0-9_] words; quoting keeps FTS5 from reading operators.
    return '"' + term.replace('"', "") + '"'


class SqliteSearch:
    """FTS5 for words, the R*Tree for areas, and place_rank (a narrow copy of popularity and
    the filter columns, kept by triggers) for ordering and filtering candidates."""

    async def match_ids(
        self,
        session: AsyncSession,
        groups: Sequence[Sequence[str]],
        prefix_last: bool,
        filters: Filters,
        limit: int,
        *,
        names_only: bool = False,
    ) -> list[int]:
        sql, params = self._text_query(groups, prefix_last, filters, limit, names_only)
        if filters.bbox is not None:
            params.update(_bbox_params(filters.bbox))
            if await self._cheaper_in_python(session, params, groups, prefix_last):
                # a small area: read its places and match their words here, which costs less
                # than walking the text index's lists for common words or prefixes
                rows = await session.execute(
                    text(
                        "SELECT p.id, p.name_folded, p.search_text FROM place_rtree r "
                        "JOIN place_place p ON p.id = r.id WHERE "
                        + _INSIDE.format("r.")
                        + _filter_sql(filters, params)
                        + POPULAR_FIRST
                    ),
                    {**params, "limit": SMALL_AREA_PLACES},
                )
                found = [
                    pid
                    for pid, name, body in rows.all()
                    if _text_matches(groups, (name if names_only else body).split(), prefix_last)
                ]
                return found[:limit]
            sql += f" AND p.id IN (SELECT id FROM place_rtree WHERE {_INSIDE.format('')})"
        sql += _filter_sql(filters, params) + POPULAR_FIRST
        return list((await session.execute(text(sql), params)).scalars())

    @staticmethod
    def _text_query(
        groups: Sequence[Sequence[str]],
        prefix_last: bool,
        filters: Filters,
        limit: int,
        names_only: bool,
    ) -> tuple[str, dict[str, Any]]:
        parts = []
        for i, group in enumerate(groups):
            last = i == len(groups) - 1
            alternatives = [
                _fts5_quote(t) + ("*" if prefix_last and last and j == 0 else "")
                for j, t in enumerate(group)
            ]
            parts.append("(" + " OR ".join(alternatives) + ")")
        expression = " AND ".join(parts)
        if names_only:
            expression = f"name_folded : ({expression})"
        params: dict[str, Any] = {"match": expression, "limit": limit}
        sql = (
            "SELECT p.id FROM place_fts JOIN place_rank p ON p.id = place_fts.rowid "
            "WHERE place_fts MATCH :match"
        )
        return sql, params

    def id_query(
        self,
        groups: Sequence[Sequence[str]],
        prefix_last: bool,
        filters: Filters,
        limit: int,
        *,
        names_only: bool = False,
    ) -> tuple[str, dict[str, Any]] | None:
        if filters.bbox is not None:
            return None
        sql, params = self._text_query(groups, prefix_last, filters, limit, names_only)
        return sql + _filter_sql(filters, params) + POPULAR_FIRST, params

    @staticmethod
    async def _cheaper_in_python(
        session: AsyncSession,
        params: dict[str, Any],
        groups: Sequence[Sequence[str]],
        prefix_last: bool,
    ) -> bool:
        """Whether reading the area's places and matching their words here costs less than
        walking the text index's lists for these words: one statement counts the places
        inside (up to SMALL_AREA_PLACES) and the documents the words are in."""
        most = SMALL_AREA_PLACES
        if most <= 0:
            return False
        exact = [
            t
            for i, g in enumerate(groups)
            for j, t in enumerate(g)
            if not (prefix_last and i == len(groups) - 1 and j == 0)
        ]
        prefix = groups[-1][0] if prefix_last and groups and groups[-1] else ""
        if prefix and len(prefix) < MIN_PRICED_PREFIX:
            prefix_sql = ":unpriced"
        elif prefix:
            prefix_sql = (
                "(SELECT coalesce(sum(doc_count), 0) FROM place_term "
                "WHERE term >= :prefix AND term < :prefix_end)"
            )
        else:
            prefix_sql = "0"
        row = (
            await session.execute(
                text(
                    "SELECT (SELECT count(*) FROM (SELECT id FROM place_rtree WHERE "
                    + _INSIDE.format("")
                    + " LIMIT :most_plus_one)), "
                    "(SELECT coalesce(sum(doc_count), 0) FROM place_term "
                    "WHERE term IN (SELECT value FROM json_each(:exact))), " + prefix_sql
                ),
                {
                    **params,
                    "most_plus_one": most + 1,
                    "exact": json.dumps(exact),
                    "prefix": prefix,
                    "prefix_end": prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix else "",
                    "unpriced": 10**9,
                },
            )
        ).one()
        inside, listed = int(row[0] or 0), int(row[1] or 0) + int(row[2] or 0)
        return inside <= most and inside * PYTHON_MATCH_COST < listed

    async def geo_ids(self, session: AsyncSession, filters: Filters, limit: int) -> list[int]:
        assert filters.bbox is not None
        params: dict[str, Any] = {**_bbox_params(filters.bbox), "limit": limit}
        sql = (
            "SELECT p.id FROM place_rtree r JOIN place_rank p ON p.id = r.id "
            "WHERE r.min_lat >= :min_lat AND r.max_lat <= :max_lat "
            "AND r.min_lon >= :min_lon AND r.max_lon <= :max_lon"
            + _filter_sql(filters, params)
            + POPULAR_FIRST
        )
        return list((await session.execute(text(sql), params)).scalars())

    async def similar_terms(self, session: AsyncSession, token: str, limit: int) -> list[str]:
        if len(token) < 3:
            return []
        vocabulary = await _vocabulary(session)
        # one edit away, any word (rare ones too), straight from the term index
        near = (
            sorted(
                (
                    await session.execute(
                        _KNOWN_TERMS, {"terms": json.dumps(sorted(edits1(token)))}
                    )
                ).scalars()
            )
            if token.isascii()
            else []
        )
        return list(dict.fromkeys([*near, *vocabulary.similar(token, limit)]))

    async def common_term_with_prefix(self, session: AsyncSession, prefix: str) -> bool:
        return (await _vocabulary(session)).has_prefix(prefix)


class PostgresSearch:
    def id_query(
        self,
        groups: Sequence[Sequence[str]],
        prefix_last: bool,
        filters: Filters,
        limit: int,
        *,
        names_only: bool = False,
    ) -> tuple[str, dict[str, Any]]:
        # The name is indexed with weight A: "term:A" / "term:*A" match it alone.
        weight = "A" if names_only else ""
        parts = []
        params: dict[str, Any] = {"limit": limit}
        n = 0
        for i, group in enumerate(groups):
            last = i == len(groups) - 1
            alternatives = []
            for j, term in enumerate(group):
                star = "*" if prefix_last and last and j == 0 else ""
                params[f"t{n}"] = term
                params[f"s{n}"] = f":{star}{weight}" if star or weight else ""
                alternatives.append(f"quote_literal(:t{n}) || :s{n}")
                n += 1
            parts.append("'(' || " + " || ' | ' || ".join(alternatives) + " || ')'")
        query = " || ' & ' || ".join(parts)
        sql = (
            f"SELECT p.id FROM place_place p, to_tsquery('simple', {query}) q "
            "WHERE p.search_tsv @@ q"
        )
        if filters.bbox is not None:
            sql += (
                " AND p.lat BETWEEN :min_lat AND :max_lat AND p.lon BETWEEN :min_lon AND :max_lon"
            )
            params.update(_bbox_params(filters.bbox))
        return sql + _filter_sql(filters, params) + POPULAR_FIRST, params

    async def match_ids(
        self,
        session: AsyncSession,
        groups: Sequence[Sequence[str]],
        prefix_last: bool,
        filters: Filters,
        limit: int,
        *,
        names_only: bool = False,
    ) -> list[int]:
        sql, params = self.id_query(groups, prefix_last, filters, limit, names_only=names_only)
        return list((await session.execute(text(sql), params)).scalars())

    async def geo_ids(self, session: AsyncSession, filters: Filters, limit: int) -> list[int]:
        assert filters.bbox is not None
        params: dict[str, Any] = {**_bbox_params(filters.bbox), "limit": limit}
        sql = (
            "SELECT p.id FROM place_place p WHERE p.lat BETWEEN :min_lat AND :max_lat "
            "AND p.lon BETWEEN :min_lon AND :max_lon" + _filter_sql(filters, params) + POPULAR_FIRST
        )
        return list((await session.execute(text(sql), params)).scalars())

    async def similar_terms(self, session: AsyncSession, token: str, limit: int) -> list[str]:
        if len(token) < 3:
            return []
        # Every word one edit away, straight from the primary key; the trigram index (tens of
        # milliseconds over a world vocabulary) only when there is none.
        if token.isascii():
            near = await session.execute(
                text("SELECT term FROM place_term WHERE term = ANY(:terms) AND doc_count > 0"),
                {"terms": sorted(edits1(token))},
            )
            found = sorted(near.scalars())
            if found:
                return found
        rows = await session.execute(
            text(
                "SELECT term FROM place_term WHERE term % :token "
                "ORDER BY similarity(term, :token) DESC LIMIT :limit"
            ),
            {"token": token, "limit": limit},
        )
        return list(rows.scalars())

    async def common_term_with_prefix(self, session: AsyncSession, prefix: str) -> bool:
        return False


def search_index_for(dialect: str) -> SearchIndex:
    return PostgresSearch() if dialect == "postgresql" else SqliteSearch()


class PlacesRepository(Repository):
    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    @property
    def index(self) -> SearchIndex:
        return search_index_for(self.dialect)

    # ---------------------------------------------------------------- places
    async def summaries(self, ids: Sequence[int]) -> dict[int, PlaceSummary]:
        if not ids:
            return {}
        # Plain SQL: the ORM's per-row type processing cost more than the query itself.
        rows = await self.session.execute(_SUMMARY_SQL, {"ids": list(ids)})
        return {summary.id: summary for summary in map(_summary, rows.all())}

    async def matching_summaries(
        self,
        groups: Sequence[Sequence[str]],
        prefix_last: bool,
        filters: Filters,
        limit: int,
        *,
        names_only: bool = False,
        skip: frozenset[int] = frozenset(),
    ) -> list[PlaceSummary]:
        """Summaries of what match_ids finds, in one statement where the engine allows."""
        query = self.index.id_query(groups, prefix_last, filters, limit, names_only=names_only)
        if query is None:
            ids = await self.index.match_ids(
                self.session, groups, prefix_last, filters, limit, names_only=names_only
            )
            found = await self.summaries([i for i in ids if i not in skip])
            return list(found.values())
        sql, params = query
        rows = await self.session.execute(
            text(f"{_SUMMARY_SELECT} WHERE id IN (SELECT id FROM ({sql}) AS m)"), params
        )
        return [s for s in map(_summary, rows.all()) if s.id not in skip]

    async def cards(self, public_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, PlaceCard]:
        rows = await self.session.execute(
            select(
                Place.public_id,
                Place.name,
                Place.kind,
                Place.country_code,
                Place.lat,
                Place.lon,
                Place.timezone,
                Place.category,
                Place.locality,
                Place.rating,
                Place.popularity,
                Place.attributes,
            ).where(Place.public_id.in_(list(public_ids)))
        )
        return {
            r.public_id: PlaceCard(
                id=r.public_id,
                name=r.name,
                kind=r.kind,
                country_code=r.country_code,
                lat=r.lat,
                lon=r.lon,
                timezone=r.timezone,
                category=r.category,
                locality=r.locality,
                rating=r.rating,
                popularity=r.popularity,
                price=place_price(r.attributes),
            )
            for r in rows.all()
        }

    async def by_public_id(self, public_id: uuid.UUID) -> Place | None:
        return await self.session.scalar(select(Place).where(Place.public_id == public_id))

    async def by_source(self, source: str, source_id: str) -> Place | None:
        return await self.session.scalar(
            select(Place).where(Place.source == source, Place.source_id == source_id)
        )

    async def add(self, place: Place) -> None:
        self.session.add(place)
        await self.session.flush()

    async def delete(self, place: Place) -> None:
        await self.session.delete(place)
        await self.session.flush()

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(Place)) or 0)

    async def existing_sources(self, source: str) -> dict[str, tuple[int, str, bool]]:
        """source_id -> (id, search_text, has embedding) for one source (idempotent imports)."""
        rows = await self.session.execute(
            select(
                Place.source_id, Place.id, Place.search_text, Place.embedding.is_not(None)
            ).where(Place.source == source)
        )
        return {sid: (pid, st, bool(has)) for sid, pid, st, has in rows.all()}

    async def bulk_insert(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(PLACE_TABLE.insert(), rows)

    async def bulk_update(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        table = PLACE_TABLE
        columns = [c for c in rows[0] if c != "id"]
        statement = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values({c: bindparam(c) for c in columns})
        )
        await self.session.execute(statement, [{**r, "_id": r["id"]} for r in rows])

    async def embeddings(self) -> list[tuple[int, bytes, float | None, float | None, str]]:
        rows = await self.session.execute(
            select(Place.id, Place.embedding, Place.lat, Place.lon, Place.category)
            .where(Place.embedding.is_not(None))
            .order_by(Place.id)
        )
        return [
            (pid, blob, lat, lon, category)
            for pid, blob, lat, lon, category in rows.all()
            if blob is not None
        ]

    async def analyze(self) -> None:
        """Refresh the planner's statistics after a bulk load (the query plans depend on it)."""
        if self.dialect == "postgresql":
            await self.session.execute(text("ANALYZE place_place"))
            await self.session.execute(text("ANALYZE place_term"))
        else:
            await self.session.execute(text("ANALYZE"))

    # ---------------------------------------------------------------- vocabulary
    @property
    def _cache_key(self) -> str:
        return str(self.session.get_bind().engine.url)

    async def document_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """Document frequency per term; served from a short-lived per-process cache, since
        BM25 weights barely move between imports (writes here clear it at once)."""
        cache = _DF_CACHE.setdefault(self._cache_key, {})
        now = time.monotonic()
        found: dict[str, int] = {}
        wanted = []
        for term in set(terms):
            hit = cache.get(term)
            if hit is not None and hit[0] > now:
                found[term] = hit[1]
            else:
                wanted.append(term)
        if wanted:
            rows = await self.session.execute(
                select(Term.term, Term.doc_count).where(Term.term.in_(wanted))
            )
            fresh = {t: int(c) for t, c in rows.all()}
            if len(cache) > _DF_CACHE_SIZE:
                cache.clear()
            for term in wanted:
                cache[term] = (now + STATS_TTL_SECONDS, fresh.get(term, 0))
            found.update(fresh)
        return {t: c for t, c in found.items() if c}

    def forget_cached_stats(self) -> None:
        _DF_CACHE.pop(self._cache_key, None)
        _DOC_STATS_CACHE.pop(self._cache_key, None)
        _VOCABULARY_CHECKED.pop(self._cache_key, None)

    async def has_term_with_prefix(self, prefix: str) -> bool:
        if await self.index.common_term_with_prefix(self.session, prefix):
            return True
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        found = await self.session.scalar(
            select(Term.term)
            .where(Term.term >= prefix, Term.term < upper, Term.doc_count > 0)
            .limit(1)
        )
        return found is not None

    async def add_term_counts(self, deltas: dict[str, int]) -> None:
        """Apply document-frequency changes: one prepared upsert, executed for every term
        (the same SQL on SQLite and PostgreSQL)."""
        self.forget_cached_stats()
        items = [{"term": t, "delta": d} for t, d in deltas.items() if d]
        if items:
            await self.session.execute(
                text(
                    "INSERT INTO place_term (term, doc_count) VALUES (:term, :delta) "
                    "ON CONFLICT (term) DO UPDATE SET doc_count = place_term.doc_count + "
                    "excluded.doc_count"
                ),
                items,
            )
        # Rows whose count falls to zero stay: term rowids must only grow (see _vocabulary),
        # and every reader skips zero counts.
        if await self.stat(VOCABULARY_EPOCH) is None:
            await self.set_stat(VOCABULARY_EPOCH, float(time.time_ns() % 2**52))

    async def stat(self, name: str) -> float | None:
        row = await self.session.get(IndexStat, name)
        return None if row is None else row.value

    async def set_stat(self, name: str, value: float) -> None:
        self.forget_cached_stats()
        row = await self.session.get(IndexStat, name)
        if row is None:
            self.session.add(IndexStat(name=name, value=value))
        else:
            row.value = value
        await self.session.flush()

    async def document_stats(self) -> tuple[int, float]:
        """(documents, average length in tokens) of the lexical index (cached like DFs)."""
        cached = _DOC_STATS_CACHE.get(self._cache_key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        count = await self.stat("documents")
        length = await self.stat("total_tokens")
        value = (0, 1.0) if not count else (int(count), max(1.0, (length or count) / count))
        _DOC_STATS_CACHE[self._cache_key] = (time.monotonic() + STATS_TTL_SECONDS, value)
        return value

    # ---------------------------------------------------------------- countries
    async def upsert_countries(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            existing = await self.session.get(Country, row["code"])
            if existing is None:
                self.session.add(Country(**row))
            else:
                for key, value in row.items():
                    setattr(existing, key, value)
        await self.session.flush()
