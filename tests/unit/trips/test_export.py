"""Trip exports: ICS parsed back with icalendar, GPX with gpxpy, KML with ElementTree."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import gpxpy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event, Timezone

from navio.trips.export import (
    ICS_PRODID,
    KML_NAMESPACE,
    UNSCHEDULED_FOLDER,
    ExportItem,
    ExportTrip,
    to_gpx,
    to_ics,
    to_kml,
)

UPDATED_AT = datetime(2025, 9, 1, 8, 15, 30, tzinfo=UTC)
KML = {"k": KML_NAMESPACE}
# Real zones with awkward rules: negative DST (Dublin), half-hour DST (Lord Howe), quarter-hour
# offsets (Kathmandu, Chatham), a skipped calendar day (Apia 2011), +14 (Kiritimati), DST that
# was abolished (Sao Paulo) or follows Ramadan (Casablanca), and zones that are plain UTC.
ZONES = [
    "Europe/Helsinki",
    "America/New_York",
    "Europe/Dublin",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "Pacific/Chatham",
    "Pacific/Apia",
    "Pacific/Kiritimati",
    "America/Sao_Paulo",
    "Africa/Casablanca",
    "Africa/Cairo",
    "America/St_Johns",
    "Asia/Tokyo",
    "Antarctica/Troll",
    "UTC",
    "Etc/UTC",
]


def make_item(title: str = "Item", **overrides: Any) -> ExportItem:
    fields: dict[str, Any] = {
        "id": uuid.uuid4(),
        "kind": "activity",
        "title": title,
        "day": date(2025, 10, 24),
        "start_time": time(10),
        "end_time": time(12),
        "timezone": "Europe/Helsinki",
        "location": None,
        "lat": None,
        "lon": None,
        "notes": None,
    }
    fields.update(overrides)
    return ExportItem(**fields)


def make_trip(items: Sequence[ExportItem], **overrides: Any) -> ExportTrip:
    fields: dict[str, Any] = {
        "id": uuid.uuid4(),
        "title": "Helsinki autumn",
        "start_date": date(2025, 10, 24),
        "end_date": date(2025, 10, 28),
        "timezone": "Europe/Helsinki",
        "notes": None,
        "updated_at": UPDATED_AT,
        "items": tuple(items),
    }
    fields.update(overrides)
    return ExportTrip(**fields)


def local(day: date, wall: time, zone: str) -> datetime:
    return datetime.combine(day, wall, tzinfo=ZoneInfo(zone))


def parse_ics(trip: ExportTrip) -> Calendar:
    return Calendar.from_ical(to_ics(trip))


def events(calendar: Calendar) -> list[Event]:
    return list(calendar.walk("VEVENT"))


def event_for(calendar: Calendar, item: ExportItem) -> Event:
    (event,) = [event for event in events(calendar) if event["UID"] == f"{item.id}@navio"]
    return event


def assert_same_local_time(prop: Any, expected: datetime, zone: str) -> None:
    """A DTSTART/DTEND is the expected instant, written as the local time of its zone.

    icalendar writes a zone that is plain UTC (UTC, Etc/UTC, Africa/Abidjan...) with the RFC 5545
    `Z` form instead of a TZID; that is the same instant and the same wall time.
    """
    actual = prop.dt
    assert isinstance(actual, datetime)
    assert actual.astimezone(UTC) == expected.astimezone(UTC)
    assert actual.utcoffset() == expected.utcoffset()
    assert actual.replace(tzinfo=None) == expected.replace(tzinfo=None)
    tzid = prop.params.get("TZID")
    if tzid is None:
        assert actual.utcoffset() == timedelta(0)
        assert str(actual.tzinfo) == "UTC"
    else:
        assert tzid == zone
        assert str(actual.tzinfo) == zone


def unescape_text(raw: object) -> str:
    """icalendar hands X- properties back still escaped (it types them vUnknown, not TEXT)."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], str(raw))


def vtimezone(calendar: Calendar, zone: str) -> Timezone:
    (component,) = [tz for tz in calendar.timezones if tz.tz_name == zone]
    return component


def unambiguous(moment: datetime) -> bool:
    return moment.utcoffset() == moment.replace(fold=1).utcoffset()


# ---------------------------------------------------------------- ICS


