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

    async def _matrix_for(self, repo: PlacesRepository) -> tuple[npt.NDArray[np.int64], Matrix]:
        version = await repo.stat("embedding_version")
        if version == self._version:
            return self._ids, self._matrix
        async with self._refresh:
            if version != self._version:
                rows = await repo.embeddings()
                ids = np.fromiter((pid for pid, _ in rows), dtype=np.int64, count=len(rows))
                matrix = (
                    np.vstack([from_bytes(blob) for _, blob in rows])
                    if rows
                    else np.zeros((0, DIMENSION), dtype=np.float32)
                )
                self._ids, self._matrix, self._version = ids, matrix, version
        return self._ids, self._matrix

    async def nearest(
        self, repo: PlacesRepository, query: Matrix, limit: int
    ) -> list[tuple[int, float]]:
        """(place id, cosine similarity) of the `limit` closest POIs."""
        ids, matrix = await self._matrix_for(repo)
        if not len(ids):
            return []
        scores = matrix @ query
        k = min(limit, len(ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(ids[i]), float(scores[i])) for i in top]
