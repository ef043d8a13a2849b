"""Trip exports: iCalendar (RFC 5545), GPX 1.1 and KML 2.2, built from plain snapshots.

The service turns a trip and its items into `ExportTrip`/`ExportItem`; nothing here touches the
database or HTTP, and the same snapshot always gives the same bytes, so an export can be cached
and served with an ETag.

Times of an item are wall-clock times in the item's own IANA zone (a flight leaves in one zone,
a hotel is in another). An item is *timed* when it has both a day and a start time; only timed
items become calendar events, GPX waypoint times and day folders in KML. A wall time that occurs
twice (autumn fall-back) or never (spring gap) is read as RFC 5545 reads it: with the UTC offset
in force before the transition, which is what `fold=0` means for `zoneinfo`. An unknown zone name
raises `zoneinfo.ZoneInfoNotFoundError`; the service stores validated zones only.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

import gpxpy.gpx
from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vGeo,
    vText,
)

__all__ = [
    "ICS_PRODID",
    "KML_NAMESPACE",
    "UNSCHEDULED_FOLDER",
    "ExportItem",
    "ExportTrip",
    "to_gpx",
    "to_ics",
    "to_kml",
]

ICS_PRODID: Final = "-//Navio//Trips//EN"
KML_NAMESPACE: Final = "http://www.opengis.net/kml/2.2"
UNSCHEDULED_FOLDER: Final = "Unscheduled"
GPX_CREATOR: Final = "Navio"
# Any period with another UTC offset that lasts at least this long is found; see _vtimezone.
_ZONE_PROBE_STEP: Final = timedelta(hours=6)

# Characters XML 1.0 cannot carry at all (C0 controls other than tab/newline, lone surrogates,
# U+FFFE/U+FFFF). RFC 5545 TEXT forbids the same controls. A stray one pasted into a title would
# otherwise make the whole file unreadable, so they are dropped from every text field.
_NOT_XML_CHAR: Final = re.compile("[^\t\n\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class ExportItem:
    id: uuid.UUID
    kind: str  # place | activity | note | transport | lodging | booking
    title: str
    day: date | None  # local date of the item
    start_time: time | None  # local wall time (naive) in `timezone`
    end_time: time | None  # local wall time; earlier than start_time means it ends the next day
    timezone: str  # IANA zone of the item's local times
    location: str | None  # human-readable place name / address
    lat: float | None
    lon: float | None
    notes: str | None


@dataclass(frozen=True, slots=True)
class ExportTrip:
    id: uuid.UUID
    title: str
    start_date: date
    end_date: date
    timezone: str
    notes: str | None
    updated_at: datetime  # tz-aware UTC
    items: Sequence[ExportItem]


def to_ics(trip: ExportTrip) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", ICS_PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # icalendar types X- properties as vUnknown and writes them raw: a comma goes out unescaped
    # and a newline fails its content-line assertion. RFC 5545 makes TEXT the default type of an
    # X- property, which is how calendar clients read X-WR-CALNAME, so escape it as TEXT.
    calendar.add("x-wr-calname", vText(_text(trip.title)))
    calendar.add("x-wr-timezone", trip.timezone)
    # DTSTAMP is the moment the trip last changed, not "now", so that re-exporting an unchanged
    # trip gives identical bytes.
    stamp = _as_utc(trip.updated_at)

    events = sorted(
        (
            (start.replace(tzinfo=None), item.title, str(item.id), item, start)
            for item in trip.items
            if (start := _start(item)) is not None
        ),
        key=lambda event: event[:3],
    )
    local_years: set[int] = set()
    for *_, item, start in events:
        end = _end(item, start)
        calendar.add_component(_event(item, start, end, stamp))
        local_years.update((start.year, (end or start).year))

    if local_years:
        # Whole calendar years of local time: the VTIMEZONE blocks stay the same while a trip is
        # edited within its year, and cover every event whichever zone it is in.
        first_date = date(min(local_years), 1, 1)
        last_date = date(max(local_years) + 1, 1, 1)
        # get_missing_tzids() names the zones written with a TZID (UTC is written as "Z"). The
        # blocks are not built by add_missing_timezones(), see _vtimezone; sorting them keeps the
        # bytes independent of set order, which follows string hashing and varies per process.
        calendar.subcomponents[0:0] = [
            _vtimezone(tzid, first_date, last_date) for tzid in sorted(calendar.get_missing_tzids())
        ]
    ics: bytes = calendar.to_ical()
    return ics


def to_gpx(trip: ExportTrip) -> bytes:
    gpx = gpxpy.gpx.GPX()
    gpx.creator = GPX_CREATOR
    gpx.name = _text(trip.title)
    gpx.description = _optional_text(trip.notes)
    gpx.time = _as_utc(trip.updated_at)
    for item in trip.items:
        if item.lat is None or item.lon is None:
            continue
        start = _start(item)
        gpx.waypoints.append(
            gpxpy.gpx.GPXWaypoint(
                latitude=item.lat,
                longitude=item.lon,
                time=start.astimezone(UTC) if start is not None else None,
                name=_text(item.title),
                description=_optional_text(item.notes),
                type=_text(item.kind),
            )
        )
    return gpx.to_xml(version="1.1").encode("utf-8")


def to_kml(trip: ExportTrip) -> bytes:
    # Tags are written unqualified under a literal xmlns attribute: ElementTree's own namespace
    # handling either needs the process-wide ET.register_namespace or, with default_namespace,
    # refuses plain attributes such as a Placemark's id.
    root = ET.Element("kml", xmlns=KML_NAMESPACE)
    document = ET.SubElement(root, "Document")
    _child(document, "name", trip.title)
    _child(document, "description", trip.notes)

    by_day: dict[date, list[ExportItem]] = {}
    unscheduled: list[ExportItem] = []
    for item in trip.items:
        if item.lat is None or item.lon is None:
            continue
        if item.day is not None and item.start_time is not None:
            by_day.setdefault(item.day, []).append(item)
        else:
            unscheduled.append(item)

    for day in sorted(by_day):
        number = (day - trip.start_date).days + 1
        _folder(document, f"Day {number} \N{EM DASH} {day.isoformat()}", by_day[day])
    if unscheduled:
        _folder(document, UNSCHEDULED_FOLDER, unscheduled)

    ET.indent(root)
    kml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return kml


class _Geo(vGeo):
    # vGeo writes repr(), and repr(0.00005) is "5e-05"; RFC 5545 FLOAT has no exponent. Points that
    # close to the equator or the Greenwich meridian are real (the meridian line is a sight).
    def to_ical(self) -> str:
        return f"{_plain_number(self.latitude)};{_plain_number(self.longitude)}"


def _event(item: ExportItem, start: datetime, end: datetime | None, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", f"{item.id}@navio")
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    if end is not None:
        event.add("dtend", end)
    event.add("summary", _text(item.title))
    location = _optional_text(item.location)
    if location is not None:
        event.add("location", location)
    if item.lat is not None and item.lon is not None:
        event.add("geo", _Geo((item.lat, item.lon)))
    description = _optional_text(item.notes)
    if description is not None:
        event.add("description", description)
    event.add("categories", [_text(item.kind)])
    return event


def _vtimezone(tzid: str, first: date, last: date) -> Timezone:
    """A VTIMEZONE with every offset change of `tzid` from `first` to `last` (local midnights).

    icalendar's Timezone.from_tzinfo (behind add_missing_timezones) probes for changes 64 days
    apart before narrowing down, so a shorter period with another offset can fall between two
    probes and vanish: Morocco's Ramadan hour (30-40 days every year) and Egypt's 2010 and 2014
    Ramadan breaks came out an hour off for any client that reads the VTIMEZONE rather than its
    own copy of the zone. Its search also runs on past `last` until the next change, which is
    the year 9999 for a zone that has none. Here only the window is probed, every six hours in
    UTC, and each change is bisected to the second.
    """
    zone = ZoneInfo(tzid)
    cursor = datetime.combine(first, time(), tzinfo=zone).astimezone(UTC)
    stop = datetime.combine(last, time(), tzinfo=zone).astimezone(UTC)
    state = _zone_state(cursor, zone)
    # Observance key (offset from, offset to, name, daylight) -> onsets in local wall time of the
    # offset in force before the change, as RFC 5545 writes DTSTART and RDATE of an observance.
    observances: dict[tuple[timedelta, timedelta, str, bool], list[datetime]] = {
        (state[0], *state): [datetime.combine(first, time())]
    }
    while cursor < stop:
        probe = min(cursor + _ZONE_PROBE_STEP, stop)
        if _zone_state(probe, zone) == state:
            cursor = probe
            continue
        # Offsets change on whole seconds, so bisect over POSIX seconds.
        before, after = int(cursor.timestamp()), int(probe.timestamp())
        while after - before > 1:
            middle = (before + after) // 2
            if _zone_state(datetime.fromtimestamp(middle, UTC), zone) == state:
                before = middle
            else:
                after = middle
        change = datetime.fromtimestamp(after, UTC)
        onset = (change + state[0]).replace(tzinfo=None)
        offset_from = state[0]
        state = _zone_state(change, zone)
        observances.setdefault((offset_from, *state), []).append(onset)
        cursor = change

    timezone = Timezone()
    timezone.add("tzid", tzid)
    for (offset_from, offset_to, name, daylight), onsets in observances.items():
        observance = TimezoneDaylight() if daylight else TimezoneStandard()
        observance.add("dtstart", onsets[0])
        if onsets[1:]:
            observance.add("rdate", onsets[1:])
        observance.add("tzoffsetfrom", offset_from)
        observance.add("tzoffsetto", offset_to)
        observance.add("tzname", name)
        timezone.add_component(observance)
    return timezone


def _zone_state(instant: datetime, zone: ZoneInfo) -> tuple[timedelta, str, bool]:
    local = instant.astimezone(zone)
    offset = local.utcoffset()
    assert offset is not None  # a ZoneInfo always has an offset
    # Europe/Dublin's winter has a negative DST in tzdata; any non-zero dst() is DAYLIGHT.
    return offset, local.tzname() or str(offset), bool(local.dst())


def _start(item: ExportItem) -> datetime | None:
    if item.day is None or item.start_time is None:
        return None
    return _local(item.day, item.start_time, item.timezone)


def _end(item: ExportItem, start: datetime) -> datetime | None:
    if item.day is None or item.start_time is None or item.end_time is None:
        return None
    next_day = item.end_time < item.start_time
    end = _local(item.day + timedelta(days=next_day), item.end_time, item.timezone)
    # Aware datetimes sharing a tzinfo compare by wall time, so compare instants explicitly. An
    # end equal to the start, or a start inside a spring-forward gap (read with the pre-gap
    # offset) followed by an end just after it, would give DTEND <= DTSTART, which RFC 5545
    # forbids; such an item is exported as an instant, like one without an end.
    if end.astimezone(UTC) <= start.astimezone(UTC):
        return None
    return end


def _local(day: date, wall: time, zone: str) -> datetime:
    # An iCalendar DATE-TIME has whole seconds and no way to say "the second 01:30"; dropping
    # sub-seconds and fold here keeps the three formats describing the same instant.
    wall = wall.replace(microsecond=0, tzinfo=None, fold=0)
    return datetime.combine(day, wall, tzinfo=ZoneInfo(zone))


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        # astimezone() would silently read a naive value as the server's local time.
        raise ValueError("updated_at must be timezone-aware")
    return moment.astimezone(UTC)


def _text(value: str) -> str:
    # icalendar writes CR LF and a lone CR as an escaped LF, and XML parsers read both as LF;
    # normalising here keeps the three formats equal.
    return _NOT_XML_CHAR.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _optional_text(value: str | None) -> str | None:
    if value is None:
        return None
    return _text(value) or None


def _plain_number(value: float) -> str:
    # repr() is the shortest exact form; Decimal drops the exponent without adding digits.
    return format(Decimal(repr(value)), "f")


def _child(parent: ET.Element, tag: str, text: str | None) -> None:
    value = _optional_text(text)
    if value is not None:
        ET.SubElement(parent, tag).text = value


def _folder(document: ET.Element, name: str, items: Iterable[ExportItem]) -> None:
    folder = ET.SubElement(document, "Folder")
    _child(folder, "name", name)
    for item in items:
        if item.lat is None or item.lon is None:
            continue
        placemark = ET.SubElement(folder, "Placemark", id=f"item-{item.id}")
        # KML's schema orders Feature children: name, address, description, then the geometry.
        _child(placemark, "name", item.title)
        _child(placemark, "address", item.location)
        _child(placemark, "description", item.notes)
        point = ET.SubElement(placemark, "Point")
        coordinates = f"{_plain_number(item.lon)},{_plain_number(item.lat)}"
        ET.SubElement(point, "coordinates").text = coordinates
