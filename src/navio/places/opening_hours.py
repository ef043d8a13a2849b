"""OpenStreetMap `opening_hours` values: parsed into a weekly table, evaluated by the full rule.

Parsing and evaluation are done by `opening-hours-py` (the Rust `opening-hours` crate), which
implements the OSM specification including months, dates, week numbers, holidays and sun
events. Navio keeps two things from a value:

* the raw string, always, and the full rule for exact answers (`is_open_at`);
* a *regular weekly schedule* (`ParsedHours.windows`) that a database column, an API client or
  the itinerary planner can use without the library.

The weekly schedule is read off the library's own evaluation. A rule made only of weekdays and
times is the same every week, so one week is evaluated. Any other rule (months, dates, week
numbers, years, holidays, easter, sun times) is evaluated over a whole reference year and the
weekly pattern that holds for the most weeks is kept; `has_exceptions` then says that some
weeks differ, or that the rule names public/school holidays (which depend on the country and are
never in the weekly table), sun times (which move through the year) or times whose state is
"unknown".

Times are local wall-clock times at the place; a timezone-aware datetime is read as its
wall-clock time. Values the library cannot parse are kept, flagged `valid=False` with the
parser's message, and never raise.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Final

from opening_hours import OpeningHours, State

__all__ = [
    "ParsedHours",
    "WeeklyWindow",
    "is_open_at",
    "parse_opening_hours",
    "windows_from_json",
    "windows_open_at",
    "windows_to_json",
]

DAY: Final = 86_400
WEEK: Final = 7 * DAY
REFERENCE_YEAR: Final = 2025
_MAX_RAW_LENGTH: Final = 2_000


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """Open from `opens` on `weekday` (0 = Monday) until `closes`.

    `overnight` means the window closes on the following day: `Fr 22:00-02:00` is
    `WeeklyWindow(4, time(22), time(2), overnight=True)`, "until midnight" is `closes=00:00`
    with `overnight=True`, and a whole day is `opens=closes=00:00`, `overnight=True`. A window
    therefore lasts at most 24 hours, and `overnight` is exactly `closes <= opens`.
    """

    weekday: int
    opens: time
    closes: time
    overnight: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0..6 (Monday..Sunday), got {self.weekday}")
        for value in (self.opens, self.closes):
            if value.tzinfo is not None or value.microsecond:
                raise ValueError("window times are naive local times with whole seconds")
        if self.overnight != (self.closes <= self.opens):
            raise ValueError(
                f"closes={self.closes} with opens={self.opens} needs overnight="
                f"{self.closes <= self.opens}"
            )

    @property
    def start_second(self) -> int:
        """Seconds from Monday 00:00 to the opening."""
        return self.weekday * DAY + _seconds(self.opens)

    @property
    def duration(self) -> timedelta:
        seconds = _seconds(self.closes) - _seconds(self.opens)
        return timedelta(seconds=seconds + DAY if self.overnight else seconds)

    def contains(self, local_dt: datetime) -> bool:
        offset = (_second_of_week(local_dt) - self.start_second) % WEEK
        return offset < self.duration.total_seconds()


@dataclass(frozen=True, slots=True)
class ParsedHours:
    raw: str
    valid: bool
    windows: tuple[WeeklyWindow, ...] = ()
    always_open: bool = False
    has_exceptions: bool = False
    error: str | None = None


# ---------------------------------------------------------------- parsing


def parse_opening_hours(raw: str, *, year: int = REFERENCE_YEAR) -> ParsedHours:
    """Parse an OSM `opening_hours` value; never raises.

    `year` is the reference year whose weeks are examined for rules that are not weekly.
    """
    if len(raw) > _MAX_RAW_LENGTH:
        return ParsedHours(raw=raw, valid=False, error="value too long")
    if not raw.strip():
        return ParsedHours(raw=raw, valid=False, error="empty value")
    try:
        rule = _compile(raw, None)
    except _ParseFailure as exc:
        return ParsedHours(raw=raw, valid=False, error=str(exc))
    try:
        weeks = _weekly_patterns(rule, raw, year)
    except BaseException as exc:
        _reraise_unless_library_error(exc)
        return ParsedHours(raw=raw, valid=False, error=f"evaluation failed: {_message(exc)}")

    counts = Counter(weeks)
    # The pattern of most weeks; on a tie (alternate weeks), the one open longest.
    open_runs, has_unknown = max(
        counts, key=lambda pattern: (counts[pattern], sum(length for _, length in pattern[0]))
    )
    windows = _runs_to_windows(open_runs)
    return ParsedHours(
        raw=raw,
        valid=True,
        windows=windows,
        always_open=open_runs == ((0, WEEK),),
        has_exceptions=len(counts) > 1 or has_unknown or _names_exceptions(raw),
    )


class _ParseFailure(Exception):
    pass


def _reraise_unless_library_error(exc: BaseException) -> None:
    # pyo3 turns a Rust panic into `PanicException`, which derives from BaseException.
    if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
        raise exc


def _message(exc: BaseException) -> str:
    return str(exc).strip() or type(exc).__name__


@lru_cache(maxsize=4096)
def _compile(raw: str, country: str | None) -> OpeningHours:
    try:
        return OpeningHours(_lenient(raw), country=country, auto_country=False, auto_timezone=False)
    except BaseException as exc:
        _reraise_unless_library_error(exc)
        raise _ParseFailure(_message(exc)) from None


_COMMENT = re.compile(r'"[^"]*"')
_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")
_WORD = re.compile(r"[A-Za-z]+")
_WEEKLY_WORDS: Final = frozenset(
    {"mo", "tu", "we", "th", "fr", "sa", "su", "off", "closed", "open", "unknown"}
)
_HOLIDAYS = re.compile(r"\b(?:PH|SH)\b", re.IGNORECASE)
_SUN_EVENTS = re.compile(r"\b(?:sunrise|sunset|dawn|dusk)\b", re.IGNORECASE)
_COMMENT_ONLY = re.compile(r'\s*"[^"]*"\s*')
_SELECTOR_LIST_SPACE = re.compile(
    r"(?<=\b(?:Mo|Tu|We|Th|Fr|Sa|Su|PH|SH)),\s+(?=(?:Mo|Tu|We|Th|Fr|Sa|Su|PH|SH)\b)"
)


def _lenient(raw: str) -> str:
    """Two common mapping slips the strict grammar reads as something nobody means.

    `Mo-Fr, Su 10:00-12:00` is, to the grammar, "Mo-Fr all day, and also Su 10:00-12:00"
    (`, ` separates rules); mappers mean the day list `Mo-Fr,Su`. A value that is only a
    comment ("by appointment") evaluates as open around the clock; it means "unknown".
    """
    if _COMMENT_ONLY.fullmatch(raw):
        return f"24/7 unknown {raw.strip()}"
    parts = re.split(r'("[^"]*")', raw)
    return "".join(
        part if index % 2 else _SELECTOR_LIST_SPACE.sub(",", part)
        for index, part in enumerate(parts)
    )


def _without_comments(raw: str) -> str:
    return _COMMENT.sub(" ", raw)


def _is_weekly(raw: str) -> bool:
    """True when the rule can only name weekdays and clock times, so every week is the same."""
    text = _TIME.sub(" ", _without_comments(raw)).replace("24/7", " ")
    if any(char.isdigit() for char in text):
        return False
    return all(word.lower() in _WEEKLY_WORDS for word in _WORD.findall(text))


def _names_exceptions(raw: str) -> bool:
    text = _without_comments(raw)
    return bool(_HOLIDAYS.search(text) or _SUN_EVENTS.search(text))


# A week's pattern: the open runs as (start second of week, length), and whether any time in
# the week has the state "unknown".
_Pattern = tuple[tuple[tuple[int, int], ...], bool]


def _weekly_patterns(rule: OpeningHours, raw: str, year: int) -> list[_Pattern]:
    first_monday = _first_monday(year)
    weeks = 1 if _is_weekly(raw) else _weeks_in_year(year, first_monday)
    start = datetime.combine(first_monday, time())
    end = start + timedelta(weeks=weeks)
    open_pieces: list[list[tuple[int, int]]] = [[] for _ in range(weeks)]
    unknown = [False] * weeks
    for begin, finish, state, _comment in rule.intervals(start, end):
        if state == State.CLOSED:
            continue
        lo = max(int((begin - start).total_seconds()), 0)
        hi = min(int((finish - start).total_seconds()), weeks * WEEK)
        while lo < hi:
            week, offset = divmod(lo, WEEK)
            piece_end = min(hi, (week + 1) * WEEK)
            if state == State.OPEN:
                open_pieces[week].append((offset, piece_end - week * WEEK))
            else:
                unknown[week] = True
            lo = piece_end
    return [(_circular_runs(pieces), unknown[i]) for i, pieces in enumerate(open_pieces)]


def _first_monday(year: int) -> date:
    first = date(year, 1, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def _weeks_in_year(year: int, first_monday: date) -> int:
    return (date(year + 1, 1, 1) - first_monday).days // 7


def _circular_runs(pieces: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Merge [start, end) pieces of one week into (start, length) runs on the circular week."""
    merged: list[list[int]] = []
    for lo, hi in sorted(pieces):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    if not merged:
        return ()
    if merged[0] == [0, WEEK]:
        return ((0, WEEK),)
    if len(merged) > 1 and merged[0][0] == 0 and merged[-1][1] == WEEK:
        head = merged.pop(0)
        merged[-1][1] = WEEK + head[1]
    return tuple((lo, hi - lo) for lo, hi in merged)


