"""Pricing: what things cost where, from travelers' reports: fair prices, verdicts on a price,
monthly history and changes."""

from navio.pricing.events import PriceReported

__all__ = ["PriceReported"]
