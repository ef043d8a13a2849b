"""The planner's rules: limits, scores, visit durations, interest groups and paces."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from navio.itinerary.plan.types import Candidate, Pace, PlanError

DAY: Final = 86_400
WEEK: Final = 7 * DAY
MAX_DAYS: Final = 31
MAX_CANDIDATES: Final = 150
CANDIDATES_PER_DAY: Final = 12
UNREACHABLE_MIN: Final = 1.0e6  # minutes: a leg the router could not answer
MEAL_SCORE: Final = 1.0
FIRST_SOLVE_SHARE: Final = 0.4
MIN_SOLVE_SECONDS: Final = 0.05

INTEREST_MATCH: Final = 3.0
INTEREST_NEUTRAL: Final = 2.0
INTEREST_OTHER: Final = 1.0
RATING_WEIGHT: Final = 2.0
RATING_UNKNOWN: Final = 3.0
POPULARITY_WEIGHT: Final = 1.5
MUST_SEE_BONUS: Final = 5.0
LENGTH_OFFSET: Final = 20.0  # length weight = (table minutes + 20) / 80, within 0.4..2.0
LENGTH_SCALE: Final = 80.0
LENGTH_MIN: Final = 0.4
LENGTH_MAX: Final = 2.0


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


INTEREST_GROUPS: Final[Mapping[str, frozenset[str]]] = {
    "culture": _words(
        "museum gallery historic monument castle place_of_worship artwork arts_centre"
    ),
    "nature": frozenset({"park", "nature_reserve", "beach", "natural_site", "viewpoint"}),
    "food": frozenset({"restaurant", "cafe", "fast_food", "food_court", "market"}),
    "family": frozenset({"zoo", "aquarium", "theme_park", "playground"}),
    "nightlife": frozenset({"bar", "pub", "nightclub", "casino", "music_venue"}),
    "shopping": frozenset({"shop", "mall", "market"}),
    "entertainment": frozenset({"theatre", "cinema", "music_venue", "arts_centre"}),
    "sights": frozenset({"attraction", "viewpoint", "monument", "castle", "historic"}),
    "wellness": frozenset({"spa"}),
    "sports": frozenset({"sports"}),
}

CATEGORY_ALIASES: Final[Mapping[str, str]] = {
    "church": "place_of_worship",
    "cathedral": "place_of_worship",
    "mosque": "place_of_worship",
    "synagogue": "place_of_worship",
    "temple": "place_of_worship",
}

NOT_SIGHTS: Final = _words(
    "hotel hostel guest_house camp_site airport train_station subway_station "
    "subway_entrance bus_station ferry_terminal bicycle_rental car_rental taxi "
    "charging_station fuel parking pharmacy hospital police post_office "
    "bureau_de_change bank embassy supermarket information"
)

_SERVICE_MINUTES = 30  # lodging, transport, services: only visited when asked for by key

VISIT_MINUTES: Final[Mapping[str, int]] = {
    "attraction": 45,
    "museum": 90,
    "gallery": 60,
    "artwork": 10,
    "monument": 15,
    "castle": 90,
    "historic": 30,
    "place_of_worship": 30,
    "viewpoint": 20,
    "park": 45,
    "nature_reserve": 120,
    "beach": 90,
    "natural_site": 60,
    "playground": 30,
    "zoo": 150,
    "aquarium": 90,
    "theme_park": 180,
    "theatre": 120,
    "cinema": 120,
    "music_venue": 120,
    "arts_centre": 60,
    "nightclub": 120,
    "casino": 90,
    "library": 30,
    "sports": 90,
    "spa": 120,
    "restaurant": 75,
    "cafe": 30,
    "bar": 60,
    "pub": 60,
    "fast_food": 30,
    "food_court": 30,
    "shop": 20,
    "mall": 60,
    "market": 45,
    "supermarket": 15,
    "information": 15,
    **dict.fromkeys(sorted(NOT_SIGHTS - {"supermarket", "information"}), _SERVICE_MINUTES),
}
DEFAULT_VISIT_MINUTES: Final = 45

INTEREST_ONLY: Final = _words(
    "restaurant cafe fast_food food_court bar pub nightclub casino shop cinema sports spa "
    "theatre music_venue mall"
)

MEAL_CATEGORIES: Final = frozenset({"restaurant", "cafe", "fast_food", "food_court"})


@dataclass(frozen=True, slots=True)
class _PaceRule:
    factor: float  # applied to table durations (not to explicit overrides)
    slack_minutes: int  # added to every visit
    visits_per_day: int  # at most this many visits a day (meals come on top)


PACE: Final[Mapping[str, _PaceRule]] = {
    "relaxed": _PaceRule(1.0, 30, 4),
    "moderate": _PaceRule(1.0, 0, 6),
    "packed": _PaceRule(0.8, 0, 9),
}

_MODES: Final = frozenset({"walk", "transit", "drive"})


# ---------------------------------------------------------------- public helpers


def interest_categories(tokens: frozenset[str]) -> frozenset[str]:
    """Categories named by interest tokens (groups, categories, aliases); unknown raise."""
    out: set[str] = set()
    for token in sorted(tokens):
        name = token.strip().lower()
        if name in INTEREST_GROUPS:
            out |= INTEREST_GROUPS[name]
        elif name in CATEGORY_ALIASES:
            out.add(CATEGORY_ALIASES[name])
        elif name in VISIT_MINUTES:
            out.add(name)
        else:
            known = ", ".join(sorted(INTEREST_GROUPS))
            raise PlanError("interests", f"unknown interest {token!r} (groups: {known})")
    return frozenset(out)


def _content_order(c: Candidate) -> tuple[float, float, str, str, str]:
    """Sort key of a place by what it is; its id only separates exact duplicates."""
    return (c.lat, c.lon, c.category, c.name, c.key)


def _category(candidate: Candidate) -> str:
    name = candidate.category.strip().lower()
    return CATEGORY_ALIASES.get(name, name)


def _table_minutes(candidate: Candidate) -> int:
    if candidate.duration_minutes is not None:
        return candidate.duration_minutes
    return VISIT_MINUTES.get(_category(candidate), DEFAULT_VISIT_MINUTES)


def candidate_score(
    candidate: Candidate, interests: frozenset[str], must_see: bool = False
) -> dict[str, float]:
    """The score terms of a candidate (``interests`` as categories, see
    `interest_categories`).  The score is their sum, always >= 0.4."""
    if not interests:
        interest = INTEREST_NEUTRAL
    else:
        interest = INTEREST_MATCH if _category(candidate) in interests else INTEREST_OTHER
    rating = RATING_UNKNOWN if candidate.rating is None else candidate.rating
    rating = min(max(rating, 0.0), 5.0)
    popularity = min(max(candidate.popularity, 0.0), 1.0)
    terms = {
        "interest": interest,
        "rating": round(RATING_WEIGHT * rating / 5.0, 6),
        "popularity": round(POPULARITY_WEIGHT * popularity, 6),
        "must_see": MUST_SEE_BONUS if must_see else 0.0,
    }
    minutes = _table_minutes(candidate)
    weight = min(max((minutes + LENGTH_OFFSET) / LENGTH_SCALE, LENGTH_MIN), LENGTH_MAX)
    terms["length"] = round((weight - 1.0) * sum(terms.values()), 6)
    return terms


def visit_minutes(candidate: Candidate, pace: Pace) -> int:
    """The time allotted to a visit (table or override, adjusted by the pace)."""
    rule = PACE[pace]
    if candidate.duration_minutes is not None:
        base = candidate.duration_minutes
    else:
        base = max(5, round(_table_minutes(candidate) * rule.factor))
    return base + rule.slack_minutes