def _runs_to_windows(runs: Iterable[tuple[int, int]]) -> tuple[WeeklyWindow, ...]:
    windows: list[WeeklyWindow] = []
    for run_start, run_length in runs:
        start, remaining = run_start, run_length
        while remaining > 0:
            day, second_of_day = divmod(start % WEEK, DAY)
            to_midnight = DAY - second_of_day
            # One window while the run ends within 24 hours of opening; else cut at midnight.
            span = remaining if remaining <= DAY else to_midnight
            closes = (second_of_day + span) % DAY
            windows.append(
                WeeklyWindow(
                    weekday=day,
                    opens=_clock(second_of_day),
                    closes=_clock(closes),
                    overnight=second_of_day + span >= DAY,
                )
            )
            start += span
            remaining -= span
    return tuple(sorted(windows, key=lambda w: (w.weekday, w.opens)))


# ---------------------------------------------------------------- evaluation


def is_open_at(
    hours: ParsedHours | str, local_dt: datetime, *, country: str | None = None
) -> bool | None:
    """Whether the place is open at this local time, by the full rule.

    None when the value does not parse or the rule says the state is unknown then. `country`
    (ISO 3166 alpha-2) turns on that country's public holidays for `PH` rules; without it, or
    for a country the library has no calendar for, public-holiday rules never apply.
    """
    raw = hours if isinstance(hours, str) else hours.raw
    if isinstance(hours, ParsedHours) and not hours.valid:
        return None
    if not raw.strip() or len(raw) > _MAX_RAW_LENGTH:
        return None
    try:
        rule = _compile_for(raw, country)
        state, _comment = rule.state(local_dt.replace(tzinfo=None))
    except _ParseFailure:
        return None
    except BaseException as exc:
        _reraise_unless_library_error(exc)
        return None
    if state == State.OPEN:
        return True
    if state == State.CLOSED:
        return False
    return None


