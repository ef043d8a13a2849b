"""Navio's point-of-interest categories and how OpenStreetMap tags map onto them.

A POI gets exactly one `Category`. OpenStreetMap objects often carry several "primary" tags at
once (a cathedral is `amenity=place_of_worship` *and* `tourism=attraction`; a hotel with a
restaurant is `tourism=hotel` *and* `amenity=restaurant`), so `classify` walks `RULES` in order
and the first rule that matches wins. The order encodes this precedence, most specific first:

1. transport hubs (`aeroway`, `railway`, `public_transport`, `amenity=bus_station` ...): an
   airport or a station is that before anything else, whatever else is tagged on it;
2. specific `tourism=*` values (museum, zoo, hotel, information office ...): they say how
   travelers use the place;
3. castles and palaces (`historic=castle|palace|fort`), so that a castle that also carries a
   generic `amenity` keeps its identity;
4. places of worship (`amenity=place_of_worship`, historic churches and monasteries);
5. other `amenity=*` values (food, drink, nightlife, culture, mobility, traveler services);
6. `leisure=*` values (parks, sports, spas, playgrounds), then protected areas (`boundary`);
7. remaining `historic=*` values (monuments, ruins, archaeological sites ...);
8. `shop=*` (malls and supermarkets before the generic shop);
9. natural features (`natural=beach|peak|waterfall ...`);
10. the generic flags last: `tourism=artwork`, `tourism=attraction`, `amenity=fountain`.
    `tourism=attraction` marks *that* a place is visited, not *what* it is.

Tag values separated by ``;`` are treated as alternatives. Objects tagged `access=private` or
`access=no` are not POIs for travelers and classify to None, unless `foot=yes|designated|
permissive` opens them to people on foot (a pedestrian square closed to traffic).
`docs/places-taxonomy.md` lists the same table for readers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    # Sights and culture
    ATTRACTION = "attraction"
    MUSEUM = "museum"
    GALLERY = "gallery"
    ARTWORK = "artwork"
    MONUMENT = "monument"
    CASTLE = "castle"
    HISTORIC = "historic"
    PLACE_OF_WORSHIP = "place_of_worship"
    VIEWPOINT = "viewpoint"
    # Nature and outdoors
    PARK = "park"
    NATURE_RESERVE = "nature_reserve"
    BEACH = "beach"
    NATURAL_SITE = "natural_site"
    PLAYGROUND = "playground"
    # Family attractions
    ZOO = "zoo"
    AQUARIUM = "aquarium"
    THEME_PARK = "theme_park"
    # Entertainment
    THEATRE = "theatre"
    CINEMA = "cinema"
    MUSIC_VENUE = "music_venue"
    ARTS_CENTRE = "arts_centre"
    NIGHTCLUB = "nightclub"
    CASINO = "casino"
    LIBRARY = "library"
    # Sports and wellness
    SPORTS = "sports"
    SPA = "spa"
    # Food and drink
    RESTAURANT = "restaurant"
    CAFE = "cafe"
    BAR = "bar"
    PUB = "pub"
    FAST_FOOD = "fast_food"
    # Lodging
    HOTEL = "hotel"
    HOSTEL = "hostel"
    GUEST_HOUSE = "guest_house"
    CAMP_SITE = "camp_site"
    # Shopping
    SHOP = "shop"
    MALL = "mall"
    MARKET = "market"
    SUPERMARKET = "supermarket"
    # Transport and mobility
    AIRPORT = "airport"
    TRAIN_STATION = "train_station"
    SUBWAY_STATION = "subway_station"
    SUBWAY_ENTRANCE = "subway_entrance"
    BUS_STATION = "bus_station"
    FERRY_TERMINAL = "ferry_terminal"
    BICYCLE_RENTAL = "bicycle_rental"
    CAR_RENTAL = "car_rental"
    TAXI = "taxi"
    CHARGING_STATION = "charging_station"
    FUEL = "fuel"
    PARKING = "parking"
    # Traveler services
    INFORMATION = "information"
    PHARMACY = "pharmacy"
    HOSPITAL = "hospital"
    POLICE = "police"
    POST_OFFICE = "post_office"
    BUREAU_DE_CHANGE = "bureau_de_change"
    BANK = "bank"
    EMBASSY = "embassy"

    @property
    def description(self) -> str:
        return CATEGORY_DESCRIPTIONS[self]


CATEGORY_DESCRIPTIONS: dict[Category, str] = {
    Category.ATTRACTION: "A place visitors go to see, not described more precisely in the data.",
    Category.MUSEUM: "A museum or planetarium with exhibits.",
    Category.GALLERY: "An art gallery.",
    Category.ARTWORK: "A public work of art: statue, sculpture, mural, installation.",
    Category.MONUMENT: "A monument or memorial built to commemorate a person or event.",
    Category.CASTLE: "A castle, fortress or palace.",
    Category.HISTORIC: "A historic site: ruins, archaeological site, old building, city gate.",
    Category.PLACE_OF_WORSHIP: "A church, cathedral, mosque, synagogue, temple or monastery.",
    Category.VIEWPOINT: "A place with a notable view.",
    Category.PARK: "A public park or garden.",
    Category.NATURE_RESERVE: "A nature reserve or national park.",
    Category.BEACH: "A beach or beach resort.",
    Category.NATURAL_SITE: "A natural landmark: peak, volcano, waterfall, cave, hot spring.",
    Category.PLAYGROUND: "A children's playground.",
    Category.ZOO: "A zoo, wildlife or safari park.",
    Category.AQUARIUM: "A public aquarium.",
    Category.THEME_PARK: "An amusement, theme or water park.",
    Category.THEATRE: "A theatre, opera house or other stage for performances.",
    Category.CINEMA: "A cinema.",
    Category.MUSIC_VENUE: "A concert hall or live-music venue.",
    Category.ARTS_CENTRE: "An arts centre: performances, exhibitions, classes.",
    Category.NIGHTCLUB: "A nightclub or disco.",
    Category.CASINO: "A casino.",
    Category.LIBRARY: "A public library.",
    Category.SPORTS: "A place to do or watch sport: stadium, sports centre, pool, golf course.",
    Category.SPA: "A spa, sauna, public bath or massage place.",
    Category.RESTAURANT: "A sit-down restaurant.",
    Category.CAFE: "A cafe, coffee shop or ice-cream parlour.",
    Category.BAR: "A bar or cocktail lounge.",
    Category.PUB: "A pub or beer garden.",
    Category.FAST_FOOD: "A fast-food outlet or food court.",
    Category.HOTEL: "A hotel or motel.",
    Category.HOSTEL: "A hostel or mountain hut with dormitory beds.",
    Category.GUEST_HOUSE: "A guest house, B&B, holiday apartment or chalet.",
    Category.CAMP_SITE: "A camp site or caravan site.",
    Category.SHOP: "A shop.",
    Category.MALL: "A shopping mall or department store.",
    Category.MARKET: "A marketplace (market hall or open-air market).",
    Category.SUPERMARKET: "A supermarket.",
    Category.AIRPORT: "An airport or airfield.",
    Category.TRAIN_STATION: "A railway or light-rail station.",
    Category.SUBWAY_STATION: "A metro / subway station.",
    Category.SUBWAY_ENTRANCE: "An entrance to a metro / subway station.",
    Category.BUS_STATION: "A bus station or terminal.",
    Category.FERRY_TERMINAL: "A ferry terminal.",
    Category.BICYCLE_RENTAL: "A bicycle rental or bike-share station.",
    Category.CAR_RENTAL: "A car rental office.",
    Category.TAXI: "A taxi rank.",
    Category.CHARGING_STATION: "An electric-vehicle charging station.",
    Category.FUEL: "A fuel station.",
    Category.PARKING: "A car park.",
    Category.INFORMATION: "A tourist information office or visitor centre.",
    Category.PHARMACY: "A pharmacy.",
    Category.HOSPITAL: "A hospital.",
    Category.POLICE: "A police station.",
    Category.POST_OFFICE: "A post office.",
    Category.BUREAU_DE_CHANGE: "A currency exchange office.",
    Category.BANK: "A bank branch or cash machine (ATM).",
    Category.EMBASSY: "An embassy or consulate.",
}


@dataclass(frozen=True, slots=True)
class TagCondition:
    """`key` has one of `values`; with `values=None`, any value but the `unless` ones."""

    key: str
    values: frozenset[str] | None = None
    unless: frozenset[str] = frozenset()

    def matches(self, tags: Mapping[str, str]) -> bool:
        raw = tags.get(self.key)
        if not raw:
            return False
        for part in raw.split(";"):
            value = part.strip()
            if not value or value in self.unless:
                continue
            if self.values is None or value in self.values:
                return True
        return False

    def describe(self) -> str:
        if self.values is None:
            text = f"{self.key}=*"
            if self.unless:
                text += f" (not {'|'.join(sorted(self.unless))})"
            return text
        return f"{self.key}={'|'.join(sorted(self.values))}"


@dataclass(frozen=True, slots=True)
class Rule:
    """Matches when `when` matches, every `also` matches and no `unless` matches."""

    category: Category
    when: TagCondition
    also: tuple[TagCondition, ...] = ()
    unless: tuple[TagCondition, ...] = ()

    def matches(self, tags: Mapping[str, str]) -> bool:
        return (
            self.when.matches(tags)
            and all(condition.matches(tags) for condition in self.also)
            and not any(condition.matches(tags) for condition in self.unless)
        )

    def describe(self) -> str:
        text = " + ".join(c.describe() for c in (self.when, *self.also))
        if self.unless:
            text += ", unless " + " or ".join(c.describe() for c in self.unless)
        return text


def _tag(key: str, *values: str) -> TagCondition:
    return TagCondition(key, frozenset(values) if values else None)


def _rule(category: Category, key: str, *values: str) -> Rule:
    return Rule(category, _tag(key, *values))


_YES = ("yes",)
_RAIL_STATION = _tag("railway", "station", "halt")
_PT_STATION = _tag("public_transport", "station")

RULES: tuple[Rule, ...] = (
    # 1. transport hubs
    _rule(Category.AIRPORT, "aeroway", "aerodrome"),
    _rule(Category.SUBWAY_ENTRANCE, "railway", "subway_entrance"),
    Rule(Category.SUBWAY_STATION, _RAIL_STATION, also=(_tag("station", "subway"),)),
    Rule(Category.SUBWAY_STATION, _RAIL_STATION, also=(_tag("subway", *_YES),)),
    Rule(Category.TRAIN_STATION, _RAIL_STATION, unless=(_tag("station", "miniature"),)),
    Rule(Category.SUBWAY_STATION, _PT_STATION, also=(_tag("subway", *_YES),)),
    Rule(Category.TRAIN_STATION, _PT_STATION, also=(_tag("train", *_YES),)),
    Rule(Category.TRAIN_STATION, _PT_STATION, also=(_tag("light_rail", *_YES),)),
    Rule(Category.FERRY_TERMINAL, _PT_STATION, also=(_tag("ferry", *_YES),)),
    Rule(Category.BUS_STATION, _PT_STATION, also=(_tag("bus", *_YES),)),
    _rule(Category.BUS_STATION, "amenity", "bus_station"),
    _rule(Category.FERRY_TERMINAL, "amenity", "ferry_terminal"),
    # 2. specific tourism values
    _rule(Category.MUSEUM, "tourism", "museum"),
    _rule(Category.GALLERY, "tourism", "gallery"),
    _rule(Category.AQUARIUM, "tourism", "aquarium"),
    _rule(Category.ZOO, "tourism", "zoo"),
    _rule(Category.THEME_PARK, "tourism", "theme_park"),
    _rule(Category.THEME_PARK, "leisure", "water_park"),
    _rule(Category.VIEWPOINT, "tourism", "viewpoint"),
    _rule(Category.HOTEL, "tourism", "hotel", "motel"),
    _rule(Category.HOSTEL, "tourism", "hostel", "alpine_hut", "wilderness_hut"),
    _rule(Category.GUEST_HOUSE, "tourism", "guest_house", "apartment", "chalet"),
    _rule(Category.CAMP_SITE, "tourism", "camp_site", "caravan_site"),
    Rule(
        Category.INFORMATION,
        _tag("tourism", "information"),
        unless=(TagCondition("information", None, frozenset({"office", "visitor_centre"})),),
    ),
    # 3. castles and palaces
    _rule(Category.CASTLE, "historic", "castle", "fort", "palace"),
    # 4. places of worship
    _rule(Category.PLACE_OF_WORSHIP, "amenity", "place_of_worship", "monastery"),
    _rule(Category.PLACE_OF_WORSHIP, "historic", "church", "chapel", "monastery", "cathedral"),
    # 5. amenities
    _rule(Category.RESTAURANT, "amenity", "restaurant"),
    _rule(Category.CAFE, "amenity", "cafe", "ice_cream"),
    _rule(Category.BAR, "amenity", "bar"),
    _rule(Category.PUB, "amenity", "pub", "biergarten"),
    _rule(Category.FAST_FOOD, "amenity", "fast_food", "food_court"),
    _rule(Category.NIGHTCLUB, "amenity", "nightclub"),
    _rule(Category.CASINO, "amenity", "casino"),
    _rule(Category.THEATRE, "amenity", "theatre"),
    _rule(Category.CINEMA, "amenity", "cinema"),
    _rule(Category.MUSIC_VENUE, "amenity", "music_venue", "concert_hall"),
    _rule(Category.ARTS_CENTRE, "amenity", "arts_centre"),
    _rule(Category.MUSEUM, "amenity", "planetarium", "museum"),
    _rule(Category.LIBRARY, "amenity", "library"),
    _rule(Category.MARKET, "amenity", "marketplace"),
    _rule(Category.SPA, "amenity", "public_bath", "spa"),
    _rule(Category.BICYCLE_RENTAL, "amenity", "bicycle_rental"),
    _rule(Category.CAR_RENTAL, "amenity", "car_rental"),
    _rule(Category.TAXI, "amenity", "taxi"),
    _rule(Category.CHARGING_STATION, "amenity", "charging_station"),
    _rule(Category.FUEL, "amenity", "fuel"),
    _rule(Category.PARKING, "amenity", "parking"),
    _rule(Category.PHARMACY, "amenity", "pharmacy"),
    _rule(Category.HOSPITAL, "amenity", "hospital"),
    _rule(Category.POLICE, "amenity", "police"),
    _rule(Category.POST_OFFICE, "amenity", "post_office"),
    _rule(Category.BUREAU_DE_CHANGE, "amenity", "bureau_de_change"),
    _rule(Category.BANK, "amenity", "bank", "atm"),
    _rule(Category.EMBASSY, "amenity", "embassy"),
    _rule(Category.EMBASSY, "office", "diplomatic"),
    # 6. leisure, then protected areas
    _rule(Category.PARK, "leisure", "park", "garden"),
    _rule(Category.NATURE_RESERVE, "leisure", "nature_reserve"),
    _rule(Category.BEACH, "leisure", "beach_resort"),
    _rule(Category.PLAYGROUND, "leisure", "playground"),
    _rule(Category.SPA, "leisure", "sauna", "spa"),
    _rule(
        Category.SPORTS,
        "leisure",
        "sports_centre",
        "stadium",
        "pitch",
        "track",
        "golf_course",
        "miniature_golf",
        "ice_rink",
        "swimming_pool",
        "swimming_area",
        "sports_hall",
        "fitness_centre",
        "bowling_alley",
        "horse_riding",
        "climbing",
    ),
    _rule(Category.NATURE_RESERVE, "boundary", "national_park"),
    # 7. other historic values
    Rule(
        Category.MONUMENT,
        _tag("historic", "monument", "memorial"),
        unless=(_tag("memorial", "plaque", "blue_plaque", "stolperstein"),),
    ),
    _rule(
        Category.HISTORIC,
        "historic",
        "archaeological_site",
        "ruins",
        "building",
        "city_gate",
        "citywalls",
        "manor",
        "tower",
        "ship",
        "aircraft",
        "locomotive",
        "tank",
        "battlefield",
        "tomb",
        "house",
        "heritage",
        "bridge",
        "yes",
    ),
    # 8. shops
    _rule(Category.MALL, "shop", "mall", "department_store"),
    _rule(Category.SUPERMARKET, "shop", "supermarket"),
    _rule(Category.SPA, "shop", "massage"),
    Rule(
        Category.SHOP,
        TagCondition("shop", None, frozenset({"no", "vacant", "disused", "none"})),
    ),
    # 9. natural features
    _rule(Category.BEACH, "natural", "beach"),
    _rule(
        Category.NATURAL_SITE,
        "natural",
        "peak",
        "volcano",
        "waterfall",
        "cave_entrance",
        "arch",
        "hot_spring",
        "geyser",
        "glacier",
    ),
    _rule(Category.NATURAL_SITE, "waterway", "waterfall"),
    # 10. generic flags
    _rule(Category.ARTWORK, "tourism", "artwork"),
    _rule(Category.ATTRACTION, "tourism", "attraction"),
    _rule(Category.ATTRACTION, "amenity", "fountain"),
)

# Keys an object must carry at least one of to classify at all: a cheap pre-filter for readers.
CLASSIFICATION_KEYS: frozenset[str] = frozenset(rule.when.key for rule in RULES)

_NOT_PUBLIC = _tag("access", "private", "no")
_WALK_IN = _tag("foot", "yes", "designated", "permissive")


def classify(tags: Mapping[str, str]) -> Category | None:
    """The category of an object with these OSM tags, or None when it is not a traveler POI."""
    if _NOT_PUBLIC.matches(tags) and not _WALK_IN.matches(tags):
        return None
    for rule in RULES:
        if rule.matches(tags):
            return rule.category
    return None


def rules_for(category: Category) -> Iterator[Rule]:
    return (rule for rule in RULES if rule.category is category)


# Traveler interests (the values of `navio.profiles.Interest`) a category serves. Plain strings
# keep this module free of any other context; a unit test pins them to the profile vocabulary.
CATEGORY_INTERESTS: dict[Category, frozenset[str]] = {
    Category.ATTRACTION: frozenset({"history", "architecture"}),
    Category.MUSEUM: frozenset({"museums", "history", "art", "kids"}),
    Category.GALLERY: frozenset({"art", "museums"}),
    Category.ARTWORK: frozenset({"art"}),
    Category.MONUMENT: frozenset({"history", "architecture"}),
    Category.CASTLE: frozenset({"history", "architecture", "kids"}),
    Category.HISTORIC: frozenset({"history", "architecture"}),
    Category.PLACE_OF_WORSHIP: frozenset({"religious_sites", "architecture", "history"}),
    Category.VIEWPOINT: frozenset({"viewpoints", "nature"}),
    Category.PARK: frozenset({"parks", "nature", "kids"}),
    Category.NATURE_RESERVE: frozenset({"nature", "hiking"}),
    Category.BEACH: frozenset({"beaches", "nature"}),
    Category.NATURAL_SITE: frozenset({"nature", "hiking", "viewpoints"}),
    Category.PLAYGROUND: frozenset({"kids", "parks"}),
    Category.ZOO: frozenset({"kids", "nature"}),
    Category.AQUARIUM: frozenset({"kids", "nature"}),
    Category.THEME_PARK: frozenset({"kids"}),
    Category.THEATRE: frozenset({"music", "art"}),
    Category.CINEMA: frozenset({"nightlife"}),
    Category.MUSIC_VENUE: frozenset({"music", "nightlife"}),
    Category.ARTS_CENTRE: frozenset({"art", "music"}),
    Category.NIGHTCLUB: frozenset({"nightlife", "music"}),
    Category.CASINO: frozenset({"nightlife"}),
    Category.LIBRARY: frozenset({"architecture"}),
    Category.SPORTS: frozenset({"sports"}),
    Category.SPA: frozenset({"wellness"}),
    Category.RESTAURANT: frozenset({"food"}),
    Category.CAFE: frozenset({"food"}),
    Category.BAR: frozenset({"nightlife", "food"}),
    Category.PUB: frozenset({"nightlife", "food"}),
    Category.FAST_FOOD: frozenset({"food"}),
    Category.HOTEL: frozenset(),
    Category.HOSTEL: frozenset(),
    Category.GUEST_HOUSE: frozenset(),
    Category.CAMP_SITE: frozenset({"nature", "hiking"}),
    Category.SHOP: frozenset({"shopping"}),
    Category.MALL: frozenset({"shopping"}),
    Category.MARKET: frozenset({"markets", "shopping", "food"}),
    Category.SUPERMARKET: frozenset({"food"}),
    Category.AIRPORT: frozenset(),
    Category.TRAIN_STATION: frozenset(),
    Category.SUBWAY_STATION: frozenset(),
    Category.SUBWAY_ENTRANCE: frozenset(),
    Category.BUS_STATION: frozenset(),
    Category.FERRY_TERMINAL: frozenset(),
    Category.BICYCLE_RENTAL: frozenset({"sports"}),
    Category.CAR_RENTAL: frozenset(),
    Category.TAXI: frozenset(),
    Category.CHARGING_STATION: frozenset(),
    Category.FUEL: frozenset(),
    Category.PARKING: frozenset(),
    Category.INFORMATION: frozenset(),
    Category.PHARMACY: frozenset(),
    Category.HOSPITAL: frozenset(),
    Category.POLICE: frozenset(),
    Category.POST_OFFICE: frozenset(),
    Category.BUREAU_DE_CHANGE: frozenset(),
    Category.BANK: frozenset(),
    Category.EMBASSY: frozenset(),
}

# Typical time a visitor spends at a stop, for the itinerary planner when the POI has no better
# figure. Zero means "not a visit" (somewhere to sleep or to pass through).
DEFAULT_VISIT_MINUTES: dict[Category, int] = {
    Category.ATTRACTION: 45,
    Category.MUSEUM: 120,
    Category.GALLERY: 75,
    Category.ARTWORK: 10,
    Category.MONUMENT: 15,
    Category.CASTLE: 120,
    Category.HISTORIC: 30,
    Category.PLACE_OF_WORSHIP: 30,
    Category.VIEWPOINT: 20,
    Category.PARK: 60,
    Category.NATURE_RESERVE: 180,
    Category.BEACH: 180,
    Category.NATURAL_SITE: 90,
    Category.PLAYGROUND: 45,
    Category.ZOO: 180,
    Category.AQUARIUM: 120,
    Category.THEME_PARK: 360,
    Category.THEATRE: 150,
    Category.CINEMA: 150,
    Category.MUSIC_VENUE: 150,
    Category.ARTS_CENTRE: 120,
    Category.NIGHTCLUB: 180,
    Category.CASINO: 120,
    Category.LIBRARY: 45,
    Category.SPORTS: 120,
    Category.SPA: 120,
    Category.RESTAURANT: 90,
    Category.CAFE: 40,
    Category.BAR: 90,
    Category.PUB: 90,
    Category.FAST_FOOD: 30,
    Category.HOTEL: 0,
    Category.HOSTEL: 0,
    Category.GUEST_HOUSE: 0,
    Category.CAMP_SITE: 0,
    Category.SHOP: 30,
    Category.MALL: 120,
    Category.MARKET: 60,
    Category.SUPERMARKET: 20,
    Category.AIRPORT: 0,
    Category.TRAIN_STATION: 0,
    Category.SUBWAY_STATION: 0,
    Category.SUBWAY_ENTRANCE: 0,
    Category.BUS_STATION: 0,
    Category.FERRY_TERMINAL: 0,
    Category.BICYCLE_RENTAL: 10,
    Category.CAR_RENTAL: 20,
    Category.TAXI: 0,
    Category.CHARGING_STATION: 30,
    Category.FUEL: 10,
    Category.PARKING: 0,
    Category.INFORMATION: 15,
    Category.PHARMACY: 10,
    Category.HOSPITAL: 0,
    Category.POLICE: 0,
    Category.POST_OFFICE: 15,
    Category.BUREAU_DE_CHANGE: 10,
    Category.BANK: 10,
    Category.EMBASSY: 0,
}
