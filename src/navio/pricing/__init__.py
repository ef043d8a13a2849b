"""Pricing: what things cost where, from travelers' reports: fair prices, verdicts on a price,
monthly history and changes."""

from dataclasses import dataclass
from datetime import date

from navio.kernel.db import SessionSource
from navio.pricing.domain import ITEMS
from navio.pricing.events import PriceMoved, PriceReported
from navio.pricing.repository import PricingRepository, Spot
from navio.pricing.service import latest_fair


@dataclass(frozen=True, slots=True)
class CrowdPrice:
    """What travelers paid for an item around a point: the fair price's median and lower
    quartile in euro minor units, and how many reporters it rests on."""

    item: str
    median_eur_minor: int
    low_eur_minor: int
    reporters: int
    basis: str


async def crowd_price(
    source: SessionSource, item: str, lat: float, lon: float, radius_km: float, today: date
) -> CrowdPrice | None:
    spot = Spot(item, lat, lon, radius_km * 1000, None)
    fair = await latest_fair(PricingRepository(source), spot, today)
    if fair is None:
        return None
    label = ITEMS[item].label.lower()
    basis = (
        f"{fair.reporters} travelers' reports of {label} ({ITEMS[item].unit}) within "
        f"{radius_km:g} km, {fair.oldest} to {fair.newest}"
    )
    return CrowdPrice(item, fair.median, fair.low, fair.reporters, basis)


__all__ = ["CrowdPrice", "PriceMoved", "PriceReported", "crowd_price"]