def test_calendar_header() -> None:
    calendar = parse_ics(make_trip([make_item()], title="Lapland, Åland; and more"))
    assert calendar["PRODID"] == ICS_PRODID
    assert calendar["VERSION"] == "2.0"
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert calendar["METHOD"] == "PUBLISH"
    assert unescape_text(calendar["X-WR-CALNAME"]) == "Lapland, Åland; and more"
    assert calendar["X-WR-TIMEZONE"] == "Europe/Helsinki"


def test_timed_item_round_trips_every_field() -> None:
    item = make_item(
        "Suomenlinna ferry",
        kind="transport",
        start_time=time(9, 30, 15),
        end_time=time(9, 45),
        location="Kauppatori, Helsinki",
        lat=60.167,
        lon=24.953,
        notes="Buy an HSL day ticket",
    )
    calendar = parse_ics(make_trip([item]))
    event = event_for(calendar, item)
    assert_same_local_time(
        event["DTSTART"], local(item.day, time(9, 30, 15), item.timezone), "Europe/Helsinki"
    )
    assert_same_local_time(
        event["DTEND"], local(item.day, time(9, 45), item.timezone), "Europe/Helsinki"
    )
    assert event["SUMMARY"] == "Suomenlinna ferry"
    assert event["LOCATION"] == "Kauppatori, Helsinki"
    assert event["DESCRIPTION"] == "Buy an HSL day ticket"
    assert event["GEO"].latitude == 60.167
    assert event["GEO"].longitude == 24.953
    assert event["CATEGORIES"].cats == ["transport"]
    assert event["DTSTAMP"].dt == UPDATED_AT
    assert [tz.tz_name for tz in calendar.timezones] == ["Europe/Helsinki"]


def test_optional_fields_are_left_out() -> None:
    item = make_item(end_time=None, location="", notes=None)
    event = event_for(parse_ics(make_trip([item])), item)
    assert "DTEND" not in event
    assert "DURATION" not in event
    assert "LOCATION" not in event
    assert "DESCRIPTION" not in event
    assert "GEO" not in event
    assert_same_local_time(
        event["DTSTART"], local(item.day, time(10), item.timezone), item.timezone
    )


def test_untimed_items_are_not_events() -> None:
    timed = make_item("Timed")
    untimed = [
        make_item("Day only", start_time=None, end_time=None),
        make_item("Time only", day=None),
        make_item("Neither", day=None, start_time=None, end_time=None, kind="note"),
    ]
    calendar = parse_ics(make_trip([*untimed, timed]))
    assert [str(event["UID"]) for event in events(calendar)] == [f"{timed.id}@navio"]


def test_trip_without_timed_items_is_an_empty_valid_calendar() -> None:
    calendar = parse_ics(make_trip([make_item(start_time=None)]))
    assert events(calendar) == []
    assert calendar.timezones == []
    assert calendar["PRODID"] == ICS_PRODID


def test_item_crossing_midnight_ends_next_day() -> None:
    item = make_item("Night train", start_time=time(21, 50), end_time=time(7, 5))
    event = event_for(parse_ics(make_trip([item])), item)
    assert_same_local_time(
        event["DTEND"], local(date(2025, 10, 25), time(7, 5), item.timezone), item.timezone
    )
    assert event["DTEND"].dt - event["DTSTART"].dt == timedelta(hours=9, minutes=15)


def test_end_equal_to_start_is_an_instant() -> None:
    item = make_item(start_time=time(8), end_time=time(8))
    assert "DTEND" not in event_for(parse_ics(make_trip([item])), item)


