"""Price seasonality learnt from real hotel bookings: monthly, weekend and holiday multipliers.

Data
----
``hotel_bookings.csv`` is a 14,938-row extract of Antonio, Almeida & Nunes (2019), "Hotel booking
demand datasets", *Data in Brief* 22, 41-49 (doi:10.1016/j.dib.2018.11.126), licensed CC-BY 4.0:
real bookings of a resort hotel in the Algarve ("Resort Hotel") and a city hotel in Lisbon
("City Hotel"), both in Portugal. Each row is one booking with its arrival date, the number of
weekend and week nights, and ``adr``, the average daily rate in EUR. The ``country`` column is the
*guest's* country and is not used; the hotels' country is the ``country`` argument of `learn`
(default ``"PT"``), used for public holidays only. Attribution is kept in `SeasonModel.source`
and in every `SeasonProfile.basis`.

Method
------
* Rows. A row with a missing required column value or an unparsable number or date is skipped
  and counted (`SeasonModel.rows_skipped`); input without the required columns at all raises
  `ValueError`. Bookings with ``adr <= 0`` (complimentary stays), ``adr > 5000`` (implausible) or
  zero nights are left out (`SeasonModel.rows_filtered`).
* Cancellations. Only bookings with ``is_canceled == "0"`` are used by default: a cancelled
  stay did not happen, and its ``adr`` is a quote, not a price paid. In this extract that more
  than halves the data: 8,000 of the 14,938 rows are cancelled (7,793) or no-shows (207), and
  with the filters 6,693 bookings (25,987 nights) remain, against 14,627 bookings (59,769 nights)
  with cancellations. The cancelled rows are unevenly spread (78 % of the resort's 2016 rows and
  223 of its 224 rows of 2017), so including them would let cancellation behaviour shape the
  seasons; it would move the resort's January from 1.08 to 0.74 and its August from 1.91 to
  2.09. They are counted in `SeasonModel.rows_canceled`; ``include_canceled=True`` uses them.
* Nights. A booking covers the nights arrival, arrival + 1 day, ... (weekend + week nights in
  all); the booking's ``adr`` is applied to each night with equal weight. A night is named by the
  date on which it starts; a Friday or Saturday night is a weekend night.
* Segments. ``"City Hotel"`` -> ``"city"``, ``"Resort Hotel"`` -> ``"resort"``, any other hotel
  name lower-cased; ``"all"`` pools the nights of every hotel (so it mixes hotel composition
  into the seasons: in this extract the city hotel only has stays from July to October 2015,
  so ``"all"`` is resort-only in the other months).
* Monthly multipliers. For each calendar month, the mean ``adr`` of the nights in that month,
  divided by the mean of the monthly means of the months with nights. Months with few nights are
  shrunk towards 1.0: ``m' = (n * m + k) / (n + k)`` with ``n`` the month's nights and
  ``k = SHRINK_NIGHTS = 30`` nights (a month with no nights gets 1.0, a month with 30 nights
  moves half-way to 1.0). The 12 shrunk values are finally divided by their mean, so they always
  average exactly 1.0.
* Weekend multiplier. Within each month of each year (to remove seasonality and year-to-year
  drift), the mean ``adr`` of Friday/Saturday nights over that of the other nights; the ratios are
  averaged weighted by the month's weekend nights and shrunk towards 1.0 like the months.
* Holiday multiplier. A night that falls on a public holiday of ``country`` (national holidays of
  the ``holidays`` package, no regional ones) or on its eve is a holiday night. Within each month
  of each year, the mean ``adr`` of holiday nights over that of the other nights; averaged
  weighted by holiday nights and shrunk towards 1.0 with ``n`` = the holiday nights it rests on.

Transfer (`profile`)
--------------------
The model is applied to other destinations by assumption, with lower confidence: 0.9 for the
model's own country, 0.5 for another country in the same hemisphere, 0.35 when the months are
shifted by six (southern hemisphere, ``lat < 0``) or flattened half-way towards 1.0 (within 10
degrees of the equator, where seasons are driven by rain rather than by the northern summer).
Holidays of the destination come from the ``holidays`` package for the requested year.

Limitations
-----------
Two hotels in one country, stays of 2015-2017 only. The city hotel is observed from July to
October 2015 only, so its other eight months are the prior (1.0 before normalisation), which
makes Lisbon look less seasonal than it is. Thin months are noisy: 153 of the resort's 251
January nights are the nights of 1-3 January 2016 (New Year stays, 115 EUR on average against
42 EUR for the other January nights), which lifts its January (1.08) well above February (0.64).
``adr`` is a per-booking average, so weekend and holiday effects are diluted by the other nights
of the same booking and are lower bounds. The month means already contain the usual share of
weekend and holiday nights, so month x weekend x holiday double-counts slightly (a few per cent).
Room type, meal plan and party size are not controlled for. Every transfer to another country,
hemisphere or climate is an assumption, and the confidence says so.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import holidays
import numpy as np
import numpy.typing as npt

__all__ = [
    "MAX_ADR",
    "REQUIRED_COLUMNS",
    "SHRINK_NIGHTS",
    "HolidaySeason",
    "MonthSeason",
    "SeasonModel",
    "SeasonProfile",
    "SegmentSeason",
    "learn",
    "learn_file",
    "mean_multiplier",
    "night_multipliers",
    "profile",
]

REQUIRED_COLUMNS: Final[tuple[str, ...]] = (
    "hotel",
    "is_canceled",
    "arrival_date_year",
    "arrival_date_month",
    "arrival_date_day_of_month",
    "stays_in_weekend_nights",
    "stays_in_week_nights",
    "adr",
)
SHRINK_NIGHTS: Final = 30.0
"""Prior weight, in nights, of the multiplier 1.0 when shrinking months and holidays."""
MAX_ADR: Final = 5000.0
"""Average daily rates above this (EUR) are treated as data errors and left out."""

CONFIDENCE_SAME_COUNTRY: Final = 0.9
CONFIDENCE_OTHER_COUNTRY: Final = 0.5
CONFIDENCE_SHIFTED: Final = 0.35
TROPICAL_LATITUDE: Final = 10.0
TROPICAL_FLATTENING: Final = 0.5

ALL_SEGMENT: Final = "all"
_HOTEL_SEGMENTS: Final[Mapping[str, str]] = {"City Hotel": "city", "Resort Hotel": "resort"}
_MONTH_NAMES: Final[tuple[str, ...]] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTH_NUMBER: Final[Mapping[str, int]] = {
    name.lower(): number for number, name in enumerate(_MONTH_NAMES, start=1)
}
_EPOCH_ORDINAL: Final = dt.date(1970, 1, 1).toordinal()
_WEEKEND_WEEKDAYS: Final = (4, 5)  # nights starting on Friday or Saturday (Monday = 0)
_HOLIDAY_LANGUAGE: Final = "en_US"
_DECIMALS: Final = 4

Hemisphere = Literal["north", "south"]
_FloatArray = npt.NDArray[np.float64]
_IntArray = npt.NDArray[np.int64]
_BoolArray = npt.NDArray[np.bool_]


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SegmentSeason:
    """Multipliers learnt for one segment (``"city"``, ``"resort"``, ``"all"``, ...)."""

    name: str
    monthly_multipliers: tuple[float, ...]
    """12 values, January first; they average 1.0."""
    monthly_nights: tuple[int, ...]
    """Nights observed in each calendar month (all years)."""
    weekend_multiplier: float
    weekend_nights: int
    """Friday/Saturday nights in months that also have other nights (the estimate's basis)."""
    holiday_multiplier: float
    holiday_nights: int
    """Holiday and holiday-eve nights in months that also have other nights."""
    bookings: int

    @property
    def nights(self) -> int:
        return sum(self.monthly_nights)

    def to_dict(self) -> dict[str, Any]:
        return {
            "monthly_multipliers": [_round(m) for m in self.monthly_multipliers],
            "monthly_nights": list(self.monthly_nights),
            "weekend_multiplier": _round(self.weekend_multiplier),
            "weekend_nights": self.weekend_nights,
            "holiday_multiplier": _round(self.holiday_multiplier),
            "holiday_nights": self.holiday_nights,
            "bookings": self.bookings,
        }

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> SegmentSeason:
        multipliers = tuple(
            _as_float(v, "monthly_multipliers") for v in _as_list(data, "monthly_multipliers")
        )
        nights = tuple(_as_int(v, "monthly_nights") for v in _as_list(data, "monthly_nights"))
        if len(multipliers) != 12 or len(nights) != 12:
            raise ValueError(f"segment {name!r}: expected 12 monthly values")
        return cls(
            name=name,
            monthly_multipliers=multipliers,
            monthly_nights=nights,
            weekend_multiplier=_as_float(data.get("weekend_multiplier"), "weekend_multiplier"),
            weekend_nights=_as_int(data.get("weekend_nights"), "weekend_nights"),
            holiday_multiplier=_as_float(data.get("holiday_multiplier"), "holiday_multiplier"),
            holiday_nights=_as_int(data.get("holiday_nights"), "holiday_nights"),
            bookings=_as_int(data.get("bookings"), "bookings"),
        )


@dataclass(frozen=True)
class SeasonModel:
    """What `learn` found; JSON-safe through `to_dict` / `from_dict`."""

    source: str
    country: str
    hemisphere: Hemisphere
    years: tuple[int, ...]
    """Calendar years of the nights used."""
    rows_used: int
    rows_skipped: int
    """Rows with missing values or unparsable numbers/dates."""
    rows_canceled: int
    """Well-formed rows left out because the booking was cancelled."""
    rows_filtered: int
    """Well-formed rows left out for adr <= 0, adr > MAX_ADR or zero nights."""
    include_canceled: bool
    segments: tuple[SegmentSeason, ...]
    """``"all"`` first, then the hotel segments in name order."""

    @property
    def segment_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.segments)

    def segment(self, name: str) -> SegmentSeason:
        for season in self.segments:
            if season.name == name:
                return season
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "country": self.country,
            "hemisphere": self.hemisphere,
            "years": list(self.years),
            "rows_used": self.rows_used,
            "rows_skipped": self.rows_skipped,
            "rows_canceled": self.rows_canceled,
            "rows_filtered": self.rows_filtered,
            "include_canceled": self.include_canceled,
            "shrink_nights": SHRINK_NIGHTS,
            "segments": {s.name: s.to_dict() for s in self.segments},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SeasonModel:
        hemisphere = data.get("hemisphere")
        if hemisphere not in ("north", "south"):
            raise ValueError(f"hemisphere must be 'north' or 'south', not {hemisphere!r}")
        segments = data.get("segments")
        if not isinstance(segments, Mapping) or not segments:
            raise ValueError("segments must be a non-empty mapping")
        include_canceled = data.get("include_canceled", False)
        if not isinstance(include_canceled, bool):
            raise ValueError("include_canceled must be a boolean")
        return cls(
            source=_as_str(data.get("source"), "source"),
            country=_as_str(data.get("country"), "country"),
            hemisphere=hemisphere,
            years=tuple(_as_int(y, "years") for y in _as_list(data, "years")),
            rows_used=_as_int(data.get("rows_used"), "rows_used"),
            rows_skipped=_as_int(data.get("rows_skipped"), "rows_skipped"),
            rows_canceled=_as_int(data.get("rows_canceled", 0), "rows_canceled"),
            rows_filtered=_as_int(data.get("rows_filtered", 0), "rows_filtered"),
            include_canceled=include_canceled,
            segments=tuple(
                SegmentSeason.from_dict(_as_str(name, "segment name"), _as_mapping(body, name))
                for name, body in segments.items()
            ),
        )


