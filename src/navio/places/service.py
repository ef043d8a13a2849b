"""Places use cases: search, suggest, nearest, details, operator indexing. Never commits."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from navio.iam import Permission, PermissionDenied, Principal
from navio.kernel.clock import Clock
from navio.kernel.events import EventRecorder
from navio.kernel.geo import bounding_box, haversine_m
from navio.places import domain
from navio.places.errors import InvalidSearch, PlaceNotFound
from navio.places.events import PlaceIndexed, PlaceRemoved
from navio.places.indexing import build_place_row, index_places, unindex_place
from navio.places.models import Place
from navio.places.opening_hours import is_open_at
from navio.places.reference import country_names
from navio.places.repository import Filters, PlacesRepository, PlaceSummary
from navio.places.schemas import (
    NearPoint,
    PlaceDetail,
    PlaceHit,
    PoiIndexRequest,
    QueryInfo,
    ScoreTerms,
    SearchParams,
    SearchResults,
    Suggestion,
    Suggestions,
)
from navio.places.semantic import SemanticIndex

CANDIDATES = 400
SEMANTIC_CANDIDATES = 200
SUGGEST_CANDIDATES = 100
TYPO_CANDIDATES = 60
NEAR_DEFAULT_RADIUS_M = 1_500.0
PROXIMITY_SCALE_M = 2_000.0
OPERATOR_SOURCE = "operator"


@dataclass
class Expansion:
    terms: list[domain.QueryTerm]
    corrections: dict[str, list[str]]


def _cursor(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "f": fingerprint}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _offset(cursor: str | None, fingerprint: str) -> int:
    if not cursor:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset = int(data["o"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidSearch("cursor is not one this API issued", field="cursor") from exc
    if data.get("f") != fingerprint or offset < 0:
        raise InvalidSearch("cursor belongs to another query", field="cursor")
    return offset


class PlacesService:
    def __init__(
        self,
        repo: PlacesRepository,
        events: EventRecorder,
        clock: Clock,
        semantic: SemanticIndex | None = None,
    ) -> None:
        self.repo = repo
        self.events = events
        self.clock = clock
        self.semantic = semantic

    # ---------------------------------------------------------------- query understanding
    async def _expand(self, tokens: Sequence[str], *, prefix_last: bool) -> Expansion:
        frequencies = await self.repo.document_frequencies(tokens)
        terms: list[domain.QueryTerm] = []
        corrections: dict[str, list[str]] = {}
        for i, token in enumerate(tokens):
            # a one-letter prefix matches a fifth of the catalogue: treat it as a whole word
            last = prefix_last and i == len(tokens) - 1 and len(token) >= 2
            alternatives: dict[str, float] = {token: 1.0}
            known = frequencies.get(token, 0) > 0 or (
                last and await self.repo.has_term_with_prefix(token)
            )
            if not known and domain.max_typos(token):
                vocabulary = await self.repo.index.similar_terms(
                    self.repo.session, token, TYPO_CANDIDATES
                )
                fixes = domain.close_terms(token, vocabulary)
                if last:
                    # a word still being typed: compare with the start of longer terms
                    prefixes = {t[: len(token)]: t for t in vocabulary if len(t) > len(token)}
                    for start, term in prefixes.items():
                        if term not in alternatives and domain.close_terms(token, [start]):
                            fixes.append((term, 1))
                # equally close fixes: the commoner word first ("dragn" -> dragon, not draga)
                common = await self.repo.document_frequencies(t for t, _ in fixes)
                fixes = [f for f in fixes if common.get(f[0], 0) > 0]
                fixes.sort(key=lambda f: (f[1], -common.get(f[0], 0), f[0]))
                for term, distance in fixes[:5]:
                    alternatives[term] = 0.8 if distance <= 1 else 0.6
                if len(alternatives) > 1:
                    corrections[token] = [t for t in alternatives if t != token]
            terms.append(domain.QueryTerm(token, alternatives, prefix=last))
        return Expansion(terms, corrections)

    async def _geocode(self, where: str) -> PlaceSummary | None:
        found = await self._suggested(where, limit=1)
        return found[0][0] if found else None

    async def _candidates(
        self, groups: Sequence[Sequence[str]], filters: Filters, limit: int
    ) -> tuple[list[int], bool]:
        """The most popular places whose text matches, plus, when those are capped, the most
        popular whose name matches: the same set on every engine (ties broken by id), ranked
        afterwards by `_rank`. Also whether the set is every match (nothing was capped)."""
        session = self.repo.session
        by_text = await self.repo.index.match_ids(session, groups, True, filters, limit)
        if len(by_text) < limit:
            return by_text, True  # a name is part of the text: every name match is here
        by_name = await self.repo.index.match_ids(
            session, groups, True, filters, limit, names_only=True
        )
        return list(dict.fromkeys([*by_name, *by_text])), False

    # ---------------------------------------------------------------- ranking
    async def _rank(
        self,
        places: Sequence[PlaceSummary],
        terms: Sequence[domain.QueryTerm],
        center: tuple[float, float] | None,
        meaning: dict[int, float] | None = None,
        lexical: set[int] | None = None,
    ) -> list[tuple[PlaceSummary, float, ScoreTerms, float | None]]:
        alternatives = {a for t in terms for a in t.alternatives}
        frequencies = await self.repo.document_frequencies(alternatives)
        documents, average = await self.repo.document_stats()
        weighted = domain.weigh_terms(terms, frequencies, max(documents, 1))
        raw = [
            domain.text_relevance(
                terms, weighted, p.name_folded.split(), p.search_text.split(), average
            )
            for p in places
        ]
        top = max(raw, default=0.0) or 1.0
        ranked = []
        for place, text_score in zip(places, raw, strict=True):
            distance = near = None
            if center is not None and place.lat is not None and place.lon is not None:
                distance = haversine_m(center[0], center[1], place.lat, place.lon)
                near = domain.proximity(distance, PROXIMITY_SCALE_M)
            # words count only for places that have all of them (the lexical match)
            matched = lexical is None or place.id in lexical
            text = text_score / top if terms and matched else 0.0
            # places without a vector (cities, airports) are judged on their words alone
            semantic = (
                None
                if meaning is None or not place.has_embedding
                else domain.semantic_relevance(meaning.get(place.id, 0.0))
            )
            score = domain.blended(text, place.popularity, near, semantic)
            ranked.append(
                (
                    place,
                    score,
                    ScoreTerms(
                        text=round(text, 4),
                        popularity=round(place.popularity, 4),
                        proximity=None if near is None else round(near, 4),
                        semantic=None if semantic is None else round(semantic, 4),
                    ),
                    distance,
                )
            )
        ranked.sort(key=lambda r: (-r[1], r[0].name, r[0].id))
        return ranked

    @staticmethod
    def _hit(
        place: PlaceSummary, score: float, terms: ScoreTerms, distance: float | None
    ) -> PlaceHit:
        return PlaceHit(
            id=place.public_id,
            kind=place.kind,
            category=place.category,
            name=place.name,
            country_code=place.country_code,
            locality=place.locality,
            lat=place.lat,
            lon=place.lon,
            distance_m=None if distance is None else round(distance, 1),
            rating=place.rating,
            price_level=place.price_level,
            popularity=round(place.popularity, 4),
            score=round(score, 5),
            score_terms=terms,
        )

    # ---------------------------------------------------------------- search
    async def _anchor(
        self, params: SearchParams
    ) -> tuple[str, tuple[float, float] | None, float | None, NearPoint | None]:
        """The text to match, and where: lat/lon, or a named place in "X near Y"."""
        center = (
            (params.lat, params.lon) if params.lat is not None and params.lon is not None else None
        )
        what, where = domain.split_near(params.q) if params.q else ("", None)
        radius = params.radius_m
        if where and center is None:
            anchor = await self._geocode(where)
            words = set(domain.query_tokens(where))
            if (
                anchor is not None
                and anchor.lat is not None
                and anchor.lon is not None
                and words <= set(anchor.search_text.split())  # "water" is not Waterlooville
            ):
                radius = radius or NEAR_DEFAULT_RADIUS_M
                near = NearPoint(name=anchor.name, lat=anchor.lat, lon=anchor.lon, radius_m=radius)
                return what, (anchor.lat, anchor.lon), radius, near
            what = params.q or ""  # "near water" is a wish, not a place: keep it as text
        if center is not None and radius is not None:
            return (
                what,
                center,
                radius,
                NearPoint(name=None, lat=center[0], lon=center[1], radius_m=radius),
            )
        return what, center, radius, None

    @staticmethod
    def _within(
        places: list[PlaceSummary], center: tuple[float, float] | None, radius: float | None
    ) -> list[PlaceSummary]:
        if center is None or radius is None:
            return places
        return [
            p
            for p in places
            if p.lat is not None
            and p.lon is not None
            and haversine_m(center[0], center[1], p.lat, p.lon) <= radius
        ]

    @staticmethod
    def _passes(place: PlaceSummary, filters: Filters) -> bool:
        """The SQL filters, for candidates that came from the semantic index."""
        if filters.categories and place.category not in filters.categories:
            return False
        if filters.kinds and place.kind not in filters.kinds:
            return False
        if filters.min_rating is not None and (place.rating or 0.0) < filters.min_rating:
            return False
        if filters.price_levels and place.price_level not in filters.price_levels:
            return False
        if filters.bbox is not None:
            min_lat, min_lon, max_lat, max_lon = filters.bbox
            if place.lat is None or place.lon is None:
                return False
            return min_lat <= place.lat <= max_lat and min_lon <= place.lon <= max_lon
        return True

    async def _meaning(
        self, what: str, wanted: bool, filters: Filters
    ) -> tuple[dict[int, float] | None, str]:
        if not what or not wanted:
            return None, "lexical ranking"
        if self.semantic is None:
            return None, "semantic search is off; lexical ranking"
        vectors = await self.semantic.encode([what])
        if vectors is None:
            return None, "the sentence model is not installed; lexical ranking only"
        hits = await self.semantic.nearest(
            self.repo,
            vectors[0],
            SEMANTIC_CANDIDATES,
            bbox=filters.bbox,
            categories=filters.categories,
        )
        return dict(hits), "lexical and semantic (all-MiniLM-L6-v2) ranking"

    async def search(self, params: SearchParams) -> SearchResults:
        what, center, radius, near = await self._anchor(params)
        bbox = params.bbox
        if bbox is None and center is not None and radius is not None:
            bbox = bounding_box(center[0], center[1], radius)
            if bbox[1] < -180 or bbox[3] > 180:
                bbox = (bbox[0], -180.0, bbox[2], 180.0)
        base = Filters(
            kinds=tuple(params.kind),
            bbox=bbox,
            min_rating=params.min_rating,
            price_levels=tuple(params.price_level),
        )
        filters = replace(base, categories=tuple(params.category))
        tokens = domain.query_tokens(what) if what else []
        if what and not tokens:
            raise InvalidSearch("the query has no searchable words", field="q")
        expansion = await self._expand(tokens, prefix_last=True) if tokens else Expansion([], {})
        groups = [list(t.alternatives) for t in expansion.terms]
        meaning, note = await self._meaning(what, params.semantic, filters)
        # Facet counts ignore the category filter, so a client can switch category. When the
        # matches without it are few enough to be complete, one query serves both.
        wide: list[PlaceSummary] | None = None
        if groups:
            ids, complete = await self._candidates(groups, base, CANDIDATES)
            if params.category and complete:
                wide = self._within(list((await self.repo.summaries(ids)).values()), center, radius)
            elif params.category:
                ids, _ = await self._candidates(groups, filters, CANDIDATES)
        elif bbox is not None:
            ids = await self.repo.index.geo_ids(self.repo.session, filters, CANDIDATES)
        else:
            raise InvalidSearch("give q, or a place to look (lat/lon or bbox)", field="q")
        lexical = set(ids)
        if meaning:
            ids = list(dict.fromkeys([*ids, *meaning]))
        places = [p for p in (await self.repo.summaries(ids)).values() if self._passes(p, filters)]
        places = self._within(places, center, radius)
        if meaning is not None and groups:
            # a semantic neighbour must mean something close, or share the query's words
            places = [
                p
                for p in places
                if p.id in lexical or domain.semantic_relevance(meaning.get(p.id, 0.0)) > 0.2
            ]
        if params.open_at is not None:
            places = [p for p in places if self._open_at(p, params)]
        ranked = await self._rank(places, expansion.terms, center, meaning, lexical)
        if params.category and groups and wide is None:
            others, _ = await self._candidates(groups, base, CANDIDATES)
            wide = self._within(list((await self.repo.summaries(others)).values()), center, radius)
        counted = places if wide is None else wide
        facets = {"category": dict(Counter(p.category for p in counted).most_common(30))}
        fingerprint = hashlib.sha256(
            params.model_dump_json(exclude={"cursor", "limit"}).encode()
        ).hexdigest()[:16]
        offset = _offset(params.cursor, fingerprint)
        page = ranked[offset : offset + params.limit]
        next_cursor = (
            _cursor(offset + params.limit, fingerprint)
            if offset + params.limit < len(ranked)
            else None
        )
        return SearchResults(
            items=[self._hit(*row) for row in page],
            total=len(ranked),
            facets=facets,
            next_cursor=next_cursor,
            query=QueryInfo(
                text=what or None,
                terms=tokens,
                corrections=expansion.corrections,
                near=near,
                semantic=meaning is not None,
                semantic_note=note,
            ),
        )

    @staticmethod
    def _open_at(place: PlaceSummary, params: SearchParams) -> bool:
        """Open at that moment by the place's full rule (naive = the place's local time)."""
        if not place.opening_hours_raw or params.open_at is None:
            return False
        moment = params.open_at
        if moment.tzinfo is not None and place.timezone:
            moment = moment.astimezone(ZoneInfo(place.timezone))
        # the place's country turns on its public holidays for "PH" rules
        return bool(
            is_open_at(
                place.opening_hours_raw,
                moment.replace(tzinfo=None),
                country=place.country_code,
            )
        )

    # ---------------------------------------------------------------- suggest
    async def _suggested(
        self, q: str, limit: int, kinds: Sequence[str] = ()
    ) -> list[tuple[PlaceSummary, float]]:
        tokens = domain.query_tokens(q)
        if not tokens:
            raise InvalidSearch("the query has no searchable words", field="q")
        # "Campos B": the last word has just begun. One letter matches a fifth of the
        # catalogue, so it filters the candidates of the other words instead of searching.
        hint = tokens.pop() if len(tokens) > 1 and len(tokens[-1]) == 1 else None
        expansion = await self._expand(tokens, prefix_last=hint is None)
        groups = [list(t.alternatives) for t in expansion.terms]
        filters = Filters(kinds=tuple(kinds))

        async def matching(names_only: bool, skip: set[int]) -> list[PlaceSummary]:
            found = await self.repo.matching_summaries(
                groups,
                hint is None,
                filters,
                SUGGEST_CANDIDATES,
                names_only=names_only,
                skip=frozenset(skip),
            )
            if hint is None:
                return list(found)
            return [
                p
                for p in found
                if any(
                    w.startswith(hint)
                    for w in (p.name_folded if names_only else p.search_text).split()
                )
            ]

        # autocomplete is about names: the whole-text query (country names, cuisines...) runs
        # only when names alone do not fill the list
        places = await matching(True, set())
        if len(places) < 2 * limit:
            places += await matching(False, {p.id for p in places})
        ranked = await self._rank(places, expansion.terms, None)
        return [(place, score) for place, score, _, _ in ranked[:limit]]

    async def suggest(self, q: str, limit: int = 10, kinds: Sequence[str] = ()) -> Suggestions:
        ranked = await self._suggested(q, limit, kinds)
        countries = country_names()
        items = []
        for place, score in ranked:
            country = countries.get(place.country_code or "")
            parts = [
                place.name,
                place.locality if place.kind != "city" else None,
                country or place.country_code,
            ]
            items.append(
                Suggestion(
                    id=place.public_id,
                    kind=place.kind,
                    category=place.category,
                    name=place.name,
                    label=", ".join(p for p in parts if p),
                    country_code=place.country_code,
                    lat=place.lat,
                    lon=place.lon,
                    score=round(score, 5),
                )
            )
        return Suggestions(items=items)

    # ---------------------------------------------------------------- details, nearest
    @staticmethod
    def detail(place: Place) -> PlaceDetail:
        return PlaceDetail(
            id=place.public_id,
            kind=place.kind,
            category=place.category,
            name=place.name,
            alt_names=[n for n in place.alt_names.split("|") if n],
            country_code=place.country_code,
            locality=place.locality,
            lat=place.lat,
            lon=place.lon,
            timezone=place.timezone,
            population=place.population,
            rating=place.rating,
            price_level=place.price_level,
            popularity=place.popularity,
            address=place.address,
            website=place.website,
            phone=place.phone,
            wikidata=place.wikidata,
            wikipedia=place.wikipedia,
            opening_hours_raw=place.opening_hours_raw,
            opening_hours_valid=place.opening_hours_valid,
            opening_hours=place.opening_hours,
            attributes=place.attributes,
            source=place.source,
            updated_at=place.updated_at,
        )

    async def get(self, public_id: uuid.UUID) -> PlaceDetail:
        place = await self.repo.by_public_id(public_id)
        if place is None:
            raise PlaceNotFound()
        return self.detail(place)

    async def nearest(
        self, lat: float, lon: float, categories: Sequence[str], kinds: Sequence[str], limit: int
    ) -> list[PlaceHit]:
        radius = 1_000.0
        while True:
            box = bounding_box(lat, lon, radius)
            filters = Filters(
                categories=tuple(categories),
                kinds=tuple(kinds),
                bbox=(box[0], max(-180.0, box[1]), box[2], min(180.0, box[3])),
            )
            ids = await self.repo.index.geo_ids(self.repo.session, filters, 5_000)
            places = list((await self.repo.summaries(ids)).values())
            within = [
                (haversine_m(lat, lon, p.lat, p.lon), p)
                for p in places
                if p.lat is not None and p.lon is not None
            ]
            within = [(d, p) for d, p in within if d <= radius]
            if len(within) >= limit or radius >= 2_000_000:
                break
            radius *= 4
        within.sort(key=lambda item: (item[0], item[1].id))
        return [
            self._hit(p, 0.0, ScoreTerms(text=0.0, popularity=p.popularity, proximity=None), d)
            for d, p in within[:limit]
        ]

    # ---------------------------------------------------------------- operator indexing
    def _require(self, principal: Principal) -> None:
        if not principal.can(Permission.SEARCH_INDEX.value):
            raise PermissionDenied("requires permission search:index")

    async def index_poi(
        self, principal: Principal, body: PoiIndexRequest
    ) -> tuple[PlaceDetail, bool]:
        self._require(principal)
        source_id = f"{principal.user_id}:{body.source_id}"
        existing = await self.repo.by_source(OPERATOR_SOURCE, source_id)
        row = build_place_row(
            body, source=OPERATOR_SOURCE, source_id=source_id, now=self.clock.now()
        )
        place = await index_places(
            self.repo,
            [row],
            existing={source_id: existing} if existing else {},
            semantic=self.semantic,
        )
        created = existing is None
        self.events.record(PlaceIndexed(place_id=place[0].public_id, source=OPERATOR_SOURCE))
        return self.detail(place[0]), created

    async def remove_poi(self, principal: Principal, public_id: uuid.UUID) -> None:
        self._require(principal)
        place = await self.repo.by_public_id(public_id)
        if place is None or place.kind != "poi":
            raise PlaceNotFound()
        if place.source == OPERATOR_SOURCE and not place.source_id.startswith(
            f"{principal.user_id}:"
        ):
            if not principal.is_admin:
                raise PlaceNotFound()
        elif place.source != OPERATOR_SOURCE and not principal.is_admin:
            raise PermissionDenied("only admins remove imported places")
        await unindex_place(self.repo, place)
        self.events.record(PlaceRemoved(place_id=public_id))