def test_helsinki_autumn_fall_back() -> None:
    # 2025-10-26 is the last Sunday of October: 04:00 EEST becomes 03:00 EET.
    sunday = date(2025, 10, 26)
    zone = "Europe/Helsinki"
    across = make_item("Across the change", day=sunday, start_time=time(2, 30), end_time=time(5))
    twice = make_item(
        "03:30 happens twice", day=sunday, start_time=time(3, 30), end_time=time(3, 45)
    )
    overnight = make_item(
        "Saturday night", day=date(2025, 10, 25), start_time=time(22), end_time=time(6)
    )
    calendar = parse_ics(make_trip([across, twice, overnight]))

    start = event_for(calendar, across)["DTSTART"].dt
    end = event_for(calendar, across)["DTEND"].dt
    assert_same_local_time(
        event_for(calendar, across)["DTSTART"], local(sunday, time(2, 30), zone), zone
    )
    assert_same_local_time(event_for(calendar, across)["DTEND"], local(sunday, time(5), zone), zone)
    assert start.utcoffset() == timedelta(hours=3)
    assert end.utcoffset() == timedelta(hours=2)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=3, minutes=30)

    # RFC 5545 reads a repeated wall time as its first occurrence (still summer time).
    assert event_for(calendar, twice)["DTSTART"].dt.utcoffset() == timedelta(hours=3)
    night = event_for(calendar, overnight)
    assert_same_local_time(night["DTEND"], local(sunday, time(6), zone), zone)
    assert night["DTEND"].dt.astimezone(UTC) - night["DTSTART"].dt.astimezone(UTC) == timedelta(
        hours=9
    )

    # The embedded VTIMEZONE, read on its own (no IANA lookup), agrees with zoneinfo.
    embedded = vtimezone(calendar, zone).to_tz(lookup_tzid=False)
    for wall in (
        datetime(2025, 10, 26, 2, 30),
        datetime(2025, 10, 26, 5),
        datetime(2025, 10, 25, 22),
    ):
        assert (
            wall.replace(tzinfo=embedded).utcoffset()
            == wall.replace(tzinfo=ZoneInfo(zone)).utcoffset()
        )


def test_new_york_spring_forward() -> None:
    # 2025-03-09 is the second Sunday of March: 02:00 EST becomes 03:00 EDT.
    sunday = date(2025, 3, 9)
    zone = "America/New_York"
    across = make_item(
        "Brunch run", day=sunday, start_time=time(1), end_time=time(4), timezone=zone
    )
    in_gap = make_item(
        "Starts in the gap", day=sunday, start_time=time(2, 30), end_time=time(3, 10), timezone=zone
    )
    calendar = parse_ics(make_trip([across, in_gap], timezone=zone))

    event = event_for(calendar, across)
    assert_same_local_time(event["DTSTART"], local(sunday, time(1), zone), zone)
    assert_same_local_time(event["DTEND"], local(sunday, time(4), zone), zone)
    assert event["DTSTART"].dt.utcoffset() == timedelta(hours=-5)
    assert event["DTEND"].dt.utcoffset() == timedelta(hours=-4)
    assert event["DTEND"].dt.astimezone(UTC) - event["DTSTART"].dt.astimezone(UTC) == timedelta(
        hours=2
    )

    # 02:30 does not exist; read with the pre-gap offset it is 03:30 EDT, after 03:10 EDT, so the
    # end would precede the start and the item becomes an instant.
    gap = event_for(calendar, in_gap)
    assert_same_local_time(gap["DTSTART"], local(sunday, time(2, 30), zone), zone)
    assert gap["DTSTART"].dt.astimezone(UTC) == datetime(2025, 3, 9, 7, 30, tzinfo=UTC)
    assert "DTEND" not in gap

    embedded = vtimezone(calendar, zone).to_tz(lookup_tzid=False)
    for wall in (datetime(2025, 3, 9, 1), datetime(2025, 3, 9, 4)):
        assert (
            wall.replace(tzinfo=embedded).utcoffset()
            == wall.replace(tzinfo=ZoneInfo(zone)).utcoffset()
        )


def test_vtimezone_keeps_short_periods() -> None:
    # Morocco turns its clocks back one hour for Ramadan: 2024-03-10 03:00 to 2024-04-14 02:00.
    # icalendar's own VTIMEZONE builder probes 64 days apart from 1 January and steps over it.
    zone = "Africa/Casablanca"
    items = [
        make_item(f"{day}", day=day, start_time=time(12), timezone=zone)
        for day in (date(2024, 1, 10), date(2024, 3, 20), date(2024, 5, 1))
    ]
    calendar = parse_ics(make_trip(items, timezone=zone))
    embedded = vtimezone(calendar, zone).to_tz(lookup_tzid=False)
    offsets = []
    for item in items:
        assert item.day is not None
        wall = datetime.combine(item.day, time(12))
        offsets.append(wall.replace(tzinfo=embedded).utcoffset())
        assert offsets[-1] == wall.replace(tzinfo=ZoneInfo(zone)).utcoffset()
    assert offsets == [timedelta(hours=1), timedelta(0), timedelta(hours=1)]