# --------------------------------------------------------------------------------------------
# Learning
# --------------------------------------------------------------------------------------------


class _RowError(ValueError):
    pass


@dataclass(frozen=True)
class _Booking:
    segment: str
    canceled: bool
    arrival_day: int  # days since 1970-01-01
    nights: int
    adr: float


def learn(
    rows: Iterable[Mapping[str, str]],
    *,
    country: str = "PT",
    source: str,
    include_canceled: bool = False,
    hemisphere: Hemisphere = "north",
) -> SeasonModel:
    """Learn monthly, weekend and holiday multipliers from booking rows (see the module doc).

    ``country`` is the hotels' country (ISO 3166-1 alpha-2), used for public holidays; ``source``
    names the data for attribution. Raises `ValueError` when no row has the required columns,
    when no booking is usable, or when ``country`` is unknown to the ``holidays`` package.
    """
    country = country.upper()
    bookings: list[_Booking] = []
    skipped = canceled = filtered = 0
    missing_columns: set[str] | None = None
    saw_columns = False
    for row in rows:
        absent = {c for c in REQUIRED_COLUMNS if c not in row}
        if absent:
            missing_columns = absent if missing_columns is None else missing_columns
            skipped += 1
            continue
        saw_columns = True
        try:
            booking = _parse_row(row)
        except _RowError:
            skipped += 1
            continue
        if booking.canceled and not include_canceled:
            canceled += 1
        elif booking.adr <= 0.0 or booking.adr > MAX_ADR or booking.nights == 0:
            filtered += 1
        else:
            bookings.append(booking)
    if not saw_columns:
        if missing_columns is None:
            raise ValueError(f"{source}: no rows")
        raise ValueError(
            f"{source}: required column(s) missing: {', '.join(sorted(missing_columns))} "
            f"(required: {', '.join(REQUIRED_COLUMNS)})"
        )
    if not bookings:
        raise ValueError(
            f"{source}: no usable booking ({skipped} skipped, {canceled} cancelled, "
            f"{filtered} with adr <= 0, adr > {MAX_ADR:g} or no nights)"
        )

    nights = _expand_nights(bookings)
    years = sorted({int(y) for y in np.unique(nights.year)})
    holiday_days = _holiday_days(country, range(years[0], years[-1] + 2))
    is_holiday = np.isin(nights.day, holiday_days) | np.isin(nights.day + 1, holiday_days)
    is_weekend = np.isin(nights.weekday, _WEEKEND_WEEKDAYS)

    segment_names = sorted({b.segment for b in bookings})
    booking_segments = np.array([b.segment for b in bookings])
    segments = [_segment_season(ALL_SEGMENT, nights, is_weekend, is_holiday, len(bookings))]
    for name in segment_names:
        if name == ALL_SEGMENT:
            continue
        selected = nights.segment == name
        segments.append(
            _segment_season(
                name,
                nights.select(selected),
                is_weekend[selected],
                is_holiday[selected],
                int(np.count_nonzero(booking_segments == name)),
            )
        )
    return SeasonModel(
        source=source,
        country=country,
        hemisphere=hemisphere,
        years=tuple(years),
        rows_used=len(bookings),
        rows_skipped=skipped,
        rows_canceled=canceled,
        rows_filtered=filtered,
        include_canceled=include_canceled,
        segments=tuple(segments),
    )


