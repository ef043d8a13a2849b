"""Typo candidates from an in-memory trigram index of the term vocabulary.

The vocabulary (every distinct word of the catalogue, a few hundred thousand) is small enough to
hold in each process as numpy posting lists keyed by pg_trgm-style padded trigrams. Counting the
trigrams a query word shares with every term is one `np.unique` over the posting lists of its
eight or so trigrams: about a millisecond, where an FTS5 trigram table ordered by bm25 took tens.
Terms are appended in the order the database assigned them (rowid), so new words arrive by
reading only the rows after the last one seen.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def edits1(word: str) -> set[str]:
    """Every string one deletion, transposition, substitution or insertion away (Norvig).
    Trigrams miss a swap inside a short word ("broja" shares 2 of 6 with "borja")."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in ALPHABET}
    inserts = {a + c + b for a, b in splits for c in ALPHABET}
    return (deletes | swaps | replaces | inserts) - {word}


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams: the word padded with two spaces before and one after."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


class TrigramVocabulary:
    def __init__(self) -> None:
        self.terms: list[str] = []
        self._known: set[str] = set()
        self._sorted: list[str] = []
        self.last_key = 0
        self._lists: dict[str, list[int]] = {}
        self._arrays: dict[str, npt.NDArray[np.int32]] = {}
        self._sizes: list[int] = []
        self._size_array: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)

    def __len__(self) -> int:
        return len(self.terms)

    def extend(self, rows: Iterable[tuple[int, str]], read_up_to: int = 0) -> None:
        """Add (key, term) rows with keys above `last_key` (the database's insertion order);
        `read_up_to`: the highest key the caller has looked at, rows it skipped included."""
        changed: set[str] = set()
        for key, term in rows:
            if key <= self.last_key:  # already read by a concurrent refresh
                continue
            index = len(self.terms)
            self.terms.append(term)
            self._known.add(term)
            grams = trigrams(term)
            self._sizes.append(len(grams))
            for gram in grams:
                self._lists.setdefault(gram, []).append(index)
                changed.add(gram)
            self.last_key = max(self.last_key, key)
        self.last_key = max(self.last_key, read_up_to)
        if changed:
            self._sorted = sorted(self._known)
            for gram in changed:
                self._arrays[gram] = np.asarray(self._lists[gram], dtype=np.int32)
            self._size_array = np.asarray(self._sizes, dtype=np.int32)

    def has_prefix(self, prefix: str) -> bool:
        """Some term starts with `prefix` (a bisection of the sorted terms)."""
        i = bisect.bisect_left(self._sorted, prefix)
        return i < len(self._sorted) and self._sorted[i].startswith(prefix)

    def similar(self, word: str, limit: int) -> list[str]:
        """Every term one edit away, then up to `limit` terms most alike by trigrams (Jaccard,
        as pg_trgm's similarity), and up to `limit // 2` that contain most of the word's
        trigrams (a word being typed, or a typo in the start of a longer word)."""
        near = sorted(edits1(word) & self._known) if word.isascii() else []
        grams = trigrams(word)
        lists = [self._arrays[g] for g in grams if g in self._arrays]
        if not lists:
            return near
        ids, shared = _counted(np.concatenate(lists))
        jaccard = shared / (len(grams) + self._size_array[ids] - shared)
        chosen = list(ids[_top(jaccard, limit)])
        chosen += list(ids[_top(shared.astype(np.float64) + jaccard, limit // 2)])
        alike = [self.terms[i] for i in dict.fromkeys(int(i) for i in chosen)]
        return list(dict.fromkeys([*near, *alike]))


def _counted(values: npt.NDArray[np.int32]) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.intp]]:
    """Distinct values and how often each occurs: a sort of the (short) posting lists, not a
    pass over the whole vocabulary."""
    ordered = np.sort(values)
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    return ordered[starts], np.diff(np.append(starts, len(ordered)))


def _top(scores: npt.NDArray[np.float64], k: int) -> npt.NDArray[np.intp]:
    """Indices of the k highest scores, highest first (ties by position: deterministic)."""
    if k <= 0:
        return np.zeros(0, dtype=np.intp)
    everything = len(scores) <= k
    part = np.arange(len(scores)) if everything else np.argpartition(-scores, k - 1)[:k]
    order = np.lexsort((part, -scores[part]))
    return part[order]
