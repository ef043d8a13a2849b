"""Writing places into the catalogue and keeping the lexical index statistics true.

Every write path (bulk importers, the operator endpoint) goes through here, so the vocabulary
(document frequencies) and the document statistics BM25 needs always match the rows."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from navio.places import domain
from navio.places.models import Place
from navio.places.opening_hours import hours_json, parse_opening_hours
from navio.places.repository import PlacesRepository
from navio.places.schemas import PoiIndexRequest
from navio.places.semantic import SemanticIndex, embedding_text, to_bytes

# Columns an importer row may carry (besides id/public_id/timestamps).
PLACE_COLUMNS = frozenset(
    c.name for c in Place.__table__.columns if c.name not in {"id", "created_at", "updated_at"}
)


ANALYZE_AFTER_ROWS = 1_000

# executemany needs every row to carry every column.
ROW_DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(PLACE_COLUMNS),
    "alt_names": "",
    "popularity": 0.0,
    "attributes": {},
}


def _token_set(search_text: str) -> set[str]:
    return set(search_text.split())


async def _embed(semantic: SemanticIndex | None, rows: list[dict[str, Any]]) -> bool:
    """Fill `embedding` for POI rows; False when the model is unavailable (lexical only)."""
    if semantic is None or not rows:
        return False
    vectors = await semantic.encode([embedding_text(r) for r in rows])
    if vectors is None:
        return False
    for row, vector in zip(rows, vectors, strict=True):
        row["embedding"] = to_bytes(vector)
    return True


async def _bump_embeddings(repo: PlacesRepository) -> None:
    # Any value unseen before tells every process to reload its matrix.
    await repo.set_stat("embedding_version", time.time())


async def _apply_stats(repo: PlacesRepository, doc_delta: int, token_delta: int) -> None:
    documents = (await repo.stat("documents")) or 0.0
    total = (await repo.stat("total_tokens")) or 0.0
    await repo.set_stat("documents", max(0.0, documents + doc_delta))
    await repo.set_stat("total_tokens", max(0.0, total + token_delta))


def build_place_row(
    body: PoiIndexRequest, *, source: str, source_id: str, now: datetime
) -> dict[str, Any]:
    hours = parse_opening_hours(body.opening_hours) if body.opening_hours else None
    return {
        "kind": "poi",
        "category": body.category,
        "name": body.name,
        "name_folded": domain.fold(body.name),
        "alt_names": "|".join(body.alt_names),
        "search_text": domain.document_text(
            body.name, body.alt_names, body.category.replace("_", " "), body.locality
        ),
        "country_code": body.country_code,
        "locality": body.locality,
        "lat": body.lat,
        "lon": body.lon,
        "rating": body.rating,
        "price_level": body.price_level,
        "popularity": domain.poi_popularity(body.rating, False, bool(body.website)),
        "address": body.address,
        "website": body.website,
        "phone": body.phone,
        "opening_hours_raw": body.opening_hours,
        "opening_hours_valid": None if hours is None else hours.valid,
        "opening_hours": hours_json(hours),
        "attributes": {"description": body.description} if body.description else {},
        "source": source,
        "source_id": source_id,
        "created_at": now,
        "updated_at": now,
    }


async def index_places(
    repo: PlacesRepository,
    rows: Sequence[dict[str, Any]],
    existing: Mapping[str, Place],
    semantic: SemanticIndex | None = None,
) -> list[Place]:
    """Insert or update a few places through the ORM (operator edits)."""
    rows = [dict(r) for r in rows]
    embedded = await _embed(semantic, [r for r in rows if r["kind"] == "poi"])
    deltas: Counter[str] = Counter()
    doc_delta = token_delta = 0
    result = []
    for row in rows:
        place = existing.get(row["source_id"])
        new_tokens = _token_set(row["search_text"])
        if place is None:
            place = Place(public_id=uuid.uuid4(), **row)
            await repo.add(place)
            doc_delta += 1
        else:
            old_tokens = _token_set(place.search_text)
            deltas.subtract(old_tokens)
            token_delta -= len(place.search_text.split())
            for key, value in row.items():
                if key != "created_at":
                    setattr(place, key, value)
        deltas.update(new_tokens)
        token_delta += len(row["search_text"].split())
        result.append(place)
    await repo.session.flush()
    await repo.add_term_counts(dict(deltas))
    await _apply_stats(repo, doc_delta, token_delta)
    if embedded:
        await _bump_embeddings(repo)
    return result


async def unindex_place(repo: PlacesRepository, place: Place) -> None:
    deltas = dict.fromkeys(_token_set(place.search_text), -1)
    tokens = len(place.search_text.split())
    had_embedding = place.embedding is not None
    await repo.delete(place)
    await repo.add_term_counts(deltas)
    await _apply_stats(repo, -1, -tokens)
    if had_embedding:
        await _bump_embeddings(repo)


async def bulk_upsert(
    repo: PlacesRepository,
    source: str,
    rows: Iterable[dict[str, Any]],
    now: datetime,
    semantic: SemanticIndex | None = None,
) -> tuple[int, int]:
    """Idempotent import of one source's rows: (inserted, updated).

    POIs get an embedding when the model is available and their text is new or changed; an
    unchanged POI keeps the one it has."""
    existing = await repo.existing_sources(source)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    deltas: Counter[str] = Counter()
    doc_delta = token_delta = 0
    for row in rows:
        unknown = set(row) - PLACE_COLUMNS
        if unknown:
            raise ValueError(f"unknown place columns: {sorted(unknown)}")
        row = {
            **ROW_DEFAULTS,
            **row,
            "source": source,
            "updated_at": now,
            "name_folded": domain.fold(row["name"]),
        }
        row.pop("public_id", None)
        found = existing.get(row["source_id"])
        new_tokens = row["search_text"].split()
        if found is None:
            inserts.append({**row, "public_id": uuid.uuid4(), "created_at": now})
            deltas.update(set(new_tokens))
            doc_delta += 1
            token_delta += len(new_tokens)
            continue
        place_id, old_text, has_embedding = found
        if old_text != row["search_text"]:
            deltas.subtract(_token_set(old_text))
            deltas.update(set(new_tokens))
            token_delta += len(new_tokens) - len(old_text.split())
        update = {**row, "id": place_id}
        if old_text == row["search_text"] and has_embedding:
            del update["embedding"]  # keep the stored vector
        updates.append(update)
    to_embed = [r for r in (*inserts, *updates) if r["kind"] == "poi" and "embedding" in r]
    for start in range(0, len(to_embed), 512):
        embedded = await _embed(semantic, to_embed[start : start + 512])
        if not embedded:
            break
    for start in range(0, len(inserts), 2_000):
        await repo.bulk_insert(inserts[start : start + 2_000])
    for keep_vector in (True, False):
        group = [u for u in updates if ("embedding" not in u) == keep_vector]
        for start in range(0, len(group), 2_000):
            await repo.bulk_update(group[start : start + 2_000])
    if any(r.get("embedding") is not None for r in to_embed):
        await _bump_embeddings(repo)
    if len(inserts) >= ANALYZE_AFTER_ROWS:
        await repo.analyze()
    await repo.add_term_counts({t: d for t, d in deltas.items() if d})
    await _apply_stats(repo, doc_delta, token_delta)
    return len(inserts), len(updates)
