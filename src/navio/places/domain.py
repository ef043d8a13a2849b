"""Pure search rules: text normalisation, tokens, BM25, typo expansion, blended ranking."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import DamerauLevenshtein

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
MAX_TOKEN = 40
BM25_K1 = 1.2
BM25_B = 0.75

# Words that carry no meaning in a place query (the spatial "near" is handled separately).
STOPWORDS = frozenset(
    {"the", "a", "an", "of", "in", "at", "on", "and", "to", "for", "with", "by", "de", "la", "le"}
)


_NON_ALNUM_ASCII = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=262_144)
def fold(text: str) -> str:
    """Lower-case, accents removed (Helsingin → helsingin, São → sao), punctuation → space."""
    if text.isascii():
        return _NON_ALNUM_ASCII.sub(" ", text.lower()).strip()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", stripped.replace("_", " ")).strip()


def tokens(text: str) -> list[str]:
    return [t[:MAX_TOKEN] for t in fold(text).split() if t]


def query_tokens(text: str) -> list[str]:
    found = [t for t in tokens(text) if t not in STOPWORDS]
    return found or tokens(text)


def split_near(query: str) -> tuple[str, str | None]:
    """'cafe near Senate Square' → ('cafe', 'Senate Square'): what, and where to look."""
    match = re.search(r"\s+(?:near|around|close to)\s+", query, flags=re.IGNORECASE)
    if match is None or match.start() == 0 or match.end() >= len(query):
        return query, None
    return query[: match.start()].strip(), query[match.end() :].strip()


def max_typos(token: str) -> int:
    if len(token) <= 3:
        return 0
    return 1 if len(token) <= 6 else 2


def close_terms(token: str, candidates: Iterable[str]) -> list[tuple[str, int]]:
    """Vocabulary terms within the typo budget (Damerau-Levenshtein), nearest first."""
    budget = max_typos(token)
    found = []
    for term in candidates:
        if term == token:
            continue
        distance = DamerauLevenshtein.distance(token, term, score_cutoff=budget)
        if distance <= budget:
            found.append((term, distance))
    found.sort(key=lambda item: (item[1], item[0]))
    return found


@dataclass(frozen=True)
class QueryTerm:
    """One query token and the index terms that may stand for it (itself, typo fixes,
    prefix completions), each with a weight in (0, 1]."""

    token: str
    alternatives: Mapping[str, float]
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class WeightedTerm:
    """One query term's alternatives with their weight x idf, worked out once per query."""

    token: str
    prefix: bool
    alternatives: tuple[tuple[str, float], ...]


def weigh_terms(
    terms: Sequence[QueryTerm], document_frequency: Mapping[str, int], documents: int
) -> list[WeightedTerm]:
    weighted = []
    for term in terms:
        alternatives = []
        for alternative, weight in term.alternatives.items():
            df = max(1, document_frequency.get(alternative, 1))
            idf = math.log(1 + (documents - df + 0.5) / (df + 0.5))
            alternatives.append((alternative, weight * idf))
        weighted.append(WeightedTerm(term.token, term.prefix, tuple(alternatives)))
    return weighted


def bm25(terms: Sequence[WeightedTerm], doc_tokens: list[str], average_length: float) -> float:
    length = len(doc_tokens) or 1
    norm = BM25_K1 * (1 - BM25_B + BM25_B * length / average_length)
    score = 0.0
    for term in terms:
        best = 0.0
        for alternative, weight in term.alternatives:
            if term.prefix and alternative == term.token:
                freq = sum(1 for t in doc_tokens if t.startswith(alternative))
            else:
                freq = doc_tokens.count(alternative)
            if freq:
                best = max(best, weight * freq * (BM25_K1 + 1) / (freq + norm))
        score += best
    return score


NAME_WEIGHT = 2.0


EXACT_NAME_BONUS = 12.0


def _name_match(terms: Sequence[QueryTerm], name_tokens: Sequence[str]) -> float:
    """1 when the name is the query (typo fixes count), 0.5 when it starts with it."""
    if len(name_tokens) < len(terms):
        return 0.0
    for i, term in enumerate(terms):
        token = name_tokens[i]
        if token in term.alternatives:
            continue
        if (
            term.prefix
            and i == len(terms) - 1
            and any(token.startswith(a) for a in term.alternatives)
        ):
            continue
        return 0.0
    return 1.0 if len(name_tokens) == len(terms) else 0.5


def text_relevance(
    terms: Sequence[QueryTerm],
    weighted: Sequence[WeightedTerm],
    name_tokens: list[str],
    doc_tokens: list[str],
    average_length: float,
) -> float:
    """BM25F-style: the name field weighs NAME_WEIGHT times the whole text, and a name that
    is the query (or starts with it) gets a fixed bonus, so among places called "São Paulo"
    popularity, not the length of their alternate-name lists, decides."""
    if not terms:
        return 0.0
    name_score = bm25(weighted, name_tokens, 2.0)
    text_score = bm25(weighted, doc_tokens, average_length)
    return (
        NAME_WEIGHT * name_score + text_score + EXACT_NAME_BONUS * _name_match(terms, name_tokens)
    )


def proximity(distance_m: float, scale_m: float) -> float:
    """1 at the point, 0.5 at `scale_m`, towards 0 far away."""
    return scale_m / (scale_m + distance_m)


# Blend of relevance, popularity and proximity; documented in docs/places-search.md. With the
# semantic model, meaning takes a share of the text weight.
W_TEXT, W_POPULARITY, W_PROXIMITY = 0.65, 0.2, 0.15
W_SEMANTIC_SHARE = 0.45


def semantic_relevance(cosine: float) -> float:
    """MiniLM cosines of unrelated texts sit near 0.1, close paraphrases above 0.6."""
    return max(0.0, min(1.0, (cosine - 0.15) / 0.5))


def blended(
    text: float, popularity: float, near: float | None, semantic: float | None = None
) -> float:
    relevance = (
        text if semantic is None else ((1 - W_SEMANTIC_SHARE) * text + W_SEMANTIC_SHARE * semantic)
    )
    if near is None:
        return (W_TEXT + W_PROXIMITY / 2) * relevance + (
            W_POPULARITY + W_PROXIMITY / 2
        ) * popularity
    return W_TEXT * relevance + W_POPULARITY * popularity + W_PROXIMITY * near


def city_popularity(population: int | None) -> float:
    """0..1 on a log scale: a village of 500 ≈ 0.36, a city of 1 M ≈ 0.86, Tokyo ≈ 1."""
    if not population or population <= 0:
        return 0.0
    return min(1.0, math.log10(population + 1) / 7.5)


def poi_popularity(rating: float | None, has_wikidata: bool, has_website: bool) -> float:
    score = 0.25 + (0.35 if has_wikidata else 0.0) + (0.1 if has_website else 0.0)
    if rating is not None:
        score += 0.3 * max(0.0, min(1.0, rating / 5.0))
    return min(1.0, score)


def document_text(name: str, alt_names: Iterable[str], *extra: str | None) -> str:
    parts = [name, *alt_names, *(e for e in extra if e)]
    # tokens capped as a query's are: a longer one could never be matched, and the term
    # statistics keep no word longer than that
    return " ".join(t for p in parts if p for t in tokens(p))
