"""Places: cities, airports, points of interest; lexical, geo and semantic search."""

from navio.places.repository import (
    PlaceCard,
    PlacePrice,
    place_cards,
    price_samples,
    warm_caches,
)

__all__ = ["PlaceCard", "PlacePrice", "place_cards", "price_samples", "warm_caches"]