def test_vtimezone_matches_zoneinfo_all_year() -> None:
    zones = ["Africa/Casablanca", "Africa/Cairo", "Europe/Dublin", "Australia/Lord_Howe"]
    items = [make_item(zone, day=date(2014, 6, 1), timezone=zone) for zone in zones]
    calendar = parse_ics(make_trip(items))
    for zone in zones:
        embedded = vtimezone(calendar, zone).to_tz(lookup_tzid=False)
        moment = datetime(2014, 1, 1, 1, tzinfo=UTC)
        while moment.year == 2014:
            expected = moment.astimezone(ZoneInfo(zone))
            if unambiguous(expected):
                wall = expected.replace(tzinfo=None)
                assert wall.replace(tzinfo=embedded).utcoffset() == expected.utcoffset(), wall
            moment += timedelta(hours=5)


def test_item_in_another_zone_than_the_trip() -> None:
    flight = make_item(
        "Flight to Tokyo", kind="transport", start_time=time(17, 40), end_time=time(9, 55)
    )
    arrival = make_item(
        "Check in",
        kind="lodging",
        day=date(2025, 10, 25),
        start_time=time(15),
        end_time=None,
        timezone="Asia/Tokyo",
    )
    calendar = parse_ics(make_trip([arrival, flight]))
    assert calendar["X-WR-TIMEZONE"] == "Europe/Helsinki"
    assert_same_local_time(
        event_for(calendar, arrival)["DTSTART"],
        local(date(2025, 10, 25), time(15), "Asia/Tokyo"),
        "Asia/Tokyo",
    )
    assert [tz.tz_name for tz in calendar.timezones] == ["Asia/Tokyo", "Europe/Helsinki"]


def test_vtimezones_come_first_sorted_and_only_for_used_zones() -> None:
    zones = ["Pacific/Chatham", "America/New_York", "Asia/Kathmandu", "Europe/Helsinki"]
    items = [make_item(zone, timezone=zone) for zone in zones]
    calendar = parse_ics(
        make_trip([*items, make_item("UTC", timezone="UTC")], timezone="Europe/Paris")
    )
    names = [component.name for component in calendar.subcomponents]
    assert names == ["VTIMEZONE"] * 4 + ["VEVENT"] * 5
    assert [tz.tz_name for tz in calendar.timezones] == sorted(zones)


def test_utc_item_is_written_in_utc_form() -> None:
    item = make_item(timezone="UTC", start_time=time(6), end_time=time(7))
    data = to_ics(make_trip([item]))
    assert b"DTSTART:20251024T060000Z" in data
    assert b"BEGIN:VTIMEZONE" not in data


def test_events_are_sorted_by_day_time_title() -> None:
    items = [
        make_item("b", day=date(2025, 10, 25), start_time=time(9)),
        make_item("z", day=date(2025, 10, 24), start_time=time(18)),
        make_item("a", day=date(2025, 10, 25), start_time=time(9)),
        make_item("y", day=date(2025, 10, 24), start_time=time(7)),
    ]
    summaries = [str(event["SUMMARY"]) for event in events(parse_ics(make_trip(items)))]
    assert summaries == ["y", "z", "a", "b"]


def test_special_characters_survive() -> None:
    title = 'Dinner, drinks; "bubbles" \\ backslash — Ravintola Äijä 🍷 東京'
    notes = "Line one,\nline two; with a tab\tand ünïcödé\n\nlast line"
    location = "Pohjoisesplanadi 17, 00170 Helsinki; 2nd floor"
    long_title = "Ääkköset ja emoji 🦌 " * 10
    items = [
        make_item(title, location=location, notes=notes, lat=60.168, lon=24.95),
        make_item(long_title, start_time=time(13)),
    ]
    data = to_ics(make_trip(items, title="Trip, with; specials\nand ä"))
    # RFC 5545 lines are at most 75 octets; icalendar must fold by octets, not characters.
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    calendar = Calendar.from_ical(data)
    event = event_for(calendar, items[0])
    assert event["SUMMARY"] == title
    assert event["DESCRIPTION"] == notes
    assert event["LOCATION"] == location
    assert event_for(calendar, items[1])["SUMMARY"] == long_title
    assert unescape_text(calendar["X-WR-CALNAME"]) == "Trip, with; specials\nand ä"


