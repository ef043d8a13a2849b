"""OSM opening_hours: the weekly table, the full-rule evaluation, and JSON round trips."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from navio.places.opening_hours import (
    ParsedHours,
    WeeklyWindow,
    is_open_at,
    parse_opening_hours,
    windows_from_json,
    windows_open_at,
    windows_to_json,
)

W = WeeklyWindow
MON = datetime(2025, 3, 10)  # a Monday with no holiday anywhere near


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return MON + timedelta(days=day, hours=hour, minutes=minute)


# ---------------------------------------------------------------- the weekly table


def test_weekdays_and_saturday() -> None:
    parsed = parse_opening_hours("Mo-Fr 09:00-17:00; Sa 10:00-14:00")
    assert parsed.valid
    assert parsed.error is None
    assert not parsed.always_open
    assert not parsed.has_exceptions
    assert parsed.windows == (
        *(W(day, time(9), time(17)) for day in range(5)),
        W(5, time(10), time(14)),
    )


def test_split_day() -> None:
    parsed = parse_opening_hours("Mo 08:00-12:00,13:00-17:30")
    assert parsed.windows == (W(0, time(8), time(12)), W(0, time(13), time(17, 30)))


@pytest.mark.parametrize("raw", ["Fr-Sa 22:00-04:00", "Fr-Sa 22:00-28:00"])
def test_past_midnight_is_one_overnight_window(raw: str) -> None:
    parsed = parse_opening_hours(raw)
    assert parsed.windows == (
        W(4, time(22), time(4), overnight=True),
        W(5, time(22), time(4), overnight=True),
    )
    assert is_open_at(parsed, at(5, 3)) is True  # Saturday 03:00, still Friday's night
    assert is_open_at(parsed, at(6, 3)) is True  # Sunday 03:00, Saturday's night
    assert is_open_at(parsed, at(0, 3)) is False


def test_sunday_night_wraps_into_monday() -> None:
    parsed = parse_opening_hours("Su 20:00-02:00")
    assert parsed.windows == (W(6, time(20), time(2), overnight=True),)
    assert windows_open_at(parsed.windows, at(0, 1))


def test_until_midnight_and_whole_days() -> None:
    parsed = parse_opening_hours("Mo 18:00-24:00; Tu 00:00-24:00; We 00:00-12:00")
    assert parsed.windows == (
        W(0, time(18), time(0), overnight=True),
        W(1, time(0), time(0), overnight=True),
        W(2, time(0), time(12)),
    )


@pytest.mark.parametrize("raw", ["24/7", "Mo-Su 00:00-24:00", "00:00-24:00"])
def test_always_open(raw: str) -> None:
    parsed = parse_opening_hours(raw)
    assert parsed.always_open
    assert parsed.windows == tuple(W(day, time(0), time(0), overnight=True) for day in range(7))
    assert not parsed.has_exceptions


def test_closed_and_off() -> None:
    parsed = parse_opening_hours("24/7 off")
    assert parsed.valid
    assert parsed.windows == ()
    assert is_open_at(parsed, at(2, 12)) is False


def test_public_holidays_are_an_exception_not_in_the_table() -> None:
    parsed = parse_opening_hours("Mo-Fr 10:00-18:00; Sa 10:00-15:00; PH off")
    assert parsed.has_exceptions
    assert len(parsed.windows) == 6


def test_seasonal_rule_keeps_the_pattern_of_most_weeks() -> None:
    # Helsinki Cathedral, as mapped: longer hours in summer
    parsed = parse_opening_hours("Jun-Aug: Su-Sa 09:00-24:00; Sep-May: Su-Sa 09:00-18:00")
    assert parsed.valid
    assert parsed.has_exceptions
    assert parsed.windows == tuple(W(day, time(9), time(18)) for day in range(7))
    assert is_open_at(parsed, datetime(2025, 7, 16, 22)) is True
    assert is_open_at(parsed, datetime(2025, 11, 12, 22)) is False


def test_summer_only_rule_is_open_in_its_season() -> None:
    parsed = parse_opening_hours("Apr-Oct Mo-Su 10:00-18:00")
    assert parsed.has_exceptions
    assert len(parsed.windows) == 7
    assert is_open_at(parsed, datetime(2025, 1, 15, 12)) is False


def test_a_single_closed_date_is_an_exception() -> None:
    parsed = parse_opening_hours("Mo-Su 10:00-18:00; Dec 25 off")
    assert parsed.has_exceptions
    assert len(parsed.windows) == 7
    assert is_open_at(parsed, datetime(2025, 12, 25, 12)) is False
    assert is_open_at(parsed, datetime(2025, 12, 26, 12)) is True


def test_sun_times_are_flagged() -> None:
    parsed = parse_opening_hours("Mo-Su sunrise-sunset")
    assert parsed.valid
    assert parsed.has_exceptions
    assert len(parsed.windows) == 7


def test_open_end_counts_as_open_until_midnight() -> None:
    parsed = parse_opening_hours("Fr 18:00+")
    assert parsed.windows == (W(4, time(18), time(0), overnight=True),)


def test_unknown_state() -> None:
    parsed = parse_opening_hours("Mo-Fr 10:00-12:00 unknown")
    assert parsed.valid
    assert parsed.windows == ()
    assert parsed.has_exceptions
    assert is_open_at(parsed, at(0, 11)) is None
    assert is_open_at(parsed, at(0, 13)) is False


def test_a_value_that_is_only_a_comment_is_unknown() -> None:
    parsed = parse_opening_hours('"by appointment"')
    assert parsed.valid
    assert parsed.windows == ()
    assert not parsed.always_open
    assert is_open_at(parsed, at(1, 11)) is None


def test_comma_space_between_day_lists_is_read_as_a_day_list() -> None:
    # Porto Alegre's Trensurb stations: the strict grammar would read "Mo-Su" (all day) as its
    # own rule here.
    parsed = parse_opening_hours("Mo-Su, PH 05:00-23:20")
    assert parsed.windows == tuple(W(day, time(5), time(23, 20)) for day in range(7))
    assert parsed.has_exceptions  # PH
    assert is_open_at(parsed, at(2, 3)) is False


@pytest.mark.parametrize(
    "raw",
    [
        "Mo-Fr 9-17",
        "Mon - Fri 11am - 11pm",
        "Seasonal, only summer time",
        "We-Fr 13:00-18:00 Sa 12:00-18:00",
        "Mo-Fr 16:00-, Sa 14:00-",
        "",
        "   ",
        "x" * 5000,
        '"unterminated',
        "Mo-Fr 25:99-26:00",
    ],
)
def test_unparseable_values_are_kept_and_flagged(raw: str) -> None:
    parsed = parse_opening_hours(raw)
    assert parsed.raw == raw
    assert parsed.valid is False
    assert parsed.error
    assert parsed.windows == ()
    assert is_open_at(parsed, at(0, 12)) is None
    assert is_open_at(raw, at(0, 12)) is None


# ---------------------------------------------------------------- is_open_at


def test_is_open_at_takes_the_raw_string_too() -> None:
    assert is_open_at("Mo-Fr 09:00-17:00", at(0, 9)) is True
    assert is_open_at("Mo-Fr 09:00-17:00", at(0, 17)) is False
    assert is_open_at("Mo-Fr 09:00-17:00", at(5, 12)) is False


def test_public_holidays_need_the_country() -> None:
    christmas = datetime(2025, 12, 25, 12)  # a Thursday
    rule = "Mo-Fr 09:00-17:00; PH off"
    assert is_open_at(rule, christmas, country="FI") is False
    assert is_open_at(rule, christmas, country="fi") is False
    assert is_open_at(rule, christmas) is True
    assert is_open_at(rule, datetime(2025, 12, 23, 12), country="FI") is True
    assert is_open_at(rule, christmas, country="XX") is True  # no calendar: PH never applies
    assert is_open_at("Mo-Fr 9-17", christmas, country="FI") is None


def test_aware_datetimes_are_read_as_local_wall_clock() -> None:
    local = datetime(2025, 3, 10, 9, 30, tzinfo=ZoneInfo("America/Sao_Paulo"))
    assert is_open_at("Mo-Fr 09:00-17:00", local) is True
    assert is_open_at("Mo-Fr 10:00-17:00", local) is False


# ---------------------------------------------------------------- windows and JSON


def test_window_invariants() -> None:
    with pytest.raises(ValueError, match="weekday"):
        W(7, time(9), time(17))
    with pytest.raises(ValueError, match="overnight"):
        W(0, time(22), time(2))
    with pytest.raises(ValueError, match="overnight"):
        W(0, time(9), time(17), overnight=True)
    assert W(0, time(22), time(2), overnight=True).duration == timedelta(hours=4)
    assert W(3, time(0), time(0), overnight=True).duration == timedelta(days=1)


def test_json_shape() -> None:
    windows = (W(4, time(22), time(2), overnight=True), W(5, time(9, 30, 15), time(12)))
    assert windows_to_json(windows) == [
        {"weekday": 4, "opens": "22:00", "closes": "02:00", "overnight": True},
        {"weekday": 5, "opens": "09:30:15", "closes": "12:00", "overnight": False},
    ]


@pytest.mark.parametrize(
    "data",
    [
        None,
        "Mo-Fr",
        [1],
        [{"weekday": "0", "opens": "09:00", "closes": "10:00"}],
        [{"weekday": True, "opens": "09:00", "closes": "10:00"}],
        [{"weekday": 0, "opens": "9:00", "closes": "10:00"}],
        [{"weekday": 0, "opens": "24:00", "closes": "10:00", "overnight": True}],
        [{"weekday": 0, "opens": "09:00", "closes": "10:00", "overnight": "no"}],
        [{"weekday": 0, "opens": "10:00", "closes": "09:00", "overnight": False}],
        [{"weekday": 9, "opens": "09:00", "closes": "10:00"}],
    ],
)
def test_windows_from_json_rejects_malformed_input(data: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        windows_from_json(data)


clock = st.builds(time, st.integers(0, 23), st.integers(0, 59), st.sampled_from([0, 0, 0, 30]))


@st.composite
def weekly_windows(draw: st.DrawFn) -> WeeklyWindow:
    opens, closes = draw(clock), draw(clock)
    return WeeklyWindow(draw(st.integers(0, 6)), opens, closes, overnight=closes <= opens)


@given(st.lists(weekly_windows(), max_size=14))
def test_windows_json_round_trip(windows: list[WeeklyWindow]) -> None:
    assert windows_from_json(windows_to_json(windows)) == tuple(windows)


# ---------------------------------------------------------------- properties

DAY_NAMES = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def time_span(draw: st.DrawFn) -> str:
    start = draw(st.integers(0, 24 * 12 - 1)) * 5
    end = start + draw(st.integers(1, 24 * 12 - 1)) * 5
    if end > 24 * 60 and draw(st.booleans()):
        end -= 24 * 60  # "22:00-02:00" rather than "22:00-26:00"
    return f"{_hhmm(start)}-{_hhmm(end)}"


@st.composite
def simple_rule(draw: st.DrawFn) -> str:
    first = draw(st.integers(0, 6))
    last = draw(st.integers(first, 6))
    days = DAY_NAMES[first] if first == last else f"{DAY_NAMES[first]}-{DAY_NAMES[last]}"
    spans = draw(st.lists(time_span(), min_size=1, max_size=3))
    return f"{days} {','.join(spans)}"


simple_rules = st.lists(simple_rule(), min_size=1, max_size=4).map("; ".join)
week_moments = st.builds(
    lambda minute: MON + timedelta(minutes=minute), st.integers(0, 7 * 24 * 60 - 1)
)


@settings(max_examples=150, deadline=None)
@given(simple_rules, st.lists(week_moments, min_size=1, max_size=20), st.integers(0, 51))
def test_weekly_table_agrees_with_the_full_rule(
    raw: str, moments: list[datetime], week: int
) -> None:
    parsed = parse_opening_hours(raw)
    assert parsed.valid, (raw, parsed.error)
    assert not parsed.has_exceptions
    assert windows_from_json(windows_to_json(parsed.windows)) == parsed.windows
    for moment in moments:
        # a rule of weekdays and times is the same every week of the year
        shifted = moment + timedelta(weeks=week - 10)
        assert is_open_at(parsed, shifted) == windows_open_at(parsed.windows, shifted), (
            raw,
            shifted,
        )


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.text(max_size=60),
        st.text(alphabet="MoTuWeFrSaSuPHJanDec0123456789:-,;+ /[]\"'offclosed", max_size=40),
    )
)
def test_parsing_never_raises(raw: str) -> None:
    parsed = parse_opening_hours(raw)
    assert isinstance(parsed, ParsedHours)
    assert parsed.raw == raw
    assert parsed.valid == (parsed.error is None)
    if not parsed.valid:
        assert parsed.windows == ()
    result = is_open_at(parsed, at(3, 12))
    assert result in (True, False, None)
