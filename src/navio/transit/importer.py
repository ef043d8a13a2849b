"""What `navio import gtfs` reads from a feed before storing it: the agency's time zone, the
calendar's first and last days, the stops, and a validation report from compiling its first
service day (a feed that does not compile is refused unless the operator says --lenient)."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from navio.kernel.money import currency_exponent, is_currency
from navio.transit.gtfs import GtfsError, ValidationReport, load_timetable


@dataclass(frozen=True)
class FeedSummary:
    sha256: str
    timezone: str
    starts_on: date | None
    ends_on: date | None
    stops: list[tuple[str, str, float, float]]  # stop_id, name, lat, lon
    report: ValidationReport
    compiled_day: date | None
    fare: dict[str, Any] | None = None  # a flat fare (see `flat_fare`), when the feed has one


def _rows(zf: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    if name not in zf.namelist():
        return []
    with zf.open(name) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        return [
            {k.strip(): (v or "").strip() for k, v in row.items() if k}
            for row in csv.DictReader(text)
        ]


def _day(text: str) -> date | None:
    text = text.strip()
    if len(text) != 8 or not text.isdigit():
        return None
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def summarise(path: Path) -> FeedSummary:
    """Read the feed; GtfsError (with the report) when it is not a usable GTFS zip."""
    data = path.read_bytes()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        report = ValidationReport()
        report.problem("not a readable zip", str(path), fatal=True)
        raise GtfsError(report) from exc
    with zf:
        agencies = _rows(zf, "agency.txt")
        timezone = next((a["agency_timezone"] for a in agencies if a.get("agency_timezone")), "UTC")
        days: list[date] = []
        for row in _rows(zf, "calendar.txt"):
            days += [
                d for d in (_day(row.get("start_date", "")), _day(row.get("end_date", ""))) if d
            ]
        for row in _rows(zf, "calendar_dates.txt"):
            found = _day(row.get("date", ""))
            if found and row.get("exception_type") == "1":
                days.append(found)
        fare = flat_fare(_rows(zf, "fare_attributes.txt"), _rows(zf, "fare_rules.txt"))
        stops = []
        for row in _rows(zf, "stops.txt"):
            try:
                stops.append(
                    (
                        row["stop_id"],
                        row.get("stop_name", ""),
                        float(row["stop_lat"]),
                        float(row["stop_lon"]),
                    )
                )
            except (KeyError, ValueError):
                continue
    starts_on, ends_on = (min(days), max(days)) if days else (None, None)
    compiled_day = _first_service_day(starts_on, ends_on)
    report = load_timetable(path, compiled_day).report if compiled_day else ValidationReport()
    return FeedSummary(
        sha256=hashlib.sha256(data).hexdigest(),
        timezone=timezone,
        starts_on=starts_on,
        ends_on=ends_on,
        stops=stops,
        report=report,
        fare=fare,
        compiled_day=compiled_day,
    )


def _first_service_day(starts_on: date | None, ends_on: date | None) -> date | None:
    """A weekday near the start of the calendar (weekday timetables are the fullest)."""
    if starts_on is None or ends_on is None:
        return None
    day = starts_on
    while day.weekday() >= 5 and day < ends_on:
        day = date.fromordinal(day.toordinal() + 1)
    return day


def flat_fare(
    attributes: list[dict[str, str]], rules: list[dict[str, str]]
) -> dict[str, Any] | None:
    """The feed's fare when it is one price for every ride (GTFS fare_attributes.txt with a
    single price and currency, no zone or route rules): {price_minor, currency, transfers
    (None: unlimited), transfer_seconds}. None otherwise (no fares, or fares that depend on
    routes or zones, which Navio does not price yet)."""
    fares = {
        (row.get("price", "").strip(), row.get("currency_type", "").strip().upper())
        for row in attributes
    }
    if len(fares) != 1 or any(r.get("route_id") or r.get("origin_id") for r in rules):
        return None
    ((price, currency),) = fares
    if not is_currency(currency):
        return None
    try:
        amount = Decimal(price)
    except InvalidOperation:
        return None
    if amount < 0:
        return None
    transfers = {row.get("transfers", "").strip() for row in attributes}
    durations = {row.get("transfer_duration", "").strip() for row in attributes}
    allowed = transfers.pop() if len(transfers) == 1 else "0"
    duration = durations.pop() if len(durations) == 1 else ""
    return {
        "price_minor": int(amount.scaleb(currency_exponent(currency))),
        "currency": currency,
        "transfers": int(allowed) if allowed.isdigit() else None,
        "transfer_seconds": int(duration) if duration.isdigit() else None,
    }


def report_dict(report: ValidationReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "counts": dict(report.counts),
        "issues": [
            {"kind": i.kind, "count": i.count, "fatal": i.fatal, "examples": i.examples[:5]}
            for i in report.issues.values()
        ],
    }
