"""Places: cities, airports, points of interest; lexical, geo and semantic search."""

from navio.places.repository import warm_caches

__all__ = ["warm_caches"]
