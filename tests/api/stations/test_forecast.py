"""A station's forecast through HTTP, on SQLite and PostgreSQL: three weeks of weekday morning
rushes in its past make 08:00 the busy hour of a coming weekday morning, with the longest wait,
in the station's own time zone; hours before it opened do not count; bad input is refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI

from navio.kernel.clock import FrozenClock
from navio.stations.models import QueueTicket
from tests.factories.iam import assert_problem, operator
from tests.factories.stations import API, pack, station

HELSINKI = ZoneInfo("Europe/Helsinki")
OPENED = datetime(2026, 11, 9, 5, 0, tzinfo=UTC)  # Monday 07:00 in Helsinki
NOW = datetime(2026, 12, 2, 5, 20, tzinfo=UTC)  # Wednesday 07:20 in Helsinki


async def test_the_morning_rush_is_forecast(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await operator(client, app.state)
    app.state.clock = FrozenClock(OPENED)
    made = await station(client, owner, bays=1, service_minutes=10)
    sid = made["id"]
    for serial in range(30):
        await pack(client, owner, sid, f"FC-{serial:03}", 100)
    # the past: on every weekday since it opened, 6 riders between 08:00 and 09:00 local
    async with app.state.db.transaction() as session:
        day = OPENED
        while day < NOW - timedelta(days=1):
            if day.astimezone(HELSINKI).weekday() < 5:
                for i in range(6):
                    joined = day + timedelta(hours=1, minutes=10 * i)
                    session.add(
                        QueueTicket(
                            id=uuid.uuid4(),
                            station_id=uuid.UUID(sid),
                            user_id=uuid.uuid4(),
                            status="served",
                            joined_at=joined,
                            ended_at=joined + timedelta(minutes=10),
                        )
                    )
            day += timedelta(days=1)
    app.state.clock = FrozenClock(NOW)

    answer = await client.get(f"{API}/stations/{sid}/forecast", params={"hours": 4})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["time_zone"] == "Europe/Helsinki"
    assert body["history"]["arrivals"] == 17 * 6  # the weekdays from Nov 9 to Dec 1
    assert 3.2 < body["history"]["weeks"] < 3.4  # since it opened, not eight weeks
    hours = body["hours"]
    assert [h["local_start"][11:16] for h in hours] == ["07:00", "08:00", "09:00", "10:00"]
    assert hours[0]["local_start"].endswith("+02:00")
    assert hours[1]["arrivals_expected"] > 4  # the rush, from its own past
    assert all(hours[i]["arrivals_expected"] < 0.5 for i in (0, 2, 3))
    # one bay, ten minutes a swap, six riders an hour: the rush hour is the one to avoid
    assert hours[1]["wait_minutes_mean"] > hours[0]["wait_minutes_mean"]
    assert hours[1]["wait_minutes_p90"] > hours[3]["wait_minutes_p90"]
    assert all(h["no_pack_chance"] == 0 for h in hours)
    assert body["best_hour"] != hours[1]["starts_at"]
    # the same question in the same hour gets the same answer, kept a minute: swaps three
    # times as slow from now on do not show until then (or the next hour)
    slower = await client.patch(
        f"{API}/stations/{sid}", json={"service_minutes": 30}, headers=owner.headers
    )
    assert slower.status_code == 200, slower.text
    again = await client.get(f"{API}/stations/{sid}/forecast", params={"hours": 4})
    assert again.json() == body
    app.state.clock = FrozenClock(NOW + timedelta(hours=1))
    later = (await client.get(f"{API}/stations/{sid}/forecast", params={"hours": 3})).json()
    assert later["generated_at"] != body["generated_at"]
    assert later["hours"][0]["starts_at"] == hours[1]["starts_at"]
    assert later["hours"][0]["wait_minutes_mean"] > 1.5 * hours[1]["wait_minutes_mean"]
    assert not any(h["public_holiday"] for h in hours)
    # Epiphany, a Wednesday, is a public holiday in Finland: no morning rush forecast then
    app.state.clock = FrozenClock(datetime(2027, 1, 6, 5, 20, tzinfo=UTC))  # 07:20 local
    epiphany = (await client.get(f"{API}/stations/{sid}/forecast", params={"hours": 2})).json()[
        "hours"
    ]
    assert [h["public_holiday"] for h in epiphany] == [True, True]
    assert epiphany[1]["arrivals_expected"] < 0.5  # 08:00, forecast as on a Sunday


async def test_forecast_bad_input(app: FastAPI, client: httpx.AsyncClient) -> None:
    owner = await operator(client, app.state)
    sid = (await station(client, owner))["id"]
    for hours in (0, 49, "many"):
        refused = await client.get(f"{API}/stations/{sid}/forecast", params={"hours": hours})
        assert_problem(refused, 422, "validation_error")
    unknown = await client.get(f"{API}/stations/{uuid.uuid4()}/forecast")
    assert_problem(unknown, 404, "station_not_found")
    # a new station: no riders to expect, and the wait is the queue's own (none, no pack)
    fresh = (await client.get(f"{API}/stations/{sid}/forecast", params={"hours": 2})).json()
    assert fresh["history"]["arrivals"] == 0
    assert [h["arrivals_expected"] for h in fresh["hours"]] == [0, 0]
    assert [h["no_pack_chance"] for h in fresh["hours"]] == [1, 1]
    assert fresh["best_hour"] is None
