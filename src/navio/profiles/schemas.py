from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime
from typing import Annotated, Literal

from babel import Locale, UnknownLocaleError
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from navio.kernel.money import is_currency
from navio.profiles.domain import CardBrand, Dietary, Interest, Mobility, Pace, TravelStyle

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProfileUpdate(StrictModel):
    display_name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
        | None
    ) = None
    bio: Annotated[str, StringConstraints(max_length=2000)] | None = None
    avatar_url: AnyHttpUrl | None = None
    home_city: Text200 | None = None
    country_code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None
    timezone: str | None = Field(None, max_length=64, description="IANA zone, e.g. Europe/Helsinki")
    phone: Annotated[str, StringConstraints(pattern=r"^\+[1-9]\d{6,14}$")] | None = Field(
        None, description="E.164"
    )

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("not an IANA time zone") from exc
        return value


class ProfileRead(BaseModel):
    user_id: uuid.UUID
    display_name: str | None
    bio: str | None
    avatar_url: str | None
    home_city: str | None
    country_code: str | None
    timezone: str | None
    phone: str | None
    updated_at: datetime | None


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("values must be unique")
    return values


class PreferencesUpdate(StrictModel):
    home_currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "EUR"
    language: Annotated[str, StringConstraints(min_length=2, max_length=35)] = "en"
    travel_style: TravelStyle | None = None
    pace: Pace = Pace.MODERATE
    interests: list[Interest] = Field(default_factory=list, max_length=len(Interest))
    dietary: list[Dietary] = Field(default_factory=list, max_length=len(Dietary))
    mobility: list[Mobility] = Field(default_factory=list, max_length=len(Mobility))
    distance_unit: Literal["metric", "imperial"] = "metric"

    @field_validator("home_currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if not is_currency(value):
            raise ValueError("not an ISO 4217 currency in use")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        try:
            locale = Locale.parse(value.replace("_", "-"), sep="-")
        except (UnknownLocaleError, ValueError) as exc:
            raise ValueError("not a known BCP 47 language tag") from exc
        return str(locale).replace("_", "-")

    @field_validator("interests", "dietary", "mobility")
    @classmethod
    def _no_duplicates(cls, value: list[str]) -> list[str]:
        return _unique(value)


class PreferencesRead(PreferencesUpdate):
    model_config = ConfigDict(extra="ignore")

    user_id: uuid.UUID
    updated_at: datetime | None


class SavedPlaceCreate(StrictModel):
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
    name: Text200
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    place_id: uuid.UUID | None = None
    notes: Annotated[str, StringConstraints(max_length=2000)] | None = None


class SavedPlaceRead(SavedPlaceCreate):
    model_config = ConfigDict(from_attributes=True, extra="ignore")

    id: uuid.UUID
    created_at: datetime


class PaymentMethodCreate(StrictModel):
    provider: Literal["sandbox", "stripe", "razorpay"]
    token: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=6, max_length=255)
    ] = Field(description="the provider's payment-method token (never a card number)")
    brand: CardBrand
    last4: Annotated[str, StringConstraints(pattern=r"^\d{4}$")]
    exp_month: int = Field(ge=1, le=12)
    exp_year: int = Field(ge=2000, le=2100)
    holder_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = (
        None
    )
    make_default: bool = False


class PaymentMethodRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    provider: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    holder_name: str | None
    is_default: bool
    created_at: datetime