def test_control_characters_are_dropped_and_newlines_normalised() -> None:
    item = make_item("Bell\x07 and\x00 null", notes="Windows\r\nline\rends\x0b")
    event = event_for(parse_ics(make_trip([item])), item)
    assert event["SUMMARY"] == "Bell and null"
    assert event["DESCRIPTION"] == "Windows\nline\nends"


def test_geo_near_the_meridian_has_no_exponent() -> None:
    item = make_item(lat=51.4778, lon=-0.00005)
    data = to_ics(make_trip([item]))
    assert b"GEO:51.4778;-0.00005\r\n" in data
    geo = event_for(Calendar.from_ical(data), item)["GEO"]
    assert (geo.latitude, geo.longitude) == (51.4778, -0.00005)


def test_naive_updated_at_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        to_ics(make_trip([make_item()], updated_at=datetime(2025, 9, 1)))


def test_dtstamp_is_utc_whatever_zone_updated_at_is_in() -> None:
    in_helsinki = UPDATED_AT.astimezone(ZoneInfo("Europe/Helsinki"))
    item = make_item()
    event = event_for(parse_ics(make_trip([item], updated_at=in_helsinki)), item)
    assert event["DTSTAMP"].dt == UPDATED_AT
    assert event["DTSTAMP"].dt.utcoffset() == timedelta(0)


_DETERMINISM_SCRIPT = """
import sys, uuid
from datetime import UTC, date, datetime, time
from navio.trips.export import ExportItem, ExportTrip, to_ics
zones = ["Europe/Helsinki", "Asia/Tokyo", "America/New_York", "Pacific/Chatham", "Asia/Kathmandu"]
items = [
    ExportItem(uuid.UUID(int=i), "place", z, date(2025, 10, 24), time(9), time(10), z, None, None,
               None, None)
    for i, z in enumerate(zones)
]
trip = ExportTrip(uuid.UUID(int=99), "T", date(2025, 10, 24), date(2025, 10, 25), "UTC", None,
                  datetime(2025, 9, 1, tzinfo=UTC), items)
sys.stdout.buffer.write(to_ics(trip))
"""


def test_same_input_same_bytes_across_processes() -> None:
    # String hashing differs per process; a set-ordered VTIMEZONE list would only show up here.
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", _DETERMINISM_SCRIPT], env=env, capture_output=True, check=True
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_same_input_same_bytes() -> None:
    trip = make_trip([make_item("b"), make_item("a", timezone="Asia/Tokyo", lat=1.0, lon=2.0)])
    assert to_ics(trip) == to_ics(trip)
    assert to_gpx(trip) == to_gpx(trip)
    assert to_kml(trip) == to_kml(trip)


_WALL_TIMES = st.builds(time, st.integers(0, 23), st.integers(0, 59), st.integers(0, 59))


@st.composite
def trip_items(draw: st.DrawFn) -> list[ExportItem]:
    # A trip spans up to about a year; where it starts ranges over the whole tzdata-covered era.
    first_day = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2036, 12, 31)))
    items = []
    for _ in range(draw(st.integers(1, 6))):
        zone = draw(st.sampled_from(ZONES))
        day = first_day + timedelta(days=draw(st.integers(0, 400)))
        start = draw(_WALL_TIMES)
        end = draw(st.none() | _WALL_TIMES)
        items.append(
            make_item(f"item in {zone}", day=day, start_time=start, end_time=end, timezone=zone)
        )
    return items


