"""Places: cities, airports, points of interest; lexical, geo and semantic search."""

from collections.abc import Iterable

from navio.kernel.db import SessionSource
from navio.places import repository as _repository
from navio.places.domain import fold
from navio.places.reference import country_names, us_state_names
from navio.places.repository import (
    LODGING_CATEGORIES,
    MEAL_CATEGORIES,
    CityCard,
    Offer,
    PlaceCard,
    PlacePrice,
    VisitCandidate,
    cities_in_region,
    city_offers,
    place_cards,
    place_price,
    price_samples,
    visit_candidates,
    warm_caches,
)


async def cities_named(source: SessionSource, names: Iterable[str]) -> list[CityCard]:
    """Cities called one of `names` (case and accents aside), most populous first."""
    return await _repository.cities_named(source, {fold(n) for n in names if n.strip()})


__all__ = [
    "LODGING_CATEGORIES",
    "MEAL_CATEGORIES",
    "CityCard",
    "Offer",
    "PlaceCard",
    "PlacePrice",
    "VisitCandidate",
    "cities_in_region",
    "cities_named",
    "city_offers",
    "country_names",
    "place_cards",
    "place_price",
    "price_samples",
    "us_state_names",
    "visit_candidates",
    "warm_caches",
]
