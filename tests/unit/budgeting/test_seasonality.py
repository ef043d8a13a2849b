"""Seasonality learnt from the real hotel bookings (Antonio, Almeida & Nunes 2019, CC-BY 4.0).

The reference figures below are recomputed here in plain Python, independently of the numpy code
under test, from the same file."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from navio.budgeting.seasonality import (
    REQUIRED_COLUMNS,
    SHRINK_NIGHTS,
    SeasonModel,
    learn,
    learn_file,
    mean_multiplier,
    night_multipliers,
    profile,
)

DATA = Path("/work/shared/data/pricing/hotel_bookings.csv")
TOTAL_ROWS = 14_938
MONTHS = [dt.date(2000, m, 1).strftime("%B") for m in range(1, 13)]
SEGMENTS = {"City Hotel": "city", "Resort Hotel": "resort"}

pytestmark = pytest.mark.skipif(not DATA.exists(), reason=f"{DATA} not available")


@pytest.fixture(scope="module")
def model() -> SeasonModel:
    return learn_file(DATA)


@pytest.fixture(scope="module")
def reference_nights() -> dict[str, list[tuple[dt.date, float]]]:
    """Every night of every usable non-cancelled booking, per segment, in plain Python."""
    nights: dict[str, list[tuple[dt.date, float]]] = defaultdict(list)
    with DATA.open(newline="") as handle:
        for row in csv.DictReader(handle):
            adr = float(row["adr"])
            count = int(row["stays_in_weekend_nights"]) + int(row["stays_in_week_nights"])
            if row["is_canceled"] != "0" or not 0 < adr <= 5000 or count == 0:
                continue
            arrival = dt.date(
                int(row["arrival_date_year"]),
                MONTHS.index(row["arrival_date_month"]) + 1,
                int(row["arrival_date_day_of_month"]),
            )
            for offset in range(count):
                night = (arrival + dt.timedelta(days=offset), adr)
                nights[SEGMENTS[row["hotel"]]].append(night)
                nights["all"].append(night)
    return nights


def reference_monthly(nights: list[tuple[dt.date, float]]) -> list[float]:
    sums = [0.0] * 12
    counts = [0] * 12
    for day, adr in nights:
        sums[day.month - 1] += adr
        counts[day.month - 1] += 1
    means = [s / c for s, c in zip(sums, counts, strict=True) if c]
    level = sum(means) / len(means)
    raw = [(s / c) / level if c else 1.0 for s, c in zip(sums, counts, strict=True)]
    shrunk = [
        (c * m + SHRINK_NIGHTS) / (c + SHRINK_NIGHTS) for m, c in zip(raw, counts, strict=True)
    ]
    return [m / (sum(shrunk) / 12) for m in shrunk]


# ---- learning from the real file ------------------------------------------------------------


def test_learns_the_three_segments_and_the_row_counts(model: SeasonModel) -> None:
    assert model.segment_names == ("all", "city", "resort")
    assert model.source == "hotel_bookings.csv"
    assert (model.country, model.hemisphere) == ("PT", "north")
    assert model.years == (2015, 2016, 2017)
    # 7,793 cancelled + 207 no-shows; 245 non-cancelled rows with adr <= 0 or no nights.
    assert (model.rows_used, model.rows_skipped, model.rows_canceled, model.rows_filtered) == (
        6693,
        0,
        8000,
        245,
    )
    assert model.rows_used + model.rows_canceled + model.rows_filtered == TOTAL_ROWS
    assert model.segment("city").bookings + model.segment("resort").bookings == model.rows_used


def test_the_twelve_multipliers_average_one_per_segment(model: SeasonModel) -> None:
    for season in model.segments:
        assert len(season.monthly_multipliers) == 12
        assert sum(season.monthly_multipliers) / 12 == pytest.approx(1.0, abs=1e-6)
        assert all(m > 0 for m in season.monthly_multipliers)


def test_monthly_multipliers_match_a_plain_python_recomputation(
    model: SeasonModel, reference_nights: dict[str, list[tuple[dt.date, float]]]
) -> None:
    for name in ("all", "city", "resort"):
        expected = reference_monthly(reference_nights[name])
        assert model.segment(name).monthly_multipliers == pytest.approx(expected, abs=1e-9)


def test_night_counts_add_up(
    model: SeasonModel, reference_nights: dict[str, list[tuple[dt.date, float]]]
) -> None:
    for name in ("all", "city", "resort"):
        season = model.segment(name)
        assert season.nights == len(reference_nights[name])
        per_month = [0] * 12
        for day, _ in reference_nights[name]:
            per_month[day.month - 1] += 1
        assert list(season.monthly_nights) == per_month
    assert model.segment("all").nights == 25_987
    assert [
        c + r
        for c, r in zip(
            model.segment("city").monthly_nights,
            model.segment("resort").monthly_nights,
            strict=True,
        )
    ] == list(model.segment("all").monthly_nights)
    # The city hotel's stays in this extract run from July to October 2015 only.
    city = model.segment("city").monthly_nights
    assert [m for m in range(1, 13) if city[m - 1]] == [7, 8, 9, 10]


def test_algarve_resort_peaks_in_august_and_is_more_seasonal_than_the_city(
    model: SeasonModel,
) -> None:
    resort = model.segment("resort").monthly_multipliers
    city = model.segment("city").monthly_multipliers
    assert max(resort) == resort[7]  # August
    assert resort[7] == pytest.approx(1.9108, abs=1e-4)
    assert resort[0] == pytest.approx(1.0755, abs=1e-4)  # January, lifted by New Year stays
    assert resort[1] == pytest.approx(0.6445, abs=1e-4)  # February
    assert resort[7] > 1.7 * resort[0]
    assert resort[6] > 1.3 and resort[7] > 1.3  # July and August above the yearly mean
    assert all(resort[m] < 1.0 for m in (1, 2, 3, 4, 9, 10, 11))  # Feb-May, Oct-Dec below it
    assert max(resort) / min(resort) > 2.5
    assert max(resort) / min(resort) > max(city) / min(city)
    assert city[8] == max(city)  # Lisbon: September the dearest of the observed months


def test_weekend_and_holiday_multipliers(model: SeasonModel) -> None:
    expected = {
        "all": (1.0569, 8474, 1.1774, 1240),
        "city": (1.0627, 2799, 1.1333, 283),
        "resort": (1.0397, 5675, 1.2110, 957),
    }
    for name, (weekend, weekend_nights, holiday, holiday_nights) in expected.items():
        season = model.segment(name)
        assert season.weekend_multiplier == pytest.approx(weekend, abs=1e-4)
        assert season.weekend_nights == weekend_nights
        assert season.holiday_multiplier == pytest.approx(holiday, abs=1e-4)
        assert season.holiday_nights == holiday_nights


def test_weekend_multiplier_matches_a_plain_python_recomputation(
    model: SeasonModel, reference_nights: dict[str, list[tuple[dt.date, float]]]
) -> None:
    groups: dict[tuple[int, int], list[list[float]]] = defaultdict(lambda: [[], []])
    for day, adr in reference_nights["resort"]:
        groups[(day.year, day.month)][0 if day.weekday() in (4, 5) else 1].append(adr)
    ratios = [
        (sum(we) / len(we) / (sum(wd) / len(wd)), len(we))
        for we, wd in groups.values()
        if we and wd
    ]
    nights = sum(n for _, n in ratios)
    ratio = sum(r * n for r, n in ratios) / nights
    expected = (nights * ratio + SHRINK_NIGHTS) / (nights + SHRINK_NIGHTS)
    assert model.segment("resort").weekend_multiplier == pytest.approx(expected, abs=1e-9)


def test_including_cancelled_bookings_doubles_the_data() -> None:
    with_canceled = learn_file(DATA, include_canceled=True)
    assert (with_canceled.rows_used, with_canceled.rows_canceled) == (14_627, 0)
    assert with_canceled.rows_filtered == 311
    assert with_canceled.segment("all").nights == 59_769
    resort = with_canceled.segment("resort").monthly_multipliers
    assert resort[0] == pytest.approx(0.7433, abs=1e-4)
    assert resort[7] == pytest.approx(2.0892, abs=1e-4)


def test_round_trip_through_json(model: SeasonModel) -> None:
    data = model.to_dict()
    text = json.dumps(data)
    again = SeasonModel.from_dict(json.loads(text))
    assert again.to_dict() == data
    assert again.segment_names == model.segment_names
    assert data["segments"]["resort"]["monthly_multipliers"][7] == 1.9108
    for name, season in data["segments"].items():
        assert all(isinstance(n, int) for n in season["monthly_nights"])
        assert all(round(m, 4) == m for m in season["monthly_multipliers"])
        assert again.segment(name).monthly_multipliers == pytest.approx(
            model.segment(name).monthly_multipliers, abs=5e-5
        )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hemisphere": "east"}, "hemisphere"),
        ({"segments": {}}, "segments"),
        ({"rows_used": "many"}, "rows_used must be an integer"),
        (
            {"segments": {"all": {"monthly_multipliers": [1.0] * 11, "monthly_nights": [0] * 11}}},
            "expected 12 monthly values",
        ),
    ],
)
def test_from_dict_rejects_malformed_data(
    model: SeasonModel, change: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        SeasonModel.from_dict({**model.to_dict(), **change})


# ---- profiles for destinations ----------------------------------------------------------------


def test_profile_for_the_model_country(model: SeasonModel) -> None:
    season = profile(model, country_code="pt", lat=37.1, year=2026, segment="resort")
    resort = model.segment("resort")
    assert season.country_code == "PT"
    assert season.confidence == 0.9
    assert [m.multiplier for m in season.months] == list(resort.monthly_multipliers)
    assert [m.nights_observed for m in season.months] == list(resort.monthly_nights)
    assert season.basis.startswith("learnt from 6,693 non-cancelled hotel bookings in PT")
    assert "hotel_bookings.csv" in season.basis
    assert dt.date(2026, 4, 25) in {h.date for h in season.holidays}  # Freedom Day


def test_profile_transferred_to_another_northern_country(model: SeasonModel) -> None:
    season = profile(model, country_code="FR", lat=48.9, year=2027)
    assert season.segment == "city"
    assert season.confidence == 0.5
    assert "transferred to FR" in season.basis
    # The city hotel was only seen July-October: the other months are said to be the prior.
    assert "8 month(s) with fewer than 30 observed nights" in season.basis


def test_southern_hemisphere_shifts_the_months_by_six(model: SeasonModel) -> None:
    resort = model.segment("resort")
    season = profile(model, country_code="AU", lat=-33.9, year=2027, segment="resort")
    assert season.months[0].multiplier == resort.monthly_multipliers[6]  # January <- July
    assert season.months[1].multiplier == resort.monthly_multipliers[7]  # February <- August
    assert season.months[6].multiplier == resort.monthly_multipliers[0]  # July <- January
    assert season.months[0].nights_observed == resort.monthly_nights[6]
    assert max(season.months, key=lambda m: m.multiplier).month == 2
    assert season.confidence == 0.35
    assert "shifted by 6" in season.basis
    assert sum(m.multiplier for m in season.months) / 12 == pytest.approx(1.0, abs=1e-6)


def test_tropics_flatten_the_seasons_by_half(model: SeasonModel) -> None:
    resort = model.segment("resort")
    season = profile(model, country_code="SG", lat=1.35, year=2027, segment="resort")
    expected = [1 + (m - 1) / 2 for m in resort.monthly_multipliers]
    assert [m.multiplier for m in season.months] == pytest.approx(expected, abs=1e-12)
    assert season.months[7].multiplier == pytest.approx(1.4554, abs=1e-4)
    assert season.confidence == 0.35
    assert "flattened" in season.basis
    # Just south of the equator: shifted and flattened.
    south = profile(model, country_code="ID", lat=-6.2, year=2027, segment="resort")
    assert south.months[0].multiplier == pytest.approx(expected[6], abs=1e-12)
    # Outside the tropics nothing is flattened.
    north = profile(model, country_code="ES", lat=10.5, year=2027, segment="resort")
    assert north.months[7].multiplier == resort.monthly_multipliers[7]


def test_holidays_of_finland_2027(model: SeasonModel) -> None:
    season = profile(model, country_code="FI", lat=60.2, year=2027)
    by_date = {h.date: h for h in season.holidays}
    independence = by_date[dt.date(2027, 12, 6)]
    assert independence.name == "Independence Day"
    assert independence.multiplier == model.segment("city").holiday_multiplier
    assert all(h.date.year == 2027 for h in season.holidays)
    assert dt.date(2027, 12, 25) in by_date
    assert season.to_dict()["holidays"][0] == {
        "date": "2027-01-01",
        "name": "New Year's Day",
        "multiplier": 1.1333,
    }


def test_unknown_country_has_no_holidays_and_says_so(model: SeasonModel) -> None:
    season = profile(model, country_code="XX", lat=None, year=2027)
    assert season.holidays == ()
    assert "country 'XX' is unknown to the holidays package" in season.basis
    assert "latitude unknown" in season.basis
    none = profile(model, country_code=None, lat=45.0, year=2027)
    assert none.holidays == ()
    assert "no country code" in none.basis


def test_unknown_segment_falls_back_to_all(model: SeasonModel) -> None:
    season = profile(model, country_code="PT", lat=38.7, year=2027, segment="hostel")
    assert season.segment == "all"
    assert "segment 'hostel' not in the model, used 'all'" in season.basis
    assert [m.multiplier for m in season.months] == list(model.segment("all").monthly_multipliers)


def test_profile_to_dict_is_json_safe(model: SeasonModel) -> None:
    data = profile(model, country_code="PT", lat=38.7, year=2027, segment="city").to_dict()
    assert json.loads(json.dumps(data)) == data
    assert [m["month"] for m in data["months"]] == list(range(1, 13))
    assert data["months"][8] == {"month": 9, "multiplier": 1.1579, "nights_observed": 3803}
    assert data["weekend_multiplier"] == 1.0627
    assert data["confidence"] == 0.9


def test_latitude_out_of_range_is_rejected(model: SeasonModel) -> None:
    with pytest.raises(ValueError, match="latitude"):
        profile(model, country_code="PT", lat=123.0, year=2027)


# ---- night multipliers -----------------------------------------------------------------------


def test_night_multipliers_on_a_friday_holiday_eve(model: SeasonModel) -> None:
    # Portugal's Freedom Day, 25 April 2026, is a Saturday: the Friday night before is its eve.
    season = profile(model, country_code="PT", lat=37.1, year=2026, segment="resort")
    april = season.months[3].multiplier
    weekend, holiday = season.weekend_multiplier, season.holiday_multiplier
    nights = [dt.date(2026, 4, d) for d in (23, 24, 25, 26)]  # Thu, Fri, Sat, Sun
    assert [n.strftime("%a") for n in nights] == ["Thu", "Fri", "Sat", "Sun"]
    values = night_multipliers(season, nights)
    assert values == pytest.approx(
        [april, april * weekend * holiday, april * weekend * holiday, april], abs=1e-12
    )
    assert values[1] == pytest.approx(0.8405 * 1.0397 * 1.2110, abs=1e-3)
    assert mean_multiplier(season, nights) == pytest.approx(sum(values) / 4, abs=1e-12)


def test_night_multipliers_follow_the_months(model: SeasonModel) -> None:
    season = profile(model, country_code="PT", lat=37.1, year=2027, segment="resort")
    # Tuesday 10 August and Tuesday 9 February 2027: no weekend, no holiday.
    august, february = night_multipliers(season, [dt.date(2027, 8, 10), dt.date(2027, 2, 9)])
    assert august / february == pytest.approx(1.9108 / 0.6445, abs=1e-3)
    assert night_multipliers(season, []) == []
    with pytest.raises(ValueError, match="no nights"):
        mean_multiplier(season, [])


# ---- validation ------------------------------------------------------------------------------


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def real_rows(limit: int) -> Iterator[dict[str, str]]:
    with DATA.open(newline="") as handle:
        for index, row in enumerate(csv.DictReader(handle)):
            if index >= limit:
                return
            yield row


def test_file_without_the_required_columns_is_rejected(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "prices.csv", ["city", "price"], [["Lisbon", "90"]])
    with pytest.raises(ValueError, match=r"prices\.csv: required column\(s\) missing: hotel"):
        learn_file(path)
    partial = [c for c in REQUIRED_COLUMNS if c != "adr"]
    path = write_csv(tmp_path / "no_adr.csv", partial, [["City Hotel"] + ["1"] * 7])
    with pytest.raises(ValueError, match="missing: adr"):
        learn_file(path)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="empty"):
        learn_file(tmp_path / "empty.csv")
    with pytest.raises(ValueError, match="required column"):
        learn([{"city": "Lisbon"}, {"price": "90"}], source="dicts")
    with pytest.raises(ValueError, match="no rows"):
        learn([], source="nothing")


def test_garbage_rows_are_skipped_and_counted(tmp_path: Path) -> None:
    rows = list(real_rows(400))
    header = list(rows[0])
    clean = learn(rows, source="clean")

    def broken(**change: str) -> list[str]:
        return [change.get(column, value) for column, value in rows[0].items()]

    garbage = [
        broken(adr="abc"),
        broken(adr="nan"),
        broken(arrival_date_month="Smarch"),
        broken(arrival_date_year="20x5"),
        broken(arrival_date_month="February", arrival_date_day_of_month="30"),
        broken(stays_in_week_nights="-2"),
        broken(stays_in_weekend_nights=""),
        broken(is_canceled="maybe"),
        ["Resort Hotel", "0", "12"],  # short row: DictReader fills the rest with None
    ]
    data = [list(r.values()) for r in rows]
    mixed = data[:100] + garbage[:5] + data[100:] + garbage[5:]
    model = learn_file(write_csv(tmp_path / "mixed.csv", header, mixed))
    assert model.rows_skipped == len(garbage) == 9
    assert model.rows_used == clean.rows_used > 0
    assert model.rows_used + model.rows_skipped + model.rows_canceled + model.rows_filtered == 409
    assert (
        model.segment("resort").monthly_multipliers == clean.segment("resort").monthly_multipliers
    )


def test_rows_without_a_price_or_nights_are_filtered_not_skipped() -> None:
    base = next(real_rows(1))
    rows = [
        {**base, "adr": "0"},
        {**base, "adr": "-5"},
        {**base, "adr": "9999"},
        {**base, "stays_in_weekend_nights": "0", "stays_in_week_nights": "0", "adr": "80"},
        {**base, "adr": "80", "stays_in_week_nights": "2"},
        {**base, "adr": "80", "is_canceled": "1"},
        {"hotel": "Resort Hotel"},
    ]
    model = learn(rows, source="few")
    assert (model.rows_used, model.rows_filtered, model.rows_canceled, model.rows_skipped) == (
        1,
        4,
        1,
        1,
    )
    with pytest.raises(ValueError, match="no usable booking"):
        learn(rows[:4], source="none usable")


def test_unknown_model_country_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown to the holidays package"):
        learn(real_rows(50), country="XX", source="x")


# ---- property ----------------------------------------------------------------------------------

booking = st.tuples(
    st.sampled_from(["City Hotel", "Resort Hotel", "Hostel Lisboa"]),
    st.integers(min_value=2015, max_value=2024),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1, max_value=28),
    st.integers(min_value=0, max_value=4),
    st.integers(min_value=0, max_value=10),
    st.floats(min_value=0.5, max_value=5000, allow_nan=False),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(booking, min_size=1, max_size=60))
def test_learnt_multipliers_average_exactly_one(
    bookings: list[tuple[str, int, int, int, int, int, float]],
) -> None:
    rows = [
        {
            "hotel": hotel,
            "is_canceled": "0",
            "arrival_date_year": str(year),
            "arrival_date_month": MONTHS[month - 1],
            "arrival_date_day_of_month": str(day),
            "stays_in_weekend_nights": str(weekend),
            "stays_in_week_nights": str(week + (1 if weekend + week == 0 else 0)),
            "adr": repr(adr),
        }
        for hotel, year, month, day, weekend, week, adr in bookings
    ]
    model = learn(rows, source="synthetic")
    assert model.rows_used == len(rows)
    for season in model.segments:
        assert math.fsum(season.monthly_multipliers) / 12 == pytest.approx(1.0, abs=1e-9)
        assert all(m > 0 for m in season.monthly_multipliers)
        assert season.weekend_multiplier > 0
        assert season.holiday_multiplier > 0
    assert model.segment("all").nights == sum(s.nights for s in model.segments if s.name != "all")