def learn_file(path: Path, *, country: str = "PT", include_canceled: bool = False) -> SeasonModel:
    """`learn` from a CSV file with a header row; ``source`` is the file name."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames
        if header is None:
            raise ValueError(f"{path.name}: empty file, no header row")
        absent = [c for c in REQUIRED_COLUMNS if c not in header]
        if absent:
            raise ValueError(
                f"{path.name}: required column(s) missing: {', '.join(absent)} "
                f"(required: {', '.join(REQUIRED_COLUMNS)})"
            )
        return learn(reader, country=country, source=path.name, include_canceled=include_canceled)


def _parse_row(row: Mapping[str, str]) -> _Booking:
    hotel = _text(row, "hotel")
    canceled_text = _text(row, "is_canceled")
    if canceled_text not in ("0", "1"):
        raise _RowError("is_canceled")
    month = _MONTH_NUMBER.get(_text(row, "arrival_date_month").lower())
    if month is None:
        raise _RowError("arrival_date_month")
    try:
        arrival = dt.date(
            _int(row, "arrival_date_year"), month, _int(row, "arrival_date_day_of_month")
        )
    except ValueError as exc:  # out-of-range date
        raise _RowError("arrival date") from exc
    weekend_nights = _int(row, "stays_in_weekend_nights")
    week_nights = _int(row, "stays_in_week_nights")
    if weekend_nights < 0 or week_nights < 0:
        raise _RowError("negative nights")
    try:
        adr = float(_text(row, "adr"))
    except ValueError as exc:
        raise _RowError("adr") from exc
    if not math.isfinite(adr):
        raise _RowError("adr")
    return _Booking(
        segment=_HOTEL_SEGMENTS.get(hotel, hotel.lower()),
        canceled=canceled_text == "1",
        arrival_day=arrival.toordinal() - _EPOCH_ORDINAL,
        nights=weekend_nights + week_nights,
        adr=adr,
    )


def _text(row: Mapping[str, str], column: str) -> str:
    value: object = row.get(column)
    if not isinstance(value, str) or not value.strip():
        raise _RowError(column)
    return value.strip()


def _int(row: Mapping[str, str], column: str) -> int:
    try:
        return int(_text(row, column))
    except ValueError as exc:
        raise _RowError(column) from exc


@dataclass(frozen=True)
class _Nights:
    """One entry per night: its day (since 1970-01-01), calendar fields, adr and segment."""

    day: _IntArray
    year: _IntArray
    month: _IntArray  # 0 = January
    weekday: _IntArray  # 0 = Monday
    adr: _FloatArray
    segment: npt.NDArray[np.str_]

    def select(self, mask: _BoolArray) -> _Nights:
        return _Nights(
            day=self.day[mask],
            year=self.year[mask],
            month=self.month[mask],
            weekday=self.weekday[mask],
            adr=self.adr[mask],
            segment=self.segment[mask],
        )


def _expand_nights(bookings: Sequence[_Booking]) -> _Nights:
    counts = np.fromiter((b.nights for b in bookings), dtype=np.int64, count=len(bookings))
    arrivals = np.fromiter((b.arrival_day for b in bookings), dtype=np.int64, count=len(bookings))
    adrs = np.fromiter((b.adr for b in bookings), dtype=np.float64, count=len(bookings))
    segments = np.array([b.segment for b in bookings])
    owner = np.repeat(np.arange(len(bookings)), counts)
    first_night = np.repeat(np.cumsum(counts) - counts, counts)
    day = arrivals[owner] + (np.arange(owner.size, dtype=np.int64) - first_night)
    as_date = day.astype("datetime64[D]")
    return _Nights(
        day=day,
        year=as_date.astype("datetime64[Y]").astype(np.int64) + 1970,
        month=as_date.astype("datetime64[M]").astype(np.int64) % 12,
        weekday=(day + 3) % 7,  # 1970-01-01 was a Thursday
        adr=adrs[owner],
        segment=segments[owner],
    )


def _holiday_days(country: str, years: Iterable[int]) -> _IntArray:
    try:
        calendar = holidays.country_holidays(country, years=list(years))
    except NotImplementedError as exc:
        raise ValueError(f"country {country!r} is unknown to the holidays package") from exc
    return np.array(sorted(d.toordinal() - _EPOCH_ORDINAL for d in calendar), dtype=np.int64)


def _shrink(value: float, nights: float) -> float:
    return (nights * value + SHRINK_NIGHTS) / (nights + SHRINK_NIGHTS)


def _monthly_multipliers(month: _IntArray, adr: _FloatArray) -> tuple[_FloatArray, _IntArray]:
    nights = np.bincount(month, minlength=12).astype(np.int64)
    sums = np.bincount(month, weights=adr, minlength=12)
    observed = nights > 0
    raw = np.ones(12, dtype=np.float64)
    means = sums[observed] / nights[observed]
    raw[observed] = means / means.mean()
    shrunk = (nights * raw + SHRINK_NIGHTS) / (nights + SHRINK_NIGHTS)
    return shrunk / shrunk.mean(), nights


def _within_month_ratio(nights: _Nights, flag: _BoolArray) -> tuple[float, int]:
    """Weighted mean over year-months of mean(adr | flag) / mean(adr | not flag).

    Weights are the flagged nights of each year-month; year-months lacking either kind are
    left out. Returns the ratio (1.0 without any comparable month) and the flagged nights used.
    """
    _, stratum = np.unique(nights.year * 12 + nights.month, return_inverse=True)
    size = int(stratum.max()) + 1 if stratum.size else 0
    flagged_n = np.bincount(stratum[flag], minlength=size)
    other_n = np.bincount(stratum[~flag], minlength=size)
    flagged_sum = np.bincount(stratum[flag], weights=nights.adr[flag], minlength=size)
    other_sum = np.bincount(stratum[~flag], weights=nights.adr[~flag], minlength=size)
    both = (flagged_n > 0) & (other_n > 0)
    if not both.any():
        return 1.0, 0
    ratios = (flagged_sum[both] / flagged_n[both]) / (other_sum[both] / other_n[both])
    weights = flagged_n[both]
    return float(np.average(ratios, weights=weights)), int(weights.sum())


def _segment_season(
    name: str, nights: _Nights, is_weekend: _BoolArray, is_holiday: _BoolArray, bookings: int
) -> SegmentSeason:
    multipliers, month_nights = _monthly_multipliers(nights.month, nights.adr)
    weekend, weekend_nights = _within_month_ratio(nights, is_weekend)
    holiday, holiday_nights = _within_month_ratio(nights, is_holiday)
    return SegmentSeason(
        name=name,
        monthly_multipliers=tuple(float(m) for m in multipliers),
        monthly_nights=tuple(int(n) for n in month_nights),
        weekend_multiplier=_shrink(weekend, weekend_nights),
        weekend_nights=weekend_nights,
        holiday_multiplier=_shrink(holiday, holiday_nights),
        holiday_nights=holiday_nights,
        bookings=bookings,
    )


# --------------------------------------------------------------------------------------------
# Profiles for destinations
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthSeason:
    month: int
    multiplier: float
    nights_observed: int
    """Nights behind the multiplier (of the model month it was taken from)."""


@dataclass(frozen=True)
class HolidaySeason:
    date: dt.date
    name: str
    multiplier: float


@dataclass(frozen=True)
class SeasonProfile:
    """Season multipliers for one destination and year, with how far to trust them."""

    country_code: str | None
    year: int
    segment: str
    months: tuple[MonthSeason, ...]
    weekend_multiplier: float
    holiday_multiplier: float
    holidays: tuple[HolidaySeason, ...]
    confidence: float
    basis: str

    def month_multiplier(self, month: int) -> float:
        return self.months[month - 1].multiplier

    def to_dict(self) -> dict[str, Any]:
        return {
            "country_code": self.country_code,
            "year": self.year,
            "segment": self.segment,
            "months": [
                {
                    "month": m.month,
                    "multiplier": _round(m.multiplier),
                    "nights_observed": m.nights_observed,
                }
                for m in self.months
            ],
            "weekend_multiplier": _round(self.weekend_multiplier),
            "holiday_multiplier": _round(self.holiday_multiplier),
            "holidays": [
                {"date": h.date.isoformat(), "name": h.name, "multiplier": _round(h.multiplier)}
                for h in self.holidays
            ],
            "confidence": _round(self.confidence),
            "basis": self.basis,
        }


def profile(
    model: SeasonModel,
    *,
    country_code: str | None,
    lat: float | None,
    year: int,
    segment: str = "city",
) -> SeasonProfile:
    """The season profile of a destination (see "Transfer" in the module doc).

    ``lat`` None means unknown: the model's hemisphere is assumed and nothing is flattened. An
    unknown ``segment`` falls back to ``"all"``; an unknown or missing ``country_code`` gives no
    holidays. Both are said in ``basis``.
    """
    if lat is not None and not -90.0 <= lat <= 90.0:
        raise ValueError(f"latitude {lat} outside [-90, 90]")
    code = country_code.strip().upper() if country_code and country_code.strip() else None
    notes: list[str] = []

    if segment in model.segment_names:
        season = model.segment(segment)
    else:
        season = (
            model.segment(ALL_SEGMENT) if ALL_SEGMENT in model.segment_names else model.segments[0]
        )
        notes.append(f"segment {segment!r} not in the model, used {season.name!r}")

    hemisphere: Hemisphere = model.hemisphere if lat is None else ("south" if lat < 0 else "north")
    shifted = hemisphere != model.hemisphere
    flattened = lat is not None and abs(lat) <= TROPICAL_LATITUDE
    months: list[MonthSeason] = []
    for index in range(12):
        source_index = (index + 6) % 12 if shifted else index
        multiplier = season.monthly_multipliers[source_index]
        if flattened:
            multiplier = 1.0 + (multiplier - 1.0) * TROPICAL_FLATTENING
        months.append(MonthSeason(index + 1, multiplier, season.monthly_nights[source_index]))

    years = f"{model.years[0]}-{model.years[-1]}" if model.years else "unknown years"
    kind = "hotel bookings" if model.include_canceled else "non-cancelled hotel bookings"
    basis = (
        f"learnt from {model.rows_used:,} {kind} in {model.country} "
        f"({model.source}, nights {years}; Antonio, Almeida & Nunes 2019, CC-BY 4.0), "
        f"segment {season.name!r} ({season.nights:,} nights)"
    )
    if code == model.country:
        confidence = CONFIDENCE_SAME_COUNTRY
    else:
        confidence = CONFIDENCE_OTHER_COUNTRY
        notes.append(f"transferred to {code or 'an unspecified country'} by assumption")
    if lat is None:
        notes.append(f"latitude unknown, {model.hemisphere}ern hemisphere assumed")
    if shifted:
        notes.append(f"months shifted by 6 for the {hemisphere}ern hemisphere (lat {lat:g})")
    if flattened:
        notes.append(
            f"seasons flattened half-way to 1.0 within {TROPICAL_LATITUDE:g} degrees of the "
            f"equator (lat {lat:g}): tropical seasons follow rain, not the northern summer"
        )
    if shifted or flattened:
        confidence = CONFIDENCE_SHIFTED
    thin = [_MONTH_NAMES[m.month - 1][:3] for m in months if m.nights_observed < SHRINK_NIGHTS]
    if thin:
        notes.append(
            f"{len(thin)} month(s) with fewer than {SHRINK_NIGHTS:g} observed nights "
            f"({', '.join(thin)}) are mostly the prior 1.0"
        )

    found: tuple[HolidaySeason, ...] = ()
    if code is None:
        notes.append("no country code, so no public holidays")
    else:
        try:
            calendar = holidays.country_holidays(code, years=year, language=_HOLIDAY_LANGUAGE)
        except NotImplementedError:
            notes.append(f"no public holidays: country {code!r} is unknown to the holidays package")
        else:
            found = tuple(
                HolidaySeason(day, str(name), season.holiday_multiplier)
                for day, name in sorted(calendar.items())
            )
            notes.append(f"{len(found)} public holidays of {code} in {year} (holidays package)")

    return SeasonProfile(
        country_code=code,
        year=year,
        segment=season.name,
        months=tuple(months),
        weekend_multiplier=season.weekend_multiplier,
        holiday_multiplier=season.holiday_multiplier,
        holidays=found,
        confidence=confidence,
        basis="; ".join([basis, *notes]),
    )


def night_multipliers(profile: SeasonProfile, nights: Sequence[dt.date]) -> list[float]:
    """Per night (named by the date it starts): month x weekend (Friday/Saturday night) x holiday
    (the night is on a holiday of the profile or on its eve). Only the profile's holidays count,
    i.e. those of ``profile.year``."""
    holiday_dates = {h.date for h in profile.holidays}
    one_day = dt.timedelta(days=1)
    result: list[float] = []
    for night in nights:
        multiplier = profile.months[night.month - 1].multiplier
        if night.weekday() in _WEEKEND_WEEKDAYS:
            multiplier *= profile.weekend_multiplier
        if night in holiday_dates or night + one_day in holiday_dates:
            multiplier *= profile.holiday_multiplier
        result.append(multiplier)
    return result


def mean_multiplier(profile: SeasonProfile, nights: Sequence[dt.date]) -> float:
    """Mean of `night_multipliers`; raises `ValueError` for no nights."""
    if not nights:
        raise ValueError("no nights")
    values = night_multipliers(profile, nights)
    return math.fsum(values) / len(values)


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _round(value: float) -> float:
    return round(float(value), _DECIMALS)


def _as_list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list | tuple):
        raise ValueError(f"{key} must be a list")
    return list(value)


def _as_mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} must be a mapping")
    return value


def _as_str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string")
    return value


def _as_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be an integer")
    return value


def _as_float(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number")
    return float(value)
