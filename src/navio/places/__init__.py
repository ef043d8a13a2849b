"""Places: cities, airports, points of interest; lexical, geo and semantic search."""

from navio.places.reference import country_names
from navio.places.repository import (
    PlaceCard,
    PlacePrice,
    VisitCandidate,
    place_cards,
    price_samples,
    visit_candidates,
    warm_caches,
)

__all__ = [
    "PlaceCard",
    "PlacePrice",
    "VisitCandidate",
    "country_names",
    "place_cards",
    "price_samples",
    "visit_candidates",
    "warm_caches",
]
