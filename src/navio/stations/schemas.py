from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from navio.stations.domain import BatteryStatus, FaultStatus, QueueStatus


class StationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    address: str | None = Field(default=None, max_length=300)
    bays: int = Field(default=2, ge=1, le=50, description="travelers served at once")
    service_minutes: int = Field(default=4, ge=1, le=120, description="one swap")
    charger_kw: float = Field(default=1.0, ge=0.05, le=350, description="per pack charging")
    pack_wh: int = Field(default=1500, ge=100, le=200_000, description="the packs it swaps")
    price_minor: int = Field(gt=0, le=10**7, description="per swap")
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class StationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=120)
    address: str | None = Field(default=None, max_length=300)
    bays: int | None = Field(default=None, ge=1, le=50)
    service_minutes: int | None = Field(default=None, ge=1, le=120)
    charger_kw: float | None = Field(default=None, ge=0.05, le=350)
    price_minor: int | None = Field(default=None, gt=0, le=10**7)
    open: bool | None = None


class StationRead(BaseModel):
    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    lat: float
    lon: float
    address: str | None
    bays: int
    service_minutes: int
    charger_kw: float
    pack_wh: int
    price_minor: int
    currency: str
    open: bool
    version: int
    # live
    queued: int = Field(description="travelers waiting or at a bay")
    ready_batteries: int = Field(description="packs holding at least 80 % now")
    charging_batteries: int
    wait_minutes: int | None = Field(
        description="for a traveler joining now; null: no pack will be ready for them"
    )


class Recommendation(BaseModel):
    station: StationRead
    distance_m: float
    travel_minutes: int
    wait_minutes_on_arrival: int | None
    done_in_minutes: int | None = Field(description="travel, wait and the swap: how we rank")


class StaffAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID


class StaffRead(BaseModel):
    user_id: uuid.UUID
    display_name: str
    added_at: datetime


class BatteryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    serial: str = Field(pattern=r"^[A-Za-z0-9._-]{3,64}$")
    capacity_wh: int | None = Field(
        default=None, ge=100, le=200_000, description="else the station's"
    )
    soc: float = Field(ge=0, le=100, description="state of charge now, percent")
    health_pct: float = Field(default=100, ge=0, le=100)


class BatteryReading(BaseModel):
    model_config = ConfigDict(extra="forbid")

    soc: float = Field(ge=0, le=100)
    health_pct: float | None = Field(default=None, ge=0, le=100)


class BatteryMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_station_id: uuid.UUID


class BatteryRead(BaseModel):
    id: uuid.UUID
    serial: str
    station_id: uuid.UUID | None
    destination_id: uuid.UUID | None
    rider_id: uuid.UUID | None
    capacity_wh: int
    soc: float = Field(description="now, charging included")
    ready_at: datetime | None = Field(description="charging: when it holds 80 %")
    health_pct: float
    cycles: int
    status: BatteryStatus
    read_at: datetime


class TicketRead(BaseModel):
    id: uuid.UUID
    station_id: uuid.UUID
    status: QueueStatus
    position: int | None = Field(description="1 = next; none once called")
    wait_minutes: int | None
    joined_at: datetime
    called_at: datetime | None
    ended_at: datetime | None
    qr: str | None = Field(description="shown at the station; staff scan it to check you in")


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    qr: str = Field(min_length=10, max_length=500)


class SwapCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ticket_id: uuid.UUID
    battery_out_id: uuid.UUID = Field(description="a ready pack of this station")
    battery_in_serial: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9._-]{3,64}$", description="the pack the rider returns"
    )
    soc_in: float | None = Field(default=None, ge=0, le=100)


class SwapRead(BaseModel):
    id: uuid.UUID
    station_id: uuid.UUID
    ticket_id: uuid.UUID
    user_id: uuid.UUID
    staff_id: uuid.UUID
    battery_out_id: uuid.UUID
    battery_in_id: uuid.UUID | None
    soc_out: float
    soc_in: float | None
    amount_minor: int
    currency: str
    credit_id: uuid.UUID | None = Field(
        description="paid with a plan's credit (amount 0), not from the wallet"
    )
    swapped_at: datetime


class FaultCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: Literal["battery", "charger", "bay", "payment", "other"]
    battery_id: uuid.UUID | None = None
    description: str = Field(min_length=1, max_length=2000)


class FaultUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: FaultStatus
    resolution: str | None = Field(default=None, max_length=2000)


class FaultRead(BaseModel):
    id: uuid.UUID
    station_id: uuid.UUID
    battery_id: uuid.UUID | None
    reporter_id: uuid.UUID
    category: str
    description: str
    status: FaultStatus
    resolution: str | None
    created_at: datetime
    resolved_at: datetime | None


class HourForecast(BaseModel):
    starts_at: datetime
    local_start: datetime  # the same instant in the station's time zone
    public_holiday: bool  # in the station's country: forecast as a Sunday
    arrivals_expected: float  # riders joining in the hour (from now on, in the current hour)
    wait_minutes_mean: float | None  # for a rider coming at the middle of the hour
    wait_minutes_p50: int | None
    wait_minutes_p90: int | None
    no_pack_chance: float  # the share of simulated hours with no pack left for them


class ForecastHistory(BaseModel):
    weeks: float  # of the station's own past behind the rates (at most 8)
    arrivals: int  # riders counted in it


class ForecastRead(BaseModel):
    station_id: uuid.UUID
    time_zone: str
    generated_at: datetime
    history: ForecastHistory
    hours: list[HourForecast]
    best_hour: datetime | None  # the hour with the shortest median wait (the earliest of ties)


class PlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    swaps: int = Field(ge=1, le=1_000, description="swaps bought at once")
    price_minor: int = Field(gt=0, le=10_000_000)
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    valid_days: int = Field(ge=1, le=400, description="from the day it is bought")


class PlanUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    active: bool = Field(description="false: no longer sold (bought ones stay valid)")


class PlanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    swaps: int
    price_minor: int
    currency: str
    valid_days: int
    active: bool
    created_at: datetime


class CreditRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    plan_id: uuid.UUID
    owner_id: uuid.UUID
    swaps_bought: int
    swaps_left: int
    price_minor: int
    currency: str
    bought_at: datetime
    expires_at: datetime
