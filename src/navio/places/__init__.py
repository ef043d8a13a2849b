"""Places: cities, airports, points of interest; lexical, geo and semantic search."""

from navio.places.repository import PlaceCard, place_cards, warm_caches

__all__ = ["PlaceCard", "place_cards", "warm_caches"]