def _compile_for(raw: str, country: str | None) -> OpeningHours:
    if country:
        try:
            return _compile(raw, country.upper())
        except _ParseFailure:
            pass  # a country without a holiday calendar in the library: evaluate without one
    return _compile(raw, None)


def windows_open_at(windows: Iterable[WeeklyWindow], local_dt: datetime) -> bool:
    """Whether the weekly table alone says open at this local time."""
    return any(window.contains(local_dt) for window in windows)


# ---------------------------------------------------------------- JSON


def windows_to_json(windows: Iterable[WeeklyWindow]) -> list[dict[str, int | str | bool]]:
    return [
        {
            "weekday": w.weekday,
            "opens": _format_clock(w.opens),
            "closes": _format_clock(w.closes),
            "overnight": w.overnight,
        }
        for w in windows
    ]


def windows_from_json(data: object) -> tuple[WeeklyWindow, ...]:
    """The inverse of `windows_to_json`; raises ValueError on anything else."""
    if not isinstance(data, list | tuple):
        raise ValueError("opening windows must be a list")
    windows: list[WeeklyWindow] = []
    for index, item in enumerate(data):
        if not isinstance(item, Mapping):
            raise ValueError(f"window {index} must be an object")
        weekday = item.get("weekday")
        opens = item.get("opens")
        closes = item.get("closes")
        overnight = item.get("overnight", False)
        if isinstance(weekday, bool) or not isinstance(weekday, int):
            raise ValueError(f"window {index}: weekday must be an integer")
        if not isinstance(opens, str) or not isinstance(closes, str):
            raise ValueError(f"window {index}: opens and closes must be HH:MM strings")
        if not isinstance(overnight, bool):
            raise ValueError(f"window {index}: overnight must be a boolean")
        windows.append(
            WeeklyWindow(
                weekday=weekday,
                opens=_parse_clock(opens, index),
                closes=_parse_clock(closes, index),
                overnight=overnight,
            )
        )
    return tuple(windows)


_CLOCK = re.compile(r"(\d{2}):(\d{2})(?::(\d{2}))?")


def _parse_clock(text: str, index: int) -> time:
    match = _CLOCK.fullmatch(text)
    if match is None:
        raise ValueError(f"window {index}: {text!r} is not HH:MM")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"window {index}: {text!r} is not a time of day")
    return time(hour, minute, second)


def _format_clock(value: time) -> str:
    return value.isoformat(timespec="seconds" if value.second else "minutes")


# ---------------------------------------------------------------- helpers


def _seconds(value: time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _clock(seconds: int) -> time:
    hours, rest = divmod(seconds, 3600)
    return time(hours, rest // 60, rest % 60)


def _second_of_week(local_dt: datetime) -> int:
    return local_dt.weekday() * DAY + _seconds(local_dt.time().replace(microsecond=0))


def hours_json(hours: ParsedHours | None) -> dict[str, object] | None:
    """The stored form of parsed hours (place_place.opening_hours); None when unparsed."""
    if hours is None or not hours.valid:
        return None
    return {
        "windows": windows_to_json(hours.windows),
        "always_open": hours.always_open,
        "has_exceptions": hours.has_exceptions,
    }
