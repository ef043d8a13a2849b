"""Pure profile rules: the vocabularies preferences draw from, card-number detection."""

from __future__ import annotations

import re
from enum import StrEnum


class TravelStyle(StrEnum):
    BUDGET = "budget"
    BACKPACKER = "backpacker"
    COMFORT = "comfort"
    LUXURY = "luxury"
    FAMILY = "family"
    BUSINESS = "business"
    ADVENTURE = "adventure"
    SLOW = "slow"


class Pace(StrEnum):
    RELAXED = "relaxed"
    MODERATE = "moderate"
    PACKED = "packed"


class Interest(StrEnum):
    MUSEUMS = "museums"
    HISTORY = "history"
    ARCHITECTURE = "architecture"
    ART = "art"
    NATURE = "nature"
    PARKS = "parks"
    BEACHES = "beaches"
    HIKING = "hiking"
    FOOD = "food"
    NIGHTLIFE = "nightlife"
    SHOPPING = "shopping"
    MUSIC = "music"
    SPORTS = "sports"
    KIDS = "kids"
    VIEWPOINTS = "viewpoints"
    RELIGIOUS_SITES = "religious_sites"
    MARKETS = "markets"
    WELLNESS = "wellness"


class Dietary(StrEnum):
    VEGETARIAN = "vegetarian"
    VEGAN = "vegan"
    PESCATARIAN = "pescatarian"
    HALAL = "halal"
    KOSHER = "kosher"
    GLUTEN_FREE = "gluten_free"
    LACTOSE_FREE = "lactose_free"
    NUT_ALLERGY = "nut_allergy"
    SHELLFISH_ALLERGY = "shellfish_allergy"


class Mobility(StrEnum):
    WHEELCHAIR = "wheelchair"
    STEP_FREE = "step_free"
    LIMITED_WALKING = "limited_walking"
    STROLLER = "stroller"
    VISUAL_IMPAIRMENT = "visual_impairment"
    HEARING_IMPAIRMENT = "hearing_impairment"


class CardBrand(StrEnum):
    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    DISCOVER = "discover"
    DINERS = "diners"
    JCB = "jcb"
    UNIONPAY = "unionpay"
    MAESTRO = "maestro"
    RUPAY = "rupay"
    OTHER = "other"


_DIGITS = re.compile(r"\d")


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def looks_like_card_number(value: str) -> bool:
    """A primary account number must never be stored: 12-19 digits passing Luhn."""
    digits = "".join(_DIGITS.findall(value))
    stripped = re.sub(r"[\s.\-_/]", "", value)
    return stripped.isdigit() and 12 <= len(digits) <= 19 and luhn_valid(digits)
