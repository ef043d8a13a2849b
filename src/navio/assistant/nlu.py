"""Rule-based understanding of an English trip request.

Pure module: standard library only, no I/O. Every field comes from a pattern that can be read
and tested; nothing is guessed from a model. What the text does not say stays None (or the
documented default) and the required fields among them are listed in `missing`, so the caller
asks the traveller instead of planning on an invention. Choices the parser made on its own
(a year, a default party size, the dates read from "next weekend") are listed in `notes` for
the same reason. Relative dates are counted from the `today` argument, never the clock.

Places are found only as names of the gazetteer, then classified by the words just before
them: "from", "departing", "starting in"... make an origin; "to", "in", "visiting",
"towards"... a destination. Free text cannot then produce a city the planner has no data for.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
}  # fmt: skip
_NUM = rf"(?:\d{{1,3}}|a\s+couple(?:\s+of)?|{'|'.join(sorted(_NUMBER_WORDS, key=len)[::-1])})"


def _number(token: str) -> int:
    word = " ".join(token.lower().split())
    if word.isdigit():
        return int(word)
    return 2 if word.startswith("a couple") else _NUMBER_WORDS[word]


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


# --- places -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    city: str | None
    region: str | None


@dataclass(frozen=True)
class _Index:
    pattern: re.Pattern[str]
    cities: Mapping[str, str]
    regions: Mapping[str, str]


def _build_index(
    cities: Iterable[str], regions: Iterable[str], aliases: Mapping[str, str]
) -> _Index:
    city_keys = {_key(alias): name for alias, name in aliases.items()}
    city_keys |= {_key(name): name for name in cities}
    region_keys = {_key(name): name for name in regions}
    names = sorted(set(city_keys) | set(region_keys), key=len, reverse=True)
    # Longest first: at one position the alternation takes the first that matches, so
    # "St. Petersburg" wins over "Petersburg" and "Salt Lake City" over any shorter name.
    alternation = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names) or "(?!)"
    pattern = re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)
    return _Index(pattern, city_keys, region_keys)


@dataclass(frozen=True)
class Gazetteer:
    cities: frozenset[str]
    regions: Mapping[str, frozenset[str]] = field(default_factory=dict, hash=False)
    # another name a city is called by -> its name ("New York" -> "New York City")
    aliases: Mapping[str, str] = field(default_factory=dict, hash=False)
    _index: _Index = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        every_city = set(self.cities).union(*self.regions.values())
        index = _build_index(every_city, self.regions, self.aliases)
        object.__setattr__(self, "_index", index)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> Gazetteer:
        regions: dict[str, set[str]] = {}
        for city, region in pairs:
            regions.setdefault(region.strip(), set()).add(city.strip())
        cities = frozenset(c for members in regions.values() for c in members)
        return cls(cities, {r: frozenset(members) for r, members in regions.items()})

    def _mentions(self, text: str) -> list[_Mention]:
        index = self._index
        keyed = ((m, _key(m.group())) for m in index.pattern.finditer(text))
        return [
            _Mention(m.start(), m.end(), index.cities.get(k), index.regions.get(k))
            for m, k in keyed
            # "visits to 3 cities": a town called To (Myanmar) is not meant in lower case
            if not (m.group().islower() and k in _FUNCTION_WORDS)
        ]


_FUNCTION_WORDS = frozenset(
    {
        "a", "an", "and", "as", "at", "be", "by", "do", "for", "go", "in", "is", "it", "me", "my",
        "no", "of", "on", "or", "our", "so", "the", "to", "up", "us", "via", "we", "may", "can",
        "will", "with", "from", "into", "per", "plan", "trip", "nice", "mobile",
    }
)  # fmt: skip


_ORIGIN_CUE = re.compile(
    r"\b(?:from|departing|departs|depart|leaving|leave|starting\s+(?:in|at)|starts?\s+(?:in|at)"
    r"|beginning\s+(?:in|at)|begins?\s+(?:in|at)|based\s+in|live\s+in|living\s+in|out\s+of"
    r"|return(?:ing)?\s+to|back\s+to)\s+(?:the\s+city\s+of\s+)?$",
    re.IGNORECASE,
)
_DESTINATION_CUE = re.compile(
    r"\b(?:to|towards?|into|in|visit(?:s|ing)?|cover(?:s|ing)?|explor(?:e|es|ing)|tour(?:s|ing)?"
    r"|through|destination(?:\s+is)?:?)\s+(?:the\s+(?:city|state)\s+of\s+)?$",
    re.IGNORECASE,
)
_CITIES = re.compile(
    rf"\b({_NUM})\s+(?:(?:different|distinct|separate|unique|various|other)\s+)?cities\b",
    re.IGNORECASE,
)


def _cue(text: str, mention: _Mention) -> str | None:
    before = text[max(0, mention.start - 40) : mention.start]
    # Origin first: "starting in" ends like the destination cue "in".
    cues = (("origin", _ORIGIN_CUE), ("destination", _DESTINATION_CUE))
    return next((name for name, cue in cues if cue.search(before)), None)


_ARROW = re.compile(r"\s*(?:to|->|→|-|\u2013)\s*", re.IGNORECASE)
# What joins one destination to the next in a list: "Austin, Dallas and then Houston".
_AND_THEN = re.compile(r"\s*(?:(?:,|&|->|→|-|\u2013|\band\b|\bthen\b|\bplus\b)\s*)+", re.IGNORECASE)
# "Buffalo, New York", "Austin in Texas": a region right after a city is where the city is.
_WHERE_IT_IS = re.compile(r"\s*(?:,|\bin\b)\s*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


class _Places(NamedTuple):
    origin: str | None
    destination: str | None
    is_region: bool
    also: tuple[str, ...]


def _places(text: str, gazetteer: Gazetteer, cities: int) -> _Places:
    # a name inside a date is the month ("from March 16th": March, Cambridgeshire, is a town),
    # inside "next Friday" the day
    dated = [(m.start(), m.end()) for p in (*_DATE_PATTERNS, _RELATIVE) for m in p.finditer(text)]
    mentions = [
        m
        for m in gazetteer._mentions(text)
        if not any(start < m.end and m.start < end for start, end in dated)
    ]
    cues = [_cue(text, m) for m in mentions]
    origin_at = next((i for i, m in enumerate(mentions) if cues[i] == "origin" and m.city), None)
    if origin_at is None:  # "Chicago to Denver", "Chicago -> Denver": the first of the pair
        origin_at = next(
            (
                i
                for i, m in enumerate(mentions[:-1])
                if m.city
                and cues[i] is None
                and _ARROW.fullmatch(text, m.end, mentions[i + 1].start)
            ),
            None,
        )
    origin = mentions[origin_at].city if origin_at is not None else None

    def as_destination(i: int) -> tuple[str, bool] | None:
        m = mentions[i]
        if m.region is not None and (m.city is None or cities > 1):
            return m.region, True
        if m.city is None or i == origin_at or _key(m.city) == _key(origin or ""):
            return None  # the way home is no destination
        return m.city, False

    # A name with no cue is still a place the traveller named, when capitalised; in lower case
    # ("a mission", "to bend") it is more likely a word that happens to be a city.
    candidates = [i for i, cue in enumerate(cues) if cue == "destination"] + [
        i for i, m in enumerate(mentions) if cues[i] is None and text[m.start].isupper()
    ]
    chosen = next(((i, d) for i in candidates if (d := as_destination(i))), None)
    if chosen is None:
        return _Places(origin, None, False, ())
    first, (destination, is_region) = chosen
    if is_region:  # "2 cities in Texas": the planner picks the cities, none is named
        return _Places(origin, destination, True, ())

    # Dots inside names and dates ("St. Petersburg", "Mar. 16") end no sentence.
    flat = list(text)
    for start, end in [*dated, *((m.start, m.end) for m in mentions)]:
        flat[start:end] = "x" * (end - start)
    plain = "".join(flat)
    also: list[str] = []
    last = first  # the latest mention in the list of destinations
    for i in range(first + 1, len(mentions)):
        m, before = mentions[i], mentions[i - 1]
        if _SENTENCE_END.search(plain, mentions[first].end, m.start):
            break  # further destinations are named in the same sentence as the first
        follows = i - 1 == last
        if follows and m.region is not None and _WHERE_IT_IS.fullmatch(text, before.end, m.start):
            last = i
            continue
        listed = follows and _AND_THEN.fullmatch(text, before.end, m.start) is not None
        if not (listed or cues[i] == "destination"):
            continue
        last = i
        city = m.city
        if city is None or i == origin_at or _key(city) == _key(origin or ""):
            continue  # a region names no further city; the way home is no destination
        if city != destination and city not in also:
            also.append(city)
    return _Places(origin, destination, False, tuple(also))


# --- dates ------------------------------------------------------------------------------------

_MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_MONTH_NUMBER = {name: i for i, name in enumerate(_MONTH_NAMES, 1)}
_MONTH_NUMBER |= {name[:3]: i for i, name in enumerate(_MONTH_NAMES, 1)} | {"sept": 9}
_MONTHS = "|".join(sorted(_MONTH_NUMBER, key=len, reverse=True))
_M = rf"(?P<m>{_MONTHS})(?![a-z])\.?"
_Y = r"(?P<y>(?:19|20)\d{2})(?!\d)"
# A day before its month must be neither part of an amount or a date nor a count:
# "a group of 8 may need", "children under 10 may".
_DAY_FIRST = r"(?<![\d$€£.,:/-])(?<!\bof\s)(?<!\bunder\s)(?<!\bfor\s)(?<!\bthan\s)\b(?:the\s+)?"


def _day(group: str) -> str:
    return rf"(?P<{group}>[0-3]?\d)(?:st|nd|rd|th)?(?!\w)"


_TO = r"\s*(?:to|until|till|through|thru|and|-|\u2013)\s*(?:the\s+)?"
_DATE_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(?P<y>\d{4})-(?P<mn>\d{1,2})-(?P<d>\d{1,2})\b",
        # "the 8th to the 10th of March, 2022", "8-10 March"
        rf"{_DAY_FIRST}{_day('d1')}{_TO}{_day('d2')}\s+(?:of\s+)?{_M}(?:,?\s+{_Y})?",
        # "March 8th to 10th, 2022", not "March 28 to 2 April" nor "March 3 - 5 days"
        rf"\b{_M}\s+{_day('d1')}{_TO}{_day('d2')}(?!\s*(?:of\s+)?(?:{_MONTHS})(?![a-z]))"
        rf"(?!\s*(?:days?|nights?|weeks?|people|persons?|cities)\b)(?:,?\s+{_Y})?",
        rf"\b{_M}\s+{_day('d')}(?:,?\s+{_Y})?",
        rf"{_DAY_FIRST}{_day('d')}\s+(?:of\s+)?{_M}(?:,?\s+{_Y})?",
    )
)

_YMD = tuple[int | None, int, int]


def _ymds(m: re.Match[str]) -> list[_YMD]:
    g = m.groupdict()
    month = int(g["mn"]) if g.get("mn") else _MONTH_NUMBER[g["m"].lower()]
    year = int(g["y"]) if g.get("y") else None
    if g.get("d2"):  # a range names its month and year once, after the second day
        return [(None, month, int(g["d1"])), (year, month, int(g["d2"]))]
    return [(year, month, int(g["d"]))]


def _possible(ymd: _YMD) -> bool:
    year, month, day = ymd
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year or 2000, month)[1]


def _date_mentions(text: str) -> list[_YMD]:
    found = sorted(
        ((m.start(), m.end(), _ymds(m)) for p in _DATE_PATTERNS for m in p.finditer(text)),
        key=lambda f: (f[0], -f[1]),
    )
    out: list[_YMD] = []
    cursor = 0
    for start, end, ymds in found:
        if start >= cursor and all(_possible(x) for x in ymds):
            out.extend(ymds)
            cursor = end
    return out


def _next_year(month: int, day: int, today: date) -> int:
    year = today.year
    # Feb 29 waits for a leap year; every other date is at most one year away.
    while day > calendar.monthrange(year, month)[1] or date(year, month, day) < today:
        year += 1
    return year


def _resolve_dates(
    mentions: list[_YMD], today: date, notes: list[str]
) -> tuple[date | None, date | None]:
    if not mentions:
        return None, None
    y1, m1, d1 = mentions[0]
    second = mentions[1] if len(mentions) > 1 else None
    if y1 is None and second is not None and second[0] is not None:
        # "from March 30th to April 2nd, 2022": the year written once, at the end
        y1 = second[0] if (m1, d1) <= (second[1], second[2]) else second[0] - 1
    if y1 is None:
        y1 = _next_year(m1, d1, today)
        notes.append(f"year not given: took {y1}")
    start = _make_date(y1, m1, d1, notes)
    if second is None:
        return start, None
    y2, m2, d2 = second
    if y2 is None:
        y2 = y1 if (m2, d2) >= (m1, d1) else y1 + 1
    end = _make_date(y2, m2, d2, notes)
    if start and end and end < start:
        notes.append("the end is before the start")
    return start, end


def _make_date(year: int, month: int, day: int, notes: list[str]) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        notes.append(f"no such date: {year}-{month:02d}-{day:02d}")
        return None


_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_LATER = rf"(?:(?P<n>{_NUM})|an?)\s+(?P<unit>days?|weeks?|fortnights?)"
# Leftmost first, and at one position the first kind that matches: "the day after tomorrow"
# before "tomorrow". "in 5 days" after "cities" is how long a tour lasts, not when it starts.
_RELATIVE = re.compile(
    "|".join(
        rf"(?P<{kind}>{p})"
        for kind, p in (
            ("after_tomorrow", r"\b(?:the\s+)?day\s+after\s+tomorrow\b"),
            ("tomorrow", r"\btomorrow\b"),
            ("today", r"\btoday\b"),
            ("this_weekend", r"\b(?:this(?:\s+coming)?|the\s+coming)\s+weekend\b"),
            ("next_weekend", r"\bnext\s+weekend\b"),
            ("next_week", r"\bnext\s+week\b"),
            ("next_month", r"\bnext\s+month\b"),
            ("later", rf"(?<!\bcities\s)(?<!\bcity\s)\bin\s+{_LATER}\b"),
            (
                "weekday",
                rf"\b(?:on|next|this|coming|this\s+coming)\s+(?P<wd>{'|'.join(_WEEKDAYS)})\b",
            ),
        )
    ),
    re.IGNORECASE,
)


def _as_written(m: re.Match[str]) -> str:
    phrase = " ".join(m.group().lower().split())
    return phrase.replace(m["wd"].lower(), m["wd"].capitalize()) if m["wd"] else phrase


_DAYS_AHEAD = {"today": 0, "tomorrow": 1, "after_tomorrow": 2}


def _relative_dates(m: re.Match[str], today: date) -> tuple[date, date | None]:
    kind = m.lastgroup or ""
    if kind in _DAYS_AHEAD:
        return today + timedelta(days=_DAYS_AHEAD[kind]), None
    if kind in ("this_weekend", "next_weekend"):
        # Back to the day before on a Sunday: "this weekend" then is the one under way.
        saturday = today + timedelta(days=5 - today.weekday())
        if kind == "next_weekend":
            saturday += timedelta(weeks=1)
        return saturday, saturday + timedelta(days=1)
    if kind == "next_week":
        monday = today + timedelta(days=7 - today.weekday())
        return monday, monday + timedelta(days=6)
    if kind == "next_month":
        return date(today.year + today.month // 12, today.month % 12 + 1, 1), None
    if kind == "later":
        n = _number(m["n"]) if m["n"] else 1
        return today + timedelta(days=n * {"d": 1, "w": 7, "f": 14}[m["unit"][0].lower()]), None
    # "on Friday", "this Friday" and "next Friday" all mean the first Friday after today: on a
    # Wednesday "next Friday" is two days away, not nine. Some readers mean the Friday of next
    # week, but one rule for the three is easier to predict, and the note shows the date taken.
    ahead = (_WEEKDAYS.index(m["wd"].lower()) - today.weekday() - 1) % 7 + 1
    return today + timedelta(days=ahead), None


# "a" counts only before week and fortnight: "$100 a day" states no duration.
_DURATION = re.compile(
    rf"\b(?:(?P<n>{_NUM})[\s-]+(?P<unit>days?|nights?|weeks?)|a\s+(?P<a>week|fortnight))\b"
    r"|\bweek[\s-]long\b",
    re.IGNORECASE,
)


def _stated_days(text: str) -> int | None:
    if (m := _DURATION.search(text)) is None:
        return None
    n, unit = (_number(m["n"]), m["unit"].lower()) if m["n"] else (1, (m["a"] or "week").lower())
    # N nights are N + 1 days of travel.
    return {"d": n, "n": n + 1, "w": 7 * n, "f": 14}[unit[0]]


# --- travellers and money ---------------------------------------------------------------------

_NOT_PEOPLE = (
    r"days?|nights?|weeks?|months?|years?|hours?|minutes?|cities|city|different|distinct"
    r"|separate|people|persons?|individuals|travell?ers|adults|guests|dollars|euros|pounds"
    r"|usd|eur|gbp|percent|stars?|miles|km|%"
)
_TRAVELLERS = r"(?:people|persons?|individuals|travell?ers|adults|guests|of\s+us)"
# Most explicit first: "a group of 6 people" and "for 2 people" before the bare "for two".
_PEOPLE: tuple[tuple[re.Pattern[str], int | None], ...] = tuple(
    (re.compile(p, re.IGNORECASE), fixed)
    for p, fixed in (
        (rf"\b(?:group|family|party|team)\s+of\s+(?P<n>{_NUM})\b", None),
        (rf"\b(?P<n>{_NUM})\s+{_TRAVELLERS}\b", None),
        (rf"\bfor\s+(?P<n>{_NUM})\b(?![.,]?\d)(?![\s-]*(?:{_NOT_PEOPLE})\b)", None),
        (r"\b(?:as\s+)?a\s+couple\b(?!\s+of)|\bhoneymoon|\b(?:my|our)\s+(?:wife|husband|partner"
         r"|spouse|girlfriend|boyfriend|friend)\s+and\s+I\b|\bme\s+and\s+my\s+\w+\b", 2),
        (r"\b(?:solo|alone|single[\s-]+(?:person|travell?er)|by\s+myself|just\s+me"
         r"|on\s+my\s+own)\b", 1),
    )
)  # fmt: skip


def _people(text: str) -> int | None:
    for pattern, fixed in _PEOPLE:
        m = pattern.search(text)
        if m is not None:
            return fixed if fixed is not None else _number(m["n"])
    return None


_AMOUNT = r"(?P<amt>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)(?P<k>\s*(?:k|thousand)\b)?"
_CURRENCY_OF = {
    "$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD",
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP",
}  # fmt: skip
_MONEY = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        rf"(?P<cur>[$€£])\s?{_AMOUNT}",
        rf"\b(?P<cur>usd|eur|gbp)\s?{_AMOUNT}",
        rf"(?<![\w.,]){_AMOUNT}\s*(?P<cur>usd|eur|gbp|dollars?|euros?|pounds?|bucks)\b",
    )
)
_BARE_BUDGET = re.compile(
    rf"\bbudget\b[^.$€£\d]{{0,30}}?(?<![\w.,]){_AMOUNT}(?![\s-]*(?:{_NOT_PEOPLE})\b)",
    re.IGNORECASE,
)
_BUDGET_WORD = re.compile(r"\b(?:budget|spend|afford|up\s+to)\b", re.IGNORECASE)


def _minor(m: re.Match[str]) -> int:
    amount = Decimal(m["amt"].replace(",", "")) * (1000 if m["k"] else 1) * 100
    return int(amount.to_integral_value(rounding=ROUND_HALF_UP))


def _budget(text: str) -> tuple[int | None, str | None]:
    found = sorted((m for p in _MONEY for m in p.finditer(text)), key=lambda m: m.start())
    if not found:
        bare = _BARE_BUDGET.search(text)
        return (_minor(bare), None) if bare else (None, None)
    cues = [m.start() for m in _BUDGET_WORD.finditer(text)]
    # Several amounts ("$200 a night, $1,500 in all"): the one nearest the word "budget".
    best = min(found, key=lambda m: min((abs(m.start() - c) for c in cues), default=0))
    return _minor(best), _CURRENCY_OF[best["cur"].lower()]


# --- preferences ------------------------------------------------------------------------------

# "No specific preferences about house rules, cuisine..." names constraints to drop them.
_NO_PREFERENCE = re.compile(
    r"\b(?:no|not\s+any|without\s+any|don't\s+have\s+any)\s+(?:\w+\s+){0,3}?"
    r"(?:preferences?|requirements?|restrictions?|constraints?)\b"
    r"[^.;!?]*?(?=\b(?:but|however|except|though|although)\b|[.;!?]|$)",
    re.IGNORECASE,
)
_CUISINE_WORDS = (
    ("American", r"american"), ("Chinese", r"chinese"), ("French", r"french"),
    ("Indian", r"indian"), ("Italian", r"italian"), ("Mediterranean", r"mediterranean"),
    ("Mexican", r"mexican"), ("BBQ", r"bbq|barbecue|barbeque"), ("Bakery", r"bakery|bakeries"),
    ("Cafe", r"caf[eé]s?"), ("Desserts", r"desserts?"), ("Fast Food", r"fast[\s-]food"),
    ("Pizza", r"pizzas?|pizzerias?"), ("Seafood", r"sea[\s-]?food"), ("Tea", r"tea"),
    ("Japanese", r"japanese"), ("Thai", r"thai"),
)  # fmt: skip
_CUISINES = tuple((name, rf"\b(?:{p})\b") for name, p in _CUISINE_WORDS)
_ALLOW = r"(?:allow(?:s|ed|ing)?|permit(?:s|ted|ting)?)"
_HOUSE_RULES = (
    ("parties", r"\bparties\s+(?:are\s+|to\s+be\s+)?(?:allowed|permitted|permissible|welcome)\b"
     rf"|\b{_ALLOW}\s+(?:for\s+)?parties\b|\bparty[\s-]friendly\b"
     r"|\b(?:host|throw|have)(?:ing)?\s+(?:a\s+)?part(?:y|ies)\b"),
    ("smoking", r"\bsmoking\s+(?:is\s+|to\s+be\s+)?(?:allowed|permitted|permissible|welcome)\b"
     rf"|\b{_ALLOW}\s+smoking\b|\bsmok(?:ing|er)[\s-]friendly\b"
     r"|(?<!non-)(?<!non)\bsmokers\b"),
    ("children under 10", r"\b(?:children|kids)\s+(?:under|below|younger\s+than)\s+"
     r"(?:the\s+age\s+of\s+)?(?:[1-9]|10|one|two|three|four|five|six|seven|eight|nine|ten)\b"
     r"|\b(?:young|small|little)\s+(?:children|kids)\b|\b(?:toddlers?|infants?|bab(?:y|ies))\b"
     r"|\b(?:child|kid)[\s-]friendly\b"),
    ("pets", r"(?<!\bno\s)(?<!\bwithout\s)\bpets?\b|\b(?:dog|cat)[\s-]friendly\b"
     r"|\b(?:bring(?:ing)?|with)\s+(?:our|my|a)\s+(?:dogs?|cats?|pupp(?:y|ies))\b"),
    ("visitors", r"\bvisitors\s+(?:are\s+|to\s+be\s+)?(?:allowed|permitted|welcome)\b"
     rf"|\b{_ALLOW}\s+visitors\b|\b(?:have|receive|host)(?:ing)?\s+visitors\b"),
)  # fmt: skip
# By rank, then by position: a room asked for beats "no shared rooms", which beats "shared".
_ROOMS = (
    (0, "entire home/apt", r"\b(?:entire|whole)\s+(?:rooms?|homes?|houses?|apartments?|apts?"
     r"|places?|flats?|units?)\b"),
    (0, "private room", r"\bprivate\s+rooms?\b"),
    (1, "not shared room", r"\b(?:not|no|non|avoid(?:ing)?|without|never|rather\s+not)[\s-]+"
     r"(?:(?:a|an|any|in|be|stay|staying|have|want|to)\s+){0,3}shared\s+rooms?\b"),
    (2, "shared room", r"\bshared\s+rooms?\b"),
)  # fmt: skip

_MODES = (
    ("self-driving", r"self[\s-]?driv(?:e|ing|en)|driv(?:e|ing)|rental\s+cars?|car\s+rentals?"),
    ("flight", r"fly(?:ing)?|flights?|planes?|airplanes?|air\s+travel"),
    ("taxi", r"tax(?:i|is|ies)|cabs?"),
)
_MODE = "|".join(rf"(?P<{name.replace('-', '_')}>{p})" for name, p in _MODES)
_NEGATION = (
    r"\b(?:no|not|never|neither|without|avoid(?:ing)?|don't|do\s+not|won't|will\s+not|can't|cannot"
    r"|rather\s+not|prefer\s+not|dislike|hate|against)\s+"
)
# Only these words may sit between the negation and the mode: "not mind flying" is no refusal.
_FILLER = (
    r"(?:(?:want|wish|like|plan|intend|need|to|be|able|take|taking|use|using|include|any|a|an"
    r"|the|by|go|going|travel|traveling|travelling|rent|renting|hire|do|own|car)\s+){0,4}"
)
_EXCLUDED_MODE = re.compile(rf"{_NEGATION}{_FILLER}(?:{_MODE})\b", re.IGNORECASE)
# Only "or"/"nor" continue the list: in "no flights, drive instead" driving is wanted.
_MORE_MODES = re.compile(rf"\s*,?\s*(?:or|nor)\s+{_FILLER}(?:{_MODE})\b", re.IGNORECASE)
_MODE_REFUSED = re.compile(
    rf"\b(?:{_MODE})\s+(?:is|are)\s+(?:not\s+(?:an\s+)?option|out\s+of\s+the\s+question"
    r"|excluded|off\s+the\s+table|not\s+allowed)",
    re.IGNORECASE,
)


def _mode_of(m: re.Match[str]) -> str:
    return next(name for name, _ in _MODES if m[name.replace("-", "_")])


def _transport_excluded(text: str) -> list[tuple[int, str]]:
    found = [(m.start(), _mode_of(m)) for m in _MODE_REFUSED.finditer(text)]
    for m in _EXCLUDED_MODE.finditer(text):
        found.append((m.start(), _mode_of(m)))
        # "no flights or taxis": one negation, a list of modes
        more = _MORE_MODES.match(text, m.end())
        while more is not None:
            found.append((more.start(), _mode_of(more)))
            more = _MORE_MODES.match(text, more.end())
    return found


def _in_order(found: Iterable[tuple[int, str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for _, name in sorted(found)))


def _mentioned(rules: Iterable[tuple[str, str]], text: str) -> tuple[str, ...]:
    return _in_order(
        (m.start(), name) for name, p in rules for m in re.finditer(p, text, re.IGNORECASE)
    )


def _room_type(text: str) -> str | None:
    found = [
        (rank, m.start(), name)
        for rank, name, pattern in _ROOMS
        if (m := re.search(pattern, text, re.IGNORECASE)) is not None
    ]
    return min(found)[2] if found else None


# --- the request ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TripRequest:
    origin: str | None
    destination: str | None
    destination_is_region: bool
    # further destination cities, in the order named; the first is `destination`
    also: tuple[str, ...]
    cities: int
    start: date | None
    end: date | None
    days: int | None
    people: int
    budget_minor: int | None
    currency: str | None
    cuisines: tuple[str, ...]
    house_rules: tuple[str, ...]
    room_type: str | None
    transport_excluded: tuple[str, ...]
    missing: tuple[str, ...]
    notes: tuple[str, ...]


def parse_trip_request(text: str, gazetteer: Gazetteer, *, today: date) -> TripRequest:
    # Same-length replacements only: positions found in one form stay valid in the other.
    text = text.replace("\u2019", "'").replace("\u00a0", " ")
    notes: list[str] = []

    cities_match = _CITIES.search(text)
    cities = max(1, _number(cities_match[1])) if cities_match else 1
    origin, destination, is_region, also = _places(text, gazetteer, cities)
    named = 1 + len(also)
    if cities_match is None:
        cities = named
    elif destination is not None and not is_region and cities != named:
        notes.append(
            f"{cities} cities requested but {named} named"
            if also
            else f"{cities} cities requested but the destination is one city"
        )

    explicit = _date_mentions(text)
    start, end = _resolve_dates(explicit, today, notes)
    if (said := _RELATIVE.search(text)) is not None:
        phrase = _as_written(said)
        if explicit:
            notes.append(f"{phrase}: not used, the dates given win")
        else:
            start, end = _relative_dates(said, today)
            notes.append(f"{phrase}: {start}" + (f" to {end}" if end else ""))
    # "in 2 weeks" says when the trip starts, not how long it lasts.
    stated = _stated_days(_RELATIVE.sub(lambda m: " " * len(m.group()), text))
    # "a 3-day trip next week": the phrase says when, the length how long (within it)
    if said is not None and not explicit and start and end and stated:
        end = None if stated < (end - start).days + 1 else end
    days = stated
    if start is not None and end is None and stated is not None:
        end = start + timedelta(days=stated - 1)
        notes.append(f"end date not given: {stated} days from the start")
    elif start is not None and end is not None and end >= start:
        days = (end - start).days + 1
        if stated is not None and stated != days:
            notes.append(f"{stated} days stated but the dates span {days}")

    people = _people(text)
    if people is None:
        people = 1
        notes.append("number of travellers not given: took 1")

    budget_minor, currency = _budget(text)
    if budget_minor is not None and currency is None:
        notes.append("budget currency not given")

    wanted = _NO_PREFERENCE.sub(lambda m: " " * len(m.group()), text)

    required = {"origin": origin, "destination": destination, "dates": start and end}
    missing = [
        name for name, value in (*required.items(), ("budget", budget_minor)) if value is None
    ]
    return TripRequest(
        origin=origin,
        destination=destination,
        destination_is_region=is_region,
        also=also,
        cities=cities,
        start=start,
        end=end,
        days=days,
        people=people,
        budget_minor=budget_minor,
        currency=currency,
        cuisines=_mentioned(_CUISINES, wanted),
        house_rules=_mentioned(_HOUSE_RULES, wanted),
        room_type=_room_type(wanted),
        transport_excluded=_in_order(_transport_excluded(wanted)),
        missing=tuple(missing),
        notes=tuple(notes),
    )
