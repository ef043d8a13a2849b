"""Semantic search: POI embeddings held as one matrix per process, refreshed when the catalogue's
embedding version changes; queries encoded with the bundled MiniLM model (numpy, no torch)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from navio.places.embedding import SentenceEncoder, load_encoder
from navio.places.repository import PlacesRepository
from navio.places.taxonomy import CATEGORY_DESCRIPTIONS, Category

DIMENSION = 384
Matrix = npt.NDArray[np.float32]


def embedding_text(row: dict[str, Any]) -> str:
    """What a POI is, in words the model knows: name, what kind of place, cuisine, lodging."""
    parts = [row["name"]]
    try:
        parts.append(CATEGORY_DESCRIPTIONS[Category(row["category"])])
    except ValueError:
        parts.append(str(row["category"]).replace("_", " "))
    attributes = row.get("attributes") or {}
    if attributes.get("cuisines"):
        parts.append("Cuisine: " + ", ".join(map(str, attributes["cuisines"])))
    if attributes.get("room_type"):
        parts.append(str(attributes["room_type"]))
    if attributes.get("description"):
        parts.append(str(attributes["description"]))
    return ". ".join(p for p in parts if p)


def to_bytes(vector: Matrix) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(blob: bytes) -> Matrix:
    return np.frombuffer(blob, dtype="<f4")


class SemanticIndex:
    """Process-wide: the encoder (loaded once, lazily) and the POI embedding matrix."""

    def __init__(self, encoder: SentenceEncoder | None = None, *, enabled: bool = True) -> None:
        self._encoder = encoder
        self._enabled = enabled
        self._loaded = encoder is not None
        self._lock = threading.Lock()
        self._version: float | None = None
        self._ids: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._matrix: Matrix = np.zeros((0, DIMENSION), dtype=np.float32)
        self._lat: npt.NDArray[np.float64] = np.zeros(0)
        self._lon: npt.NDArray[np.float64] = np.zeros(0)
        self._category: npt.NDArray[np.str_] = np.zeros(0, dtype="U32")
        self._refresh = asyncio.Lock()

    def encoder(self) -> SentenceEncoder | None:
        if not self._enabled:
            return None
        with self._lock:
            if not self._loaded:
                self._encoder = load_encoder()
                self._loaded = True
        return self._encoder

    @property
    def available(self) -> bool:
        return self.encoder() is not None

    async def encode(self, texts: Sequence[str]) -> Matrix | None:
        encoder = await asyncio.to_thread(self.encoder)
        if encoder is None:
            return None
        return await asyncio.to_thread(encoder.encode, list(texts))

    async def _refresh_matrix(self, repo: PlacesRepository) -> None:
        version = await repo.stat("embedding_version")
        if version == self._version:
            return
        async with self._refresh:
            if version == self._version:
                return
            rows = await repo.embeddings()
            self._ids = np.array([r[0] for r in rows], dtype=np.int64)
            self._matrix = (
                np.vstack([from_bytes(r[1]) for r in rows])
                if rows
                else np.zeros((0, DIMENSION), dtype=np.float32)
            )
            self._lat = np.array([np.nan if r[2] is None else r[2] for r in rows], dtype=np.float64)
            self._lon = np.array([np.nan if r[3] is None else r[3] for r in rows], dtype=np.float64)
            self._category = np.array([r[4] for r in rows], dtype="U32")
            self._version = version

    async def nearest(
        self,
        repo: PlacesRepository,
        query: Matrix,
        limit: int,
        *,
        bbox: tuple[float, float, float, float] | None = None,
        categories: Sequence[str] = (),
    ) -> list[tuple[int, float]]:
        """(place id, cosine similarity) of the `limit` closest POIs inside the area and
        categories asked for (filtered before the top-k, not after)."""
        await self._refresh_matrix(repo)
        ids, matrix = self._ids, self._matrix
        if not len(ids):
            return []
        scores = matrix @ query
        mask = np.ones(len(ids), dtype=bool)
        if bbox is not None:
            min_lat, min_lon, max_lat, max_lon = bbox
            with np.errstate(invalid="ignore"):
                mask &= (self._lat >= min_lat) & (self._lat <= max_lat)
                mask &= (self._lon >= min_lon) & (self._lon <= max_lon)
        if categories:
            mask &= np.isin(self._category, list(categories))
        candidates = np.flatnonzero(mask)
        if not len(candidates):
            return []
        k = min(limit, len(candidates))
        local = scores[candidates]
        top = np.argpartition(-local, k - 1)[:k]
        top = top[np.argsort(-local[top], kind="stable")]
        return [(int(ids[candidates[i]]), float(local[i])) for i in top]