@settings(max_examples=100, deadline=None)
@given(trip_items())
def test_timed_items_round_trip_exactly(items: list[ExportItem]) -> None:
    calendar = parse_ics(make_trip(items))
    assert len(events(calendar)) == len(items)
    used: set[str] = set()
    embedded: dict[str, Any] = {}
    for item in items:
        assert item.day is not None
        assert item.start_time is not None
        event = event_for(calendar, item)
        start = local(item.day, item.start_time, item.timezone)
        assert_same_local_time(event["DTSTART"], start, item.timezone)
        assert event["SUMMARY"] == item.title

        end = None
        if item.end_time is not None:
            end_day = item.day + timedelta(days=item.end_time < item.start_time)
            end = local(end_day, item.end_time, item.timezone)
            if end.astimezone(UTC) <= start.astimezone(UTC):
                end = None
        if end is None:
            assert "DTEND" not in event
        else:
            assert_same_local_time(event["DTEND"], end, item.timezone)

        if "TZID" not in event["DTSTART"].params:
            continue
        # The embedded VTIMEZONE alone (no IANA lookup) gives the same offsets as zoneinfo.
        used.add(item.timezone)
        if item.timezone not in embedded:
            embedded[item.timezone] = vtimezone(calendar, item.timezone).to_tz(lookup_tzid=False)
        for moment in (start, end):
            if moment is not None and unambiguous(moment):
                wall = moment.replace(tzinfo=None)
                assert (
                    wall.replace(tzinfo=embedded[item.timezone]).utcoffset() == moment.utcoffset()
                )
    assert [tz.tz_name for tz in calendar.timezones] == sorted(used)


# ---------------------------------------------------------------- GPX


def test_gpx_waypoints() -> None:
    ferry = make_item(
        'Ferry <&> "Viking"',
        kind="transport",
        start_time=time(17, 30),
        lat=60.1653,
        lon=24.9564,
        notes="Terminal 2, Katajanokka",
    )
    no_coordinates = make_item("No coordinates")
    museum = make_item(
        "Ateneum", kind="place", start_time=None, end_time=None, lat=60.1699, lon=24.9441
    )
    tokyo = make_item(
        "Shibuya crossing",
        day=date(2025, 10, 26),
        start_time=time(8),
        timezone="Asia/Tokyo",
        lat=35.6595,
        lon=139.7005,
    )
    trip = make_trip([ferry, no_coordinates, museum, tokyo], notes="Autumn; with ä")
    data = to_gpx(trip)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert b'version="1.1"' in data
    assert b"http://www.topografix.com/GPX/1/1" in data
    gpx = gpxpy.parse(data.decode("utf-8"))
    assert gpx.name == "Helsinki autumn"
    assert gpx.description == "Autumn; with ä"
    assert gpx.creator == "Navio"
    assert [w.name for w in gpx.waypoints] == ['Ferry <&> "Viking"', "Ateneum", "Shibuya crossing"]
    assert [(w.latitude, w.longitude) for w in gpx.waypoints] == [
        (60.1653, 24.9564),
        (60.1699, 24.9441),
        (35.6595, 139.7005),
    ]
    assert [w.type for w in gpx.waypoints] == ["transport", "place", "activity"]
    assert gpx.waypoints[0].description == "Terminal 2, Katajanokka"
    assert gpx.waypoints[1].description is None
    times = [w.time for w in gpx.waypoints]
    assert times[0] is not None
    assert times[0] == datetime(2025, 10, 24, 14, 30, tzinfo=UTC)  # 17:30 EEST
    assert times[1] is None
    assert times[2] == datetime(2025, 10, 25, 23, 0, tzinfo=UTC)  # 08:00 JST


def test_gpx_times_follow_dst() -> None:
    zone = "America/New_York"
    before = make_item(
        "before", day=date(2025, 3, 8), start_time=time(12), timezone=zone, lat=40.7, lon=-74.0
    )
    after = make_item(
        "after", day=date(2025, 3, 9), start_time=time(12), timezone=zone, lat=40.7, lon=-74.0
    )
    gpx = gpxpy.parse(to_gpx(make_trip([before, after])).decode("utf-8"))
    assert [w.time for w in gpx.waypoints] == [
        datetime(2025, 3, 8, 17, tzinfo=UTC),
        datetime(2025, 3, 9, 16, tzinfo=UTC),
    ]


def test_gpx_without_coordinates_has_no_waypoints() -> None:
    gpx = gpxpy.parse(to_gpx(make_trip([make_item()])).decode("utf-8"))
    assert gpx.waypoints == []
    assert gpx.name == "Helsinki autumn"


# ---------------------------------------------------------------- KML


def kml_root(trip: ExportTrip) -> ET.Element:
    return ET.fromstring(to_kml(trip))


def folders(root: ET.Element) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for folder in root.findall("k:Document/k:Folder", KML):
        name = folder.findtext("k:name", namespaces=KML)
        assert name is not None
        result[name] = [
            placemark.findtext("k:name", default="", namespaces=KML)
            for placemark in folder.findall("k:Placemark", KML)
        ]
    return result


def test_kml_document_and_folders() -> None:
    items = [
        make_item(
            "Day two lunch", day=date(2025, 10, 25), start_time=time(12), lat=60.16, lon=24.94
        ),
        make_item("Arrival", start_time=time(9), lat=60.317, lon=24.963),
        make_item("Someday sauna", day=None, start_time=None, end_time=None, lat=60.15, lon=24.92),
        make_item("No coordinates", start_time=time(10)),
        make_item(
            "Day two museum", day=date(2025, 10, 25), start_time=time(10), lat=60.17, lon=24.94
        ),
        make_item(
            "Dated but untimed",
            day=date(2025, 10, 26),
            start_time=None,
            end_time=None,
            lat=60.2,
            lon=24.9,
        ),
    ]
    root = kml_root(make_trip(items, notes="Notes & more"))
    assert root.tag == f"{{{KML_NAMESPACE}}}kml"
    assert root.findtext("k:Document/k:name", namespaces=KML) == "Helsinki autumn"
    assert root.findtext("k:Document/k:description", namespaces=KML) == "Notes & more"
    assert folders(root) == {
        "Day 1 — 2025-10-24": ["Arrival"],
        "Day 2 — 2025-10-25": ["Day two lunch", "Day two museum"],
        UNSCHEDULED_FOLDER: ["Someday sauna", "Dated but untimed"],
    }
    # Folder order: days ascending, unscheduled last.
    assert list(folders(root)) == ["Day 1 — 2025-10-24", "Day 2 — 2025-10-25", UNSCHEDULED_FOLDER]


def test_kml_placemark_contents() -> None:
    item = make_item(
        'Café <Kappeli> & "friends"',
        location="Eteläesplanadi 1, Helsinki",
        notes="Try the <korvapuusti> & coffee",
        lat=60.1675,
        lon=24.9488,
    )
    data = to_kml(make_trip([item], title='Trip <&> "quotes"'))
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert b'xmlns="http://www.opengis.net/kml/2.2"' in data
    root = ET.fromstring(data)
    assert root.findtext("k:Document/k:name", namespaces=KML) == 'Trip <&> "quotes"'
    (placemark,) = root.findall(".//k:Placemark", KML)
    assert placemark.get("id") == f"item-{item.id}"
    assert placemark.findtext("k:name", namespaces=KML) == 'Café <Kappeli> & "friends"'
    assert placemark.findtext("k:address", namespaces=KML) == "Eteläesplanadi 1, Helsinki"
    assert placemark.findtext("k:description", namespaces=KML) == "Try the <korvapuusti> & coffee"
    assert placemark.findtext("k:Point/k:coordinates", namespaces=KML) == "24.9488,60.1675"
    assert [child.tag.split("}")[1] for child in placemark] == [
        "name",
        "address",
        "description",
        "Point",
    ]


def test_kml_day_number_counts_from_trip_start() -> None:
    item = make_item(day=date(2025, 10, 28), lat=0.00001, lon=-0.00005)
    root = kml_root(make_trip([item]))
    assert list(folders(root)) == ["Day 5 — 2025-10-28"]
    assert root.findtext(".//k:coordinates", namespaces=KML) == "-0.00005,0.00001"


# ---------------------------------------------------------------- text in all three formats

_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(title=_TEXT, notes=_TEXT, location=_TEXT)
def test_text_round_trips_in_every_format(title: str, notes: str, location: str) -> None:
    item = make_item(title, notes=notes, location=location, lat=60.0, lon=25.0)
    trip = make_trip([item], title=title)

    calendar = parse_ics(trip)
    assert unescape_text(calendar["X-WR-CALNAME"]) == title
    event = event_for(calendar, item)
    assert event["SUMMARY"] == title
    assert event["DESCRIPTION"] == notes
    assert event["LOCATION"] == location

    waypoint = gpxpy.parse(to_gpx(trip).decode("utf-8")).waypoints[0]
    assert waypoint.name == title
    assert waypoint.description == notes

    placemark = ET.fromstring(to_kml(trip)).find(".//k:Placemark", KML)
    assert placemark is not None
    assert placemark.findtext("k:name", namespaces=KML) == title
    assert placemark.findtext("k:description", namespaces=KML) == notes
    assert placemark.findtext("k:address", namespaces=KML) == location
